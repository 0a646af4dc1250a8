"""The batch summary: the diversity figure and the candidates the domain left out, with the reason."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nacarbon.suggest.acquisition import Objective
from nacarbon.suggest.report import diversity_sentence, outside_domain, summary_markdown

LAB = ["htt_c", "ssa_m2_g", "d002_nm"]
FAR = "farther from the data than 95% of a new paper's samples"
BARE = "only 0 of the 5 structure features (d002_nm, la_nm, lc_nm, id_ig, ssa_m2_g) given; at least 3 are needed"


def picks_frame() -> pd.DataFrame:
    picks = pd.DataFrame({"htt_c": [1500, 1500, 1300], "ssa_m2_g": [2.0, 2.0, 2.0], "d002_nm": [0.41, 0.41, 0.41],
                          "la_nm": [3.0, 3.5, 3.0], "nearest_pick_distance": [0.0, 0.0, 0.9]})
    for col, v in {"pred_ice": 85.0, "lo_ice": 80.0, "hi_ice": 90.0, "acquisition": 1.0, "exploit": 1.0,
                   "explore": 0.0, "domain_score": 0.5, "nearest_distance": 1.0}.items():
        picks[col] = v
    return picks.assign(mode="exploit", nearest_known="L-0001 (p) d=1.00", rank=[1, 2, 3])


def test_diversity_counts_distinct_lab_settings_and_the_closest_pair():
    text = diversity_sentence(picks_frame(), LAB, 0.07)
    assert text.startswith("Diversity: 2 distinct (htt_c, ssa_m2_g, d002_nm) settings among the 3 picks")
    assert "the two closest picks are 0 apart" in text and "min_distance 0.07" in text
    one = diversity_sentence(picks_frame().iloc[:1], LAB, 0.07)
    assert one == "Diversity: 1 distinct (htt_c, ssa_m2_g, d002_nm) settings among the 1 picks."


def test_a_labs_candidates_left_out_are_named_with_the_reason():
    pool = pd.DataFrame({"sample_id": ["M1", "M2", "M3"]})
    frame = pd.DataFrame({"domain_score": [0.4, 1.7, np.inf], "domain_note": ["", f"{FAR} (domain score 1.70 > 1)", BARE]})
    lines = outside_domain(pool, frame, require_in_domain=True)
    assert lines[0] == "## Not picked: 2 candidate(s) outside the applicability domain"
    assert f"- `M3`: {BARE}" in lines and any(line.startswith("- `M2`: farther") for line in lines)
    # not enforcing the domain still leaves out the sample that cannot be placed at all
    assert [line for line in outside_domain(pool, frame, require_in_domain=False) if line.startswith("- ")] == \
        [f"- `M3`: {BARE}"]
    assert outside_domain(pool, frame.assign(domain_score=0.5), require_in_domain=True) == []


def test_grid_candidates_left_out_are_counted_per_reason():
    frame = pd.DataFrame({"domain_score": [1.2, 1.5, 0.3],
                          "domain_note": [f"{FAR} (domain score 1.20 > 1)", f"{FAR} (domain score 1.50 > 1)", ""]})
    lines = outside_domain(pd.DataFrame(index=range(3)), frame, require_in_domain=True)
    assert f"- 2: {FAR}" in lines


def test_summary_carries_the_diversity_line_and_the_left_out_section():
    picks = picks_frame()
    md = summary_markdown(picks, ["S1", "S2", "S3"], [Objective("ice")], header=["# Batch", ""],
                          diversity=(LAB, 0.07), outside=["## Not picked: 1 candidate(s)", "", "- `M3`: why", ""])
    assert md.index("Diversity: 2 distinct") < md.index("| rank |") < md.index("## Not picked")
    assert "- `M3`: why" in md
