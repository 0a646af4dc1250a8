"""What the command-line entry points share: turning a project error into one stderr line and exit 2."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TypeVar

from nacarbon.errors import NacarbonError

EXIT_ERROR = 2

_Cfg = TypeVar("_Cfg")
_Result = TypeVar("_Result")


def run_or_exit(fn: Callable[[_Cfg], _Result], cfg: _Cfg, *, logger: str | None = None) -> _Result:
    """Call ``fn(cfg)``; on a :class:`NacarbonError` print ``error: <message>`` and exit with code 2.

    Parameters
    ----------
    fn : callable
        The command's library function, e.g. ``nacarbon.training.run``.
    cfg : object
        Its single argument (the composed Hydra config).
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
    try:
        return fn(cfg)
    except NacarbonError as err:
        if logger is not None:
            logging.getLogger(logger).error("%s", err)
        print(f"error: {err}", file=sys.stderr)
        sys.exit(EXIT_ERROR)
