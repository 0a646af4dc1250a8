"""A failing MLflow store (dead server, full disk, broken database) said once, as one StoreError."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from mlflow.exceptions import MlflowException

from nacarbon.errors import StoreError
from nacarbon.tracking.redact import redact


class _NoStoreTracebacks(logging.Filter):
    """Drop MLflow's ERROR log of a failed database call: :func:`store_errors` reports the raised copy."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.ERROR


logging.getLogger("mlflow.store.db.utils").addFilter(_NoStoreTracebacks())
_FULL = ("disk I/O error", "database or disk is full", "File too large", "No space left")


def _reason(err: BaseException) -> str:
    """The useful last words of a store failure: the root cause's message, on one line."""
    while err.__cause__ is not None or err.__context__ is not None:
        nxt = err.__cause__ or err.__context__
        if isinstance(nxt, (sqlite3.Error, OSError)) or "sqlite3" in type(nxt).__module__:
            err = nxt
            break
        err = nxt
    text = getattr(err, "message", None) or str(err) or type(err).__name__
    text = " ".join(text.split())
    if "Connection refused" in text or "Max retries exceeded" in text:
        return "the tracking server stopped answering (connection refused)"
    if any(f in text for f in _FULL):
        text += " (is the disk full, or a file-size limit reached?)"
    return redact(text)[:300]


@contextmanager
def store_errors(uri: str, doing: str) -> Iterator[None]:
    """Turn a failure of the MLflow store itself into one :class:`StoreError` naming the store and ``doing``.

    Catches MLflow, SQLAlchemy, sqlite3, requests and OS errors, so wrap only MLflow calls in it:
    a bug or a user's file elsewhere keeps its own error.
    """
    import requests
    import sqlalchemy.exc

    try:
        yield
    except (MlflowException, sqlalchemy.exc.SQLAlchemyError, sqlite3.Error, requests.RequestException,
            OSError) as err:
        raise StoreError(f"MLflow store {redact(uri)} failed while {doing}: {_reason(err)}; nothing more was "
                         f"recorded (a run left open is marked FAILED the next time a command opens the "
                         f"store)") from None
