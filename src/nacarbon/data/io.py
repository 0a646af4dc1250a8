"""Reading database files: validate first, then hand out a typed table and its version."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.sample_ids import control_problems
from nacarbon.data.prepare import prepare_table
from nacarbon.data.schema import validate
from nacarbon.errors import DataValidationError

# File stems whose rows belong to a named dataset; any other table is named after its stem
# (data/contributed.csv -> "contributed").
_DATASET_PREFIXES = (("liu2022", "seed"), ("literature", "literature"))


@dataclass(frozen=True)
class Dataset:
    """A validated table with its name, files and content hash."""

    name: str
    frame: pd.DataFrame
    version: str
    files: tuple[str, ...]
    merge_report: pd.DataFrame | None = None


def _file_problem(rule: str) -> list[dict]:
    return [{"row": None, "field": None, "value": None, "rule": rule}]


def read_raw(source: str | Path | IO[bytes], label: str | None = None) -> pd.DataFrame:
    """Read a database CSV without validating it, every cell as text (validation, not pandas, judges cells).

    An empty cell is missing; ``label`` names the file in errors (default: ``source``). Raises
    DataValidationError if the file is missing or not a readable CSV.
    """
    label = str(source) if label is None else label
    if isinstance(source, (str, Path)):
        if not Path(source).is_file():
            raise DataValidationError(label, _file_problem("file does not exist"))
        raw = Path(source).read_bytes()
    else:
        raw = source.read()
    try:
        # utf-8-sig: spreadsheet exports start with a byte-order mark that would rename the first column
        text = raw.decode("utf-8-sig")
        check_header(text.splitlines()[:1], label)
        check_row_lengths(text, label)
        frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, csv.Error) as err:
        raise DataValidationError(label, _file_problem(f"not a readable CSV: {err}")) from err
    if problems := control_problems(frame):
        raise DataValidationError(label, problems)
    if C.SAMPLE_ID in frame:   # ' L-0001' is L-0001: one spelling reaches the checks and the table
        frame[C.SAMPLE_ID] = frame[C.SAMPLE_ID].str.strip()
    return frame


def check_row_lengths(text: str, label: str) -> None:
    """Refuse a row with more fields than the header (pandas would shift it into an index).

    The DataValidationError names each such row (data row and file line) and its field count.
    """
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        return
    problems, row = [], 0
    for fields in reader:
        if not fields:          # a blank line: pandas skips it, so it is no data row
            continue
        row += 1
        if len(fields) > len(header):
            problems.append({"row": row, "field": f"(line {reader.line_num})", "value": fields[len(header):],
                             "rule": f"the row has {len(fields)} fields, the header {len(header)}: a stray "
                                     f"comma, or a text cell holding a comma without quotes"})
    if problems:
        raise DataValidationError(label, problems)


def check_header(first_line: list[str], label: str) -> None:
    """Refuse a header pandas would silently repair: a repeated column, a foreign delimiter.

    ``first_line`` is the file's first line (empty for an empty file). DataValidationError on a name given
    twice (pandas would rename the second ``d002_nm.1``), an invisible character in a name, or semicolons
    or tabs and no comma (a spreadsheet's "CSV" in another locale).
    """
    if not first_line:
        return
    line = first_line[0]
    if "," not in line:
        for sep, name in ((";", "semicolon ';'"), ("\t", "tab")):
            if sep in line:
                raise DataValidationError(label, [{"row": None, "field": "header", "value": line[:80],
                                                   "rule": f"columns are separated by a {name}, not a comma: "
                                                           f"save the file as comma-separated CSV"}])
    names = next(csv.reader([line]))
    seen: set[str] = set()
    for name in names:
        if hidden := [ch for ch in name if _invisible(ch)]:
            raise DataValidationError(label, [{"row": None, "field": "header", "value": name,
                                               "rule": f"the column name holds an invisible character "
                                                       f"(U+{ord(hidden[0]):04X} {unicodedata.name(hidden[0], '')}); "
                                                       f"retype it"}])
        key = name.strip()
        if key in seen:
            raise DataValidationError(label, [{"row": None, "field": key, "value": names.count(name),
                                               "rule": "each column appears once in the header (this one repeats)"}])
        seen.add(key)


def _invisible(ch: str) -> bool:
    """A character a spreadsheet shows as nothing or as a plain space (no-break space, zero width ...)."""
    return ch != " " and (unicodedata.category(ch) in ("Zs", "Cf", "Cc") or ch == "\ufeff")


def read_table(path: str | Path, *, dataset: str | None = None) -> pd.DataFrame:
    """Read one database CSV (:func:`read_raw`) and validate it; numeric columns come back as float64.

    ``dataset`` fills the ``dataset`` column when the file has none. Raises DataValidationError if the file
    is missing, unreadable or breaks the schema.
    """
    table = validate(read_raw(path), path)
    if dataset is not None and C.DATASET not in table:
        table.insert(1, C.DATASET, dataset)
    return table


def content_hash(frame: pd.DataFrame) -> str:
    """A short, order-sensitive SHA-256 of a table's content (its data version)."""
    blob = frame.to_csv(index=False, lineterminator="\n").encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def dataset_name(path: str | Path) -> str:
    """The dataset of a table's rows by file name: ``seed`` for ``liu2022*``, ``literature`` for
    ``literature*``, else the stem (``data/contributed.csv`` -> ``contributed``).
    """
    stem = Path(path).stem
    for prefix, name in _DATASET_PREFIXES:
        if stem.startswith(prefix):
            return name
    return stem


def load_dataset(name: str, files: Sequence[str | Path], *, merge: bool = False,
                 tables: Mapping[str | Path, pd.DataFrame] | None = None) -> Dataset:
    """Load, validate and (for a merged set) deduplicate a configured dataset.

    Without ``merge`` ``files`` is one CSV; with it two or more, concatenated in that order, each row's
    ``dataset`` named by :func:`dataset_name` and cross-source duplicates dropped
    (:func:`nacarbon.data.dedup.merge_datasets`). ``tables`` maps files to already validated tables used
    instead of reading them (e.g. for the version a pending change would produce).
    """
    files = [Path(f) for f in files]
    given = {Path(p).resolve(): t for p, t in (tables or {}).items()}

    def table(path: Path, label: str) -> pd.DataFrame:
        frame = given.get(path.resolve())
        if frame is None:
            frame = read_table(path, dataset=label)
        elif C.DATASET not in frame:
            frame = frame.copy()
            frame.insert(1, C.DATASET, label)
        return prepare_table(frame, dataset=label, label=str(path))  # paper_id: the one CV group key

    if not merge:
        if len(files) != 1:
            raise DataValidationError(name, [{"row": None, "field": "files", "value": [str(f) for f in files],
                                              "rule": "a dataset without merge has exactly one file"}])
        frame = table(files[0], name)
        return Dataset(name, frame, content_hash(frame), (str(files[0]),))

    from nacarbon.data.dedup import merge_datasets

    if len(files) < 2:
        raise DataValidationError(name, [{"row": None, "field": "files", "value": [str(f) for f in files],
                                          "rule": "a merged dataset joins two or more files"}])
    names = [dataset_name(f) for f in files]
    merged, report = merge_datasets(*(table(f, n) for f, n in zip(files, names)), names=names)
    return Dataset(name, merged, content_hash(merged), tuple(str(f) for f in files), report)


def load_configured(dataset_cfg) -> Dataset:
    """Load the dataset a ``conf/dataset/*.yaml`` node describes (``name``, ``files``, ``merge``)."""
    return load_dataset(dataset_cfg.name, list(dataset_cfg.files), merge=bool(dataset_cfg.merge))


def write_csv_atomic(frame: pd.DataFrame, path: str | Path, *, for_spreadsheets: bool = True, **to_csv) -> Path:
    """Write ``frame`` as CSV to ``path`` through a temp file beside it and a rename.

    ``path`` ends as the whole new file or as it was (the temp file is always removed); OSError if the
    folder cannot be written. ``for_spreadsheets`` (every CSV the product writes is opened in one) escapes
    text cells that read as formulas (:func:`nacarbon.data.csvsafe.spreadsheet_safe`). ``to_csv`` goes to
    :meth:`pandas.DataFrame.to_csv` (``index=False`` always; ``lineterminator`` defaults to ``\\n``).
    """
    from nacarbon.data.csvsafe import spreadsheet_safe

    path = Path(path)
    if for_spreadsheets:
        frame = spreadsheet_safe(frame)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            frame.to_csv(handle, index=False, **{"lineterminator": "\n", **to_csv})
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path
