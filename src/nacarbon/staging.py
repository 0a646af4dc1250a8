"""Temporary files beside their destination (the last step is a rename), never in the system temp folder.

What a killed process leaves is removed by the next command writing the same output."""

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
    """A fresh hidden folder beside ``final`` (whose folder must exist), removed after the ``with`` block."""
    final = Path(final)
    clean_stale(final)
    folder = final.parent / f".{final.name}.{os.getpid()}.tmp"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
