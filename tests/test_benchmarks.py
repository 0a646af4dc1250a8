"""Every benchmark script imports against the package as it is: a renamed or deleted function they
use fails here, not when someone next reruns a benchmark (bench_kshot, bench_suggest and the two
scripts importing them once broke this way unnoticed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT

SCRIPTS = sorted((ROOT / "benchmarks").glob("*.py"))


def load(path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import the script at ``path`` as its own command line would (its siblings importable)."""
    monkeypatch.syspath_prepend(str(path.parent))
    spec = importlib.util.spec_from_file_location(f"benchmark_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)   # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_benchmark_script_imports(path, monkeypatch):
    module = load(path, monkeypatch)
    assert path.stem in ("_targets_common", "synthetic") or callable(module.main)


def test_the_guided_suggest_benchmark_reads_the_target_columns(monkeypatch):
    # bench_suggest imports the target spec inside this function, so importing the script is not enough.
    module = load(ROOT / "benchmarks" / "bench_suggest.py", monkeypatch)
    assert set(module.guided_config().series_trends) == {"ice_pct"}
