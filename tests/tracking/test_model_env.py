"""The logged champion ships: in a fresh virtualenv built only from its own requirements it loads and
answers exactly as in the project's venv (issue 19), and it carries a signature and an input example."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# Run by the fresh venv's interpreter (-I: no PYTHONPATH, no user site, no cwd on sys.path).
LOAD = """
import json, sys
import mlflow
from mlflow.models import Model
from mlflow.utils.proto_json_utils import dataframe_from_parsed_json
try:
    import nacarbon
    print("nacarbon importable before load: " + nacarbon.__file__, file=sys.stderr); sys.exit(3)
except ModuleNotFoundError:
    pass
path, rows = sys.argv[1], json.loads(open(sys.argv[2]).read())
model = mlflow.pyfunc.load_model(path)
frame = dataframe_from_parsed_json(rows, "split", Model.load(path).get_input_schema())
model.predict(frame).to_pickle(sys.argv[3])
"""


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def logged_model(tmp_path_factory) -> tuple[Path, object]:
    """A real training run (xgboost: a library beyond scikit-learn) and its logged model's folder."""
    import mlflow

    from nacarbon.commands.train import run
    from tests.conftest import compose_config

    tmp = tmp_path_factory.mktemp("ship")
    cfg = compose_config("train", [f"paths.mlruns_dir={tmp / 'mlruns'}", "progress=false", "target=ice",
                                   "model=xgboost", "model.estimator.n_estimators=40"])
    result = run(cfg)
    mlflow.set_tracking_uri(cfg.tracking.uri)
    path = Path(mlflow.artifacts.download_artifacts(f"runs:/{result.run_id}/model", dst_path=str(tmp / "model")))
    return path, result


def _fresh_venv(where: Path, requirements: Path) -> tuple[Path, str]:
    """A venv from the base interpreter with only ``requirements`` installed (uv's cache first)."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (make venv installs it into .venv/bin)")
    subprocess.run([uv, "venv", "-q", "--python", sys._base_executable, str(where)], check=True)
    python = where / "bin" / "python"
    install = [uv, "pip", "install", "-q", "--python", str(python), "-r", str(requirements)]
    offline = subprocess.run([*install, "--offline"], capture_output=True, text=True)
    if offline.returncode == 0:
        return python, "uv cache, offline"
    # uv may want to revalidate cached entries with the registry: same files, no new download.
    online = subprocess.run(install, capture_output=True, text=True)
    assert online.returncode == 0, f"the model's requirements do not install:\n{online.stderr[-3000:]}"
    return python, "uv cache, revalidated with the registry"


def test_champion_answers_identically_in_a_venv_built_from_its_requirements(logged_model, tmp_path):
    from mlflow.models import Model
    from mlflow.utils.proto_json_utils import dataframe_from_parsed_json

    from nacarbon.data.io import read_table
    from nacarbon.paths import project_root

    path, result = logged_model
    python, how = _fresh_venv(tmp_path / "venv", path / "requirements.txt")
    rows = read_table(project_root() / "data" / "liu2022_tables.csv").head(12)
    rows = rows[[c for c in rows.columns if c in {s.name for s in Model.load(path).get_input_schema().inputs}]]
    request = json.loads(rows.to_json(orient="split", index=False))
    (tmp_path / "rows.json").write_text(json.dumps(request))
    (tmp_path / "load.py").write_text(LOAD)
    done = subprocess.run([str(python), "-I", str(tmp_path / "load.py"), str(path), str(tmp_path / "rows.json"),
                           str(tmp_path / "fresh.pkl")], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, f"({how}) {done.stderr[-3000:]}"
    fresh = pd.read_pickle(tmp_path / "fresh.pkl")    # same pandas version on both sides (pinned)

    import mlflow

    here = mlflow.pyfunc.load_model(str(path)).predict(
        dataframe_from_parsed_json(request, "split", Model.load(path).get_input_schema()))
    assert list(fresh.columns) == list(here.columns)
    for col in ("pred_ice", "lo_ice", "hi_ice", "domain_score", "nearest1_distance"):
        np.testing.assert_array_equal(fresh[col].to_numpy(float), here[col].to_numpy(float), err_msg=col)
    assert (fresh["nearest1_sample_id"].astype(str) == here["nearest1_sample_id"].astype(str)).all()
    assert (fresh["in_domain"].astype(bool) == here["in_domain"].astype(bool)).all()
    # and the same numbers as the training process's own predictor
    np.testing.assert_allclose(here["pred_ice"], result.predictor.predict_frame(rows)["pred_ice"], rtol=0, atol=0)
