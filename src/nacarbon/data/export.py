"""The table a training run sees, written out: merged, deduplicated, with paper identity."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.io import Dataset, load_configured, write_csv_atomic
from nacarbon.errors import NacarbonError

LEADING = [C.SAMPLE_ID, C.DATASET, C.PAPER_ID]


def training_table(dataset: Dataset) -> pd.DataFrame:
    """The rows and columns of a loaded dataset in export order (``sample_id, dataset, paper_id`` first).

    Parameters
    ----------
    dataset : Dataset
        As :func:`nacarbon.data.io.load_configured` returns it (what training uses).

    Returns
    -------
    pandas.DataFrame
        The same rows in the same order; only the column order changes.
    """
    frame = dataset.frame
    return frame[LEADING + [c for c in frame.columns if c not in LEADING]]


def export_dataset(dataset_cfg, path: str | Path) -> pd.DataFrame:
    """Write the configured dataset exactly as training loads it, atomically.

    Parameters
    ----------
    dataset_cfg : DictConfig
        A composed ``conf/dataset/*.yaml`` node (``name``, ``files``, ``merge``).
    path : str or Path
        The CSV to write; a partial file is never left behind.

    Returns
    -------
    pandas.DataFrame
        The table written.
    """
    table = training_table(load_configured(dataset_cfg))
    path = Path(path)
    try:
        write_csv_atomic(table, path)
    except OSError as err:
        raise NacarbonError(f"{path}: cannot write the export ({err.strerror or err})") from err
    return table
