"""`mlflow server` (and so `mlflow ui`) on the store llexp's MLflow logger writes: the server
starts on the sqlite store (it needs SQLAlchemy 2) and serves the runs over its REST API."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base: str, path: str, body: dict | None = None) -> dict:
    """One MLflow REST API call: GET without a body, POST with one."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    with urllib.request.urlopen(
        urllib.request.Request(base + path, data, headers), timeout=10
    ) as r:
        return json.loads(r.read() or b"{}")


def test_mlflow_server_serves_the_runs_of_the_llexp_store(tiny_cfg, tmp_path):
    from llexp.runner import run

    store = f"sqlite:///{tmp_path}/outputs/mlflow.db"
    tracked = ["logger=mlflow", f"logger.tracking_uri={store}", "logger.experiment=served"]
    metrics = run(tiny_cfg(*tracked), tmp_path / "run").metrics

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", store,
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,  # its workers too are stopped with its process group
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow server did not start:\n{server.stdout.read()[-3000:]}")
            time.sleep(0.5)
        name = "api/2.0/mlflow/experiments/get-by-name?experiment_name=served"
        experiment = call(base, "/" + name)["experiment"]
        found = call(
            base, "/api/2.0/mlflow/runs/search", {"experiment_ids": [experiment["experiment_id"]]}
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    (served,) = found["runs"]
    assert served["info"]["status"] == "FINISHED"
    logged = {m["key"]: m["value"] for m in served["data"]["metrics"]}
    assert logged["test_accuracy"] == pytest.approx(metrics["test_accuracy"])
    assert "val_accuracy" in logged  # per-epoch metrics, as the Keras callback logged them
