"""The import rules of the layout, checked statically (README "Layout"): MLflow only behind
tracking/ and registry/, evaluation/ a leaf, library code never importing commands, and no
import cycle among the packages of nacarbon."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import ROOT

SRC = ROOT / "src" / "nacarbon"
MLFLOW_DOORS = {"tracking", "registry"}
LIBRARY = {"data", "evaluation", "models", "screening", "analysis", "processing", "comparison", "plots",
           "uncertainty", "suggest", "distributed", "reporting"}
LEAF_MAY_IMPORT = {"evaluation": {"errors"}}


def unit(module: str) -> str:
    """The package (or top-level module) of ``nacarbon.x.y``: ``x``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports(src: Path) -> dict[str, set[str]]:
    """Every module under ``src`` (a ``nacarbon`` folder) -> the modules it imports, anywhere in it."""
    found = {}
    for path in sorted(src.rglob("*.py")):
        parts = path.relative_to(src.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative import: resolve against this module's package
                    base = module.split(".")[: len(module.split(".")) - node.level + (path.name == "__init__.py")]
                    names.add(".".join([*base, node.module] if node.module else base))
                elif node.module:
                    names.add(node.module)
        found[module] = names
    return found


def violations(src: Path) -> list[str]:
    """Every broken rule, as one readable line each (empty when the layout is sound)."""
    found = imports(src)
    problems = []
    graph: dict[str, set[str]] = defaultdict(set)
    for module, names in found.items():
        here = unit(module)
        for name in names:
            if name.split(".")[0] == "mlflow" and here not in MLFLOW_DOORS:
                problems.append(f"{module} imports {name}: MLflow belongs in {sorted(MLFLOW_DOORS)}")
            if not name.startswith("nacarbon."):
                continue
            there = unit(name)
            if there == here:
                continue
            graph[here].add(there)
            if here in LIBRARY and there == "commands":
                problems.append(f"{module} imports {name}: library code must not import a command")
            if here in LEAF_MAY_IMPORT and there not in LEAF_MAY_IMPORT[here]:
                problems.append(f"{module} imports {name}: {here}/ is a leaf (may import {LEAF_MAY_IMPORT[here]})")
    problems += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of packages (Tarjan), e.g. ``[a, b, a]``."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group) + [sorted(group)[0]])

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_source_tree_keeps_the_rules():
    assert violations(SRC) == []


def test_the_readme_layout_names_every_package_and_no_other():
    """The README's Layout block lists each folder of src/nacarbon/ (a renamed folder must be renamed there)."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Layout", 1)[1].split("```")[1]
    listed = set(re.findall(r"^ {4}(\w+)/", block, flags=re.M))
    packages = {p.parent.name for p in SRC.glob("*/__init__.py")}
    assert listed == packages


def test_commands_hold_the_verbs():
    verbs = {p.stem for p in (SRC / "commands").glob("*.py")}
    assert {"train", "promote", "screen", "analyze", "compare", "pipeline", "db", "suggest"} <= verbs


@pytest.mark.parametrize("module, code, expected", [
    ("screening/leak.py", "import mlflow\n", "MLflow belongs in"),
    ("analysis/leak.py", "from mlflow.tracking import MlflowClient\n", "MLflow belongs in"),
    ("evaluation/leak.py", "from nacarbon.models.pipeline import build_pipeline\n", "is a leaf"),
    ("models/leak.py", "def f():\n    from nacarbon.commands.train import run\n", "must not import a command"),
    ("data/leak.py", "from nacarbon.screening.grid import grid_values\n", "import cycle: data -> screening -> data"),
])
def test_each_rule_catches_a_break(tmp_path, module, code, expected):
    tree = tmp_path / "nacarbon"
    for pkg, body in {"data": "from nacarbon.errors import ConfigError\n",
                      "screening": "from nacarbon.data.columns import STRUCTURE\n",
                      "evaluation": "from nacarbon.errors import ConfigError\n",
                      "models": "", "analysis": "", "commands": "", "tracking": "import mlflow\n"}.items():
        (tree / pkg).mkdir(parents=True)
        (tree / pkg / "__init__.py").write_text("")
        (tree / pkg / "ok.py").write_text(body)
    (tree / "errors.py").write_text("")
    assert violations(tree) == []
    (tree / module).write_text(code)
    assert any(expected in p for p in violations(tree)), violations(tree)
