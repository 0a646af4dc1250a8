"""`process row`: raw files to one row, which `db add --dry-run` accepts; bad input writes nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nacarbon.paths import project_root
from nacarbon.commands.process import main
from benchmarks.synthetic import raman_spectrum, xrd_pattern
from tests.processing.test_readers import write_arbin_csv


@pytest.fixture
def raw_files(tmp_path):
    x, y = xrd_pattern(fwhm_002=6.0)
    np.savetxt(tmp_path / "p.xy", np.column_stack([x, y]))
    s, i, _ = raman_spectrum()
    np.savetxt(tmp_path / "r.txt", np.column_stack([s, i]), delimiter="\t")
    write_arbin_csv(tmp_path / "cell.csv")
    return tmp_path


def _args(d: Path, out: Path) -> list[str]:
    return ["row", "--xrd", str(d / "p.xy"), "--raman", str(d / "r.txt"), "--gcd", str(d / "cell.csv"),
            "--mass-mg", "2.5", "--ssa", "23.4", "--htt", "1300", "--source", "Test lab, unpublished 2026",
            "--sample-id", "NEW-0001", "--laser-nm", "532", "--out", str(out)]


def test_row_is_accepted_by_db_add_dry_run(raw_files, tmp_path):
    out = tmp_path / "row.csv"
    assert main(_args(raw_files, out)) == 0
    row = pd.read_csv(out)
    assert row.loc[0, "d002_nm"] == pytest.approx(0.3864, abs=0.001)
    assert row.loc[0, "id_ig"] == pytest.approx(1.0, abs=0.03)
    assert 0.06 <= row.loc[0, "rate_factor"] <= 1.2
    assert "sadezky fit" in row.loc[0, "note"] and "laser 532.0 nm" in row.loc[0, "note"]
    data = tmp_path / "data"
    shutil.copytree(project_root() / "data", data)
    done = subprocess.run([sys.executable, "-m", "nacarbon.db", "add", str(out), "--dry-run", "--data-dir", str(data)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "would add 1 row(s)" in done.stdout


def test_bad_xrd_file_exits_2_and_writes_nothing(raw_files, tmp_path, capsys):
    x = np.arange(5.0, 80.0, 0.02)
    np.savetxt(raw_files / "p.xy", np.column_stack([x, 100 + 0.1 * x + np.random.default_rng(1).normal(0, 3, x.size)]))
    out = tmp_path / "row.csv"
    assert main(_args(raw_files, out)) == 2
    err = capsys.readouterr().err
    assert "p.xy" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_json_keeps_values_and_units(raw_files, tmp_path, capsys):
    assert main(["gcd", str(raw_files / "cell.csv"), "--mass-mg", "2.5", "--json"]) == 0
    import json

    payload = json.loads(capsys.readouterr().out)
    assert set(payload) == {"file", "method", "values", "units"}
    assert payload["units"]["rate_factor"] == "(100mA/g)/(mAh/g)"
