"""Import time is part of the interface: ``python -m <verb> --help`` must not load MLflow, SHAP or
the model libraries (they are imported inside the functions that need them)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HEAVY = ("mlflow", "shap", "xgboost", "catboost", "lightgbm", "optuna", "sklearn", "scipy.stats")
SHIMS = ("train", "promote", "screen", "analyze", "compare", "predict", "suggest")


@pytest.mark.parametrize("shim", SHIMS)
def test_entry_point_imports_no_heavy_library(shim):
    code = (f"import sys, json; import {shim}; "
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "src", capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_help_answers_without_heavy_imports():
    code = ("import sys, runpy, json\nsys.argv = ['train', '--help']\n"
            "try:\n    runpy.run_module('train', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "src", capture_output=True, text=True, check=True)
    assert "== Config ==" in out.stdout or "Powered by Hydra" in out.stdout
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
