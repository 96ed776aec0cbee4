"""index.html: one self-contained page (figures inlined as data URIs, no network, no server)."""

from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path

from llexp.artifacts import write_text
from llexp.review.headlines import headlines
from llexp.review.interactive import PLOTLY_JS
from llexp.review.runs import Run

TEMPLATE = Path(__file__).with_name("page.html")


def data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def figure(path: Path, caption: str) -> str:
    try:
        src = data_uri(path)
    except OSError as error:  # a figure removed while reviewing: say so, keep the page
        return f'<p class="missing">{html.escape(caption)}: {html.escape(str(error))}</p>'
    return (
        f'<figure><img src="{src}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def table(columns: list[str], rows: list[list[str]], runs: list[Run]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for run, row in zip(runs, rows, strict=True):
        cells = "".join(f"<td>{html.escape(v)}</td>" for v in row)
        cells = cells.replace(
            f"<td>{html.escape(run.name)}</td>",
            f'<td><a href="#run-{html.escape(run.name)}">{html.escape(run.name)}</a></td>',
            1,
        )
        body.append(f'<tr class="{html.escape(run.status)}">{cells}</tr>')
    return (
        f'<div class="scroll"><table id="runs"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def files_list(run: Run, page_dir: Path) -> str:
    """The run's per-image files, each linked (relative to the page) with its headline."""
    items = [
        f'<li><a href="{html.escape(os.path.relpath(path, page_dir))}">{html.escape(path.name)}'
        f"</a>: {html.escape(text)}</li>"
        for path, text in headlines(run.path)
    ]
    return f'<ul class="files">{"".join(items)}</ul>' if items else ""


def run_section(run: Run, metric: str, page_dir: Path = Path(".")) -> str:
    overrides = " ".join(f"{k}={v}" for k, v in run.overrides.items()) or "(no overrides)"
    value = run.value(metric)
    parts = [
        f'<section class="run {html.escape(run.status)}" id="run-{html.escape(run.name)}">',
        f"<h3>{html.escape(run.name)} <small>{html.escape(run.status)}"
        + (f" &middot; {metric} {value:.4g}" if value is not None else "")
        + "</small></h3>",
        f"<p><code>{html.escape(overrides)}</code><br><small>{html.escape(str(run.path))}"
        "</small></p>",
    ]
    if run.error:
        parts.append(f'<pre class="error">{html.escape(run.error)}</pre>')
    parts.append(files_list(run, page_dir))
    parts += [figure(p, p.name) for p in run.figures]
    if not run.figures:
        parts.append('<p class="missing">no figures in this folder</p>')
    parts.append("</section>")
    return "\n".join(parts)


def write_page(runs, columns, rows, figures, problems, metric, path: Path, charts="") -> None:
    """Writes the review page: summary plots, the sortable table and every run's figures;
    `charts` (interactive plotly charts) load plotly.min.js from the page's folder."""
    skipped = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    html_text = (
        TEMPLATE.read_text()
        .replace("{{title}}", html.escape(f"llexp review: {len(runs)} runs, best {metric} first"))
        .replace("{{table}}", table(columns, rows, runs))
        .replace("{{plotly}}", f'<script src="{PLOTLY_JS}"></script>' if charts else "")
        .replace("{{charts}}", charts)
        .replace("{{plots}}", "\n".join(figure(p, p.stem) for p in figures))
        .replace("{{skipped}}", f"<h2>Skipped folders</h2><ul>{skipped}</ul>" if problems else "")
        .replace("{{runs}}", "\n".join(run_section(r, metric, path.parent) for r in runs))
        .replace("{{count}}", json.dumps(len(runs)))
    )
    write_text(path, html_text)
