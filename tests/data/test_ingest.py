"""Adding rows (nacarbon.data.ingest): checks, atomic append, lock, and the merged dataset."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pandas as pd
import pytest

import nacarbon.data.table_write as table_write
from nacarbon.data.dedup import merge_datasets
from nacarbon.data.ingest import add_rows, appended_bytes
from nacarbon.data.table_write import TableChange, exclusive_lock
from nacarbon.data.prepare import prepare_table
from nacarbon.data.io import content_hash, dataset_name, load_dataset, read_table
from nacarbon.errors import DataValidationError, NacarbonError
from nacarbon.paths import project_root

REPO_DATA = project_root() / "data"
TABLES = ("liu2022_tables.csv", "literature_583.csv", "contributed.csv")

# Two made-up hard carbons that match no shipped row (heat-treatment temperatures and BET areas
# no shipped row pairs with within the duplicate tolerances).
GOOD_ROWS = [
    {"sample_id": "C-0001", "source": "Doe et al., J. Test. Carbon, 2025, 1, 1-10", "material_class": "hard",
     "precursor": "Walnut shell", "htt_c": "1400", "d002_nm": "0.372", "la_nm": "4.1", "lc_nm": "1.2",
     "id_ig": "1.05", "ssa_m2_g": "12.5", "ice_pct": "88", "capacity_mah_g": "310", "current_ma_g": "30",
     "electrolyte": "ester"},
    {"sample_id": "C-0002", "source": "Doe et al., J. Test. Carbon, 2025, 1, 1-10", "material_class": "hard",
     "precursor": "Walnut shell", "htt_c": "1600", "d002_nm": "0.368", "la_nm": "4.5", "lc_nm": "1.3",
     "id_ig": "0.98", "ssa_m2_g": "8.1", "ice_pct": "90", "capacity_mah_g": "290", "current_ma_g": "30",
     "electrolyte": "ester", "pore_volume_cm3_g": "0.02"},
]


def copy_data(dst: Path, literature_rows: int = 80) -> Path:
    """Copy the shipped tables into ``dst`` (created), the literature cut to its first rows
    to keep every check fast, and return ``dst``."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        shutil.copy(REPO_DATA / name, dst / name)
    lit = pd.read_csv(REPO_DATA / TABLES[1], dtype=str, keep_default_na=False)
    lit.head(literature_rows).to_csv(dst / TABLES[1], index=False)
    return dst


def write_rows(path: Path, rows: list[dict]) -> Path:
    """Write rows as a CSV (missing keys become empty cells) and return the path."""
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` (not the lock file) and its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.endswith(".lock")}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return copy_data(tmp_path / "data")


def _add(data_dir: Path, file: Path, **kwargs) -> TableChange:
    tables = [data_dir / t for t in TABLES]
    return add_rows(file, data_dir / "contributed.csv", reference=tables, merged=tables, **kwargs)


def test_shipped_contributed_table_is_empty_and_valid():
    table = read_table(REPO_DATA / "contributed.csv")
    assert len(table) == 0
    assert {"source", "electrolyte", "plateau_capacity_mah_g", "qc_waiver"} <= set(table.columns)
    assert "dataset" not in table.columns  # the table names the dataset, not its rows


def test_empty_contributed_table_leaves_merged_dataset_unchanged():
    seed = prepare_table(read_table(REPO_DATA / TABLES[0], dataset="seed"), dataset="seed", label=TABLES[0])
    lit = prepare_table(read_table(REPO_DATA / TABLES[1]), dataset="literature", label=TABLES[1])
    two, _ = merge_datasets(seed, lit)
    three = load_dataset("merged", [REPO_DATA / t for t in TABLES], merge=True)
    assert three.version == content_hash(two) and len(three.frame) == len(two)


def test_good_rows_are_appended(data_dir, tmp_path):
    target = data_dir / "contributed.csv"
    before_bytes = target.read_bytes()
    merged_before = load_dataset("merged", [data_dir / t for t in TABLES], merge=True)
    result = _add(data_dir, write_rows(tmp_path / "new.csv", GOOD_ROWS))

    after_bytes = target.read_bytes()
    assert after_bytes.startswith(before_bytes)  # an append: existing bytes untouched
    table = read_table(target)
    assert list(table["sample_id"]) == ["C-0001", "C-0002"]
    assert table.loc[1, "pore_volume_cm3_g"] == 0.02 and pd.isna(table.loc[0, "pore_volume_cm3_g"])
    assert result.sample_ids == ("C-0001", "C-0002") and not result.dry_run
    assert result.table_version == content_hash(table) != result.table_version_before

    merged = load_dataset("merged", [data_dir / t for t in TABLES], merge=True)
    assert result.merged_version_before == merged_before.version
    assert result.merged_version == merged.version != merged_before.version
    assert len(merged.frame) == len(merged_before.frame) + 2 == result.merged_rows
    assert list(merged.frame["dataset"].iloc[-2:]) == ["contributed"] * 2


def test_spreadsheet_export_with_bom_and_crlf_is_read(data_dir, tmp_path):
    new = tmp_path / "excel.csv"
    new.write_bytes(b"\xef\xbb\xbf" + pd.DataFrame(GOOD_ROWS).to_csv(index=False, lineterminator="\r\n").encode())
    result = _add(data_dir, new)
    assert result.sample_ids == ("C-0001", "C-0002")
    assert b"\r" not in (data_dir / "contributed.csv").read_bytes()  # the table keeps its own line ending


def test_dry_run_reports_the_real_outcome_and_writes_nothing(data_dir, tmp_path):
    new = write_rows(tmp_path / "new.csv", GOOD_ROWS)
    before = snapshot(data_dir)
    dry = _add(data_dir, new, dry_run=True)
    assert snapshot(data_dir) == before and dry.dry_run
    real = _add(data_dir, new)
    assert (dry.table_version, dry.merged_version) == (real.table_version, real.merged_version)


def copy_of_seed_row(data_dir: Path) -> list[dict]:
    """A good row, then seed row T1-07 under a new id and source with d002 1 % off."""
    seed = pd.read_csv(data_dir / TABLES[0], dtype=str, keep_default_na=False).set_index("sample_id").loc["T1-07"]
    keep = ["material_class", "htt_c", "la_nm", "lc_nm", "id_ig", "ssa_m2_g", "ice_pct"]
    row = {k: seed[k] for k in keep} | {"sample_id": "C-0100", "source": "A later paper citing the same carbon"}
    row["d002_nm"] = f"{float(seed['d002_nm']) * 1.01:.4f}"  # read off a plot: within tolerance
    return [GOOD_ROWS[0], row]


def test_duplicate_of_a_seed_row_is_rejected_naming_it(data_dir, tmp_path):
    new = write_rows(tmp_path / "new.csv", copy_of_seed_row(data_dir))
    before = snapshot(data_dir)
    with pytest.raises(DataValidationError) as info:
        _add(data_dir, new)
    assert snapshot(data_dir) == before
    (problem,) = info.value.problems
    assert info.value.path == str(new)
    assert (problem["row"], problem["field"], problem["value"]) == (2, "htt_c;d002_nm;ssa_m2_g;ice_pct", "C-0100")
    assert problem["rule"].startswith("duplicate_material: same material as T1-07 (row 7 of ")
    assert "dataset seed" in problem["rule"]


def test_row_equal_to_a_contributed_row_is_one_problem(data_dir, tmp_path):
    _add(data_dir, write_rows(tmp_path / "a.csv", GOOD_ROWS[:1]))
    again = write_rows(tmp_path / "b.csv", [GOOD_ROWS[0] | {"sample_id": "C-0003"}])
    with pytest.raises(DataValidationError) as info:
        _add(data_dir, again)
    assert [(p["row"], p["field"]) for p in info.value.problems] == [(1, "(all fields)")]
    assert "same content as row 1" in str(info.value)


def test_file_without_rows_is_rejected(data_dir, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(GOOD_ROWS[0]) + "\n")
    with pytest.raises(DataValidationError, match="no rows to add"):
        _add(data_dir, empty)


@pytest.mark.parametrize(("point", "exc"), [("fsync", OSError), ("replace", OSError),
                                            ("replace", KeyboardInterrupt)])
def test_failure_after_the_temp_write_leaves_the_table_unchanged(data_dir, tmp_path, monkeypatch, point, exc):
    new = write_rows(tmp_path / "new.csv", GOOD_ROWS)
    before = snapshot(data_dir)

    def fail(*args, **kwargs):
        assert any(p.suffix == ".tmp" for p in data_dir.iterdir()), "the temp file exists when this fails"
        raise exc("simulated failure")

    monkeypatch.setattr(table_write.os, point, fail)
    with pytest.raises(NacarbonError if exc is OSError else exc, match="simulated failure"):
        _add(data_dir, new)
    monkeypatch.undo()
    assert snapshot(data_dir) == before  # same files (no temp left behind), same bytes


def test_permissions_of_the_table_are_kept(data_dir, tmp_path):
    target = data_dir / "contributed.csv"
    target.chmod(0o640)
    _add(data_dir, write_rows(tmp_path / "new.csv", GOOD_ROWS))
    assert target.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(("original", "expected"), [
    (b"a,b\n1,2\n", b"a,b\n1,2\nx,\n"),
    (b"a,b\r\n1,2\r\n", b"a,b\r\n1,2\r\nx,\r\n"),
    (b"a,b\n1,2", b"a,b\n1,2\nx,\n"),              # no final newline: one is added first
])
def test_appended_bytes_keep_the_original_and_its_line_ending(original, expected):
    assert appended_bytes(original, pd.DataFrame({"a": ["x"], "b": [None]})) == expected


def test_rows_are_quoted_as_csv():
    out = appended_bytes(b"sample_id,source\n", pd.DataFrame({"sample_id": ["C-1"], "source": ['Doe, "X", 2025']}))
    assert out == b'sample_id,source\nC-1,"Doe, ""X"", 2025"\n'


def test_concurrent_additions_wait_and_both_land(data_dir, tmp_path):
    """Two additions start while the lock is held: both wait, then both sets of rows land."""
    lock = tmp_path / "add.lock"
    files = [write_rows(tmp_path / f"new{i}.csv", [row]) for i, row in enumerate(GOOD_ROWS)]
    waiting = [threading.Event() for _ in files]
    errors: list[BaseException] = []

    def add(i: int) -> None:
        try:
            _add(data_dir, files[i], lock=lock, on_wait=lambda p: waiting[i].set())
        except BaseException as err:  # reported by the main thread
            errors.append(err)

    before = (data_dir / "contributed.csv").read_bytes()
    with exclusive_lock(lock):
        threads = [threading.Thread(target=add, args=(i,)) for i in range(len(files))]
        for thread in threads:
            thread.start()
        for event, thread in zip(waiting, threads):
            while not event.is_set() and thread.is_alive():
                event.wait(0.01)
        assert all(event.is_set() for event in waiting), errors
        assert (data_dir / "contributed.csv").read_bytes() == before
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(read_table(data_dir / "contributed.csv")["sample_id"]) == ["C-0001", "C-0002"]


def test_merge_priority_seed_then_contributed_then_literature():
    base = {"htt_c": 1300.0, "d002_nm": 0.380, "ssa_m2_g": 100.0, "ice_pct": 80.0}
    seed = pd.DataFrame([{"sample_id": "T1-01", "source": "Ref", **base}])
    lit = pd.DataFrame([{"sample_id": "L-1", "source": "Title", **base},
                        {"sample_id": "L-2", "source": "Title 2", **base, "htt_c": 900.0}])
    contributed = pd.DataFrame([{"sample_id": "C-1", "source": "Doe", **base},
                                {"sample_id": "C-2", "source": "Doe", **base, "htt_c": 900.0}])
    merged, report = merge_datasets(seed, lit, contributed)
    assert list(merged["sample_id"]) == ["T1-01", "C-2"]  # rows stay in table order
    assert list(merged["dataset"]) == ["seed", "contributed"]
    assert dict(zip(report["sample_id"], report["duplicate_of"])) == {"L-1": "T1-01", "L-2": "C-2", "C-1": "T1-01"}


@pytest.mark.parametrize(("path", "name"), [("data/liu2022_tables.csv", "seed"),
                                            ("data/literature_583.csv", "literature"),
                                            ("data/contributed.csv", "contributed"), ("x/lab2.csv", "lab2")])
def test_dataset_name_from_file(path, name):
    assert dataset_name(path) == name


def test_load_dataset_uses_given_tables_instead_of_files(data_dir):
    files = [data_dir / t for t in TABLES]
    fake = read_table(REPO_DATA / TABLES[0]).iloc[:3]
    ds = load_dataset("merged", files, merge=True, tables={files[0]: fake})
    assert (ds.frame["dataset"] == "seed").sum() == 3
    assert os.fspath(files[0]) in ds.files
