"""``python -m predict`` end to end: real champions in a tmp registry, real seed rows, bad files refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from nacarbon.commands.predict import run as predict
from nacarbon.commands.promote import run as promote
from nacarbon.commands.train import run as train
from nacarbon.errors import ConfigError, DataValidationError, RegistryError
from nacarbon.paths import project_root
from tests.conftest import compose_config

SEED = project_root() / "data" / "liu2022_tables.csv"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A tmp store where ice has a champion (ridge on the seed, promoted with force if needed)."""
    tmp = tmp_path_factory.mktemp("predict")
    base = [f"paths.mlruns_dir={tmp / 'mlruns'}", f"paths.experiments_dir={tmp / 'experiments'}"]
    train(compose_config("train", [*base, "target=ice", "model=ridge", "progress=false"]))
    promote(compose_config("promote", [*base, "target=ice", "force=true"]))
    return base


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    """Six real seed rows as text (the way a user's CSV is read); ice measured on the first two only."""
    raw = pd.read_csv(SEED, dtype=str, keep_default_na=False).iloc[[0, 10, 20, 30, 40, 50]].reset_index(drop=True)
    raw.loc[2:, "ice_pct"] = ""
    return raw


def cfg_for(store, src: Path, out: Path, *extra: str):
    return compose_config("predict", [*store, f"input={src}", f"output={out}", *extra])


def test_predict_writes_table_summary_and_run(store, rows, tmp_path):
    src = tmp_path / "mine.csv"
    rows.to_csv(src, index=False)
    out = predict(cfg_for(store, src, tmp_path / "out" / "pred.csv"))
    table = pd.read_csv(out.output)
    assert len(table) == 6 and table["sample_id"].tolist() == rows["sample_id"].tolist()
    assert ((table["lo_ice"] <= table["pred_ice"]) & (table["pred_ice"] <= table["hi_ice"])).all()
    assert table["hi_ice"].max() <= 100 and table["lo_ice"].min() >= 0
    for col in ("domain_score_ice", "in_domain_ice", "in_domain", "nearest1_ice_sample_id",
                "nearest1_ice_paper_id", "nearest1_ice_distance", "note"):
        assert col in table, col
    md = out.summary.read_text()
    assert out.summary == tmp_path / "out" / "pred.md"
    assert "in_domain = score <= 1" in md and "nacarbon-ice v1" in md
    assert "Check against your measured values" in md and "| ice | 2 |" in md
    run = MlflowClient(compose_config("predict", store).tracking.uri).get_run(out.run_id)
    assert run.data.tags["nacarbon.kind"] == "predict" and run.data.tags["model_version.ice"] == "nacarbon-ice/1"
    assert run.data.metrics["n_ice"] == 2 and 0 <= run.data.metrics["coverage_ice"] <= 1
    arts = {a.path for a in MlflowClient(compose_config("predict", store).tracking.uri).list_artifacts(out.run_id, "plots")}
    assert "plots/parity_ice.png" in arts


def test_measured_rows_calibrate_the_others(store, rows, tmp_path):
    src = tmp_path / "mine.csv"
    rows.to_csv(src, index=False)
    table = predict(cfg_for(store, src, tmp_path / "cal.csv")).table
    shift = table["pred_ice"] - table["pred_ice_uncalibrated"]
    offset = table["lab_offset_ice"].iloc[0]
    assert offset != 0 and np.allclose(shift, offset, atol=1e-9)
    # shrinkage: the offset is smaller than the references' raw mean residual, same sign
    resid = (rows["ice_pct"].iloc[:2].astype(float) - table["pred_ice_uncalibrated"].iloc[:2]).mean()
    assert np.sign(offset) == np.sign(resid) and abs(offset) < abs(resid)
    assert table["reference_ice"].tolist() == [True, True, False, False, False, False]
    assert np.allclose(table["hi_ice"] - table["lo_ice"], table["hi_ice_uncalibrated"] - table["lo_ice_uncalibrated"])
    off = predict(cfg_for(store, src, tmp_path / "raw.csv", "lab_calibration=false")).table
    assert "pred_ice_uncalibrated" not in off
    assert np.allclose(off["pred_ice"], table["pred_ice_uncalibrated"])
    assert "Off (`lab_calibration=false`)" in (tmp_path / "raw.md").read_text()


def _bad(rows: pd.DataFrame, how: str) -> pd.DataFrame:
    bad = rows.copy()
    if how == "missing":
        return bad.drop(columns="ssa_m2_g")
    if how == "electrolyte":
        bad.loc[1, "electrolyte"] = "aqueous"
    elif how == "text":
        bad.loc[1, "la_nm"] = "about two"
    elif how == "angstrom":
        bad.loc[1, "d002_nm"] = "3.8"
    elif how == "class":
        bad.loc[1, "material_class"] = "graphene"
    return bad


@pytest.mark.parametrize("how, words", [
    ("missing", "ssa_m2_g.*required column is missing"), ("electrolyte", "row 2, field 'electrolyte'"),
    ("text", "row 2, field 'la_nm'.*must be a number"), ("angstrom", "row 2, field 'd002_nm'.*Angstrom"),
    ("class", "row 2, field 'material_class'"),
])
def test_bad_rows_are_one_clear_error_and_nothing_is_written(store, rows, tmp_path, how, words):
    src = tmp_path / "bad.csv"
    _bad(rows, how).to_csv(src, index=False)
    with pytest.raises(DataValidationError, match=words) as err:
        predict(cfg_for(store, src, tmp_path / "out.csv"))
    assert "bad.csv" in str(err.value)
    assert list(tmp_path.iterdir()) == [src]


@pytest.mark.parametrize("content", ["", "sample_id,d002_nm,la_nm,lc_nm,id_ig,ssa_m2_g,material_class\n"])
def test_empty_file_is_refused(store, tmp_path, content):
    src = tmp_path / "empty.csv"
    src.write_text(content)
    with pytest.raises(DataValidationError, match="empty.csv"):
        predict(cfg_for(store, src, tmp_path / "out.csv"))
    assert list(tmp_path.iterdir()) == [src]


def test_requested_target_without_champion_is_refused(store, rows, tmp_path):
    src = tmp_path / "mine.csv"
    rows.to_csv(src, index=False)
    with pytest.raises(RegistryError, match="'capacity' has no champion"):
        predict(cfg_for(store, src, tmp_path / "out.csv", "targets=[ice,capacity]"))
    with pytest.raises(ConfigError, match="targets='density': unknown target.*allowed"):
        predict(cfg_for(store, src, tmp_path / "out.csv", "targets=[density]"))
    assert list(tmp_path.iterdir()) == [src]


@pytest.mark.slow  # a fresh interpreter importing the training stack costs ~8 s of CPU
def test_cli_exits_non_zero_with_one_line(store, tmp_path):
    src = tmp_path / "empty.csv"
    src.write_text("")
    proc = subprocess.run([sys.executable, "-m", "predict", f"input={src}", f"output={tmp_path / 'o.csv'}", *store,
                           f"paths.output_dir={tmp_path / 'outputs'}"],
                          cwd=project_root() / "src", capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "empty.csv" in proc.stderr
    assert not (tmp_path / "o.csv").exists()


def test_served_predict_and_screen_agree(store, rows, tmp_path):
    """The loader's SamplePredictor, ``predict``'s table and screening's evaluate step give the same numbers."""
    from nacarbon.registry.champions import load_champion
    from nacarbon.screening.evaluate import evaluate_rows
    from nacarbon.tracking.store import connect
    from nacarbon.uncertainty.predictor import build_features, check_input

    cfg = compose_config("predict", store)
    champ = load_champion(connect(cfg.tracking.uri, cfg.tracking.artifact_root), "ice")
    src = tmp_path / "mine.csv"
    rows.to_csv(src, index=False)
    table = predict(cfg_for(store, src, tmp_path / "p.csv", "lab_calibration=false")).table
    direct = champ.predictor.predict_frame(rows)
    features = build_features(check_input(rows, champ.predictor.features), champ.predictor.features)
    candidates = features[champ.predictor.features].astype(float).reset_index(drop=True)
    evaluate_rows(candidates, {"ice": champ.predictor}, rules=[])
    for col in ("pred_ice", "lo_ice", "hi_ice"):
        np.testing.assert_allclose(table[col], direct[col])
        np.testing.assert_allclose(candidates[col], direct[col])
    np.testing.assert_allclose(table["domain_score_ice"], direct["domain_score"])
    np.testing.assert_allclose(candidates["domain_score"], direct["domain_score"])


def test_rows_outside_a_targets_conditions_are_left_unanswered(tmp_path_factory, rows, tmp_path):
    """The rate factor is trained on ester cells only: an ether row gets no rate answer, and says why."""
    tmp = tmp_path_factory.mktemp("predict_rate")
    base = [f"paths.mlruns_dir={tmp / 'mlruns'}", f"paths.experiments_dir={tmp / 'experiments'}"]
    for target in ("rate", "ice"):
        train(compose_config("train", [*base, f"target={target}", "model=ridge", "progress=false"]))
        promote(compose_config("promote", [*base, f"target={target}", "force=true"]))
    mine = rows.copy()
    mine["electrolyte"] = ["ester", "ether", "ester", "ether", "", "ester"]
    src = tmp_path / "mine.csv"
    mine.to_csv(src, index=False)
    out = predict(cfg_for(base, src, tmp_path / "pred.csv"))
    table = pd.read_csv(out.output, keep_default_na=False, na_values=[""])
    ether = (mine["electrolyte"] == "ether").to_numpy()
    for side in ("pred", "lo", "hi"):
        assert table.loc[ether, f"{side}_rate"].isna().all() and table.loc[~ether, f"{side}_rate"].notna().all()
    assert table.loc[ether, "conditions_rate"].str.contains("electrolyte ether is not ester").all()
    assert table.loc[~ether, "conditions_rate"].isna().all()
    assert table["pred_ice"].notna().all() and "conditions_ice" not in table  # ICE has no filter: answered
    rate = next(c for c in out.targets if c.target == "rate")
    assert rate.conditions["n_outside"] == 2
    measured = mine["rate_factor"].ne("").to_numpy()
    assert rate.check["n"] == int((measured & ~ether).sum()) == 4  # an ether row is no check of an ester model
    md = out.summary.read_text()
    assert "trained on electrolyte ester only: 2 sample(s) with another value are left unanswered" in md
