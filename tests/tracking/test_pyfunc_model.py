"""The registered pyfunc is the whole predictor: served by MLflow, it answers intervals and refuses bad rows."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from nacarbon.data.io import read_table
from nacarbon.paths import project_root
from nacarbon.uncertainty.conformal import GroupConformalRegressor
from nacarbon.uncertainty.predictor import SamplePredictor

FEATURES = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g", "htt_c"]
GOOD = {"d002_nm": 0.38, "la_nm": 2.5, "lc_nm": 1.1, "id_ig": 1.0, "ssa_m2_g": 40.0, "htt_c": 1300.0,
        "material_class": "hard"}
NO_STRUCTURE = {**GOOD, **dict.fromkeys(["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"])}


@pytest.fixture(scope="module")
def predictor() -> SamplePredictor:
    from sklearn.ensemble import ExtraTreesRegressor

    seed = read_table(project_root() / "data" / "liu2022_tables.csv")
    reg = GroupConformalRegressor(ExtraTreesRegressor(n_estimators=30, random_state=0))
    return SamplePredictor("ice", "ice_pct", FEATURES, regressor=reg).fit(seed)


def test_pyfunc_refuses_bad_rows_in_process(predictor):
    from mlflow.exceptions import MlflowException
    import pandas as pd

    from nacarbon.tracking.pyfunc_model import SamplePredictorModel

    model = SamplePredictorModel(predictor)
    out = model.predict(None, pd.DataFrame([GOOD]))
    assert {"pred_ice", "lo_ice", "hi_ice", "in_domain", "domain_score"} <= set(out.columns)
    with pytest.raises(MlflowException, match="d002_nm.*Angstrom"):
        model.predict(None, pd.DataFrame([{**GOOD, "d002_nm": 3.8}]))


def _strict_json(text: str):
    """Parse as a JSON reader must: ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON."""
    def refuse(constant):
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_served_answer_is_strict_json_with_null_for_no_distance(predictor):
    """The scoring server's own writer (and pandas') gives null where the predictor has inf or NaN."""
    import io

    import numpy as np
    import pandas as pd
    from mlflow.pyfunc.scoring_server import predictions_to_json

    from nacarbon.tracking.pyfunc_model import SamplePredictorModel

    request = pd.DataFrame([GOOD, {**GOOD, "la_nm": None}, NO_STRUCTURE])
    here = predictor.predict_frame(request)
    assert here["domain_score"][2] == np.inf and here["nearest1_distance"][2] == np.inf   # in process: inf
    answer = SamplePredictorModel(predictor).predict(None, request)
    body = io.StringIO()
    predictions_to_json(answer, body)            # what `mlflow models serve` writes
    rows = _strict_json(body.getvalue())["predictions"]
    assert rows[2]["domain_score"] is None and rows[2]["in_domain"] is False
    assert "only 0 of the 5 structure features" in rows[2]["domain_note"]
    assert [rows[2][f"nearest{i}_distance"] for i in (1, 2, 3)] == [None] * 3 and rows[2]["nearest1_sample_id"] == ""
    assert rows[2]["domain_percentile"] == 1.0 and rows[2]["d002_nm"] is None
    assert rows[1]["la_nm"] is None                       # an input left empty is echoed as null
    for i in (0, 1):                                      # finite numbers come back unchanged
        assert rows[i]["domain_score"] == here["domain_score"][i] and rows[i]["pred_ice"] == here["pred_ice"][i]
    assert _strict_json(answer.to_json(orient="records"))[2]["domain_score"] is None


def test_json_safe_touches_only_float_columns_with_a_missing_or_infinite_value():
    import numpy as np
    import pandas as pd

    from nacarbon.tracking.pyfunc_model import json_safe

    frame = pd.DataFrame({"finite": [1.0, 2.0], "gap": [np.nan, 0.5], "far": [np.inf, -np.inf], "flag": [True, False],
                          "n": [1, 2], "id": ["a", ""]})
    safe = json_safe(frame)
    assert safe["gap"].tolist() == [None, 0.5] and safe["far"].tolist() == [None, None]
    assert safe.drop(columns=["gap", "far"]).dtypes.equals(frame.drop(columns=["gap", "far"]).dtypes)
    assert frame["far"].tolist() == [np.inf, -np.inf]     # the caller's frame is left as it was


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, rows: list[dict]) -> tuple[int, dict]:
    body = {"dataframe_split": {"columns": list(rows[0]), "data": [list(r.values()) for r in rows]}}
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, _strict_json(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, _strict_json(err.read())


@pytest.mark.server
@pytest.mark.slow
def test_served_champion_answers_intervals_and_refuses_bad_rows(predictor, tmp_path: Path):
    import mlflow
    from mlflow.tracking import MlflowClient

    from nacarbon.tracking.pyfunc_model import log_sample_predictor

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(uri, uri)
    exp = client.create_experiment("t", artifact_location=(tmp_path / "artifacts").as_uri())
    with mlflow.start_run(experiment_id=exp):
        info = log_sample_predictor(predictor, registered_model_name="nacarbon-ice",
                                    example=read_table(project_root() / "data" / "liu2022_tables.csv"))
    client.set_registered_model_alias("nacarbon-ice", "champion", info.registered_model_version)

    port = _free_port()
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "MLFLOW_REGISTRY_URI": uri,
           "MLFLOW_DISABLE_TELEMETRY": "true", "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "mlflow"), "models", "serve", "-m",
                               "models:/nacarbon-ice@champion", "--env-manager", "local", "-p", str(port),
                               "-h", "127.0.0.1"], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise AssertionError(f"server did not start: {server.stdout.read().decode()[-2000:]}")
                time.sleep(1)
        url = f"http://127.0.0.1:{port}/invocations"
        # a JSON integer in a double column is cast by the signature, not refused
        # and a row with no structure at all: no distance to the data, null (not Infinity) in strict JSON
        status, good = _post(url, [GOOD, {**GOOD, "ssa_m2_g": 900, "htt_c": 1300}, NO_STRUCTURE])
        assert status == 200, good
        rows = good["predictions"]
        assert len(rows) == 3
        for row in rows:
            assert row["lo_ice"] <= row["pred_ice"] <= row["hi_ice"] <= 100
            assert isinstance(row["in_domain"], bool)
        assert rows[2]["domain_score"] is None and rows[2]["in_domain"] is False and rows[2]["domain_note"]
        status, bad = _post(url, [GOOD, {**GOOD, "d002_nm": 3.8, "ssa_m2_g": -20.0}])
        assert status == 400
        assert "d002_nm" in bad["message"] and "ssa_m2_g" in bad["message"]
        status, typed = _post(url, [{**GOOD, "la_nm": "wide"}])     # the signature checks types first
        assert status == 400 and "la_nm" in typed["message"]
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def test_logged_predictor_carries_signature_example_code_and_pinned_requirements(predictor, tmp_path: Path):
    """The model folder holds what a fresh venv needs: its code, pinned requirements, the lock, a schema."""
    import mlflow
    from mlflow.models import Model
    from mlflow.tracking import MlflowClient

    from nacarbon.tracking.pyfunc_model import lock_pins, log_sample_predictor

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    exp = MlflowClient(uri).create_experiment("t", artifact_location=(tmp_path / "artifacts").as_uri())
    seed = read_table(project_root() / "data" / "liu2022_tables.csv")
    with mlflow.start_run(experiment_id=exp):
        info = log_sample_predictor(predictor, example=seed)
    path = Path(mlflow.artifacts.download_artifacts(info.model_uri, dst_path=str(tmp_path / "model")))
    meta = Model.load(path)
    inputs = {c.name: (c.type.name, c.required) for c in meta.get_input_schema().inputs}
    assert inputs["d002_nm"] == ("double", True) and inputs["htt_c"] == ("double", True)
    assert inputs["material_class"] == ("string", True) and inputs["sample_id"] == ("string", False)
    assert "qc_waiver" in inputs      # a waived seed row must keep its waiver through the schema
    outputs = {c.name for c in meta.get_output_schema().inputs}
    assert {"pred_ice", "lo_ice", "hi_ice", "domain_score", "in_domain", "nearest1_sample_id"} <= outputs
    example = json.loads((path / "input_example.json").read_text())
    assert len(example["data"]) == 3 and "d002_nm" in example["columns"]
    assert (path / "code" / "nacarbon" / "uncertainty" / "predictor.py").is_file()
    assert not list((path / "code").rglob("__pycache__"))
    text = (path / "requirements.txt").read_text()
    reqs = [r for r in text.split("\n") if r and not r.startswith("-")]
    assert {"mlflow", "pandas", "scikit-learn", "pandera", "cloudpickle"} <= {r.split("==")[0].lower() for r in reqs}
    pins = lock_pins()
    for req in reqs:     # every requirement pinned to the project's lock
        name, ver = req.split("==")
        assert pins[name.lower().replace("_", "-")] == ver, req
    assert "-c constraints.txt" in text and "scikit-learn==" in (path / "constraints.txt").read_text()
    # the schema refuses a text in a number column before the model sees it
    from mlflow.exceptions import MlflowException
    import pandas as pd

    model = mlflow.pyfunc.load_model(str(path))
    assert len(model.predict(pd.DataFrame([GOOD]))) == 1
    with pytest.raises(MlflowException, match="d002_nm"):
        model.predict(pd.DataFrame([{**GOOD, "d002_nm": "wide"}]))
