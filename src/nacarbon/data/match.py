"""The material fingerprint: pairs of rows that look like one material reported twice.

Two compilations of a paper share neither source strings nor all derived numbers, so identity rests on
numbers both copy from the paper: HTT as a key; d002, BET SSA and ICE within reading/rounding tolerances.
Dropping duplicates is :mod:`nacarbon.data.dedup`; one paper under two keys, :mod:`nacarbon.data.identity`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from nacarbon.data import columns as C
from nacarbon.errors import ConfigError

DEFAULT_KEY_FIELDS: tuple[str, ...] = (C.HTT_C,)
DEFAULT_NUMERIC_FIELDS: tuple[str, ...] = (C.D002_NM, C.SSA_M2_G, C.ICE_PCT)
# Per-field tolerances: |a - b| <= atol + rtol * max(|a|, |b|). ICE gets 0.5 points because the
# seed prints it as an integer %; d002 gets 2 % because compilations of one paper read the peak
# differently (up to 1.9 % on the seed/literature pairs); SSA gets 1 % but only 0.05 m2/g
# absolute, since carbons of 1-5 m2/g are common and a looser floor pairs unrelated ones.
DEFAULT_RTOL: dict[str, float] = {
    C.D002_NM: 0.02, C.LA_NM: 0.05, C.LC_NM: 0.05, C.ID_IG: 0.05,
    C.SSA_M2_G: 0.01, C.ICE_PCT: 0.0, C.CAPACITY_MAH_G: 0.02,
}
DEFAULT_ATOL: dict[str, float] = {
    C.D002_NM: 0.0005, C.LA_NM: 0.005, C.LC_NM: 0.005, C.ID_IG: 0.005,
    C.SSA_M2_G: 0.05, C.ICE_PCT: 0.5, C.CAPACITY_MAH_G: 0.5,
}
# Within one paper (same ``paper_id``) the two compilations re-digitized the same figures: d002
# read off one XRD pattern differs by up to ~0.05 nm between them (science notes), while HTT,
# SSA and ICE are copied from the text. So a pair of one paper needs equal HTT, SSA within 1 %
# and ICE within 0.6 points, and d002 only within 0.05 nm.
SAME_PAPER_RTOL: dict[str, float] = {**DEFAULT_RTOL, C.D002_NM: 0.0}
SAME_PAPER_ATOL: dict[str, float] = {**DEFAULT_ATOL, C.D002_NM: 0.05, C.ICE_PCT: 0.6}
# Across two compilations of one paper a low SSA was re-read too (T1-20 and L-0462, one
# cherry-petal carbon: 2.00 vs 1.86 m2/g), so there SSA gets 0.5 m2/g absolute. Not within one
# compilation: there a 0.5 m2/g floor pairs distinct samples of one series (L-0023/L-0024).
CROSS_COMPILATION_ATOL: dict[str, float] = {**SAME_PAPER_ATOL, C.SSA_M2_G: 0.5}
FALLBACK_RTOL = 0.02  # for fields missing from a tolerance mapping
DEFAULT_MIN_FIELDS = 3

PAIR_COLUMNS = ["index_a", "index_b", "sample_id_a", "sample_id_b", "dataset_a", "dataset_b",
                "cross_dataset", "same_source", "n_compared", "fields_compared", "max_rel_diff"]


def _per_field(value: float | Mapping[str, float], fields: Sequence[str], fallback: float,
               name: str) -> np.ndarray:
    """Broadcast a scalar or per-field mapping of tolerances to one value per field."""
    if isinstance(value, Mapping):
        out = np.array([float(value.get(f, fallback)) for f in fields])
    else:
        out = np.full(len(fields), float(value))
    if np.any(out < 0) or np.any(~np.isfinite(out)):
        raise ConfigError(f"{name} must be finite and >= 0, got {value!r}")
    return out


def _column(df: pd.DataFrame, name: str, default: object) -> pd.Series:
    return df[name] if name in df.columns else pd.Series(default, index=df.index, dtype="object")


def find_duplicates(
    df: pd.DataFrame,
    *,
    key_fields: Sequence[str] = DEFAULT_KEY_FIELDS,
    numeric_fields: Sequence[str] = DEFAULT_NUMERIC_FIELDS,
    rtol: float | Mapping[str, float] = DEFAULT_RTOL,
    atol: float | Mapping[str, float] = DEFAULT_ATOL,
    min_fields: int = DEFAULT_MIN_FIELDS,
    same_paper: bool = False,
) -> pd.DataFrame:
    """Pairs of rows that look like the same material reported twice, one row per pair (a before b).

    Rows must be equal on ``key_fields`` (a row missing one is never paired) and, on at least ``min_fields``
    of ``numeric_fields`` that both have, agree within ``|a - b| <= atol + rtol * max(|a|, |b|)`` (mappings
    fall back to rtol 0.02, atol 0); missing values neither match nor mismatch. ``same_paper`` pairs only
    rows of one ``paper_id``. Columns ``PAIR_COLUMNS``: whether datasets differ, whether ``source`` strings
    are equal (case and whitespace aside), the fields compared (';'-joined), the largest relative difference.
    La, Lc and ID/IG are out by default: compilations derive them with different Scherrer constants and
    peak-ratio conventions (the seed's La for the reed-straw series is half the literature set's), and
    capacity depends on the current. ConfigError on a field that is not a column, no numeric field, or
    ``min_fields`` < 1.
    """
    key_fields, numeric_fields = list(key_fields), list(numeric_fields)
    if same_paper:
        key_fields = [*key_fields, C.PAPER_ID]
    missing = [f for f in key_fields + numeric_fields if f not in df.columns]
    if missing:
        raise ConfigError(f"find_duplicates: no column(s) {missing} in the table")
    if not numeric_fields:
        raise ConfigError("find_duplicates: numeric_fields is empty")
    if min_fields < 1:
        raise ConfigError(f"find_duplicates: min_fields must be >= 1, got {min_fields}")
    rt = _per_field(rtol, numeric_fields, FALLBACK_RTOL, "rtol")
    at = _per_field(atol, numeric_fields, 0.0, "atol")

    keys = df[key_fields].reset_index(drop=True).assign(_pos=np.arange(len(df)))
    keys = keys.dropna(subset=key_fields)
    cand = keys.merge(keys, on=key_fields, suffixes=("_a", "_b"))
    cand = cand[cand["_pos_a"] < cand["_pos_b"]]
    ia, ib = cand["_pos_a"].to_numpy(), cand["_pos_b"].to_numpy()

    values = df[numeric_fields].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    a, b = values[ia], values[ib]
    both = ~np.isnan(a) & ~np.isnan(b)
    diff = np.abs(a - b)
    scale = np.maximum(np.abs(a), np.abs(b))
    agree = diff <= at + rt * scale
    hit = (both.sum(axis=1) >= min_fields) & np.all(agree | ~both, axis=1)

    sel = np.flatnonzero(hit)
    sel = sel[np.lexsort((ib[sel], ia[sel]))]  # report pairs in table order
    ia, ib, both, diff, scale = ia[sel], ib[sel], both[sel], diff[sel], scale[sel]
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(both & (scale > 0), diff / scale, 0.0)
    sample_id = _column(df, C.SAMPLE_ID, np.nan).to_numpy(dtype=object)
    dataset = _column(df, C.DATASET, np.nan).to_numpy(dtype=object)
    dataset_key = np.where(pd.isna(dataset), "", dataset)  # so two unlabelled rows count as one dataset
    source = _column(df, C.SOURCE, np.nan).map(
        lambda s: " ".join(s.split()).casefold() if isinstance(s, str) else np.nan).to_numpy(dtype=object)
    pairs = pd.DataFrame({
        "index_a": df.index[ia], "index_b": df.index[ib],
        "sample_id_a": sample_id[ia], "sample_id_b": sample_id[ib],
        "dataset_a": dataset[ia], "dataset_b": dataset[ib],
        "cross_dataset": dataset_key[ia] != dataset_key[ib],
        "same_source": pd.notna(source[ia]) & (source[ia] == source[ib]),
        "n_compared": both.sum(axis=1).astype(int),
        "fields_compared": [";".join(np.asarray(numeric_fields)[m]) for m in both],
        "max_rel_diff": rel.max(axis=1) if len(rel) else np.zeros(0),
    }, columns=PAIR_COLUMNS)
    return pairs
