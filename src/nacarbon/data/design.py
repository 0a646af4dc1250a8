"""From a database table to the model's inputs: features, target, groups."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.papers import with_paper_ids
from nacarbon.errors import ConfigError

# The one numeric encoding of a categorical condition, for training, predict, screen and suggest
# alike: derived feature -> (database column, codes). A value outside the codes, or a missing one,
# is NaN: unknown, imputed inside each model's pipeline (per CV fold) like any missing input, never
# silently the 0 category (an electrolyte nobody reported is not thereby an ester). Validated rows
# only hold the listed values or nothing (data.schema.CATEGORIES; material_class is required).
CATEGORY_CODES: dict[str, tuple[str, dict[str, float]]] = {
    "is_soft": (C.MATERIAL_CLASS, {"hard": 0.0, "soft": 1.0}),
    "is_ether": (C.ELECTROLYTE, {"ester": 0.0, "ether": 1.0}),
}


def encode_category(frame: pd.DataFrame, feature: str) -> pd.Series:
    """``feature`` of :data:`CATEGORY_CODES` for every row of ``frame`` (NaN: unknown or absent column)."""
    column, codes = CATEGORY_CODES[feature]
    if column not in frame:
        return pd.Series(np.nan, index=frame.index)
    return frame[column].map(codes).astype(float)


# Columns built from others, so configs can ask for them by name.
DERIVED = {
    **{name: (lambda df, name=name: encode_category(df, name)) for name in CATEGORY_CODES},
    # the paper as a number (stable CRC-32 of paper_id): only for models with a paper random
    # effect, which take it as their group column and never as a tree feature
    "paper_code": lambda df: df[C.PAPER_ID].map(lambda p: float(zlib.crc32(str(p).encode()))),
}
# The database column a user-facing derived feature is computed from (what a user's file must carry).
DERIVED_FROM = {name: column for name, (column, _) in CATEGORY_CODES.items()}


@dataclass(frozen=True)
class Design:
    """Rows usable for one target."""

    X: pd.DataFrame
    y: np.ndarray
    groups: np.ndarray          # paper_id of each row: the CV group
    meta: pd.DataFrame          # sample_id, material_class, dataset, paper_id, source of each row
    n_dropped: int              # rows dropped: target missing or condition filtered out


def add_derived(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Return ``frame`` with any derived columns in ``columns`` computed (a column already there is kept).

    The only place model inputs are derived: training (:func:`make_design`), ``predict``, the
    served model, ``screen`` and ``suggest`` all call it, so one row is encoded one way.
    """
    out = frame.copy()
    for col in columns:
        if col in DERIVED and col not in out:
            out[col] = DERIVED[col](out)
    return out


def make_design(frame: pd.DataFrame, *, features: Sequence[str], target: str,
                filters: Mapping[str, Sequence[str]] | None = None) -> Design:
    """The rows of ``frame`` with a measured target, split into X, y, groups (``paper_id``) and meta.

    ``features`` are database columns or names in ``DERIVED``. Rows missing the target are dropped and
    counted, never imputed; so are rows whose value is not allowed by ``filters`` (e.g.
    ``{"electrolyte": ["ester"]}`` for a target defined for one condition). ConfigError on an absent column.
    """
    if C.PAPER_ID not in frame:
        # a table not loaded through nacarbon.data.io: identify its papers the same way
        frame = with_paper_ids(frame, dataset=None, label="<design table>")
    frame = add_derived(frame, features)
    filters = dict(filters or {})
    unknown = [c for c in [*features, target, *filters] if c not in frame]
    if unknown:
        raise ConfigError(f"columns {unknown} are not in the dataset; it has {sorted(frame.columns)}")
    keep = frame[target].notna()
    for col, allowed in filters.items():
        keep &= frame[col].isin(list(allowed))
    rows = frame.loc[keep].reset_index(drop=True)
    meta_cols = [c for c in (C.SAMPLE_ID, C.MATERIAL_CLASS, C.DATASET, C.PAPER_ID, C.SOURCE) if c in rows]
    return Design(
        X=rows[list(features)].astype(float),
        y=rows[target].to_numpy(dtype=float),
        groups=rows[C.PAPER_ID].to_numpy(dtype=object),
        meta=rows[meta_cols],
        n_dropped=int((~keep).sum()),
    )
