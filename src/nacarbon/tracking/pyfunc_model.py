"""The registered model is the whole predictor: a pyfunc around a SamplePredictor, logged by training.

Served (``mlflow models serve -m models:/nacarbon-<target>@champion``), it answers each row with the
prediction, interval, domain score and flag and nearest samples, refuses impossible rows (HTTP 400), and
writes a missing or infinite number as ``null`` (MLflow would write ``NaN``/``Infinity``, not JSON): a row
with no distance to the data gets ``domain_score: null``, ``in_domain: false``; in process it stays ``inf``.

Logged from code (``served_model.py``) with the ``nacarbon`` package in ``code/``, a ``requirements.txt``
pinning what the pickle and that code import and ``requirements.lock`` as ``constraints.txt``, it loads in
a fresh virtualenv as in the project's (tests/tracking/test_model_env.py).
"""

from __future__ import annotations

import io
import pickletools
import shutil
import sys
import tempfile
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from pathlib import Path

import cloudpickle
import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

import nacarbon
from nacarbon.errors import DataValidationError
from nacarbon.paths import project_root
from nacarbon.tracking.signature import predictor_signature

# Imported by the shipped code on every load whatever the estimator (the pickle names the rest).
_BASE_REQUIREMENTS = ("mlflow", "cloudpickle", "pandas", "numpy", "scipy", "scikit-learn", "pandera")
_NOT_REQUIREMENTS = {"nacarbon"}
PREDICTOR_ARTIFACT = "predictor"
_MODEL_CODE = Path(__file__).with_name("served_model.py")


class SamplePredictorModel(mlflow.pyfunc.PythonModel):
    """pyfunc whose ``predict`` returns :meth:`SamplePredictor.predict_frame`'s frame.

    ``predictor`` is fitted in process, None when MLflow loads the logged model (then read from the
    model's ``predictor`` artifact in :meth:`load_context`).
    """

    def __init__(self, predictor=None):
        self.predictor = predictor

    def load_context(self, context) -> None:
        """Read the fitted predictor from the model's ``predictor`` artifact."""
        with open(context.artifacts[PREDICTOR_ARTIFACT], "rb") as fh:
            self.predictor = cloudpickle.load(fh)

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        """Predict for the rows of ``model_input`` through :func:`json_safe`; a schema break is an HTTP 400."""
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        try:
            return json_safe(self.predictor.predict_frame(frame, source="request"))
        except DataValidationError as err:
            raise MlflowException(str(err), error_code=INVALID_PARAMETER_VALUE) from err


def json_safe(answer: pd.DataFrame) -> pd.DataFrame:
    """``answer`` with every NaN or infinite float as None, so any JSON writer gives ``null``.

    Python's ``json`` (MLflow's scoring server) writes ``NaN``/``Infinity``, which is not JSON. A float
    column holding one becomes an object column (finite values unchanged); the others keep their dtype.
    """
    out = answer.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            finite = np.isfinite(out[col].to_numpy(dtype=float, na_value=np.nan))
            if not finite.all():
                out[col] = out[col].astype(object).where(finite, None)
    return out


def pickled_distributions(obj: object) -> set[str]:
    """Installed distributions whose modules the cloudpickle of ``obj`` names (not the stdlib, not nacarbon)."""
    modules = set()
    for op, arg, _ in pickletools.genops(io.BytesIO(cloudpickle.dumps(obj))):
        if op.name in ("GLOBAL", "INST") and isinstance(arg, str):
            modules.add(arg.split(" ")[0])
        elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE") and isinstance(arg, str) and "." in arg:
            modules.add(arg)     # STACK_GLOBAL takes its module from a pushed string; extra strings are harmless
    owners = packages_distributions()
    dists = set()
    for module in modules:
        top = module.split(".")[0]
        if top in sys.stdlib_module_names or top in _NOT_REQUIREMENTS:
            continue
        dists.update(owners.get(top, ()))
    return dists - _NOT_REQUIREMENTS


def lock_pins(path: Path | None = None) -> dict[str, str]:
    """``name -> version`` of ``requirements.lock`` (lower-case names), empty if the file is absent."""
    path = path or project_root() / "requirements.lock"
    pins = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            line = line.split("#")[0].strip()
            if "==" in line:
                name, ver = line.split("==", 1)
                pins[name.strip().lower().replace("_", "-")] = ver.strip()
    return pins


def model_requirements(predictor, extra: Iterable[str] = ()) -> list[str]:
    """Pinned requirements of a logged predictor: the libraries it needs, at the versions running now.

    Those are the versions of ``requirements.lock`` (``make venv`` syncs the venv to it).
    """
    names = set(_BASE_REQUIREMENTS) | pickled_distributions(predictor) | {e.split("==")[0] for e in extra}
    pins = []
    for name in sorted(names, key=str.lower):
        try:
            pins.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            continue
    return pins


def _staged_code(tmp: Path) -> Path:
    """A clean copy of the ``nacarbon`` package (no bytecode) to log as the model's code."""
    dest = tmp / "nacarbon"
    shutil.copytree(Path(nacarbon.__file__).parent, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def log_sample_predictor(predictor, *, name: str = "model", registered_model_name: str | None = None,
                         extra_requirements: Iterable[str] = (), example: pd.DataFrame | None = None):
    """Log a fitted SamplePredictor as a self-contained pyfunc in the active run; return its ModelInfo.

    ``extra_requirements`` are names or ``name==version`` (the estimator's library is found in the
    pickle); the first three rows of ``example`` (database columns) become the input example.
    """
    signature, input_example = predictor_signature(predictor, example)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        reqs = model_requirements(predictor, extra_requirements)
        lock = tmp / "constraints.txt"
        pins = lock_pins()
        lock.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
        if pins:
            reqs.append(f"-c {lock}")
        pickled = tmp / "predictor.pkl"
        pickled.write_bytes(cloudpickle.dumps(predictor))
        return mlflow.pyfunc.log_model(name=name, python_model=_MODEL_CODE, artifacts={PREDICTOR_ARTIFACT: str(pickled)},
                                       code_paths=[str(_staged_code(tmp))], pip_requirements=reqs,
                                       signature=signature, input_example=input_example,
                                       registered_model_name=registered_model_name)
