"""What the command-line entry points share: one door in (:func:`hydra_entry`) and one way out
for a failure (:func:`run_or_exit`): a single ``error: ...`` line on stderr, exit code 2, and no
password on any screen or file."""

from __future__ import annotations

import functools
import inspect
import io
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from nacarbon.errors import NacarbonError
from nacarbon.tracking.redact import redact

EXIT_ERROR = 2

_Cfg = TypeVar("_Cfg")
_Result = TypeVar("_Result")
_HYDRA_HINT = "Set the environment variable HYDRA_FULL_ERROR=1"


def fail(message: str, *, logger: str | None = None) -> None:
    """Print ``error: <message>`` (passwords masked) to stderr and exit with code 2."""
    message = redact(str(message)).strip()
    if logger is not None:
        logging.getLogger(logger).error("%s", message)
    print(f"error: {message}", file=sys.stderr)
    sys.exit(EXIT_ERROR)


def run_or_exit(fn: Callable[[_Cfg], _Result], cfg: _Cfg, *, logger: str | None = None) -> _Result:
    """Check ``cfg``'s plain settings, call ``fn(cfg)``; on a :class:`NacarbonError` exit with ``error: ...``.

    Parameters
    ----------
    fn : callable
        The command's library function, e.g. ``nacarbon.training.run``.
    cfg : object
        Its single argument (the composed Hydra config); a DictConfig is first checked by
        :func:`nacarbon.settings.validate_settings`.
    logger : str, optional
        Name of a logger that also records the error (in the Hydra run's log file), before the
        stderr line is printed.

    Returns
    -------
    object
        Whatever ``fn`` returns.

    Notes
    -----
    Only the project's own errors are caught: they carry a message written for the user, so a
    traceback would add nothing. Any other exception is a bug and keeps its traceback.
    """
    from omegaconf import DictConfig

    try:
        if isinstance(cfg, DictConfig):
            from nacarbon.settings import validate_settings

            validate_settings(cfg)
        return fn(cfg)
    except NacarbonError as err:
        fail(str(err), logger=logger)


class _GuardedStderr(io.TextIOBase):
    """stderr that masks passwords and holds Hydra's composition output until the job starts.

    Hydra reports a config that does not compose (a YAML syntax error, an unknown key) by
    writing the message and a hint to stderr and exiting 1; holding that text lets
    :func:`hydra_entry` turn it into the one ``error:`` line every command failure gives.
    """

    def __init__(self, real):
        super().__init__()
        self.real = real
        self.held: list[str] = []
        self.holding = True

    def write(self, text: str) -> int:
        if self.holding:
            self.held.append(text)
        else:
            self.real.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self.real.flush()

    def release(self) -> None:
        """Stop holding: pass everything held (masked) through."""
        self.holding = False
        if self.held:
            self.real.write(redact("".join(self.held)))
            self.held.clear()

    def fileno(self) -> int:
        return self.real.fileno()

    @property
    def encoding(self):  # noqa: D401  (mirrors the real stream)
        return getattr(self.real, "encoding", "utf-8")

    def isatty(self) -> bool:
        return self.real.isatty()


# The stream of the command running in this process (None in a sweep's worker process). It is a
# module global, not a closure cell of the job function, because a parallel sweep (joblib
# launcher) pickles that function for its workers, and an open stderr cannot be pickled.
_GUARD: _GuardedStderr | None = None


def _release_guard() -> None:
    """The job has started: stop holding this process's stderr (a no-op in a worker process)."""
    if _GUARD is not None:
        _GUARD.release()


_EXCEPTION_LINE = re.compile(r"^(?P<name>[A-Za-z_][\w.]*(?:Error|Exception))(?::\s*(?P<rest>.*))?$")


def composition_message(text: str) -> str:
    """Hydra's composition error without its HYDRA_FULL_ERROR hint, passwords masked.

    Hydra prints a full traceback for errors it does not expect while composing (a YAML syntax
    error in a config file); only the exception's own lines, which name the file, line and
    column, are kept.
    """
    lines = [ln for ln in redact(text).splitlines() if ln.strip() and _HYDRA_HINT not in ln]
    if any(ln.startswith("Traceback (most recent call last)") for ln in lines):
        starts = [k for k, ln in enumerate(lines) if _EXCEPTION_LINE.match(ln)]
        if starts:
            match = _EXCEPTION_LINE.match(lines[starts[-1]])
            name = match.group("name").rsplit(".", 1)[-1]
            kind = "YAML syntax error" if match.group("name").startswith("yaml.") else name
            lines = [f"{kind}: {match.group('rest') or ''}".rstrip(), *lines[starts[-1] + 1:]]
    return "\n".join(lines) or "the configuration does not compose"


def unparsable_override(args: list[str]) -> str | None:
    """The first command-line argument Hydra's override grammar rejects, or None."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    parser = OverridesParser.create()
    for arg in args:
        if arg.startswith("-"):
            continue
        try:
            parser.parse_override(arg)
        except HydraException:
            return arg
    return None


def hydra_entry(config_name: str) -> Callable[[Callable], Callable[[], object]]:
    """``@hydra.main`` for the project's commands, with failures kept to one clean message.

    Parameters
    ----------
    config_name : str
        The top-level config in ``conf/`` (``train``, ``promote``, ``screening`` ...).

    Returns
    -------
    callable
        A decorator; the decorated task takes the composed config, like ``@hydra.main``'s.

    Notes
    -----
    Besides what :func:`run_or_exit` does inside the job, the wrapper masks passwords in
    everything written to stderr (Hydra echoes the command-line overrides when a job fails),
    and turns a config that does not compose into ``error: <Hydra's message>`` and exit 2.
    """

    def decorate(task: Callable) -> Callable[[], object]:
        import hydra

        # Absolute, so the conf/ folder is found relative to the entry module, as before.
        conf_dir = str((Path(inspect.getfile(task)).resolve().parent / ".." / "conf").resolve())

        @functools.wraps(task)
        def job(cfg):
            _release_guard()
            return task(cfg)

        main = hydra.main(version_base="1.3", config_path=conf_dir, config_name=config_name)(job)

        @functools.wraps(task)
        def entry() -> object:
            global _GUARD
            real = sys.stderr
            stream = _GuardedStderr(real)
            _GUARD = stream
            sys.stderr = stream
            try:
                return main()
            except SystemExit as done:
                composing = stream.holding
                held = "".join(stream.held)
                stream.held.clear()
                sys.stderr = real
                if composing and done.code not in (0, None) and held.strip():
                    bad = unparsable_override(sys.argv[1:])
                    prefix = f"override {bad!r}: " if bad else ""
                    fail(prefix + composition_message(held))
                real.write(redact(held))
                raise
            finally:
                _GUARD = None
                if sys.stderr is stream:
                    stream.release()
                    sys.stderr = real

        return entry

    return decorate
