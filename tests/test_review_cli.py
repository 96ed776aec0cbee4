"""The review page in a real headless browser, and the `llexp review` command line (slow)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from llexp.review import review

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HEADLESS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium(tmp_path, *args):
    if CHROMIUM is None:
        if os.environ.get("LLEXP_REQUIRE_BROWSER") == "1":
            pytest.fail(
                "LLEXP_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)"
            )
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
    return subprocess.run(
        [CHROMIUM, *HEADLESS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_page_loads_in_a_browser_without_errors_and_shows_every_run(sweep, tmp_path):  # noqa: F811
    out = review([sweep])["out_dir"]
    url = (out / "index.html").resolve().as_uri()
    done = chromium(tmp_path, "--dump-dom", url)
    dom = done.stdout
    assert 'data-ready="6/6"' in dom, done.stderr[-2000:]  # the script ran to its end
    assert re.search(r'<pre id="js-errors"></pre>', dom)  # window.onerror recorded nothing
    for name in ["0", "1", "2", "3", "4", "5"]:
        assert f'id="run-{name}"' in dom
    # plotly.js (loaded from the review folder) drew the parallel coordinates, one axis per
    # swept key plus the metric, and the importance bars.
    assert dom.count('class="parcoords"') == 1, done.stderr[-2000:]
    assert re.search(r'class="axis-title"[^>]*>model\.depth<', dom)
    assert re.search(r'class="axis-title"[^>]*>val_accuracy<', dom)
    assert dom.count('class="point"') == 2  # one bar per swept key
    shot = tmp_path / "page.png"
    chromium(tmp_path, "--window-size=1400,1600", f"--screenshot={shot}", url)
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one


def test_review_command_dispatch_does_not_load_tensorflow(sweep, tmp_path):  # noqa: F811
    code = (
        "import sys; from llexp.__main__ import main;"
        "sys.argv = ['llexp', 'review', *sys.argv[1:]];"
        "status = main(); assert 'tensorflow' not in sys.modules, 'review imported TensorFlow';"
        "sys.exit(status)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(sweep), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "6 runs (4 completed, 1 failed, 1 incomplete)" in done.stdout
    assert (tmp_path / "out" / "index.html").is_file()
    module = subprocess.run(
        [sys.executable, "-m", "llexp.review", str(sweep / "missing")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert module.returncode == 2 and "no run folder" in module.stderr
    script = Path(sys.executable).parent / "llexp"
    console = subprocess.run(
        [str(script), "review", "--help"], capture_output=True, text=True, timeout=120
    )
    assert console.returncode == 0 and "--metric" in console.stdout
