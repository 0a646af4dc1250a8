"""Where Optuna studies live: one storage per URL and process, its schema created once.

Workers opening a fresh database at once race to create Optuna's tables and all but one fail
(``UNIQUE constraint failed: alembic_version.version_num``), so :func:`prepare_storage` creates the
schema under a lock file, once in the parent before any worker starts.
"""

from __future__ import annotations

import time
import warnings

import optuna

from nacarbon.errors import StoreError
from nacarbon.paths import sqlite_path

# A trial whose process died (kill -9, power loss) stops beating; after GRACE_SECONDS without a
# heartbeat the next process that opens the study marks it FAIL instead of leaving it RUNNING.
HEARTBEAT_SECONDS = 15
GRACE_SECONDS = 60

# One storage per URL in this process: opening one costs an engine and a schema check
# (~0.1 s), and a training run opens a study per outer split.
_OPENED: dict[str, optuna.storages.RDBStorage] = {}


def normalize_url(storage: str | None) -> str | None:
    """The URL SQLAlchemy should open: a bare ``postgresql://`` gets the installed psycopg2 driver."""
    # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; the lock file installs psycopg2.
    if storage and storage.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg2://" + storage.split("://", 1)[1]
    return storage or None


def prepare_storage(storage: str | None) -> str | None:
    """Make a storage usable before studies open it (folder, driver, Optuna's schema); return its URL.

    The URL is normalised (:func:`normalize_url`); None (in memory) is returned as is. StoreError,
    naming the storage (password masked) and the cause, when it cannot be created or opened.
    """
    url = normalize_url(storage)
    if not url or url in _OPENED:
        return url
    db = sqlite_path(url)
    if db is None:
        open_storage(url)
        return url
    from nacarbon.data.table_write import exclusive_lock

    try:
        # SQLite cannot create the folder holding its file, and tuning runs before MLflow makes it.
        db.parent.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(db.with_name(db.name + ".lock")):
            open_storage(url)
    except OSError as err:  # the folder or its lock file (open_storage reports its own errors)
        raise storage_error(url, err) from None
    return url


def open_storage(url: str | None) -> optuna.storages.BaseStorage | None:
    """This process's Optuna storage for ``url`` (heartbeats on), or None (in memory) without one.

    StoreError, naming the storage (password masked), when it cannot be reached or written.
    """
    if not url:
        return None
    if url in _OPENED:
        return _OPENED[url]
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with warnings.catch_warnings():
            # Heartbeats are "experimental" in Optuna 5 but are what marks a killed trial FAIL;
            # the warning, repeated for every study of every run, would bury make run's output.
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = optuna.storages.RDBStorage(url, heartbeat_interval=HEARTBEAT_SECONDS,
                                                 grace_period=GRACE_SECONDS)
    except (SQLAlchemyError, OSError, ImportError, ValueError) as err:
        raise storage_error(url, err) from None
    _OPENED[url] = storage
    return storage


_HINTS = (  # (words in the driver's message, what to check): only for causes the user can fix
    (("could not connect", "connection refused", "could not translate host", "timeout expired"),
     "is the database server running and reachable?"),
    (("password authentication", "authentication failed"), "check the user and password"),
    (("readonly", "read-only", "unable to open", "permission denied", "not a directory", "file exists"),
     "check that its folder is a folder you can write to"),
    (("does not exist",), "create the database first"),
)


def storage_error(url: str, err: BaseException, *, attempts: int = 1) -> StoreError:
    """A :class:`StoreError` naming the storage, the driver's own reason and, when the user can fix
    it, what to check; ``attempts`` > 1 says the error outlived retries."""
    from nacarbon.tracking.redact import redact

    cause = getattr(err, "orig", None) or err
    reason = " ".join(f"{type(cause).__name__}: {cause}".split())[:300]
    hints = [hint for words, hint in _HINTS if any(w in reason.lower() for w in words)]
    tried = f" (still failing after {attempts} attempts)" if attempts > 1 else ""
    where = " (set by search.storage or NACARBON_OPTUNA_STORAGE)"
    return StoreError(f"Optuna storage {redact(url)}{where} cannot be used{tried}: {redact(reason)}"
                      + (f"; {hints[0]}" if hints else ""))


def _transient(err: BaseException) -> bool:
    """Two workers creating the same study at once, not a server that is down or a read-only file."""
    text = str(err).lower()
    return not any(w in text for words, _ in _HINTS for w in words)


def create_study(study_name: str, storage: str | None, pruner) -> optuna.Study:
    """``create_study(load_if_exists=True)`` on this process's storage, stale trials marked FAIL.

    Two processes creating the same study at the same moment can collide once (the schema itself
    is made by :func:`prepare_storage`); that is retried a few times. Anything else fails at once.
    """
    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

    url = prepare_storage(storage)
    attempts = 5
    for attempt in range(1, attempts + 1):
        try:
            study = optuna.create_study(study_name=study_name, storage=open_storage(url),
                                        direction="minimize", pruner=pruner, load_if_exists=True)
            if url:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    optuna.storages.fail_stale_trials(study)
            return study
        except (IntegrityError, ProgrammingError, OperationalError) as err:
            if attempt == attempts or not _transient(err):
                raise storage_error(url or "", err, attempts=attempt) from None
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")
