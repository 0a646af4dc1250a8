import hashlib
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from nacarbon.errors import ConfigError
from nacarbon.paths import project_root
from nacarbon.suggest.acquisition import Objective
from nacarbon.suggest.select import SuggestConfig, suggest_batch
from nacarbon.suggest.space import candidate_pool
from nacarbon.suggest.template import MEASURED, table_header, template_frame, write_template

ROOT = project_root()
GRID = {"d002_nm": {"values": [0.37, 0.385]}, "la_nm": {"values": [2.5, 4.0]}, "lc_nm": {"values": [1.1]},
        "id_ig": {"values": [1.0, 1.3]}, "ssa_m2_g": {"values": [3.0, 40.0]}}


def data_hash() -> str:
    h = hashlib.sha256()
    for p in sorted((ROOT / "data").glob("*.csv")):
        h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def picks():
    pool = candidate_pool(GRID, {"htt_c": [1300, 1500], "electrolyte": ["ester"], "current_ma_g": [30.0]},
                          [{"name": "d002_above_graphite", "expr": "d002_nm >= 0.3354"}])
    known = pd.read_csv(ROOT / "data" / "literature_583.csv").head(50)

    def predict(p):
        m = 80 + 20 * (p["d002_nm"].to_numpy() - 0.37)
        return {"ice_pct": (m, m - 3, m + 3)}

    return suggest_batch(pool, predict, [Objective("ice_pct")], known, SuggestConfig(n=4, min_distance=0.1))


def test_template_has_the_table_columns_decided_ones_filled_measured_ones_empty(picks, tmp_path):
    out = write_template(picks, tmp_path / "batch.csv", table=ROOT / "data" / "contributed.csv", batch_id="SUG-T")
    header = table_header(ROOT / "data" / "contributed.csv")
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns) == header and len(frame) == 4
    for col in set(MEASURED) & set(header):
        assert (frame[col] == "").all(), col
    assert (frame["source"] == "").all()
    assert frame[["d002_nm", "htt_c", "electrolyte", "current_ma_g"]].ne("").all().all()
    assert frame["note"].str.contains(r"predicted ice_pct .* \[").all()


def test_filled_template_passes_db_add_dry_run_and_writes_nothing(picks, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("raw", ".*"))
    before, repo_before = {p.name: p.read_bytes() for p in data.glob("*.csv")}, data_hash()
    out = write_template(picks, tmp_path / "batch.csv", table=data / "contributed.csv", batch_id="SUG-T")
    filled = pd.read_csv(out, dtype=str, keep_default_na=False)
    empty = subprocess.run([sys.executable, "-m", "nacarbon.db", "add", str(out), "--dry-run", "--data-dir", str(data)],
                           capture_output=True, text=True, cwd=tmp_path)
    assert empty.returncode == 2 and "source" in empty.stderr  # unfilled: refused, naming the field
    filled["source"] = "Our lab, batch SUG-T (2026)"
    filled["ice_pct"] = ["84.1", "86.3", "79.8", "88.0"]
    filled["plateau_capacity_mah_g"] = ["150", "171", "122", "190"]
    filled["capacity_mah_g"] = ["280", "301", "250", "322"]
    filled.to_csv(out, index=False)
    run = subprocess.run([sys.executable, "-m", "nacarbon.db", "add", str(out), "--dry-run", "--data-dir", str(data)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "would add 4 row(s)" in run.stdout and "SUG-T-01" in run.stdout and "nothing written" in run.stdout
    assert {p.name: p.read_bytes() for p in data.glob("*.csv")} == before
    assert data_hash() == repo_before


def test_a_table_without_the_needed_columns_is_a_config_error(picks, tmp_path):
    with pytest.raises(ConfigError, match="lacks columns"):
        template_frame(picks, ["sample_id", "source"], batch_id="X")
    with pytest.raises(ConfigError, match="does not exist"):
        table_header(tmp_path / "nope.csv")
