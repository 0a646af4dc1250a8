"""The table a training run sees, written out: merged, deduplicated, with paper identity."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.io import Dataset, load_configured, write_csv_atomic
from nacarbon.errors import NacarbonError

LEADING = [C.SAMPLE_ID, C.DATASET, C.PAPER_ID]


def training_table(dataset: Dataset) -> pd.DataFrame:
    """A loaded dataset's table with ``sample_id, dataset, paper_id`` first (rows unchanged, in order)."""
    frame = dataset.frame
    return frame[LEADING + [c for c in frame.columns if c not in LEADING]]


def export_dataset(dataset_cfg, path: str | Path) -> pd.DataFrame:
    """Write the dataset a ``conf/dataset/*.yaml`` node configures, as training loads it; return the table.

    Atomic: a partial file is never left behind; a write failure is a NacarbonError.
    """
    table = training_table(load_configured(dataset_cfg))
    path = Path(path)
    try:
        write_csv_atomic(table, path)
    except OSError as err:
        raise NacarbonError(f"{path}: cannot write the export ({err.strerror or err})") from err
    return table
