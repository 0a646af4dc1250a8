"""What every loaded table gets before merging: its paper identity and recorded conventions."""

from __future__ import annotations

import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.papers import with_paper_ids

UNKNOWN = "unknown"


def prepare_table(frame: pd.DataFrame, *, dataset: str, label: str,
                  links: pd.DataFrame | None = None) -> pd.DataFrame:
    """A copy of a validated table with ``paper_id`` and an explicit ``idig_convention``.

    ``paper_id`` is :func:`nacarbon.data.papers.paper_ids` (DataValidationError naming a row whose paper is
    unknown); ``idig_convention`` is ``unknown`` where the source does not say. ``dataset`` names the rows
    where the table has no ``dataset`` column, ``label`` the file in errors.
    """
    out = with_paper_ids(frame, dataset=dataset, label=label, links=links)
    if C.IDIG_CONVENTION not in out:
        out[C.IDIG_CONVENTION] = UNKNOWN
    out[C.IDIG_CONVENTION] = out[C.IDIG_CONVENTION].fillna(UNKNOWN)
    return out
