"""Rewrite a database table safely: under a lock, through a validated temp file and a rename.

``db add``, ``db update`` and ``db withdraw`` all change a table this way, so a failure at any
point leaves it byte-identical and two changes run one after the other.
"""

from __future__ import annotations

import fcntl
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from nacarbon.data.io import read_raw, read_table
from nacarbon.data.schema import problem, validate
from nacarbon.errors import DataValidationError, NacarbonError

LOCK_NAME = ".nacarbon-add.lock"


@dataclass(frozen=True)
class TableChange:
    """What a change to a table did (or, on a dry run, would do): ``add``, ``update`` or ``withdraw``."""

    action: str
    target: str
    sample_ids: tuple[str, ...]
    table_version_before: str
    table_version: str
    file: str = ""                          # the CSV of rows given (add, update)
    log: str = ""                           # the change log it is recorded in (update, withdraw)
    merged_rows_before: int | None = None   # the merged dataset before and after (add)
    merged_rows: int | None = None
    merged_version_before: str | None = None
    merged_version: str | None = None
    dry_run: bool = False


def line_ending(original: bytes) -> str:
    """The line ending of a file's first line (``\\r\\n`` or ``\\n``), which new lines keep."""
    return "\r\n" if original.split(b"\n", 1)[0].endswith(b"\r") else "\n"


@contextmanager
def exclusive_lock(path: str | Path, on_wait: Callable[[Path], None] | None = None) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing) for the ``with`` block.

    The file is left in place: unlinking it would let a waiter lock a file that no newcomer sees.
    ``on_wait`` is called once with ``path`` if another holder has the lock and this one waits.
    """
    path = Path(path)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(path)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_temp(beside: Path, data: bytes) -> Path:
    """``data`` in a new, fsynced temp file in ``beside``'s folder (same file system: a rename is atomic)."""
    fd, name = tempfile.mkstemp(dir=beside.parent, prefix=f".{beside.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def replace_file(path: Path, data: bytes) -> None:
    """Replace ``path`` (created if missing) by ``data`` atomically: temp file beside it, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path, data)
    try:
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _check_rows(table: pd.DataFrame, expected_rows: int, label: str) -> None:
    if len(table) != expected_rows:  # e.g. an unclosed quote in the table's last line swallowed rows
        raise DataValidationError(label, [problem(None, None, len(table), f"should have {expected_rows} rows")])


@contextmanager
def staged(target: Path, data: bytes, expected_rows: int, *, dry_run: bool = False) -> Iterator[pd.DataFrame]:
    """Stage new bytes for ``target``; yield them validated; swap them in if the ``with`` block succeeds.

    ``data`` must parse to ``expected_rows`` valid rows; ``dry_run`` validates in memory and never writes.
    The bytes go to a temp file beside the target (same file system: ``os.replace`` is an atomic rename),
    are fsynced, read back and validated; the rename and a directory fsync follow only a clean block, so an
    error or interruption before leaves the target byte-identical. The temp file is always removed.
    """
    if dry_run:
        label = f"{target} (new content)"
        table = validate(read_raw(io.BytesIO(data), label), label)
        _check_rows(table, expected_rows, label)
        yield table
        return
    tmp = None
    try:
        tmp = _write_temp(target, data)
        table = read_table(tmp)
        _check_rows(table, expected_rows, str(tmp))
        yield table
        os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)
    except OSError as err:
        raise NacarbonError(f"could not write {target}: {err}; the table is unchanged") from err
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
