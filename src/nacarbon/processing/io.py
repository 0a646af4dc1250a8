"""Read two-column measurement files: an x column and a y column of numbers.

Accepted layout: fields separated by commas, semicolons, tabs or spaces (a line split by
semicolons or tabs, or by spaces with no comma between fields, may use decimal commas, as
European instrument exports do: ``1234,5;87,2``); blank lines and everything after a ``#``
are ignored; the first non-blank line may be a header
(it is recognised by holding no number at all). Every other line must hold exactly
two finite numbers, otherwise a :class:`~nacarbon.errors.ProcessingError` names the
file and the line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import numpy as np

from nacarbon.errors import ProcessingError

XOrder = Literal["any", "monotonic", "nondecreasing"]

_SEPARATORS = re.compile(r"[,;\s]+")
_STRONG_SEPARATORS = re.compile(r"[;\t]+")
_DECIMAL_COMMA = re.compile(r"^[-+]?\d*,\d+(?:[eE][-+]?\d+)?$")


def split_fields(content: str) -> list[str]:
    """Split one data line into fields, turning decimal commas into points.

    Parameters
    ----------
    content : str
        A line without its comment.

    Returns
    -------
    list of str
        The fields. Semicolons and tabs, when present, are the separators and commas in a
        field are decimal commas; a line of space-separated tokens that each look like
        ``12,5`` is read the same way; otherwise commas separate fields.
    """
    if _STRONG_SEPARATORS.search(content):
        fields = [f.strip() for f in _STRONG_SEPARATORS.split(content) if f.strip()]
        return [f.replace(",", ".") if _DECIMAL_COMMA.match(f) else f for f in fields]
    tokens = content.split()
    if len(tokens) >= 2 and all(_DECIMAL_COMMA.match(t) for t in tokens):
        return [t.replace(",", ".") for t in tokens]
    return [f for f in _SEPARATORS.split(content) if f]


def _as_number(token: str) -> float | None:
    try:
        return float(token)
    except ValueError:
        return None


def read_two_column(
    path: str | Path, *, min_points: int = 3, x_order: XOrder = "any"
) -> tuple[np.ndarray, np.ndarray]:
    """Read an (x, y) measurement from a text or CSV file.

    Parameters
    ----------
    path : str or Path
        The file to read.
    min_points : int, default=3
        Fewest data rows accepted.
    x_order : {"any", "monotonic", "nondecreasing"}, default="any"
        What the x column must satisfy. ``"monotonic"``: strictly increasing or strictly
        decreasing (a spectrum; a decreasing one is returned reversed, so x always
        increases). ``"nondecreasing"``: never decreasing (a cumulative capacity).
        ``"any"``: no requirement (e.g. rate tests that return to the first current).

    Returns
    -------
    x, y : numpy.ndarray
        Float arrays of equal length, in file order (reversed for a decreasing
        ``"monotonic"`` column).

    Raises
    ------
    ProcessingError
        If the file is missing or unreadable, a data line is not two finite numbers,
        there are fewer than ``min_points`` rows, or ``x_order`` is violated. The
        message names the file and, where there is one, the line.
    """
    if x_order not in ("any", "monotonic", "nondecreasing"):
        raise ValueError(f"x_order must be 'any', 'monotonic' or 'nondecreasing', got {x_order!r}")
    path = Path(path)
    try:
        # Numbers are ASCII; a header in another encoding must not stop the read.
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except FileNotFoundError:
        raise ProcessingError(f"{path}: file not found") from None
    except OSError as exc:
        raise ProcessingError(f"{path}: cannot be read ({exc.strerror or exc})") from None

    xs: list[float] = []
    ys: list[float] = []
    line_numbers: list[int] = []
    first_content_seen = False
    for line_no, raw in enumerate(text.splitlines(), start=1):
        content = raw.split("#", 1)[0].strip()
        if not content:
            continue
        fields = split_fields(content)
        values = [_as_number(f) for f in fields]
        is_header = not first_content_seen and all(v is None for v in values)
        first_content_seen = True
        if is_header:
            continue
        if len(fields) != 2:
            raise ProcessingError(f"{path}, line {line_no}: expected 2 columns, found {len(fields)} in {content!r}")
        if any(v is None for v in values):
            raise ProcessingError(f"{path}, line {line_no}: non-numeric value in {content!r}")
        if not all(np.isfinite(values)):
            raise ProcessingError(f"{path}, line {line_no}: non-finite value in {content!r}")
        xs.append(values[0])
        ys.append(values[1])
        line_numbers.append(line_no)

    if len(xs) < min_points:
        raise ProcessingError(f"{path}: found {len(xs)} data row(s), at least {min_points} are needed")
    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    if x_order == "monotonic":
        return _monotonic(path, x, y, line_numbers)
    if x_order == "nondecreasing":
        _check_steps(path, np.diff(x) >= 0, line_numbers, "x must never decrease")
    return x, y


def _monotonic(
    path: Path, x: np.ndarray, y: np.ndarray, line_numbers: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    if x.size < 2:
        return x, y
    steps = np.diff(x)
    increasing = steps[0] > 0
    ok = steps > 0 if increasing else steps < 0
    direction = "increasing" if increasing else "decreasing"
    _check_steps(path, ok, line_numbers, f"x must be strictly monotonic (it starts {direction})")
    return (x, y) if increasing else (x[::-1].copy(), y[::-1].copy())


def _check_steps(path: Path, ok: np.ndarray, line_numbers: list[int], rule: str) -> None:
    bad = np.flatnonzero(~ok)
    if bad.size:
        raise ProcessingError(f"{path}, line {line_numbers[bad[0] + 1]}: {rule}")
