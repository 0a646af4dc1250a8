"""Correcting and withdrawing contributed rows: add's checks, an atomic swap, and a record with the reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import nacarbon.data.table_write as table_write
from nacarbon.data.amend import update_rows, withdraw_row
from nacarbon.data.ingest import add_rows
from nacarbon.data.io import read_table
from nacarbon.errors import DataValidationError, NacarbonError
from tests.data.test_ingest import GOOD_ROWS, TABLES, copy_data, copy_of_seed_row, snapshot, write_rows


def read_log(path: Path) -> pd.DataFrame:
    """The change log as text cells."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of data/ whose contributed table holds C-0001 and C-0002."""
    data = copy_data(tmp_path / "data")
    add_rows(write_rows(tmp_path / "first.csv", GOOD_ROWS), data / "contributed.csv",
             reference=[data / t for t in TABLES])
    return data


def _update(data_dir: Path, file: Path, reason: str = "re-measured", **kw):
    return update_rows(file, data_dir / "contributed.csv", reason=reason, reference=[data_dir / t for t in TABLES], **kw)


def test_update_replaces_the_row_in_place_and_records_it(data_dir, tmp_path):
    fixed = write_rows(tmp_path / "fixed.csv", [{**GOOD_ROWS[1], "sample_id": "c-0002", "ice_pct": "91"}])
    result = _update(data_dir, fixed, reason="ICE re-read from the cycler file")
    table = read_table(data_dir / "contributed.csv")
    assert table["sample_id"].tolist() == ["C-0001", "c-0002"] and table["ice_pct"].tolist() == [88.0, 91.0]
    assert result.table_version_before != result.table_version
    log = read_log(data_dir / "changes" / "log.csv")
    assert log[["action", "table", "sample_id", "reason"]].values.tolist() == [
        ["update", "contributed.csv", "c-0002", "ICE re-read from the cycler file"]]
    assert '"ice_pct": "90"' in log["row_before"].iloc[0] and '"ice_pct": "91"' in log["row_after"].iloc[0]


def test_update_is_checked_like_add_and_leaves_everything_on_refusal(data_dir, tmp_path):
    before = snapshot(data_dir)
    for rows, rule in (([{**GOOD_ROWS[0], "ice_pct": "0.9"}], "fraction"),
                       ([{**GOOD_ROWS[0], "ice_pct": "", "capacity_mah_g": ""}], "no measured value"),
                       ([{**GOOD_ROWS[0], "source": "=1+1"}], "formula"),
                       ([{**GOOD_ROWS[0], "sample_id": "C-0404"}], "not in"),
                       ([{**copy_of_seed_row(data_dir)[1], "sample_id": "C-0001"}], "duplicate_material")):
        with pytest.raises(DataValidationError, match=rule):
            _update(data_dir, write_rows(tmp_path / "bad.csv", rows))
    assert snapshot(data_dir) == before and not (data_dir / "changes").exists()


def test_a_row_keeps_its_own_material_when_corrected(data_dir, tmp_path):
    # the corrected row is compared with everything but its own old version
    same = write_rows(tmp_path / "same.csv", [{**GOOD_ROWS[0], "note": "source checked"}])
    assert _update(data_dir, same).sample_ids == ("C-0001",)


def test_withdraw_removes_the_row_and_keeps_it_in_the_log(data_dir):
    result = withdraw_row(" c-0001", data_dir / "contributed.csv", reason="sample contaminated")
    assert read_table(data_dir / "contributed.csv")["sample_id"].tolist() == ["C-0002"]
    log = read_log(data_dir / "changes" / "log.csv")
    assert log["action"].tolist() == ["withdraw"] and '"precursor": "Walnut shell"' in log["row_before"].iloc[0]
    assert result.sample_ids == ("C-0001",)


def test_dry_run_and_refusals_write_nothing(data_dir):
    before = snapshot(data_dir)
    assert withdraw_row("C-0001", data_dir / "contributed.csv", reason="x", dry_run=True).dry_run
    for sid, reason, table, rule in (("C-0404", "x", "contributed.csv", "no row"),
                                     ("C-0001", " ", "contributed.csv", "say why"),
                                     ("L-0001", "x", TABLES[1], "converted from its source"),
                                     ("T1-01", "x", TABLES[0], "converted from its source")):
        with pytest.raises(DataValidationError, match=rule):
            withdraw_row(sid, data_dir / table, reason=reason)
    assert snapshot(data_dir) == before and not (data_dir / "changes").exists()


def test_a_failed_swap_leaves_table_as_it_was(data_dir, monkeypatch):
    before = (data_dir / "contributed.csv").read_bytes()

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(table_write.os, "replace", broken)
    with pytest.raises(NacarbonError, match="unchanged"):
        withdraw_row("C-0001", data_dir / "contributed.csv", reason="gone")
    assert (data_dir / "contributed.csv").read_bytes() == before
    assert [p.name for p in data_dir.iterdir() if p.name.endswith(".tmp")] == []
