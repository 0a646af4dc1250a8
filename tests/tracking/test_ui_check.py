"""The MLflow UI, in a real headless browser, opens a project experiment on its runs table by the link the
project prints (issue 19); where the UI's own bare experiment link lands is reported."""

from __future__ import annotations

import importlib.util

import pytest

from nacarbon.paths import project_root
from nacarbon.tracking import tags as T
from nacarbon.tracking.runs import record_run

def _ui_check():
    spec = importlib.util.spec_from_file_location("ui_check", project_root() / "scripts" / "ui_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_project_experiment_opens_on_its_runs_table_in_a_real_browser(tmp_path, capsys):
    ui = _ui_check()
    if ui.find_browser() is None:
        pytest.skip("no Chromium installed (apt-get install chromium); the UI check needs a real browser")
    store = tmp_path / "mlruns"
    uri = f"sqlite:///{store / 'mlflow.db'}"
    record_run(T.experiment_name("merged"), T.TRAIN, "ridge on ice", uri=uri, artifact_root=store / "artifacts",
               run_name="ice-ridge-uicheck", metrics={"rmse_mean": 9.5})

    code = ui.main(["--store", str(store), "--experiment", "nacarbon-merged", "--out", str(tmp_path / "ok.png")])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "experimentKind custom_model_development" in out.out
    assert "the bare link #/experiments/" in out.out     # where the UI's own experiment list lands: reported
    assert (tmp_path / "ok.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "ok-bare.png").is_file()


def test_a_page_without_runs_or_on_genai_fails_the_check():
    ui = _ui_check()
    assert ui.check("<div>Runs</div><a>ice-ridge</a>", ["ice-ridge"]) is None
    assert "GenAI" in ui.check("<h2>Detect Issues in Your Traces</h2><a>ice-ridge</a>", ["ice-ridge"])
    assert "none of the experiment's runs" in ui.check("<div>Runs</div>", ["ice-ridge"])
