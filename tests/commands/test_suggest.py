"""``python -m suggest`` end to end: champions from a real tmp registry, a small pool, real files."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from omegaconf import OmegaConf, open_dict

from nacarbon.commands.promote import run as promote
from nacarbon.commands.suggest import run as suggest
from nacarbon.commands.train import run as train
from nacarbon.errors import ConfigError
from nacarbon.settings import validate_settings
from nacarbon.suggest.champions import known_materials
from nacarbon.suggest.template import MEASURED, table_header
from nacarbon.uncertainty.space import LogStandardScaler, distances
from tests.conftest import ROOT, compose_config
from tests.mlflow_template import fresh_store

SMALL_GRID = {"d002_nm": {"values": [0.335, 0.37, 0.385, 0.40]},
              "la_nm": {"values": [1.5, 2.5, 3.5]},
              "lc_nm": {"values": [0.6, 1.1, 1.6]},
              "id_ig": {"values": [0.9, 1.2, 1.5]},
              "ssa_m2_g": {"values": [3, 30, 200]}}
PROCESS = ["process.htt_c=[1000,1300]", "process.electrolyte=[ester,ether]", "process.current_ma_g=[30]"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A tmp store where ice and plateau_capacity have champions (ridge, rich features, literature)."""
    tmp = tmp_path_factory.mktemp("suggest")
    fresh_store(tmp / "mlruns", tmp_path_factory)
    base = [f"paths.mlruns_dir={tmp / 'mlruns'}", f"paths.experiments_dir={tmp / 'experiments'}",
            f"paths.output_dir={tmp / 'outputs'}"]
    common = ["dataset=literature", "features=rich"]
    for target in ("ice", "plateau_capacity"):
        train(compose_config("train", [*base, *common, f"target={target}", "model=ridge", "progress=false"]))
        promote(compose_config("promote", [*base, *common, f"target={target}", "force=true"]))
    return base


def suggest_cfg(store, *extra):
    cfg = compose_config("suggest", [*store, *PROCESS, *extra])
    with open_dict(cfg):
        cfg.screen.grid = OmegaConf.create(SMALL_GRID)
    return cfg


def checked_run(cfg):
    """What ``nacarbon.cli._run_job`` does before the command: the one settings check, then the command."""
    validate_settings(cfg)
    return suggest(cfg)


@pytest.fixture(scope="module")
def outcome(store, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "batch.csv"
    return suggest(suggest_cfg(store, "n=4", f"output={out}"))


def test_picks_are_distinct_inside_the_rules_and_spread(outcome):
    picks = outcome.picks
    assert len(picks) == 4 and picks["rank"].tolist() == [1, 2, 3, 4]
    decided = ["htt_c", "electrolyte", "current_ma_g", "d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"]
    assert not picks.duplicated(decided).any()
    assert (picks["d002_nm"] >= 0.3354).all() and (picks["lc_nm"] >= 2 * picks["d002_nm"]).all()
    assert set(picks["htt_c"]) <= {1000, 1300} and set(picks["electrolyte"]) <= {"ester", "ether"}
    assert ((picks["pred_ice"] <= 100) & (picks["pred_ice"] >= 0)).all()
    assert (picks["domain_score"] <= 1).all()
    for t in ("ice", "plateau_capacity"):
        assert ((picks[f"lo_{t}"] <= picks[f"pred_{t}"]) & (picks[f"pred_{t}"] <= picks[f"hi_{t}"])).all()
    assert picks["acquisition"].is_monotonic_decreasing
    pts = lab_points(picks, outcome.champions)
    for i, j in itertools.combinations(range(len(picks)), 2):
        assert distances(pts[i], pts[j])[0, 0] >= 0.07
    assert not picks.duplicated(["htt_c", "ssa_m2_g", "d002_nm"]).any()   # distinct settings a lab controls
    assert picks["nearest_known"].str.count("d=").eq(3).all()


def lab_points(picks, champions):
    """The picks on the settings a lab controls, scaled as the domain's space on the known materials."""
    cols = list(compose_config("suggest").diversity)
    space = LogStandardScaler().fit(known_materials(champions)[cols].to_numpy(float))
    return space.transform(picks[cols].to_numpy(float))


def test_template_has_what_db_add_needs_and_passes_it_once_filled(outcome, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("raw", ".*"))
    filled = pd.read_csv(outcome.template, dtype=str, keep_default_na=False)
    assert list(filled.columns) == table_header(ROOT / "data" / "contributed.csv")
    assert filled["sample_id"].tolist() == outcome.sample_ids
    for col in set(MEASURED) & set(filled.columns):
        assert (filled[col] == "").all(), col
    assert (filled[["htt_c", "electrolyte", "d002_nm", "ssa_m2_g", "current_ma_g"]] != "").all().all()
    filled["source"] = "Our lab, suggested batch (2026)"
    filled["ice_pct"] = ["84.1", "86.3", "79.8", "88.0"]
    filled["plateau_capacity_mah_g"] = ["150", "171", "122", "190"]
    path = tmp_path / "filled.csv"
    filled.to_csv(path, index=False)
    before = {p.name: p.read_bytes() for p in data.glob("*.csv")}
    run = subprocess.run([sys.executable, "-m", "nacarbon.db", "add", str(path), "--dry-run", "--data-dir", str(data)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "would add 4 row(s)" in run.stdout and outcome.sample_ids[0] in run.stdout
    assert {p.name: p.read_bytes() for p in data.glob("*.csv")} == before


def test_summary_explains_each_pick(outcome):
    md = outcome.summary.read_text()
    assert outcome.summary == outcome.template.with_suffix(".md")
    for sid in outcome.sample_ids:
        assert f"`{sid}`: **" in md
    assert md.count("Nearest known materials: L-") == 4
    assert "`nacarbon-ice` v1" in md and "| rank | sample_id |" in md
    assert md.count("predicted ice ") == 4 and "plateau_capacity " in md


def test_the_batch_is_an_mlflow_run(store, outcome):
    cfg = compose_config("suggest", store)
    run = MlflowClient(cfg.tracking.uri).get_run(outcome.run_id)
    assert run.data.tags["nacarbon.kind"] == "suggest"
    assert run.data.tags["model_version.ice"] == "nacarbon-ice/1"
    assert run.data.params["n"] == "4" and run.data.params["acquisition"] == "ucb"
    assert '"target": "plateau_capacity"' in run.data.params["objectives"]
    assert run.data.metrics["n_picks"] == 4
    names = {a.path for a in MlflowClient(cfg.tracking.uri).list_artifacts(outcome.run_id)}
    assert names == {"batch.csv", "batch.md", "plots"}
    plots = {a.path for a in MlflowClient(cfg.tracking.uri).list_artifacts(outcome.run_id, "plots")}
    assert plots == {"plots/batch.png"} and outcome.template.with_suffix(".png").stat().st_size > 10_000


def test_objective_names_weights_and_ei(store, tmp_path):
    out = tmp_path / "b.csv"
    res = suggest(suggest_cfg(store, "n=3", f"output={out}", "objectives=[ice]", "acquisition=ei"))
    assert len(res.picks) == 3 and "pred_ice" in res.picks and "pred_plateau_capacity" not in res.picks
    assert list(res.champions) == ["ice"]
    res = suggest(suggest_cfg(store, "n=2", f"output={out}", "objectives=[{target:ice,weight:3},plateau_capacity]",
                              "constraints=[{name:low_ssa,expr:'ssa_m2_g <= 30'}]"))
    assert (res.picks["ssa_m2_g"] <= 30).all()


@pytest.mark.parametrize("overrides, message", [
    (["n=0"], r"n=0 is not allowed: expected a batch size"),
    (["n=-2"], r"n=-2 is not allowed"),
    (["objectives=[capacity]"], r"objective on target 'capacity', which has no champion .*python -m train "
                                r"target=capacity"),
    (["constraints=[{name:impossible,expr:'ssa_m2_g > 1000000'}]"], r"constraints leave no candidate .*impossible"),
    (["constraints=[{name:ice_over_200,expr:'pred_ice > 200',target:ice}]"],
     r"rules on predictions leave no candidate .*ice_over_200"),
    (["process.electrolyte=[carbonate]"], r"unknown electrolyte 'carbonate'; allowed: \['ester', 'ether'\]"),
    (["acquisition=thompson"], r"acquisition method='thompson'; allowed"),
])
def test_bad_input_is_a_clear_error_and_writes_nothing(store, tmp_path, overrides, message):
    out = tmp_path / "batch.csv"
    with pytest.raises(ConfigError, match=message):
        checked_run(suggest_cfg(store, f"output={out}", *overrides))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # a fresh interpreter importing the training stack costs ~8 s of CPU
def test_command_line_error_is_one_line_and_exit_2(store, tmp_path):
    out = tmp_path / "batch.csv"
    proc = subprocess.run([sys.executable, "-m", "suggest", "n=0", f"output={out}", *store],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error: n=0 is not allowed")
    assert "Traceback" not in proc.stderr and not out.exists()


def test_too_tight_min_distance_gives_fewer_picks_and_says_so(store, tmp_path):
    res = suggest(suggest_cfg(store, "n=6", f"output={tmp_path / 'b.csv'}", "min_distance=4.0"))
    assert 1 <= len(res.picks) < 6
    assert f"Only {len(res.picks)} of n=6 picks" in res.summary.read_text()
    points = lab_points(res.picks, res.champions)
    d = distances(points, points)
    assert np.all(d[~np.eye(len(d), dtype=bool)] >= 4.0)


LAB_COLUMNS = ["sample_id", "source", "material_class", "precursor", "htt_c", "electrolyte", "current_ma_g",
               "d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"]


def lab_candidates(tmp_path, n_papers=4):
    """A lab's characterized, not yet cycled samples: four literature papers' rows, one series each."""
    lit = pd.read_csv(ROOT / "data" / "literature_583.csv", dtype=str, keep_default_na=False)
    sizes = lit["source"].value_counts()
    papers = sizes[sizes >= 3].index[:n_papers]
    rows = lit[lit["source"].isin(papers)].copy()
    rows["precursor"] = rows["source"].map({p: f"series-{i}" for i, p in enumerate(papers)})
    rows["sample_id"] = [f"LAB-{i + 1:02d}" for i in range(len(rows))]
    rows["source"] = "Our lab notebook (2026)"
    path = tmp_path / "made.csv"
    rows[LAB_COLUMNS].to_csv(path, index=False)
    return path, rows[LAB_COLUMNS].reset_index(drop=True)


def test_candidates_file_picks_the_labs_own_samples_with_the_series_prior(store, tmp_path):
    from nacarbon.suggest.series import dominated

    path, rows = lab_candidates(tmp_path)
    out = tmp_path / "next.csv"
    res = suggest(suggest_cfg(store, "n=3", f"output={out}", f"candidates={path}", "objectives=[ice]"))
    assert len(res.picks) == 3 and set(res.sample_ids) <= set(rows["sample_id"])
    flags = dict(zip(rows["sample_id"], dominated(rows.astype({"htt_c": float, "ssa_m2_g": float}), "precursor",
                                                  {"htt_c": "increasing", "ssa_m2_g": "decreasing"})))
    assert res.picks["series_dominated"].tolist() == [flags[s] for s in res.sample_ids]
    md = res.summary.read_text()
    assert f"of your samples in `{path}`" in md and "Series prior: within a series (`precursor`)" in md
    assert md.count("a sibling in its series beats it") == int(res.picks["series_dominated"].sum())
    template = pd.read_csv(res.template, dtype=str, keep_default_na=False)
    assert template["sample_id"].tolist() == res.sample_ids
    assert (template["source"] == "Our lab notebook (2026)").all() and (template["ice_pct"] == "").all()
    template["ice_pct"] = ["55.5", "56.5", "57.5"]  # (the rows are literature samples: other values, or db add calls them duplicates)
    filled = tmp_path / "filled.csv"
    template.to_csv(filled, index=False)
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("raw", ".*"))
    proc = subprocess.run([sys.executable, "-m", "nacarbon.db", "add", str(filled), "--dry-run", "--data-dir", str(data)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "would add 3 row(s)" in proc.stdout


def test_a_sample_without_structure_data_is_not_ranked_and_the_summary_says_why(store, tmp_path):
    """Issue 22, F2: the uncharacterised sample was ranked second, "exploit"."""
    path, rows = lab_candidates(tmp_path)
    rows.loc[1, ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"]] = ""
    rows.to_csv(path, index=False)
    bare = rows.loc[1, "sample_id"]
    res = suggest(suggest_cfg(store, f"n={len(rows)}", f"output={tmp_path / 'next.csv'}", f"candidates={path}",
                              "objectives=[ice]"))
    assert bare not in res.sample_ids and np.isfinite(res.picks["domain_score"]).all()
    md = res.summary.read_text()
    assert f"- `{bare}`: only 0 of the 5 structure features" in md
    res = suggest(suggest_cfg(store, f"n={len(rows)}", f"output={tmp_path / 'all.csv'}", f"candidates={path}",
                              "objectives=[ice]", "require_in_domain=false"))
    assert bare not in res.sample_ids


def test_candidates_file_errors_name_the_file(store, tmp_path):
    from nacarbon.errors import DataValidationError

    out = tmp_path / "b.csv"
    with pytest.raises(ConfigError, match=r"candidates=.*nope.csv: no such file"):
        suggest(suggest_cfg(store, f"output={out}", f"candidates={tmp_path / 'nope.csv'}"))
    path, rows = lab_candidates(tmp_path)
    rows.drop(columns="precursor").to_csv(path, index=False)
    with pytest.raises(ConfigError, match=r"made.csv: no column 'precursor' naming each sample's series"):
        suggest(suggest_cfg(store, f"output={out}", f"candidates={path}", "objectives=[ice]"))
    bad = rows.copy()
    bad.loc[1, "d002_nm"] = "3.8"
    bad.to_csv(path, index=False)
    with pytest.raises(DataValidationError, match=r"(?s)made.csv.*row 2, field .d002_nm.*Angstrom"):
        suggest(suggest_cfg(store, f"output={out}", f"candidates={path}", "objectives=[ice]"))
    assert not out.exists()


def test_candidates_outside_an_objectives_conditions_are_not_ranked():
    """The rate factor's models saw ester cells only: ether candidates are dropped, all-ether is an error."""
    from nacarbon.commands.suggest import within_conditions

    pool = pd.DataFrame({"electrolyte": ["ester", "ether", "ester"], "htt_c": [1000.0, 1300.0, 1500.0]})
    assert within_conditions(pool, ["ice", "rate"])["htt_c"].tolist() == [1000.0, 1500.0]
    assert len(within_conditions(pool, ["ice", "plateau_capacity"])) == 3
    with pytest.raises(ConfigError, match=r"objective 'rate' was trained on electrolyte ester only"):
        within_conditions(pool[pool["electrolyte"] == "ether"], ["rate"])
