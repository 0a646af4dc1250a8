"""Reading database files: validate first, then hand out a typed table and its version."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.schema import validate
from nacarbon.errors import DataValidationError


@dataclass(frozen=True)
class Dataset:
    """A validated table with its name, files and content hash."""

    name: str
    frame: pd.DataFrame
    version: str
    files: tuple[str, ...]
    merge_report: pd.DataFrame | None = None


def read_table(path: str | Path, *, dataset: str | None = None) -> pd.DataFrame:
    """Read one database CSV and validate it.

    Parameters
    ----------
    path : str or Path
        The CSV file. Every cell is read as text so that validation, not pandas, decides
        what a bad cell is; an empty cell is a missing value.
    dataset : str, optional
        Value for the ``dataset`` column when the file does not carry one.

    Returns
    -------
    pandas.DataFrame
        The validated table, numeric columns as float64.

    Raises
    ------
    DataValidationError
        If the file is missing, unreadable or breaks the schema.
    """
    path = Path(path)
    if not path.is_file():
        raise DataValidationError(str(path), [{"row": None, "field": None, "value": None,
                                               "rule": "file does not exist"}])
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise DataValidationError(str(path), [{"row": None, "field": None, "value": None,
                                               "rule": f"not a readable CSV: {err}"}]) from err
    table = validate(raw, path)
    if dataset is not None and C.DATASET not in table:
        table.insert(1, C.DATASET, dataset)
    return table


def content_hash(frame: pd.DataFrame) -> str:
    """A short, order-sensitive SHA-256 of a table's content (its data version)."""
    blob = frame.to_csv(index=False, lineterminator="\n").encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def load_dataset(name: str, files: Sequence[str | Path], *, merge: bool = False) -> Dataset:
    """Load, validate and (for a merged set) deduplicate a configured dataset.

    Parameters
    ----------
    name : str
        The dataset's config name (``seed``, ``literature``, ``merged``).
    files : sequence of path
        Its CSV files. With ``merge=False`` exactly one.
    merge : bool, default=False
        Concatenate the files' tables and drop cross-source duplicates by the rule in
        :func:`nacarbon.data.dedup.merge_datasets`.

    Returns
    -------
    Dataset
    """
    files = [Path(f) for f in files]
    if not merge:
        if len(files) != 1:
            raise DataValidationError(name, [{"row": None, "field": "files", "value": [str(f) for f in files],
                                              "rule": "a dataset without merge has exactly one file"}])
        frame = read_table(files[0], dataset=name)
        return Dataset(name, frame, content_hash(frame), (str(files[0]),))

    from nacarbon.data.dedup import merge_datasets

    tables = [read_table(f, dataset=_stem_dataset(f)) for f in files]
    if len(tables) != 2:
        raise DataValidationError(name, [{"row": None, "field": "files", "value": [str(f) for f in files],
                                          "rule": "a merged dataset joins exactly two files (seed, literature)"}])
    merged, report = merge_datasets(tables[0], tables[1])
    merged = merged.reset_index(drop=True)
    return Dataset(name, merged, content_hash(merged), tuple(str(f) for f in files), report)


def _stem_dataset(path: Path) -> str:
    return "seed" if path.stem.startswith("liu2022") else "literature"
