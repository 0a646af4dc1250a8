"""What every loaded table gets before merging: its paper identity and recorded conventions."""

from __future__ import annotations

import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.papers import with_paper_ids

UNKNOWN = "unknown"


def prepare_table(frame: pd.DataFrame, *, dataset: str, label: str,
                  links: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add ``paper_id`` and make ``idig_convention`` explicit.

    Parameters
    ----------
    frame : pandas.DataFrame
        A validated table (``read_table``).
    dataset : str
        Its rows' dataset where the table has no ``dataset`` column.
    label : str
        File name for error messages.
    links : pandas.DataFrame, optional
        Seed-reference links (default: the shipped ``data/papers/paper_links.csv``).

    Returns
    -------
    pandas.DataFrame
        A copy with ``paper_id`` (see :func:`nacarbon.data.papers.paper_ids`) and
        ``idig_convention`` (``unknown`` where the source does not say).

    Raises
    ------
    DataValidationError
        If a row's paper cannot be identified (the message names the row).
    """
    out = with_paper_ids(frame, dataset=dataset, label=label, links=links)
    if C.IDIG_CONVENTION not in out:
        out[C.IDIG_CONVENTION] = UNKNOWN
    out[C.IDIG_CONVENTION] = out[C.IDIG_CONVENTION].fillna(UNKNOWN)
    return out
