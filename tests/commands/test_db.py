"""``python -m nacarbon.db``: add, validate and version against a copy of data/ (never the real one)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nacarbon.data.table_write import exclusive_lock
from nacarbon.data.io import read_table
from nacarbon.commands.db import LOCK_NAME, main, merged_files
from tests.data.test_ingest import GOOD_ROWS, TABLES, copy_data, copy_of_seed_row, snapshot, write_rows


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return copy_data(tmp_path / "data")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_good_file(data_dir, tmp_path, capsys):
    new = write_rows(tmp_path / "new.csv", GOOD_ROWS)
    _, before, _ = run(capsys, "version", "--data-dir", str(data_dir))
    code, out, err = run(capsys, "add", str(new), "--data-dir", str(data_dir))
    assert code == 0, err
    assert "added 2 row(s)" in out and "C-0001, C-0002" in out
    table_line, merged_line = out.splitlines()[1:3]
    _, after, _ = run(capsys, "version", "--data-dir", str(data_dir))
    # the versions add prints are the ones version reports afterwards
    assert table_line.split()[-1] in after and merged_line.split()[-1] in after
    assert "contributed.csv: 0 rows" in before and "contributed.csv: 2 rows" in after
    n_before = int(before.split("merged: ")[1].split()[0])
    assert f"merged dataset: {n_before} -> {n_before + 2} rows" in merged_line
    assert f"merged: {n_before + 2} rows" in after


def test_dry_run_writes_nothing(data_dir, tmp_path, capsys):
    new = write_rows(tmp_path / "new.csv", GOOD_ROWS)
    before = snapshot(data_dir)
    code, out, err = run(capsys, "add", str(new), "--data-dir", str(data_dir), "--dry-run")
    assert code == 0, err
    assert "would add 2 row(s)" in out and "nothing written" in out
    assert snapshot(data_dir) == before


def test_into_another_table(data_dir, tmp_path, capsys):
    other = data_dir / "lab2.csv"
    other.write_bytes((data_dir / "contributed.csv").read_bytes())
    code, out, err = run(capsys, "add", str(write_rows(tmp_path / "new.csv", GOOD_ROWS[:1])),
                         "--data-dir", str(data_dir), "--into", str(other))
    assert code == 0, err
    assert len(read_table(other)) == 1 and len(read_table(data_dir / "contributed.csv")) == 0
    # the new table is shipped now: its rows block duplicates in the default table
    code, _, err = run(capsys, "add", str(write_rows(tmp_path / "again.csv", GOOD_ROWS[:1])),
                       "--data-dir", str(data_dir))
    assert code == 2 and "already used in" in err and "lab2.csv" in err


# Each bad file: (rows, or a builder taking the data dir; where the message points; a phrase it must hold)
BAD_FILES = {
    "bad value": ([GOOD_ROWS[0], GOOD_ROWS[1] | {"ice_pct": "161"}], "row 2, field 'ice_pct'", "161"),
    "unknown column": ([GOOD_ROWS[0] | {"colour": "black"}], "file, field 'colour'", "unknown column"),
    "dataset column": ([GOOD_ROWS[0] | {"dataset": "seed"}], "file, field 'dataset'", "unknown column"),
    "missing source": ([GOOD_ROWS[0], GOOD_ROWS[1] | {"source": ""}], "row 2, field 'source'", "not_nullable"),
    "missing required column": ([{k: v for k, v in GOOD_ROWS[0].items() if k != "lc_nm"}],
                                "file, field 'lc_nm'", "required column is missing"),
    "text in a numeric extra": ([GOOD_ROWS[0] | {"pore_volume_cm3_g": "n/a"}], "row 1, field 'pore_volume_cm3_g'",
                                "must be a number"),
    "duplicate of a seed row": (copy_of_seed_row, "row 2, field 'htt_c;d002_nm;ssa_m2_g;ice_pct'",
                                "same material as T1-07"),
    "duplicate within the file": ([GOOD_ROWS[0], GOOD_ROWS[0] | {"sample_id": "C-0009", "source": "Other"}],
                                  "row 2, field 'htt_c;d002_nm;ssa_m2_g;ice_pct'",
                                  "same material as C-0001 (row 1 of this file)"),
    "exact copy within the file": ([GOOD_ROWS[0], GOOD_ROWS[0] | {"sample_id": "C-0009"}],
                                   "row 2, field '(all fields)'", "duplicate_row"),
    "sample_id of a seed row": ([GOOD_ROWS[0] | {"sample_id": "T1-01"}], "row 1, field 'sample_id'",
                                "already used in"),
    "sample_id twice in the file": ([GOOD_ROWS[0], GOOD_ROWS[1] | {"sample_id": "C-0001"}],
                                    "row 2, field 'sample_id'", "must be unique"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_file_exits_2_and_changes_nothing(data_dir, tmp_path, capsys, case):
    rows, where, phrase = BAD_FILES[case]
    new = write_rows(tmp_path / "new.csv", rows(data_dir) if callable(rows) else rows)
    before = snapshot(data_dir)
    code, out, err = run(capsys, "add", str(new), "--data-dir", str(data_dir))
    assert code == 2 and out == ""
    assert err.startswith(f"error: {new}: ") and where in err and phrase in err
    assert snapshot(data_dir) == before


def test_missing_file_and_missing_table(data_dir, tmp_path, capsys):
    code, _, err = run(capsys, "add", str(tmp_path / "nope.csv"), "--data-dir", str(data_dir))
    assert code == 2 and "nope.csv" in err and "does not exist" in err
    new = write_rows(tmp_path / "new.csv", GOOD_ROWS)
    code, _, err = run(capsys, "add", str(new), "--data-dir", str(data_dir), "--into", str(data_dir / "x.csv"))
    assert code == 2 and "x.csv" in err and "does not exist" in err
    assert not (data_dir / "x.csv").exists()


@pytest.mark.parametrize("argv", [["update", "{f}", "--reason", "typo"], ["update", "{f}", "--reason", "typo", "--dry-run"],
                                  ["add", "{f}"], ["validate", "{f}"]], ids=lambda a: " ".join(a[::2]))
def test_a_missing_file_is_named_in_one_line(argv, data_dir, tmp_path, capsys):
    # `db update` on a missing file once said "file, field 'None': value None breaks rule: ...".
    missing = tmp_path / "nope.csv"
    code, out, err = run(capsys, *[a.format(f=missing) for a in argv], "--data-dir", str(data_dir))
    assert (code, out) == (2, "")
    assert err == f"error: {missing}: file does not exist\n"


def test_merged_files_follow_the_config(data_dir):
    assert merged_files(data_dir) == [data_dir / t for t in TABLES]


@pytest.mark.slow
def test_concurrent_adds_both_land(data_dir, tmp_path):
    """Two processes add while a third holds the lock: both wait, then both sets of rows land.

    Slow only for starting two interpreters; tests/data/test_ingest.py runs the same race in threads.
    """
    files = [write_rows(tmp_path / f"new{i}.csv", [row]) for i, row in enumerate(GOOD_ROWS)]
    target = data_dir / "contributed.csv"
    before = target.read_bytes()
    with exclusive_lock(data_dir / LOCK_NAME):
        procs = [subprocess.Popen([sys.executable, "-m", "nacarbon.db", "add", str(f), "--data-dir", str(data_dir)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in files]
        # each reports that it waits before it blocks; a process that did not wait would end
        # without this line and readline would return ""
        for proc in procs:
            assert "waiting for another add" in proc.stderr.readline()
        assert target.read_bytes() == before
    outputs = [proc.communicate() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    table = read_table(target)
    assert sorted(table["sample_id"]) == ["C-0001", "C-0002"]
    assert sorted(out.split("contributed.csv: ")[1].split()[0] for out, _ in outputs) == ["C-0001", "C-0002"]


def test_update_and_withdraw_from_the_command_line(data_dir, tmp_path, capsys):
    assert run(capsys, "add", str(write_rows(tmp_path / "new.csv", GOOD_ROWS)), "--data-dir", str(data_dir))[0] == 0
    fixed = write_rows(tmp_path / "fixed.csv", [{**GOOD_ROWS[0], "ice_pct": "87"}])
    code, out, err = run(capsys, "update", str(fixed), "--reason", "re-read", "--dry-run", "--data-dir", str(data_dir))
    assert code == 0 and "would have updated 1 row(s)" in out and "dry run: nothing written" in out, err
    code, out, err = run(capsys, "update", str(fixed), "--reason", "re-read", "--data-dir", str(data_dir))
    assert code == 0 and "updated 1 row(s)" in out and "changes/log.csv" in out, err
    code, out, err = run(capsys, "withdraw", "C-0002", "--reason", "cell shorted", "--data-dir", str(data_dir))
    assert code == 0 and "withdrew 1 row(s)" in out, err
    assert read_table(data_dir / "contributed.csv")["ice_pct"].tolist() == [87.0]
    code, _, err = run(capsys, "withdraw", "C-0002", "--reason", "again", "--data-dir", str(data_dir))
    assert code == 2 and err.startswith("error:") and "no row has this sample_id" in err


def test_an_unfilled_template_is_refused_saying_what_is_missing(data_dir, tmp_path, capsys):
    unfilled = write_rows(tmp_path / "batch.csv", [{**GOOD_ROWS[0], "ice_pct": "", "capacity_mah_g": ""}])
    code, _, err = run(capsys, "add", str(unfilled), "--data-dir", str(data_dir))
    assert code == 2 and "no measured value" in err and "ice_pct" in err


def test_export_of_an_unknown_dataset_lists_the_known_ones(tmp_path, capsys):
    code, _, err = run(capsys, "export", "../../etc/passwd", str(tmp_path / "o.csv"))
    assert code == 2 and "allowed: ['literature'" in err and "'merged'" in err
    assert not (tmp_path / "o.csv").exists()
