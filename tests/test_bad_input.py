"""Bad-input corpus: every case runs a real command the way a user would, and must end in one
``error:`` message naming the culprit, a non-zero exit, no traceback, no password on screen or
on disk, and no store or data file changed.

The commands run as subprocesses, a few at a time, once per module (the cases share nothing);
each test then checks one case's outcome. Every store and output folder is under tmp_path.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nacarbon.paths import project_root
from tests.data.test_ingest import GOOD_ROWS, copy_data, write_rows

ROOT = project_root()
SECRET = "s3cretPW"
EXIT_ERROR = 2


@dataclass
class Case:
    """One bad input: the command, how to prepare its files, and what the message must name."""

    id: str
    argv: list[str]                      # after `python -m`; {tmp} and {data} are filled in
    expect: list[str]                    # substrings of the error message
    prepare: Callable[[Path], None] | None = None
    store: bool = True                   # add the tmp store overrides (Hydra commands)
    slow: bool = False
    extra: list[str] = field(default_factory=list)


def _seed_lines() -> list[str]:
    return (ROOT / "data" / "liu2022_tables.csv").read_text().splitlines()


def _edit_cell(tmp: Path, name: str, row: int, column: str, value: str) -> None:
    import csv
    import io

    rows = list(csv.reader(io.StringIO((ROOT / "data" / "liu2022_tables.csv").read_text())))
    rows[row][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    (tmp / name).write_text(out.getvalue())


def _dup_column(tmp: Path) -> None:
    lines = _seed_lines()
    (tmp / "dup.csv").write_text("\n".join([lines[0] + ",d002_nm"] + [ln + ",0.37" for ln in lines[1:]]) + "\n")


def _semicolons(tmp: Path) -> None:
    (tmp / "semi.csv").write_text((ROOT / "data" / "liu2022_tables.csv").read_text().replace(",", ";"))


def _drop_column(tmp: Path) -> None:
    lines = [ln.split(",") for ln in _seed_lines()[:5]]
    k = lines[0].index("la_nm")
    (tmp / "nola.csv").write_text("\n".join(",".join(c[:k] + c[k + 1:]) for c in lines) + "\n")


def _empty(tmp: Path) -> None:
    (tmp / "empty.csv").write_text("")


def _binary(tmp: Path) -> None:
    (tmp / "binary.csv").write_bytes(b"sample_id,d002_nm\n\xff\xfe\x00\x81,0.37\n")


def _data_copy(tmp: Path) -> None:
    copy_data(tmp / "data")


def _add_dup_column(tmp: Path) -> None:
    _data_copy(tmp)
    write_rows(tmp / "new.csv", GOOD_ROWS)
    text = (tmp / "new.csv").read_text().splitlines()
    (tmp / "new.csv").write_text("\n".join([text[0] + ",ssa_m2_g"] + [ln + ",5" for ln in text[1:]]) + "\n")


def _add_bad_value(tmp: Path) -> None:
    _data_copy(tmp)
    write_rows(tmp / "new.csv", [{**GOOD_ROWS[0], "ice_pct": "180"}, GOOD_ROWS[1]])


def _add_twice(tmp: Path) -> None:
    _data_copy(tmp)
    write_rows(tmp / "new.csv", [GOOD_ROWS[0], {**GOOD_ROWS[1], "sample_id": GOOD_ROWS[0]["sample_id"]}])


def _bad_model_yaml(tmp: Path) -> None:
    (tmp / "conf" / "model").mkdir(parents=True)
    (tmp / "conf" / "model" / "broken.yaml").write_text(
        "name: broken\nestimator:\n  _target_: sklearn.linear_model.Ridge\n  alpha: [1, 2\nfamily: linear\n")


def _blocked_mlruns(tmp: Path) -> None:
    (tmp / "blocked").write_text("a file where the mlruns folder should be")


def _db_without_artifacts(tmp: Path) -> None:
    """A store whose mlflow.db was copied without its artifacts (the original tree still exists)."""
    code = ("import sys, mlflow\nfrom nacarbon.tracking.store import connect, ensure_experiment\n"
            "uri, root = sys.argv[1], sys.argv[2]\nconnect(uri, root)\n"
            "ensure_experiment('nacarbon-registry', uri=uri, artifact_root=root)\n"
            "with mlflow.start_run():\n    mlflow.log_text('x', 'note.txt')\n")
    orig = tmp / "orig"
    subprocess.run([sys.executable, "-c", code, f"sqlite:///{orig}/mlflow.db", str(orig / "artifacts")],
                   check=True, cwd=ROOT, capture_output=True)
    (tmp / "mlruns").mkdir()
    shutil.copyfile(orig / "mlflow.db", tmp / "mlruns" / "mlflow.db")


DOWN = "http://127.0.0.1:9"
PG_DOWN = f"postgresql://nacarbon:{SECRET}@127.0.0.1:9/optuna"

CASES = [
    # --- config: plain scalar settings -------------------------------------------------------
    Case("cv-n_splits-abc", ["train", "cv.n_splits=abc"], ["cv.n_splits='abc'", "integer >= 2"]),
    Case("cv-n_splits-1", ["train", "cv.n_splits=1"], ["cv.n_splits=1", "cv=holdout"]),
    Case("seed-foo", ["train", "seed=foo"], ["seed='foo'", "integer >= 0"]),
    Case("n_trials-negative", ["train", "search=optuna", "search.n_trials=-3"], ["search.n_trials=-3"]),
    Case("inner_splits-1", ["train", "search=optuna", "search.inner_splits=1"], ["search.inner_splits=1"]),
    Case("timeout-negative", ["train", "search=optuna", "search.timeout=-1"], ["search.timeout=-1"]),
    Case("test_size-above-1", ["train", "cv=holdout", "cv.test_size=1.5"], ["cv.test_size=1.5"]),
    Case("progress-not-bool", ["train", "progress=maybe"], ["progress='maybe'", "true or false"]),
    Case("screen-rank_by", ["screen", "screen.rank_by=best"], ["screen.rank_by='best'", "mean or lcb"]),
    Case("train-predictor-alpha-2", ["train", "predictor.alpha=2"], ["predictor.alpha=2"]),
    Case("screen-top_k-text", ["screen", "screen.top_k=many"], ["screen.top_k='many'"]),
    Case("analyze-alpha-0", ["analyze", "alpha=0"], ["alpha=0", "(0, 1)"]),
    Case("analyze-shap-top_k-0", ["analyze", "shap.top_k=0"], ["shap.top_k=0"]),
    Case("compare-alpha-nan", ["compare", "alpha=nan"], ["alpha=nan"]),
    # --- config: composition -----------------------------------------------------------------
    Case("unknown-model", ["train", "model=xgbost"], ["model/xgbost", "Available options"]),
    Case("unknown-key", ["train", "cv.nsplits=3"], ["cv.nsplits"]),
    Case("override-syntax", ["train", "seed=[1,"], ["seed=[1,"]),
    Case("model-yaml-syntax", ["train", "hydra.searchpath=[file://{tmp}/conf]", "model=broken"],
         ["YAML syntax error", "broken.yaml", "line 4"], prepare=_bad_model_yaml),
    Case("target-not-in-dataset", ["train", "target=plateau_capacity", "model=dummy"],
         ["plateau_capacity", "dataset 'seed'"]),
    Case("password-in-bad-override", ["train", f"search.storage={PG_DOWN}"], ["search.storage", "***"]),
    # --- data ---------------------------------------------------------------------------------
    Case("db-duplicate-column", ["nacarbon.db", "validate", "{tmp}/dup.csv"], ["dup.csv", "'d002_nm'", "repeats"],
         prepare=_dup_column, store=False),
    Case("db-semicolons", ["nacarbon.db", "validate", "{tmp}/semi.csv"], ["semi.csv", "semicolon"],
         prepare=_semicolons, store=False),
    Case("db-missing-file", ["nacarbon.db", "validate", "{tmp}/nowhere.csv"], ["nowhere.csv", "does not exist"],
         store=False),
    Case("db-text-in-number", ["nacarbon.db", "validate", "{tmp}/text.csv"], ["text.csv", "row 3", "d002_nm", "abc"],
         prepare=lambda t: _edit_cell(t, "text.csv", 3, "d002_nm", "abc"), store=False),
    Case("db-out-of-range", ["nacarbon.db", "validate", "{tmp}/range.csv"], ["range.csv", "row 2", "ice_pct", "ice_range"],
         prepare=lambda t: _edit_cell(t, "range.csv", 2, "ice_pct", "120"), store=False),
    Case("db-missing-column", ["nacarbon.db", "validate", "{tmp}/nola.csv"], ["nola.csv", "la_nm"],
         prepare=_drop_column, store=False),
    Case("db-empty-file", ["nacarbon.db", "validate", "{tmp}/empty.csv"], ["empty.csv"], prepare=_empty, store=False),
    Case("db-not-utf8", ["nacarbon.db", "validate", "{tmp}/binary.csv"], ["binary.csv"], prepare=_binary, store=False),
    Case("db-add-duplicate-column", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "'ssa_m2_g'", "repeats"], prepare=_add_dup_column, store=False),
    Case("db-add-out-of-range", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "row 1", "ice_pct"], prepare=_add_bad_value, store=False),
    Case("db-add-same-id-twice", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "C-0001"], prepare=_add_twice, store=False),
    Case("train-bad-data-file", ["train", "model=dummy", "dataset.files=[{tmp}/range.csv]"],
         ["range.csv", "ice_pct"], prepare=lambda t: _edit_cell(t, "range.csv", 2, "ice_pct", "120")),
    # --- server and storage -------------------------------------------------------------------
    Case("screen-server-down", ["screen", f"tracking.uri={DOWN}"], [DOWN, "cannot be reached"]),
    Case("promote-server-down", ["promote", f"tracking.uri={DOWN}"], [DOWN, "cannot be reached"]),
    Case("analyze-server-down", ["analyze", f"tracking.uri={DOWN}"], [DOWN, "cannot be reached"]),
    Case("promote-mlruns-unwritable", ["promote", "paths.mlruns_dir={tmp}/blocked/mlruns"],
         ["cannot write to", "blocked"], prepare=_blocked_mlruns, store=False,
         extra=["paths.output_dir={tmp}/outputs"]),
    Case("screen-db-copied-without-artifacts", ["screen"], ["nacarbon-registry", "outside this store", "copy"],
         prepare=_db_without_artifacts),
    Case("train-postgres-down", ["train", "model=ridge", "search=optuna", f"search.storage={PG_DOWN}"],
         ["Optuna storage", "127.0.0.1:9", "***"], slow=True),
    Case("train-server-down", ["train", "model=dummy", f"tracking.uri={DOWN}"], [DOWN, "cannot be reached"], slow=True),
    Case("train-mlruns-unwritable", ["train", "model=dummy", "paths.mlruns_dir={tmp}/blocked/mlruns"],
         ["cannot write to", "blocked"], prepare=_blocked_mlruns, store=False, slow=True,
         extra=["paths.output_dir={tmp}/outputs", "progress=false"]),
]


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith(".lock")}


@dataclass
class Outcome:
    code: int
    stderr: str
    tmp: Path
    data_before: dict[str, str]


def _run(case: Case, tmp: Path) -> Outcome:
    tmp.mkdir(parents=True)
    if case.prepare:
        case.prepare(tmp)
    fill = {"tmp": str(tmp), "data": str(tmp / "data")}
    argv = [a.format(**fill) for a in case.argv]
    if case.store:   # before the case's own overrides, which win
        argv[1:1] = [f"paths.mlruns_dir={tmp / 'mlruns'}", f"paths.output_dir={tmp / 'outputs'}",
                     f"paths.experiments_dir={tmp / 'experiments'}"]
        if argv[0] in ("train", "screen"):
            argv.insert(1, "progress=false")
    if argv[0] == "train":   # the quick seed setup (a target's own default is its larger main-plan data)
        argv.insert(1, "setup=paper")
    argv += [a.format(**fill) for a in case.extra]
    data_before = _digest(tmp / "data") if (tmp / "data").is_dir() else {}
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HYDRA_FULL_ERROR": ""}
    env.pop("HYDRA_FULL_ERROR")
    env.pop("NACARBON_OPTUNA_STORAGE", None)
    proc = subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    return Outcome(proc.returncode, proc.stderr, tmp, data_before)


# Each Hydra command pays the start-up of the training stack (~10 s on the shared 2-core
# machines); the default suite keeps the data cases and one case of each other kind.
QUICK = {"cv-n_splits-abc", "model-yaml-syntax", "password-in-bad-override", "screen-server-down"}
for _c in CASES:
    _c.slow = _c.slow or (_c.argv[0] != "nacarbon.db" and _c.id not in QUICK)


def _selected(session) -> list[Case]:
    """The cases whose tests were collected (after -m and -k)."""
    ids = {item.callspec.id for item in session.items
           if getattr(item, "originalname", "") == "test_bad_input_gives_one_clear_error"}
    return [c for c in CASES if c.id in ids]


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory) -> dict[str, Outcome]:
    repo_data = _digest(ROOT / "data")
    base = tmp_path_factory.mktemp("bad-input")
    cases = _selected(request.session)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip([c.id for c in cases], pool.map(lambda c: _run(c, base / c.id), cases)))
    assert _digest(ROOT / "data") == repo_data, "a bad-input case changed the shipped data/"
    return results


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.slow else [])
                                  for c in CASES])
def test_bad_input_gives_one_clear_error(case: Case, outcomes):
    out = outcomes[case.id]
    err = out.stderr
    assert out.code == EXIT_ERROR, f"exit {out.code}:\n{err}"
    assert "Traceback" not in err, err
    led = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(led) == 1, err
    message = err[err.index("error:"):]
    for needle in case.expect:
        assert needle in message, f"{needle!r} not in:\n{message}"
    # No password reaches the screen or any file the command wrote.
    assert SECRET not in err
    for path in out.tmp.rglob("*"):
        if path.is_file() and path.suffix in {".yaml", ".log", ".txt", ".json", ".md"}:
            assert SECRET not in path.read_text(errors="replace"), path
    # Nothing half-written: the data copy is byte-identical, every MLflow database still opens.
    if out.data_before:
        assert _digest(out.tmp / "data") == out.data_before
    for db in out.tmp.rglob("mlflow.db"):
        with sqlite3.connect(db) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_corpus_is_large_and_covers_every_kind():
    assert len(CASES) >= 30
    commands = {c.argv[0] for c in CASES}
    assert {"train", "screen", "promote", "analyze", "compare", "nacarbon.db"} <= commands
