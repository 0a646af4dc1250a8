"""Where candidates live: the space a lab controls, and distances in it.

The candidate pool is the screening grid (structure) crossed with the process settings a lab
chooses (heat-treatment temperature, electrolyte, test current), filtered by the physical rules
of :mod:`nacarbon.screening.constraints`. Distances between materials are Euclidean in a
standardized space where skewed positive quantities (BET SSA spans 0.1-1,300 m²/g, La, Lc, the
current) are log-scaled first, so that "close" means close in the way the models see it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.schema import CATEGORIES
from nacarbon.errors import ConfigError
from nacarbon.screening.constraints import apply_constraints
from nacarbon.screening.grid import grid_chunk, grid_size, grid_values

ELECTROLYTES = tuple(sorted(CATEGORIES[C.ELECTROLYTE]))
LOG_COLUMNS = (C.LA_NM, C.LC_NM, C.SSA_M2_G, C.CURRENT_MA_G)
# 0/1 encodings of categorical columns, so they can enter distances and models as numbers
ENCODED = {C.ELECTROLYTE: {"ester": 0.0, "ether": 1.0}}


def check_electrolytes(values: Sequence[str]) -> list[str]:
    """Return the electrolytes as a list, or raise ConfigError naming an unknown one."""
    values = [str(v) for v in values]
    if not values:
        raise ConfigError(f"process.electrolyte is empty; allowed: {list(ELECTROLYTES)}")
    for v in values:
        if v not in ELECTROLYTES:
            raise ConfigError(f"process.electrolyte: unknown electrolyte {v!r}; allowed: {list(ELECTROLYTES)}")
    return values


def candidate_pool(grid: Mapping[str, Mapping[str, Any]], process: Mapping[str, Sequence[Any]] | None = None,
                   rules: Sequence[Mapping] = (), *, max_size: int = 2_000_000) -> pd.DataFrame:
    """Every combination of grid structures and process settings that passes the rules.

    Parameters
    ----------
    grid : mapping
        A screening grid spec (:mod:`nacarbon.screening.grid`), e.g. ``conf/screen/grid.yaml``'s.
    process : mapping, optional
        Process column -> list of values, e.g. ``{"htt_c": [1000, 1300], "electrolyte": ["ester"],
        "current_ma_g": [30]}``; crossed with the grid.
    rules : sequence of mapping
        Physical rules ``{name, expr}`` on the pool's columns.
    max_size : int
        Refuse a pool larger than this before building it.

    Returns
    -------
    pandas.DataFrame
        ``candidate_id`` plus one column per grid feature and process setting.

    Raises
    ------
    ConfigError
        On a bad grid or process value, an unknown electrolyte, an oversized pool, or rules that
        leave no candidate (the message lists how many each rule removed).
    """
    process = dict(process or {})
    axes = grid_values(grid)
    size = grid_size(grid)
    for key, vals in process.items():
        if isinstance(vals, (str, bytes)) or not hasattr(vals, "__len__") or len(vals) == 0:
            raise ConfigError(f"process.{key} must be a non-empty list, got {vals!r}")
        size *= len(vals)
    if size > max_size:
        raise ConfigError(f"candidate pool of {size:,} rows exceeds max_size={max_size:,}; coarsen the grid")
    if C.ELECTROLYTE in process:
        process[C.ELECTROLYTE] = check_electrolytes(process[C.ELECTROLYTE])
    pool = grid_chunk(axes, 0, grid_size(grid))
    for key, vals in process.items():
        pool = pool.merge(pd.DataFrame({key: list(vals)}), how="cross")
    pool["candidate_id"] = np.arange(len(pool), dtype=np.int64)
    if rules:
        result = apply_constraints(pool, rules)
        if not result.mask.any():
            raise ConfigError(f"the constraints leave no candidate of {len(pool):,}; "
                              f"rows removed per rule: {result.failures}")
        pool = pool.loc[result.mask].reset_index(drop=True)
    return pool


def numeric_view(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The columns as floats, categorical ones through :data:`ENCODED`, absent ones as NaN."""
    out = np.full((len(frame), len(columns)), np.nan)
    for j, col in enumerate(columns):
        if col not in frame:
            continue
        values = frame[col]
        if col in ENCODED:
            values = values.map(ENCODED[col])
        out[:, j] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return out


class DistanceSpace:
    """A log-scaled, standardized space for distances between materials.

    Parameters
    ----------
    columns : sequence of str
        Columns that define a material (structure and process).
    log_columns : sequence of str
        Columns taken as ``log10`` before standardizing (positive, skewed quantities).

    Notes
    -----
    Missing values are common in the literature (La is missing in half the rows). A distance
    uses the dimensions both rows have, rescaled by ``sqrt(d / d_shared)``; two rows sharing no
    dimension are infinitely far apart.
    """

    def __init__(self, columns: Sequence[str], log_columns: Sequence[str] = LOG_COLUMNS):
        self.columns = list(columns)
        self.log_columns = [c for c in log_columns if c in self.columns]

    def _raw(self, frame: pd.DataFrame) -> np.ndarray:
        X = numeric_view(frame, self.columns)
        for col in self.log_columns:
            j = self.columns.index(col)
            with np.errstate(divide="ignore", invalid="ignore"):
                X[:, j] = np.where(X[:, j] > 0, np.log10(X[:, j]), np.nan)
        return X

    def fit(self, frame: pd.DataFrame) -> DistanceSpace:
        """Learn each column's centre and scale from ``frame`` (the known materials)."""
        X = self._raw(frame)
        with warnings.catch_warnings():  # a column the known rows never carry is centred at 0, scale 1
            warnings.simplefilter("ignore", RuntimeWarning)
            self.center_ = np.nan_to_num(np.nanmean(X, axis=0))
            scale = np.nanstd(X, axis=0)
        self.scale_ = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows of ``frame`` in the standardized space (NaN where a value is missing)."""
        return (self._raw(frame) - self.center_) / self.scale_


def pairwise_distance(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """NaN-aware Euclidean distances between the rows of ``A`` (n, d) and ``B`` (m, d).

    A dimension missing in either row is skipped and the sum rescaled by ``d / d_shared``
    (scikit-learn's ``nan_euclidean_distances``, as the applicability domain uses); two rows
    sharing no dimension are infinitely far apart.
    """
    from sklearn.metrics.pairwise import nan_euclidean_distances

    dist = nan_euclidean_distances(np.atleast_2d(A), np.atleast_2d(B))
    return np.where(np.isnan(dist), np.inf, dist)
