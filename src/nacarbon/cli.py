"""What the command-line entry points share: one door in (:func:`hydra_entry`, :func:`exits_on_error`).

And one way out, :func:`error_exit`: a NacarbonError is one ``error:`` line on stderr and exit code 2.
"""

from __future__ import annotations

import functools
import inspect
import io
import logging
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NoReturn, TypeVar

from nacarbon.errors import ConfigError, NacarbonError
from nacarbon.tracking.redact import redact

EXIT_ERROR = 2

_Main = TypeVar("_Main", bound=Callable[..., int])
_HYDRA_HINT = "Set the environment variable HYDRA_FULL_ERROR=1"


def as_user_error(err: BaseException) -> NacarbonError | None:
    """``err`` as the error the user is shown (a missing ``???`` value or a Hydra error as a ConfigError),
    or None when it is a bug (keeps its traceback)."""
    if isinstance(err, NacarbonError):
        return err
    from hydra.errors import HydraException
    from omegaconf.errors import MissingMandatoryValue

    if isinstance(err, MissingMandatoryValue):
        return ConfigError("is required", key=str(err.full_key), value="???", allowed="a value on the command line")
    if isinstance(err, HydraException):
        overrides = [a for a in sys.argv[1:] if "=" in a and not a.startswith("-")]
        return composition_error(str(err), overrides)
    return None


def error_exit(err: BaseException | str, *, logger: str | None = None) -> int:
    """The one error exit: print ``error: <message>`` (passwords masked) on stderr; return :data:`EXIT_ERROR`.

    ``logger``, if given, also records it in the log file only, so the console shows the one line.
    """
    message = redact(str(err)).strip()
    if logger is not None:
        logging.getLogger(logger).error("%s", message, extra={"console": False})
    print(f"error: {message}", file=sys.stderr, flush=True)
    return EXIT_ERROR


def fail(err: BaseException | str, *, logger: str | None = None) -> NoReturn:
    """:func:`error_exit`, then end the process with its code."""
    sys.exit(error_exit(err, logger=logger))


def exits_on_error(main: _Main) -> _Main:
    """Decorate an argparse ``main(argv) -> int``: a user error returns :func:`error_exit`'s code (a bug raises)."""

    @functools.wraps(main)
    def guarded(*args, **kwargs) -> int:
        try:
            return main(*args, **kwargs)
        except Exception as err:
            known = as_user_error(err)
            if known is None:
                raise
            return error_exit(known)

    return guarded  # type: ignore[return-value]


def _run_job(task: Callable, cfg, verb: str) -> object:
    """Inside a Hydra job: check the plain settings, run the task; a user error ends the process."""
    from nacarbon.settings import validate_settings

    try:
        validate_settings(cfg)
        return task(cfg)
    except Exception as err:
        known = as_user_error(err)
        if known is None:
            raise
        fail(known, logger=verb)


class _GuardedStderr(io.TextIOBase):
    """stderr that masks passwords and holds Hydra's composition errors (made one line) until the job starts."""

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
    """Hydra's composition error as one line: no HYDRA_FULL_ERROR hint, no search path, passwords masked.

    Of a full traceback (a YAML syntax error) only the exception's own lines, naming file, line and column, are kept.
    """
    lines = [ln for ln in redact(text).splitlines() if ln.strip() and _HYDRA_HINT not in ln]
    if any(ln.startswith("Traceback (most recent call last)") for ln in lines):
        starts = [k for k, ln in enumerate(lines) if _EXCEPTION_LINE.match(ln)]
        if starts:
            match = _EXCEPTION_LINE.match(lines[starts[-1]])
            name = match.group("name").rsplit(".", 1)[-1]
            kind = "YAML syntax error" if match.group("name").startswith("yaml.") else name
            lines = [f"{kind}: {match.group('rest') or ''}".rstrip(), *lines[starts[-1] + 1:]]
    if "Config search path:" in lines:   # where Hydra looked: the same for every command, no help
        lines = lines[:lines.index("Config search path:")]
    out: list[str] = []
    for line in lines:
        if line.strip().startswith(_OMEGACONF_NOISE):
            continue
        if out and line[0].isspace():
            out[-1] += " " + line.strip()
        else:
            out.append(line.strip())
    return "; ".join(line.rstrip(".") for line in out) or "the configuration does not compose"


# OmegaConf's own bookkeeping lines under an error (the key is already named above them).
_OMEGACONF_NOISE = ("full_key:", "object_type=", "reference_type=")
_NOT_FOUND = re.compile(r"Could not find '(?P<group>[^']+)/(?P<name>[^']*)'; "
                        r"Available options in '[^']*':(?P<options>.*)")
_NOT_A_KEY = re.compile(r"Could not override '(?P<key>[^']+)'")


def composition_error(text: str, argv: list[str]) -> ConfigError:
    """What Hydra printed (``text``) when the config did not compose, as a one-line :class:`ConfigError`.

    ``key`` and ``value`` (from ``argv``) are set for an unknown group option (``allowed``: the
    options), an unknown key, or an override the grammar rejects; otherwise Hydra's message alone.
    """
    message = composition_message(text)
    bad = unparsable_override(argv)
    if bad is not None:
        key, _, value = bad.partition("=")
        return ConfigError(f"the override grammar rejects it: {message}", key=key.lstrip("+~"), value=redact(value))
    found = _NOT_FOUND.search(message)
    if found:
        head = message[:found.start("options")].rsplit(";", 1)[0]
        return ConfigError(head, key=found["group"], value=found["name"],   # as typed: hydra/launcher=...
                           allowed=", ".join(found["options"].split()))
    named = _NOT_A_KEY.search(message)
    if named:
        given = [a.split("=", 1)[1] for a in argv if a.lstrip("+~").split("=", 1)[0] == named["key"] and "=" in a]
        return ConfigError("this command has no such setting (a leading + would add it as a new key)",
                           key=named["key"], value=redact(given[0]) if given else None)
    return ConfigError(message)


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


def hydra_entry(config_name: str, *,
                flags: Mapping[str, str] | None = None) -> Callable[[Callable], Callable[[], object]]:
    """``@hydra.main`` for the project's commands (``config_name`` in ``conf/``), failures kept to one line.

    ``flags`` maps friendly flags to the override each stands for (``--dry-run``: ``dry_run=true``).
    The job checks the plain settings first; a user error ends it through :func:`error_exit` (also logged).
    """

    def decorate(task: Callable) -> Callable[[], object]:
        import hydra

        # Absolute, so the conf/ folder is found relative to the entry module, as before.
        source = Path(inspect.getfile(task)).resolve()
        conf_dir = str((source.parent / ".." / "conf").resolve())
        verb = source.stem   # the logger the job's log file records the error under

        @functools.wraps(task)
        def job(cfg):
            _release_guard()
            return _run_job(task, cfg, verb)

        main = hydra.main(version_base="1.3", config_path=conf_dir, config_name=config_name)(job)

        @functools.wraps(task)
        def entry() -> object:
            argv = sys.argv
            # Hydra parses sys.argv itself: the flags become their overrides for this call only.
            sys.argv = [(flags or {}).get(a, a) for a in argv]
            try:
                return _guarded(main)
            finally:
                sys.argv = argv

        return entry

    return decorate


def _guarded(main: Callable[[], object]) -> object:
    """Run Hydra's ``main`` with stderr held until the job starts (see :class:`_GuardedStderr`)."""
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
            fail(composition_error(held, sys.argv[1:]))
        real.write(redact(held))
        raise
    finally:
        _GUARD = None
        if sys.stderr is stream:
            stream.release()
            sys.stderr = real
