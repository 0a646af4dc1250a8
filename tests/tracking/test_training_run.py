"""tracking/ writes the record a command built and reads no configuration: a hand-made record
lands in a real store under the names it gives, and no tracking module takes a config."""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient
from sklearn.dummy import DummyRegressor

from nacarbon.tracking import tags as T
from nacarbon.tracking.record import DatasetInput, ModelsToLog, RunOpening, TrainingRecord
from nacarbon.tracking.training_run import training_run
from tests.conftest import ROOT

TRACKING = ROOT / "src" / "nacarbon" / "tracking"


def _config_readers(source: str) -> list[str]:
    """Imports of omegaconf/hydra, and parameters named ``cfg`` or typed DictConfig, in one module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            found += [n for n in names if n.split(".")[0] in ("omegaconf", "hydra")]
        elif isinstance(node, ast.arg) and (node.arg == "cfg" or "DictConfig" in ast.unparse(node.annotation or
                                                                                             ast.Constant(""))):
            found.append(f"parameter {node.arg}")
    return found


def test_the_check_sees_a_config_reader():
    assert _config_readers("from omegaconf import DictConfig\ndef f(cfg): pass\ndef g(c: 'DictConfig'): pass") == [
        "omegaconf", "parameter cfg", "parameter c"]


def test_no_tracking_module_reads_a_config():
    readers = {path.name: _config_readers(path.read_text()) for path in sorted(TRACKING.glob("*.py"))}
    assert {name: found for name, found in readers.items() if found} == {}


def test_a_record_is_written_under_the_names_it_gives(tmp_path):
    uri, art = f"sqlite:///{tmp_path / 'mlflow.db'}", str(tmp_path / "artifacts")
    X = pd.DataFrame({"d002_nm": [0.37, 0.38, 0.39, 0.40], "ssa_m2_g": [5.0, 20.0, 80.0, 300.0]})
    y = np.array([80.0, 75.0, 60.0, 40.0])
    drawn = tmp_path / "drawn-under-another-name.png"
    drawn.write_bytes(b"\x89PNG\r\n\x1a\n")
    table = pd.concat([X, pd.Series(y, name="ice_pct")], axis=1)
    record = TrainingRecord(
        tags={T.BEATS_BASELINE: "false", T.VERDICT: "not-tested"}, params={"final.alpha": 0.5},
        metrics={"rmse_mean": 1.5}, texts={"config.yaml": "seed: 42\n", "data/fold_params.json": "[]"},
        tables={"data/training_data.csv": table}, figures={"plots/parity.png": drawn},
        dataset=DatasetInput(table, name="seed@v1", targets="ice_pct", digest="v1"),
        models=ModelsToLog(estimator=DummyRegressor().fit(X, y), X=X))
    opening = RunOpening(experiment="nacarbon-seed", run_name="ice-dummy", description="dummy on ice: training ...",
                         tags={T.TARGET: "ice"}, params={"seed": 42, "long": "x" * 600}, uri=uri, artifact_root=art)
    folder = tmp_path / "files"
    folder.mkdir()
    with training_run(opening) as live:
        live.write(record, folder)
    client = MlflowClient(uri)
    run = client.get_run(live.run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "ice-dummy"
    assert {k: run.data.tags[k] for k in (T.TARGET, T.KIND, T.BEATS_BASELINE, T.VERDICT)} == {
        T.TARGET: "ice", T.KIND: T.TRAIN, T.BEATS_BASELINE: "false", T.VERDICT: "not-tested"}
    assert run.data.params == {"seed": "42", "long": "x" * 500, "final.alpha": "0.5"}   # MLflow's limit
    assert run.data.metrics == {"rmse_mean": 1.5}
    listed = {a.path for d in (None, "data", "plots") for a in client.list_artifacts(live.run_id, d)}
    assert {"config.yaml", "data/fold_params.json", "data/training_data.csv", "plots/parity.png"} <= listed
    written = pd.read_csv(client.download_artifacts(live.run_id, "data/training_data.csv", str(tmp_path)))
    pd.testing.assert_frame_equal(written, table)
    [inp] = run.inputs.dataset_inputs
    assert (inp.dataset.name, inp.dataset.digest) == ("seed@v1", "v1")
    [model] = client.search_logged_models([run.info.experiment_id])
    assert model.name == T.RUN_ESTIMATOR and run.data.tags[T.MODEL_URI] == model.model_uri
