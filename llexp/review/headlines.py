"""One line about each per-image file of a run folder, for the review page: what a user looks
at first (the top confusions, the worst reconstruction, the cluster sizes), beside a link."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

FILES = (
    "predictions.csv",
    "confusion_matrix.csv",
    "reconstruction_errors.csv",
    "clusters.csv",
    "summary.txt",
)


def headlines(folder: Path) -> list[tuple[Path, str]]:
    """`(file, headline)` for each per-image file the run folder holds (unreadable: said so)."""
    found = []
    for name in FILES:
        path = folder / name
        if path.is_file():
            try:
                found.append((path, READERS[name](path)))
            except (OSError, ValueError, KeyError, IndexError) as error:
                found.append((path, f"cannot be read ({error})"))
    return found


def rows(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def predictions(path: Path) -> str:
    table = rows(path)
    wrong = [r for r in table if r["true"] != r["predicted"]]
    sure = sorted(wrong, key=lambda r: -float(r["confidence"]))[:1]
    worst = (
        f"; most confident mistake: image {sure[0]['index']}, {sure[0]['predicted']} for "
        f"{sure[0]['true']} at {100 * float(sure[0]['confidence']):.0f}%"
        if sure
        else ""
    )
    return f"{len(wrong)} of {len(table)} test images misclassified{worst}"


def confusions(path: Path, top: int = 3) -> str:
    with path.open(newline="") as f:
        table = list(csv.reader(f))
    names = table[0][1:]
    pairs = [
        (int(count), true_row[0], names[j])
        for true_row in table[1:]
        for j, count in enumerate(true_row[1:])
        if true_row[0] != names[j] and int(count) > 0
    ]
    pairs.sort(key=lambda p: -p[0])
    if not pairs:
        return "no confusions: every test image in its class"
    shown = ", ".join(f"{true} as {pred} ({n})" for n, true, pred in pairs[:top])
    return f"top confusions (true as predicted): {shown}"


def reconstruction_errors(path: Path) -> str:
    test = [r for r in rows(path) if r["split"] == "test"]
    errors = [float(r["mse"]) for r in test]
    worst = max(range(len(test)), key=errors.__getitem__)
    return (
        f"test MSE per image: mean {sum(errors) / len(errors):.4g}, worst {errors[worst]:.4g} "
        f"(test image {test[worst]['index']}, label {test[worst]['label']})"
    )


def clusters(path: Path) -> str:
    test = [r for r in rows(path) if r["split"] == "test"]
    sizes = Counter(int(r["cluster"]) for r in test)
    counts = ", ".join(str(sizes[c]) for c in sorted(sizes))
    return f"{len(sizes)} clusters; test images per cluster: {counts}"


def summary(path: Path) -> str:
    lines = [line.strip() for line in path.read_text().splitlines()]
    total = next((line for line in lines if line.startswith("Total params")), "")
    return total or lines[0]


READERS = {
    "predictions.csv": predictions,
    "confusion_matrix.csv": confusions,
    "reconstruction_errors.csv": reconstruction_errors,
    "clusters.csv": clusters,
    "summary.txt": summary,
}
