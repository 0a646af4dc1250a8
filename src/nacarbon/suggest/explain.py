"""Why a pick: its predictions with intervals, the nearest known materials, exploit or explore."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nacarbon.data import columns as C
from nacarbon.uncertainty.domain import nearest


def nearest_known(picks_z: np.ndarray, known_z: np.ndarray, known: pd.DataFrame,
                  k: int = 3) -> tuple[np.ndarray, list[str]]:
    """Each pick's nearest known materials, by the domain's nearest-samples helper.

    ``picks_z`` and ``known_z`` share one scaled space (NaN: missing); ``known`` (``sample_id``,
    ``source``) is aligned with ``known_z``. Returns the distance to the nearest (``inf`` with nothing
    known) and ``"sample_id (source) d=…"`` for the ``k`` nearest, ``; ``-joined.
    """
    if known.empty:
        return np.full(len(picks_z), np.inf), [""] * len(picks_z)
    dist, idx = nearest(picks_z, known_z, max(k, 1))
    ids = known[C.SAMPLE_ID].astype(str).to_numpy() if C.SAMPLE_ID in known else known.index.astype(str).to_numpy()
    sources = known[C.SOURCE].astype(str).to_numpy() if C.SOURCE in known else np.full(len(known), "")
    listed = ["; ".join(f"{ids[j]} ({sources[j][:60]}) d={d:.2f}"
                        for d, j in zip(row_d[:k], row_i[:k]) if np.isfinite(d))
              for row_d, row_i in zip(dist, idx)]
    return dist[:, 0], listed
