"""The exported table is exactly the one training loads."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
import pytest
from omegaconf import OmegaConf

from nacarbon.data.export import export_dataset
from nacarbon.data.io import load_configured, read_raw
from nacarbon.db import main as db_main
from nacarbon.paths import project_root
from nacarbon.targets import load_target

ROOT = project_root()


@pytest.mark.parametrize("name", ["seed", "literature", "merged"])
def test_export_equals_what_training_loads(tmp_path, name):
    from nacarbon.commands.train import load_for_target  # the function training uses

    spec = OmegaConf.load(ROOT / "conf" / "dataset" / f"{name}.yaml")
    cfg = OmegaConf.create({"paths": {"data_dir": str(ROOT / "data")}, "dataset": spec})
    out = tmp_path / f"{name}.csv"
    export_dataset(cfg.dataset, out)
    written = pd.read_csv(out)
    assert list(written.columns[:3]) == ["sample_id", "dataset", "paper_id"]
    seen = load_configured(cfg.dataset).frame
    assert list(written["sample_id"]) == list(seen["sample_id"])
    assert list(written["paper_id"]) == list(seen["paper_id"])
    for col in ("d002_nm", "ssa_m2_g", "ice_pct", "htt_c"):
        pd.testing.assert_series_equal(written[col], seen[col].astype(float), check_names=False)
    # and the design training builds uses exactly these rows and groups
    train_cfg = OmegaConf.create({"paths": cfg.paths, "dataset": spec, "target": {**asdict(load_target("ice")),
                                 "datasets": [name]}, "features": {"columns": ["d002_nm", "ssa_m2_g"]},
                                 "cv": {"name": "group", "n_splits": 5}})
    _, design = load_for_target(train_cfg)
    has = written[written["ice_pct"].notna()]
    assert list(design.meta["sample_id"]) == list(has["sample_id"])
    assert list(design.groups) == list(has["paper_id"])


def test_db_export_cli(tmp_path, capsys):
    out = tmp_path / "merged.csv"
    assert db_main(["export", "merged", str(out)]) == 0
    assert "papers" in capsys.readouterr().out
    assert len(read_raw(out)) == len(pd.read_csv(out))
    assert db_main(["export", "nope", str(tmp_path / "x.csv")]) == 2
    assert "allowed" in capsys.readouterr().err and not (tmp_path / "x.csv").exists()


def test_export_into_a_missing_folder_is_one_clear_error(tmp_path, capsys):
    out = tmp_path / "no" / "such" / "dir" / "merged.csv"
    assert db_main(["export", "seed", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(out) in err and "Traceback" not in err
    assert not out.parent.exists()
