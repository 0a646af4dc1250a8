"""Hydra/OmegaConf glue shared by the entry points."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from nacarbon.paths import project_root


def register_resolvers() -> None:
    """Register ``${nacarbon.root:}`` (the repository) and ``${nacarbon.pid:}`` (this process).

    The pid keeps two commands started in the same second from sharing ``outputs/<verb>/<time>/``.
    """
    if not OmegaConf.has_resolver("nacarbon.root"):
        OmegaConf.register_new_resolver("nacarbon.root", lambda: str(project_root()))
    if not OmegaConf.has_resolver("nacarbon.pid"):
        OmegaConf.register_new_resolver("nacarbon.pid", lambda: str(os.getpid()), use_cache=True)


def quiet_environment() -> None:
    """Keep MLflow from phoning home, and bound its retries (by default ~16 min on a server that is not there)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")


class _RedactFilter(logging.Filter):
    """Masks passwords in every record a handler writes (the job's log file included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from nacarbon.tracking.redact import redact

        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def redact_files(folder: str | Path) -> list[Path]:
    """Mask passwords in place in every ``*.yaml`` of ``folder``; return the files changed."""
    from nacarbon.tracking.redact import redact

    changed = []
    for path in sorted(Path(folder).glob("*.yaml")):
        text = path.read_text()
        masked = redact(text)
        if masked != text:
            path.write_text(masked)
            changed.append(path)
    return changed


class RedactSecrets(Callback):
    """Hydra callback: no password given on the command line stays in ``outputs/**/.hydra/`` or the logs.

    Hydra saves its YAML files just before ``on_job_start``, which masks them. As the one hook every
    job passes, it also keeps library warnings off the console and in the job's log file.
    """

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        from nacarbon.logs import quiet_console

        self._console = quiet_console()
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, _RedactFilter) for f in handler.filters):
                handler.addFilter(_RedactFilter())
        subdir = config.hydra.output_subdir
        if subdir is not None:
            redact_files(Path(config.hydra.runtime.output_dir) / subdir)

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        console = getattr(self, "_console", None)
        if console is not None and console.held:
            log_file = Path(config.hydra.runtime.output_dir, f"{config.hydra.job.name}.log")
            print(f"({console.held} library warnings kept off the console: {log_file})", file=sys.stderr)
            console.held = 0

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        redact_files(config.hydra.sweep.dir)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        redact_files(config.hydra.sweep.dir)


register_resolvers()
quiet_environment()
