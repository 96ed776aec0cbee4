"""`llexp review` on run folders built by hand: completed, failed, incomplete and broken ones."""

import csv
import re

import pytest

from llexp.errors import LlexpError
from llexp.review import main, review

from helpers import completed, make_run


def test_every_readable_run_is_listed_best_first_and_the_broken_one_reported(sweep):
    result = review([sweep])
    names = [run.name for run in result["runs"]]
    assert names == ["3", "2", "1", "0", "4", "5"]  # by val_accuracy; failed, incomplete last
    assert [run.status for run in result["runs"]][-2:] == ["failed", "incomplete"]
    (problem,) = result["problems"]
    assert problem.startswith(str(sweep / "10")) and "JSONDecodeError" in problem
    columns = result["columns"]
    assert columns[:4] == ["run", "model.depth", "model.width", "status"]  # dataset= is constant
    assert {"epochs", "params", "val_accuracy", "test_accuracy", "train_seconds"} <= set(columns)
    assert result["rows"][0][:4] == ["3", "2", "8", "completed"]


def test_loss_like_metrics_rank_ascending(sweep):
    runs = review([sweep], metric="val_loss")["runs"]
    assert [run.name for run in runs][:4] == ["3", "2", "1", "0"]


def test_summary_files_hold_every_run(sweep):
    out = review([sweep])["out_dir"]
    assert out == sweep / "review"
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["run"] for r in rows] == ["3", "2", "1", "0", "4", "5"]
    assert {"dataset", "model.depth", "model.width", "val_accuracy", "params", "error"} <= set(
        rows[0]
    )
    assert rows[4]["status"] == "failed" and "too deep" in rows[4]["error"]
    markdown = (out / "summary.md").read_text()
    assert markdown.count("| completed |") == 4 and "| failed |" in markdown
    assert "Skipped folders" in markdown and str(sweep / "10") in markdown


def test_sweep_plots_are_drawn(sweep):
    figures = review([sweep])["figures"]
    names = [p.name for p in figures]
    assert names == ["sweep_heatmap.png", "sweep_metric.png", "sweep_curves.png"]
    for path in figures:
        assert path.stat().st_size > 10_000, path  # drawn figures, not empty canvases


def test_page_is_self_contained_and_shows_every_run(sweep):
    out = review([sweep])["out_dir"]
    page = (out / "index.html").read_text()
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing fetched from a network
    assert page.count('src="data:image/png;base64,') == 3 + 4  # sweep plots + 4 runs' history
    for name in ["0", "1", "2", "3", "4", "5"]:
        assert f'id="run-{name}"' in page
    assert "too deep for 8x8" in page and "Skipped folders" in page


def test_a_single_run_folder_and_several_paths(sweep, tmp_path):
    result = review([sweep / "3"], out_dir=tmp_path / "one")
    assert [run.name for run in result["runs"]] == ["3"]
    assert not (sweep / "3" / "review").exists()  # --out: nothing added to the run folder
    other = make_run(tmp_path / "other" / "0", ["model.depth=1"], completed(0.95, 10))
    result = review([sweep, other.parent], out_dir=tmp_path / "both")
    assert result["runs"][0].name == "other/0"


def test_user_mistakes_are_one_line(sweep, tmp_path):
    with pytest.raises(LlexpError, match="no run has it; the runs have .*val_accuracy"):
        review([sweep], metric="val_acc")
    with pytest.raises(LlexpError, match="no run folder"):
        review([tmp_path / "sweep" / "review"])


def test_cli_prints_the_table_and_exits_0(sweep, capsys):
    assert main([str(sweep), "--metric", "test_accuracy"]) == 0
    out, err = capsys.readouterr()
    assert "6 runs (4 completed, 1 failed, 1 incomplete), best test_accuracy first" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("run "))
    assert lines[header + 2].split()[:4] == ["3", "2", "8", "completed"]
    assert "4 failed: model.depth=4 is too deep" in out
    assert re.search(r"importance for test_accuracy .*: model\.depth 0\.\d+, model\.width", out)
    assert "skipped " + str(sweep / "10") in err
    assert main([str(sweep / "missing")]) == 2


def test_new_test_metrics_are_columns_rank_best_first_and_are_plotted(tmp_path):
    """Clustering scores, macro F1 and top-5 accuracy show like the other test metrics; the
    nested per-class table stays in metrics.json and the CSV."""
    root = tmp_path / "ae"
    nmi = {(1, 4): 0.4, (1, 8): 0.7, (2, 4): 0.5, (2, 8): 0.6}
    for job, ((depth, width), score) in enumerate(nmi.items()):
        metrics = completed(0.5, params=10) | {
            "test_kmeans_nmi": score,
            "test_kmeans_purity": score + 0.1,
            "test_macro_f1": 0.5,
            "test_top5_accuracy": 0.9,
            "per_class": {"a": {"precision": 1.0}},
        }
        make_run(root / str(job), [f"model.depth={depth}", f"model.width={width}"], metrics)
    result = review([root], metric="test_kmeans_nmi")
    assert [run.name for run in result["runs"]] == ["1", "3", "2", "0"]  # higher is better
    new = {"test_kmeans_nmi", "test_kmeans_purity", "test_macro_f1", "test_top5_accuracy"}
    assert new <= set(result["columns"]) and "per_class" not in result["columns"]
    assert [p.name for p in result["figures"]][:2] == ["sweep_heatmap.png", "sweep_metric.png"]


def test_page_has_the_interactive_sweep_charts_drawn_offline(sweep):
    result = review([sweep])
    out = result["out_dir"]
    page = (out / "index.html").read_text()
    assert '<script src="plotly.min.js"></script>' in page  # beside the page, no CDN
    assert (out / "plotly.min.js").stat().st_size > 1_000_000  # plotly's offline bundle
    assert '"type":"parcoords"' in page and '"type":"bar"' in page
    for axis in ["model.depth", "model.width", "val_accuracy"]:  # swept keys, then the metric
        assert f'"label":"{axis}"' in page
    # The 4 completed runs are the lines; depth moved val_accuracy more than width did.
    importance = result["importance"]
    assert sorted(importance) == ["model.depth", "model.width"]
    assert sum(importance.values()) == pytest.approx(1.0)
    assert importance["model.depth"] > importance["model.width"]


def test_no_interactive_charts_without_a_sweep(sweep, tmp_path):
    out = review([sweep / "3"], out_dir=tmp_path / "one")["out_dir"]
    assert "plotly" not in (out / "index.html").read_text()
    assert not (out / "plotly.min.js").exists()


def test_page_links_each_per_image_file_with_its_headline(tmp_path):
    folder = make_run(tmp_path / "runs" / "0", ["model.width=4"], completed(0.9, 100))
    (folder / "predictions.csv").write_text(
        "index,true,predicted,confidence,prob_a,prob_b\n"
        "0,a,a,0.9,0.9,0.1\n1,b,a,0.8,0.8,0.2\n2,b,a,0.95,0.95,0.05\n3,a,b,0.6,0.4,0.6\n"
    )
    (folder / "confusion_matrix.csv").write_text("true \\ predicted,a,b\na,1,1\nb,2,0\n")
    (folder / "reconstruction_errors.csv").write_text(
        "split,index,label,mse\ntrain,0,a,0.5\ntest,0,a,0.1\ntest,1,b,0.3\n"
    )
    (folder / "clusters.csv").write_text(
        "split,index,label,cluster,distance\ntest,0,a,1,0.1\ntest,1,b,1,0.2\ntest,2,b,0,0.3\n"
    )
    out = review([tmp_path / "runs"], out_dir=tmp_path / "review")["out_dir"]
    page = (out / "index.html").read_text()
    assert '<a href="../runs/0/predictions.csv">predictions.csv</a>' in page
    assert "3 of 4 test images misclassified" in page
    assert "most confident mistake: image 2, a for b at 95%" in page
    assert "top confusions (true as predicted): b as a (2), a as b (1)" in page
    assert "test MSE per image: mean 0.2, worst 0.3 (test image 1, label b)" in page
    assert "2 clusters; test images per cluster: 1, 2" in page
