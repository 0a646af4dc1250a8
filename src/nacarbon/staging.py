"""Temporary files beside their destination, never in the system temp folder.

A command that writes a large output stages it in a hidden folder next to the file it will
become (``.pred.csv.<pid>.tmp/``): the last step is then a rename on one file system, and a
process killed midway leaves nothing in ``/tmp``, only that folder, which the next command
writing the same output removes (its owner, named by the pid, is gone).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:      # someone else's live process
        return True
    return True


def clean_stale(final: str | Path) -> list[Path]:
    """Remove staging folders of ``final`` left by processes that no longer run; return them."""
    final = Path(final)
    removed = []
    for folder in final.parent.glob(f".{final.name}.*.tmp"):
        pid = folder.name[len(final.name) + 2:-len(".tmp")]
        if folder.is_dir() and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextmanager
def staging_dir(final: str | Path) -> Iterator[Path]:
    """A fresh hidden folder beside ``final`` for the ``with`` block, removed afterwards in every case.

    Parameters
    ----------
    final : str or Path
        The file the staged content becomes; its folder must exist.

    Yields
    ------
    Path
        ``<folder>/.<name>.<pid>.tmp``; move files out of it with :func:`os.replace`.
    """
    final = Path(final)
    clean_stale(final)
    folder = final.parent / f".{final.name}.{os.getpid()}.tmp"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
