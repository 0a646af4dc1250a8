"""The rules of the layout, checked statically (README "Layout"): MLflow only behind tracking/
and registry/, evaluation/ a leaf, library code never importing commands, no import cycle among
the packages of nacarbon, no module or function too long to hold one job, and a docstring on every
module, public function and public class."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

SRC = ROOT / "src" / "nacarbon"
MLFLOW_DOORS = {"tracking", "registry"}
LIBRARY = {"data", "evaluation", "models", "screening", "analysis", "processing", "comparison", "plots",
           "uncertainty", "suggest", "distributed", "reporting"}
LEAF_MAY_IMPORT = {"evaluation": {"errors"}}
MAX_MODULE_LINES = 300
MAX_FUNCTION_CODE = 50
LONG_FUNCTIONS_ALLOWED: set[str] = set()   # none: every function is under the limit


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


def code_lines(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of code in a function's body: its docstring, comments and blank lines aside."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body:
        return 0
    first = min([body[0].lineno, *(d.lineno for d in getattr(body[0], "decorator_list", []))])
    return sum(1 for line in lines[first - 1:node.end_lineno] if line.strip() and not line.strip().startswith("#"))


def source_files(src: Path) -> Iterator[tuple[str, str, ast.Module]]:
    """``(path relative to src, text, syntax tree)`` of each module beside ``src`` (a ``nacarbon`` folder:
    the entry-point shims) and under it."""
    for path in [*sorted(src.parent.glob("*.py")), *sorted(src.rglob("*.py"))]:
        text = path.read_text()
        yield (path.relative_to(src if src in path.parents else src.parent).as_posix(), text,
               ast.parse(text, filename=str(path)))


def size_violations(src: Path, allowed: set[str] = frozenset()) -> list[str]:
    """Modules over MAX_MODULE_LINES lines and functions over MAX_FUNCTION_CODE lines of code in
    :func:`source_files`; ``allowed`` names ``<module path>:<function>`` exceptions."""
    problems = []
    for rel, text, tree in source_files(src):
        lines = text.splitlines()
        if len(lines) > MAX_MODULE_LINES:
            problems.append(f"{rel}: {len(lines)} lines (at most {MAX_MODULE_LINES}; a longer module holds two jobs)")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and f"{rel}:{node.name}" not in allowed:
                n = code_lines(lines, node)
                if n > MAX_FUNCTION_CODE:
                    problems.append(f"{rel}:{node.name}: {n} lines of code (at most {MAX_FUNCTION_CODE})")
    return problems


def test_no_module_or_function_is_too_long():
    assert size_violations(SRC, LONG_FUNCTIONS_ALLOWED) == []


def test_the_size_rule_counts_code_only(tmp_path):
    tree = tmp_path / "src" / "nacarbon"
    tree.mkdir(parents=True)
    # 50 lines of code after a docstring, with comments and blank lines between: within the rule
    (tree / "ok.py").write_text('def f():\n    """Doc.\n\n    More.\n    """\n' + "    # why\n\n    x = 1\n" * 50)
    assert size_violations(tree) == []
    (tree / "long.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    (tree / "pkg").mkdir()
    (tree / "pkg" / "f.py").write_text("@decorator\ndef g():\n" + "    x = 1\n" * (MAX_FUNCTION_CODE + 1))
    assert size_violations(tree) == ["long.py: 301 lines (at most 300; a longer module holds two jobs)",
                                      "pkg/f.py:g: 51 lines of code (at most 50)"]
    assert size_violations(tree, {"pkg/f.py:g"}) == [size_violations(tree)[0]]


def missing_docstrings(src: Path) -> list[str]:
    """Modules, public functions and public classes in :func:`source_files` without a docstring, as
    ``<module path>:<name>``."""
    problems = []
    for rel, _, tree in source_files(src):
        if tree.body and ast.get_docstring(tree) is None:
            problems.append(f"{rel}: module")
        problems += [f"{rel}:{node.name}" for node in tree.body
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and not node.name.startswith("_") and ast.get_docstring(node) is None]
    return problems


def test_every_module_public_function_and_class_has_a_docstring():
    assert missing_docstrings(SRC) == []


def test_the_docstring_rule_catches_a_missing_one(tmp_path):
    tree = tmp_path / "src" / "nacarbon"
    tree.mkdir(parents=True)
    (tree / "ok.py").write_text('"""What it is for."""\n\n\ndef f():\n    """Doc."""\n\n\ndef _g():\n    pass\n')
    assert missing_docstrings(tree) == []
    (tree / "bad.py").write_text('def f():\n    pass\n\n\nclass C:\n    """Doc."""\n')
    assert missing_docstrings(tree) == ["bad.py: module", "bad.py:f"]


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


def readme_layout(readme: Path) -> dict[str, set[str]]:
    """Package -> the words its lines in the README's Layout block name (continuation lines included)."""
    block = readme.read_text().split("## Layout", 1)[1].split("```")[1]
    named: dict[str, set[str]] = {}
    current = None
    for line in block.splitlines():
        entry = re.match(r"^ {4}(\w+)/\s", line)
        if entry:
            current = entry.group(1)
        elif not line.startswith(" " * 17):
            current = "." if line.strip().startswith(("errors.py", "nacarbon/")) else None
        if current:
            named.setdefault(current, set()).update(re.findall(r"[a-z_]+", line))
    return named


def test_the_readme_layout_names_every_package_and_module():
    named = readme_layout(ROOT / "README.md")
    packages = sorted(p for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    missing = [f"{p.name}/{m.stem}" for p in packages for m in sorted(p.glob("*.py"))
               if m.stem != "__init__" and m.stem not in named.get(p.name, set())]
    missing += [f"{p.name}/ (no line)" for p in packages if p.name not in named]
    assert missing == [], "README.md's Layout section does not name: " + ", ".join(missing)
