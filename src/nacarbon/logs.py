"""Where messages go: the project's own (and any ERROR) on the console, libraries' to the run's log file.

Libraries repeat the same warnings for each of dozens of models; the console says how many there were."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Loggers MLflow gives their own stderr handler (and no propagation) when it is imported.
_SELF_HANDLED = ("mlflow", "alembic", "sqlalchemy.engine", "huey")
_OWN = ("nacarbon", "__main__", "train", "promote", "screen", "predict", "suggest", "analyze", "compare")


def _own(record: logging.LogRecord) -> bool:
    if record.name.split(".")[0] in _OWN:
        return True
    # A Python warning raised by the project's code is its own message (logged as py.warnings).
    return record.name == "py.warnings" and "/nacarbon/" in record.getMessage().split(":", 1)[0]


class ConsoleFilter(logging.Filter):
    """Passes the project's records and any ERROR; counts the library records it holds back."""

    def __init__(self) -> None:
        super().__init__()
        self.held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "console", True):   # logged with extra={"console": False}: the file's only
            return False
        if _own(record) or record.levelno >= logging.ERROR:
            return True
        if record.levelno >= logging.WARNING:
            self.held += 1
        return False


def route_library_logs() -> None:
    """Send the loggers MLflow and Optuna set up themselves to the root handlers (after MLflow's import)."""
    import optuna

    for name in _SELF_HANDLED:
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # Optuna's own stderr handler ("Trial 3 failed ..." for every failed trial of every study).
    optuna.logging.disable_default_handler()
    optuna.logging.enable_propagation()


def quiet_console(*, tracking: bool = True) -> ConsoleFilter:
    """Keep library records off the root console handler; ``tracking`` imports MLflow first, so that the
    handlers it installs on import can be taken back."""
    logging.captureWarnings(True)
    # MLflow draws a "Downloading artifacts" bar for every artifact it fetches (each champion,
    # each fold table): dozens of bars that say nothing about the work.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    if tracking:
        import nacarbon.tracking.store  # noqa: F401  (MLflow sets up its loggers on import)
    route_library_logs()
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            found = next((f for f in handler.filters if isinstance(f, ConsoleFilter)), None)
            if found is None:
                found = ConsoleFilter()
                handler.addFilter(found)
            return found
    return ConsoleFilter()


def _install(path: str | Path, console_level: int) -> list[logging.Handler]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    console = logging.StreamHandler()
    console.setLevel(console_level)
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(file_handler)
    root.addHandler(console)
    root.setLevel(logging.INFO)
    return [file_handler, console]


def log_to_file(path: str | Path, *, console_level: int = logging.WARNING) -> ConsoleFilter:
    """For the pipeline's workers: all from INFO to ``path``, the console filtered (Hydra does this for jobs)."""
    _install(path, console_level)
    return quiet_console()


@contextmanager
def logging_to(path: str | Path, *, console_level: int = logging.WARNING) -> Iterator[ConsoleFilter]:
    """:func:`log_to_file` for the ``with`` block, the root logger's handlers restored after it."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    ours = _install(path, console_level)
    try:
        yield quiet_console()
    finally:
        for handler in ours:
            root.removeHandler(handler)
            handler.close()
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)
