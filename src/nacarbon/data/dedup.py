"""Find and drop rows that report the same material twice, within or across databases.

The fingerprint itself (which rows look like one material) is :mod:`nacarbon.data.match`;
this module decides which of two duplicates stays and merges the databases.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.match import (  # noqa: F401  (re-exported: the public names of deduplication)
    DEFAULT_ATOL, DEFAULT_KEY_FIELDS, DEFAULT_MIN_FIELDS, DEFAULT_NUMERIC_FIELDS, DEFAULT_RTOL,
    CROSS_COMPILATION_ATOL, PAIR_COLUMNS, SAME_PAPER_ATOL, SAME_PAPER_RTOL, _column, find_duplicates,
)
from nacarbon.errors import ConfigError

DEFAULT_PRIORITY: tuple[str, ...] = ("seed", "contributed", "literature")
DEFAULT_NAMES: tuple[str, ...] = ("seed", "literature", "contributed")  # shipped row order
RULES = ("dataset_priority", "first")


def _scope(pair: pd.Series) -> str:
    if pair["cross_dataset"]:
        return "cross-dataset"
    return "within-source" if pair["same_source"] else "cross-source"


def _rank(df: pd.DataFrame, rule: str, priority: Sequence[str]) -> np.ndarray:
    """Rank of each row (0 = kept first): dataset priority then table order, or table order."""
    position = np.arange(len(df))
    if rule == "first":
        return position
    order = {name: i for i, name in enumerate(priority)}
    level = _column(df, C.DATASET, np.nan).map(lambda d: order.get(d, len(order))).to_numpy()
    return np.lexsort((position, level)).argsort()


def resolve_duplicates(
    df: pd.DataFrame,
    pairs: pd.DataFrame,
    rule: str = "dataset_priority",
    *,
    priority: Sequence[str] = DEFAULT_PRIORITY,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``df`` (unique index) into the rows kept and those dropped as duplicates per ``pairs``.

    ``dataset_priority`` keeps the row whose ``dataset`` comes first in ``priority`` (unlisted last), then
    the earlier row; ``first`` keeps the earlier row. ``dropped`` adds ``duplicate_of`` (the kept partner's
    id), ``duplicate_of_dataset``, ``max_rel_diff`` and ``reason``. Rows are visited best rank first and
    dropped only for a partner that is kept, so in a chain a~b~c (a, c differ) b goes and a and c stay.
    ConfigError on an unknown rule, a non-unique index or pairs naming rows not in ``df``.
    """
    if rule not in RULES:
        raise ConfigError(f"resolve_duplicates: unknown rule {rule!r}; known: {list(RULES)}")
    if not df.index.is_unique:
        raise ConfigError("resolve_duplicates: the table's index must be unique")
    pa = df.index.get_indexer(pairs["index_a"])
    pb = df.index.get_indexer(pairs["index_b"])
    if np.any(pa < 0) or np.any(pb < 0):
        raise ConfigError("resolve_duplicates: pairs name rows that are not in the table")
    rank = _rank(df, rule, priority)

    partners: dict[int, list[tuple[int, int]]] = {}
    for k, (x, y) in enumerate(zip(pa, pb)):
        partners.setdefault(x, []).append((y, k))
        partners.setdefault(y, []).append((x, k))
    kept_set: set[int] = set()
    drop_by: dict[int, tuple[int, int]] = {}
    for row in sorted(partners, key=lambda r: rank[r]):
        better = [(rank[p], p, k) for p, k in partners[row] if rank[p] < rank[row] and p in kept_set]
        if better:
            _, partner, k = min(better)
            drop_by[row] = (partner, k)
        else:
            kept_set.add(row)

    drop_pos = np.array(sorted(drop_by), dtype=int)
    keep_mask = np.ones(len(df), dtype=bool)
    keep_mask[drop_pos] = False
    dropped = df.iloc[drop_pos].copy()
    sample_id = _column(df, C.SAMPLE_ID, np.nan).to_numpy(dtype=object)
    dataset = _column(df, C.DATASET, np.nan).to_numpy(dtype=object)
    partner = np.array([drop_by[r][0] for r in drop_pos], dtype=int)
    pair_k = np.array([drop_by[r][1] for r in drop_pos], dtype=int)
    dropped["duplicate_of"] = sample_id[partner]
    dropped["duplicate_of_dataset"] = dataset[partner]
    dropped["max_rel_diff"] = pairs["max_rel_diff"].to_numpy()[pair_k]
    dropped["reason"] = [
        f"{_scope(pairs.iloc[k])} duplicate of {sample_id[p]} ({dataset[p]}): "
        f"{pairs['fields_compared'].iloc[k]} agree (max rel. diff {pairs['max_rel_diff'].iloc[k]:.3f}); "
        f"rule {rule} keeps {sample_id[p]}"
        for p, k in zip(partner, pair_k)
    ]
    return df[keep_mask], dropped


def merge_datasets(
    *tables: pd.DataFrame,
    names: Sequence[str] | None = None,
    priority: Sequence[str] = DEFAULT_PRIORITY,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Concatenate database tables (in the result's row order) and drop duplicate materials.

    ``names`` gives each table's dataset where its ``dataset`` cell is empty (default: the shipped order
    seed, literature, contributed, cut to the number of tables). ``report`` holds the dropped rows as
    :func:`resolve_duplicates` gives them; ``len(merged) + len(report)`` is the input's length. Pairs are
    :func:`find_duplicates`' defaults plus, with ``paper_id``, pairs of one paper within ``SAME_PAPER_ATOL``
    (``CROSS_COMPILATION_ATOL`` across datasets). The seed wins every pair (it is the reference the project
    reproduces); contributed rows come next (``db add`` rejects duplicates, so a clash means a table was
    edited later, and the row a person typed from the paper beats the bulk conversion); then the earlier row.
    """
    if not tables:
        raise ConfigError("merge_datasets: no table given")
    if names is None:
        if len(tables) > len(DEFAULT_NAMES):
            raise ConfigError(f"merge_datasets: {len(tables)} tables need names=")
        names = DEFAULT_NAMES[:len(tables)]
    if len(names) != len(tables):
        raise ConfigError(f"merge_datasets: {len(names)} names for {len(tables)} tables")
    labelled = []
    for frame, name in zip(tables, names):
        frame = frame.copy()
        frame[C.DATASET] = _column(frame, C.DATASET, name).fillna(name)
        labelled.append(frame)
    combined = pd.concat(labelled, ignore_index=True, sort=False)
    pairs = find_duplicates(combined)
    if C.PAPER_ID in combined:
        # the same paper in two compilations: looser on re-digitized d002 (SAME_PAPER_ATOL)
        loose = find_duplicates(combined, rtol=SAME_PAPER_RTOL, atol=SAME_PAPER_ATOL, same_paper=True)
        across = find_duplicates(combined, rtol=SAME_PAPER_RTOL, atol=CROSS_COMPILATION_ATOL, same_paper=True)
        pairs = (pd.concat([pairs, loose, across[across["cross_dataset"]]], ignore_index=True)
                 .drop_duplicates(subset=["index_a", "index_b"]).sort_values(["index_a", "index_b"])
                 .reset_index(drop=True))
    kept, dropped = resolve_duplicates(combined, pairs, rule="dataset_priority", priority=priority)
    return kept.reset_index(drop=True), dropped.reset_index(drop=True)
