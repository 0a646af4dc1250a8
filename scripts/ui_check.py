#!/usr/bin/env python
"""Open an experiment of the project's MLflow store in a real (headless) browser and check what it shows.

    .venv/bin/python scripts/ui_check.py [--store mlruns] [--experiment nacarbon-merged] [--out ui.png]

Starts ``mlflow ui`` on 127.0.0.1 (a free port) over ``<store>/mlflow.db``, loads the experiment in
headless Chromium (a fresh profile, as a new user's browser) by the link the project prints
(:func:`nacarbon.tracking.runs.experiment_url`: ``#/experiments/<id>/runs?workflowType=machine_learning``),
saves a screenshot and checks the page: the runs table (the experiment's run names present), not
MLflow 3's GenAI overview. It also opens the bare ``#/experiments/<id>`` (what the UI's experiment
list links to) and reports where that lands: MLflow 3.17's UI routes by its own GenAI / Model
training switch (default GenAI, remembered by the browser) and not by the experiment's
``mlflow.experimentKind`` tag. Exit codes: 0 the runs table is shown; 1 it is not (the reason on
stderr); 3 no Chromium is installed (Debian: ``apt-get install chromium``) or no such experiment.

Only the standard library here: the browser sees what a user sees, through the server's REST API.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Text of MLflow 3's GenAI pages: the experiment opened there instead of on its runs.
GENAI_MARKERS = ("detect issues in your traces", "tool calls", "no traces recorded")


def find_browser() -> str | None:
    """The first Chromium-like browser on PATH, or None."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return json.loads(reply.read() or b"{}")


def start_ui(db: Path, port: int, log: Path) -> subprocess.Popen:
    """``mlflow ui`` on 127.0.0.1:port over ``db``; waits for /health (up to 5 minutes on a busy machine)."""
    mlflow = Path(sys.executable).with_name("mlflow")
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
           "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
           "PATH": f"{mlflow.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.Popen([str(mlflow if mlflow.exists() else "mlflow"), "ui", "--backend-store-uri",
                             f"sqlite:///{db}", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                            stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlflow ui exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
            return proc
        except OSError:
            time.sleep(1)
    stop(proc)
    raise RuntimeError(f"mlflow ui did not answer within 300 s: {log.read_text()[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    """End the UI's whole process group (the server and its workers)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def browse(browser: str, url: str, screenshot: Path) -> str:
    """Screenshot ``url`` and return its DOM after the page's scripts ran (headless Chromium)."""
    with tempfile.TemporaryDirectory() as profile:
        common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  f"--user-data-dir={profile}", "--window-size=1600,1000", "--virtual-time-budget=30000",
                  "--hide-scrollbars"]
        subprocess.run([*common, f"--screenshot={screenshot}", url], capture_output=True, timeout=300, check=True)
        dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True, timeout=300, check=True)
    return dom.stdout


def check(dom: str, run_names: list[str]) -> str | None:
    """None if the page is the runs table (a run's name shown, no GenAI page); else why not."""
    genai = [m for m in GENAI_MARKERS if m in dom.lower()]
    if genai:
        return f"the experiment opened on a GenAI page (shows {genai})"
    if not any(name in dom for name in run_names):
        return f"none of the experiment's runs ({run_names[:5]}) is on the page"
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the check; see the module docstring for the exit codes."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=ROOT / "mlruns", help="folder holding mlflow.db")
    ap.add_argument("--experiment", default="nacarbon-merged")
    ap.add_argument("--out", type=Path, default=ROOT / "outputs" / "ui_check" / "experiment.png")
    args = ap.parse_args(argv)
    browser = find_browser()
    if browser is None:
        print(f"ui_check: no Chromium on PATH (tried {', '.join(BROWSERS)}); apt-get install chromium",
              file=sys.stderr)
        return 3
    db = args.store.resolve() / "mlflow.db"
    if not db.is_file():
        print(f"ui_check: no MLflow store at {db}", file=sys.stderr)
        return 3
    args.out.parent.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    proc = start_ui(db, port, args.out.with_suffix(".log"))
    try:
        base = f"http://127.0.0.1:{port}"
        query = urllib.parse.urlencode({"experiment_name": args.experiment})
        try:
            exp = _get(f"{base}/api/2.0/mlflow/experiments/get-by-name?{query}")["experiment"]
        except OSError:
            print(f"ui_check: no experiment {args.experiment!r} in {db}", file=sys.stderr)
            return 3
        req = urllib.request.Request(f"{base}/api/2.0/mlflow/runs/search", method="POST",
                                     data=json.dumps({"experiment_ids": [exp["experiment_id"]],
                                                      "max_results": 50}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as reply:
            runs = json.loads(reply.read()).get("runs", [])
        names = [r["info"].get("run_name", "") for r in runs if r["info"].get("run_name")]
        kind = {t["key"]: t["value"] for t in exp.get("tags", [])}.get("mlflow.experimentKind", "(none)")
        exp_id = exp["experiment_id"]
        dom = browse(browser, f"{base}/#/experiments/{exp_id}/runs?workflowType=machine_learning", args.out)
        bare_png = args.out.with_name(args.out.stem + "-bare.png")
        bare = check(browse(browser, f"{base}/#/experiments/{exp_id}", bare_png), names)
    finally:
        stop(proc)
    problem = check(dom, names) if names else "the experiment has no runs to show"
    print(f"ui_check: {args.experiment} (id {exp_id}, experimentKind {kind}, {len(runs)} runs); "
          f"screenshot {args.out}")
    print(f"ui_check: the bare link #/experiments/{exp_id} (the UI's experiment list) shows "
          f"{'the runs table' if bare is None else bare} ({bare_png})")
    if problem:
        print(f"ui_check: FAIL: {problem}", file=sys.stderr)
        return 1
    print("ui_check: ok: the experiment opens on its runs table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
