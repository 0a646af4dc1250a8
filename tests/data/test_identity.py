"""One paper, one key: the paper fingerprint, its recorded decisions and the title repairs on the shipped data."""

from __future__ import annotations

import pandas as pd
import pytest

from nacarbon.data.identity import candidate_pairs, judge, judged_pairs, load_decisions, near_titles, undecided
from nacarbon.data.io import read_table
from nacarbon.data.prepare import prepare_table
from nacarbon.paths import project_root

ROOT = project_root()
FILES = [("liu2022_tables.csv", "seed"), ("literature_583.csv", "literature"), ("contributed.csv", "contributed")]


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    """Every shipped row with its paper_id, before deduplication (which would hide duplicates)."""
    parts = [prepare_table(read_table(ROOT / "data" / f, dataset=d), dataset=d, label=f) for f, d in FILES]
    return pd.concat(parts, ignore_index=True)


def test_no_paper_sits_under_two_keys_by_the_fingerprint(shipped):
    # every candidate the fingerprint finds is a recorded, still-valid rejection
    assert undecided(shipped).empty, undecided(shipped)[["sample_a", "sample_b", "decision", "evidence"]]


def test_no_two_titles_are_one_title_misspelt(shipped):
    assert near_titles(shipped.loc[shipped["dataset"] != "seed", "source"]) == []


def test_recorded_links_share_one_key_and_rejections_are_candidates(shipped):
    decisions = load_decisions()
    key = dict(zip(shipped["sample_id"], shipped["paper_id"]))
    links = decisions[decisions["decision"] == "link"]
    assert {("T1-20", "L-0462"), ("L-0079", "L-0084")} <= set(zip(links["sample_a"], links["sample_b"]))
    assert all(key[a] == key[b] for a, b in zip(links["sample_a"], links["sample_b"]))
    judged = judged_pairs(shipped)
    rejects = decisions[decisions["decision"] == "reject"]
    assert set(zip(rejects["sample_a"], rejects["sample_b"])) == set(zip(judged["sample_a"], judged["sample_b"]))
    assert (decisions["evidence"].str.len() > 20).all()


def _pair(**changes) -> pd.Series:
    """A seed citation and a literature title agreeing like T1-20 and L-0462."""
    a = {"sample_id": "S-1", "dataset": "seed", "source": "A. B., J. Mater. Chem. A, 2018, 6, 1513.",
         "paper_id": "cite:j mater chem a 2018 6 1513", "htt_c": 1000.0, "ssa_m2_g": 2.00, "ice_pct": 67.0,
         "id_ig": 1.02, "d002_nm": 0.404, "electrolyte": "ester", "material_name": None}
    b = {**a, "sample_id": "L-1", "dataset": "literature", "source": "Expanded biomass hard carbon",
         "paper_id": "title:expanded biomass hard carbon", "ssa_m2_g": 1.86, "ice_pct": 67.3, "d002_nm": 0.440,
         "material_name": "CP"}
    b.update(changes)
    return candidate_pairs(pd.DataFrame([a, b])).iloc[0]


def test_re_digitized_low_ssa_is_a_candidate_and_id_ig_links_it():
    decision, evidence = judge(_pair())
    assert decision == "link" and "ID/IG corroborates" in evidence


@pytest.mark.parametrize(("changes", "why"), [
    ({"electrolyte": "ether"}, "electrolytes differ"),
    ({"d002_nm": 0.47}, "d002 differs"),
    ({"id_ig": 2.13}, "neither ID/IG nor material name"),
])
def test_missing_or_contrary_evidence_rejects(changes, why):
    decision, evidence = judge(_pair(**changes))
    assert decision == "reject" and why in evidence


def test_two_distinct_titles_overrule_agreeing_numbers():
    pair = _pair().copy()
    pair["dataset_a"], pair["source_a"], pair["paper_id_a"] = "literature", "Another paper entirely", "title:x"
    decision, evidence = judge(pair)
    assert decision == "reject" and "two distinct titles" in evidence and "ID/IG corroborates" in evidence


def test_ssa_beyond_the_absolute_floor_is_no_candidate():
    frame = pd.DataFrame([{"sample_id": "a", "paper_id": "p", "htt_c": 1000.0, "ssa_m2_g": 2.0, "ice_pct": 67.0},
                          {"sample_id": "b", "paper_id": "q", "htt_c": 1000.0, "ssa_m2_g": 2.6, "ice_pct": 67.0},
                          {"sample_id": "c", "paper_id": "q", "htt_c": 1000.0, "ssa_m2_g": 100.0, "ice_pct": 67.0},
                          {"sample_id": "d", "paper_id": "r", "htt_c": 1000.0, "ssa_m2_g": 100.9, "ice_pct": 67.0}])
    assert list(zip(candidate_pairs(frame)["sample_id_a"], candidate_pairs(frame)["sample_id_b"])) == [("c", "d")]


def test_near_titles_finds_spreadsheet_residue_not_similar_papers():
    tail = " regulation of resin-based hard carbons via esterification cross-linking for high-performance sodium-ion batteries"
    titles = pd.Series([
        "Microstructure" + tail, "Micros+B302:B310tructure" + tail,
        "Cellulose as a novel precursor to construct high-performance hard carbon anode toward enhanced sodium-ion batteries",
        "Epoxy phenol novolac resin: A novel precursor to construct high performance hard carbon anode toward enhanced "
        "sodium-ion batteries", None])
    found = near_titles(titles)
    assert [(a[:6], b[:6]) for a, b, _ in found] == [("Micros", "Micros")] and found[0][2] >= 0.95
