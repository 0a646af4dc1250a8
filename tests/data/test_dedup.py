"""Tests for duplicate detection and the seed/literature merge (nacarbon.data.dedup)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nacarbon.data.dedup import PAIR_COLUMNS, find_duplicates, merge_datasets, resolve_duplicates
from nacarbon.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
LITERATURE = REPO / "data" / "literature_583.csv"

BASE = {"htt_c": 1300.0, "d002_nm": 0.380, "ssa_m2_g": 100.0, "ice_pct": 80.0, "la_nm": 3.0}


def _row(sample_id: str, dataset: str = "literature", source: str = "Paper A", **changes) -> dict:
    return {"sample_id": sample_id, "dataset": dataset, "source": source, **BASE, **changes}


def _frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def test_exact_duplicate_within_source():
    pairs = find_duplicates(_frame(_row("L-1"), _row("L-2"), _row("L-3", ssa_m2_g=500.0)))
    assert list(pairs.columns) == PAIR_COLUMNS
    assert len(pairs) == 1
    p = pairs.iloc[0]
    assert (p.sample_id_a, p.sample_id_b, p.index_a, p.index_b) == ("L-1", "L-2", 0, 1)
    assert p.n_compared == 3 and p.fields_compared == "d002_nm;ssa_m2_g;ice_pct"
    assert p.max_rel_diff == 0.0 and p.same_source and not p.cross_dataset


@pytest.mark.parametrize(("field", "value", "is_duplicate"), [
    ("d002_nm", 0.380 * 1.015, True),    # d002 tolerance: 0.0005 nm + 2 %
    ("d002_nm", 0.380 * 1.025, False),
    ("ssa_m2_g", 100.9, True),           # SSA: 0.05 m2/g + 1 %
    ("ssa_m2_g", 101.2, False),
    ("ice_pct", 80.45, True),            # ICE: 0.5 percentage points (rounding to integers)
    ("ice_pct", 80.6, False),
    ("la_nm", 6.0, True),                # not compared by default: La conventions differ
])
def test_tolerance_edges(field, value, is_duplicate):
    pairs = find_duplicates(_frame(_row("S-1", "seed", "Ref 1"), _row("L-1", source="Title", **{field: value})))
    assert (len(pairs) == 1) == is_duplicate
    if is_duplicate:
        assert pairs["cross_dataset"].iloc[0] and not pairs["same_source"].iloc[0]


def test_max_rel_diff_is_largest_field_difference():
    pairs = find_duplicates(_frame(_row("a"), _row("b", ssa_m2_g=100.5, d002_nm=0.384)))
    assert pairs["max_rel_diff"].iloc[0] == pytest.approx(0.004 / 0.384)


def test_different_key_is_never_a_duplicate():
    assert find_duplicates(_frame(_row("a"), _row("b", htt_c=1400.0))).empty


def test_missing_values_neither_match_nor_mismatch():
    df = _frame(_row("a"), _row("b", ssa_m2_g=np.nan, ice_pct=81.0), _row("c", ssa_m2_g=np.nan))
    # a-b: ICE differs, so not a pair even with SSA missing; a-c and b-c compare only 2 fields
    assert find_duplicates(df).empty
    pairs = find_duplicates(df, min_fields=2)
    assert list(zip(pairs.sample_id_a, pairs.sample_id_b)) == [("a", "c")]
    assert pairs["fields_compared"].iloc[0] == "d002_nm;ice_pct" and pairs["n_compared"].iloc[0] == 2


def test_missing_key_is_never_paired():
    assert find_duplicates(_frame(_row("a", htt_c=np.nan), _row("b", htt_c=np.nan))).empty


def test_custom_fields_and_scalar_tolerances():
    df = _frame(_row("a", material_class="hard"), _row("b", material_class="soft"),
                _row("c", material_class="hard", la_nm=3.1))
    pairs = find_duplicates(df, key_fields=["htt_c", "material_class"],
                            numeric_fields=["d002_nm", "la_nm"], rtol=0.05, atol=0.0, min_fields=2)
    assert list(zip(pairs.sample_id_a, pairs.sample_id_b)) == [("a", "c")]
    strict = find_duplicates(df, key_fields=["htt_c", "material_class"],
                             numeric_fields=["d002_nm", "la_nm"], rtol=0.01, atol=0.0, min_fields=2)
    assert strict.empty


def test_pairs_across_sources_within_one_dataset():
    pairs = find_duplicates(_frame(_row("a", source="Title one"), _row("b", source=" title  ONE"),
                                   _row("c", source="Title two")))
    flags = {(r.sample_id_a, r.sample_id_b): r.same_source for r in pairs.itertuples()}
    assert flags == {("a", "b"): True, ("a", "c"): False, ("b", "c"): False}
    assert not pairs["cross_dataset"].any()


@pytest.mark.parametrize("kwargs", [
    {"numeric_fields": ["no_such_column"]}, {"key_fields": ["no_such_key"]},
    {"numeric_fields": []}, {"min_fields": 0}, {"rtol": -0.1},
])
def test_bad_configuration_raises(kwargs):
    with pytest.raises(ConfigError):
        find_duplicates(_frame(_row("a"), _row("b")), **kwargs)


def test_resolve_prefers_seed_even_when_literature_comes_first():
    df = _frame(_row("L-1"), _row("S-1", "seed", "Ref"), _row("L-2"))
    kept, dropped = resolve_duplicates(df, find_duplicates(df))
    assert list(kept["sample_id"]) == ["S-1"]
    assert list(dropped["sample_id"]) == ["L-1", "L-2"]
    assert set(dropped["duplicate_of"]) == {"S-1"} and set(dropped["duplicate_of_dataset"]) == {"seed"}
    assert dropped["reason"].str.startswith("cross-dataset duplicate of S-1").all()


def test_resolve_within_dataset_keeps_first_and_rule_first_ignores_dataset():
    df = _frame(_row("L-1"), _row("S-1", "seed", "Ref"))
    kept, dropped = resolve_duplicates(df, find_duplicates(df), rule="first")
    assert list(kept["sample_id"]) == ["L-1"] and list(dropped["sample_id"]) == ["S-1"]
    df = _frame(_row("L-1"), _row("L-2"), _row("L-3", ssa_m2_g=300.0))
    kept, dropped = resolve_duplicates(df, find_duplicates(df))
    assert list(kept["sample_id"]) == ["L-1", "L-3"]
    assert dropped["reason"].iloc[0].startswith("within-source duplicate of L-1")


def test_resolve_chain_drops_only_the_middle_row():
    # a~b and b~c agree within tolerance, a and c do not: b goes, both ends stay
    df = _frame(_row("a", ssa_m2_g=100.0), _row("b", ssa_m2_g=100.9), _row("c", ssa_m2_g=101.8))
    pairs = find_duplicates(df)
    assert len(pairs) == 2
    kept, dropped = resolve_duplicates(df, pairs)
    assert list(kept["sample_id"]) == ["a", "c"] and list(dropped["sample_id"]) == ["b"]


def test_resolve_rejects_unknown_rule_and_foreign_pairs():
    df = _frame(_row("a"), _row("b"))
    pairs = find_duplicates(df)
    with pytest.raises(ConfigError, match="unknown rule"):
        resolve_duplicates(df, pairs, rule="newest")
    with pytest.raises(ConfigError, match="not in the table"):
        resolve_duplicates(df.iloc[:1], pairs)


def test_merge_row_accounting_and_column_union():
    seed = pd.DataFrame([
        {"sample_id": "T1-01", "source": "Ref 1", "precursor": "Peat", **BASE},
        {"sample_id": "T1-02", "source": "Ref 2", "precursor": "Sucrose", **BASE, "htt_c": 1100.0},
        {"sample_id": "T2-01", "source": "Ref 3", "precursor": "Pitch", **BASE, "htt_c": 800.0},
    ])
    lit = _frame(_row("L-0001", material_name="HC-1300"),                          # dup of T1-01
                 _row("L-0002", material_name="X", ice_pct=60.0),                  # unique
                 _row("L-0003", source="Other", material_name="Y", ice_pct=60.2),  # dup of L-0002
                 _row("L-0004", material_name="Z", htt_c=1500.0))                 # unique
    merged, report = merge_datasets(seed, lit)
    assert len(merged) + len(report) == len(seed) + len(lit)
    assert list(merged["sample_id"]) == ["T1-01", "T1-02", "T2-01", "L-0002", "L-0004"]
    assert list(merged["dataset"]) == ["seed"] * 3 + ["literature"] * 2
    assert {"precursor", "material_name"} <= set(merged.columns)
    assert merged.loc[merged["dataset"] == "seed", "material_name"].isna().all()
    assert isinstance(merged.index, pd.RangeIndex)
    assert dict(zip(report["sample_id"], report["duplicate_of"])) == {"L-0001": "T1-01", "L-0003": "L-0002"}


def test_real_literature_cross_source_duplicates():
    lit = pd.read_csv(LITERATURE)
    pairs = find_duplicates(lit)
    # the same "LC" control in two papers of one group; two 1600 degC carbons in two papers
    assert list(zip(pairs.sample_id_a, pairs.sample_id_b)) == [("L-0095", "L-0206"), ("L-0122", "L-0287")]
    merged, report = merge_datasets(lit.iloc[:0], lit)
    assert len(merged) == 581 and list(report["sample_id"]) == ["L-0206", "L-0287"]
