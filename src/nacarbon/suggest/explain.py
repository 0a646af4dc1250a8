"""Why a pick: its predictions with intervals, the nearest known materials, exploit or explore."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nacarbon.data import columns as C
from nacarbon.suggest.space import DistanceSpace, pairwise_distance


def nearest_known(picks: pd.DataFrame, known: pd.DataFrame, space: DistanceSpace, k: int = 3) -> list[str]:
    """For each pick, its ``k`` nearest known materials as ``"sample_id (source) d=…"``, ``; ``-joined."""
    if known.empty:
        return [""] * len(picks)
    dist = pairwise_distance(space.transform(picks), space.transform(known))
    ids = known[C.SAMPLE_ID].astype(str).to_numpy() if C.SAMPLE_ID in known else known.index.astype(str)
    sources = known[C.SOURCE].astype(str).to_numpy() if C.SOURCE in known else np.full(len(known), "")
    out = []
    for row in dist:
        near = np.argsort(row, kind="stable")[:k]
        out.append("; ".join(f"{ids[j]} ({sources[j][:60]}) d={row[j]:.2f}" for j in near))
    return out


def nearest_distance(picks: pd.DataFrame, known: pd.DataFrame, space: DistanceSpace) -> np.ndarray:
    """Distance of each pick to its nearest known material (inf with nothing known)."""
    if known.empty:
        return np.full(len(picks), np.inf)
    return pairwise_distance(space.transform(picks), space.transform(known)).min(axis=1)
