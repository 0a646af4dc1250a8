"""The MLflow UI, in a real headless browser, opens a project experiment on its runs table (issue 19);
an experiment without the project's tagging opens on MLflow 3's GenAI page, which the check reports."""

from __future__ import annotations

import importlib.util

import pytest
from mlflow.tracking import MlflowClient

from nacarbon.paths import project_root
from nacarbon.tracking import tags as T
from nacarbon.tracking.runs import record_run

pytestmark = pytest.mark.slow


def _ui_check():
    spec = importlib.util.spec_from_file_location("ui_check", project_root() / "scripts" / "ui_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_project_experiment_opens_on_runs_and_an_untagged_one_does_not(tmp_path, capsys):
    ui = _ui_check()
    if ui.find_browser() is None:
        pytest.skip("no Chromium installed (apt-get install chromium); the UI check needs a real browser")
    store = tmp_path / "mlruns"
    uri = f"sqlite:///{store / 'mlflow.db'}"
    record_run(T.experiment_name("merged"), T.TRAIN, "ridge on ice", uri=uri, artifact_root=store / "artifacts",
               run_name="ice-ridge-uicheck", metrics={"rmse_mean": 9.5})
    client = MlflowClient(uri)
    plain = client.create_experiment("plain", artifact_location=(store / "artifacts" / "plain").as_uri())
    client.set_terminated(client.create_run(plain, run_name="plain-run").info.run_id)

    code = ui.main(["--store", str(store), "--experiment", "nacarbon-merged", "--out", str(tmp_path / "ok.png")])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "experimentKind custom_model_development" in out.out
    assert (tmp_path / "ok.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    code = ui.main(["--store", str(store), "--experiment", "plain", "--out", str(tmp_path / "plain.png")])
    out = capsys.readouterr()
    assert code == 1, out
    assert "GenAI" in out.err
