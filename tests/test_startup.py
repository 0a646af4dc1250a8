"""Import time is part of the interface: ``python -m <verb> --help`` must not load MLflow, SHAP or
the model libraries (they are imported inside the functions that need them)."""

from __future__ import annotations

import ast
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


# --- one entry-point style ------------------------------------------------------------------------

def _statements(path) -> list[str]:
    """The module's top-level statements, by kind, imports left out (what a shim *does*)."""
    tree = ast.parse(path.read_text())
    return [type(node).__name__ for node in tree.body
            if not isinstance(node, (ast.Import, ast.ImportFrom))
            and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]


@pytest.mark.parametrize("shim", SHIMS)
def test_every_hydra_shim_has_the_same_shape(shim):
    """A docstring, imports, one ``@hydra_entry`` main and the ``__main__`` call: no argv rewriting,
    no environment variables, no error handling of its own (hydra_entry is the one exit)."""
    path = ROOT / "src" / f"{shim}.py"
    assert _statements(path) == ["FunctionDef", "If"]
    main = next(n for n in ast.parse(path.read_text()).body if isinstance(n, ast.FunctionDef))
    assert main.name == "main" and [ast.unparse(d).split("(")[0] for d in main.decorator_list] == ["hydra_entry"]
    assert "run_or_exit" not in path.read_text() and "sys.argv" not in path.read_text()


@pytest.mark.parametrize("module", ["db", "process", "pipeline"])
def test_every_argparse_shim_has_the_same_shape(module):
    path = ROOT / "src" / "nacarbon" / f"{module}.py"
    assert _statements(path) == ["If"]
    assert "sys.exit(main())" in path.read_text()


@pytest.mark.parametrize("module", ["db", "process"])
def test_argparse_commands_end_errors_through_the_one_exit(module):
    import importlib

    from nacarbon.cli import exits_on_error

    main = importlib.import_module(f"nacarbon.commands.{module}").main
    assert main.__code__ is exits_on_error(lambda: 0).__code__   # wrapped by the one decorator
    assert "__main__" not in (ROOT / "src" / "nacarbon" / "commands" / f"{module}.py").read_text()


def test_promote_flags_become_overrides_for_that_call_only():
    # --cfg job prints the composed config without running the job: no store needed.
    code = ("import sys, runpy\nsys.argv = ['promote', '--dry-run', '--force', '--cfg', 'job']\n"
            "argv = list(sys.argv)\ntry:\n    runpy.run_module('promote', run_name='__main__')\n"
            "except SystemExit:\n    pass\nprint('argv kept' if sys.argv == argv else sys.argv)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "src", capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert "dry_run: true" in lines and "force: true" in lines and lines[-1] == "argv kept"
