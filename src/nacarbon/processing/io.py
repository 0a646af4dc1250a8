"""Read two-column measurement files: an x column and a y column of numbers.

Fields are separated by commas, semicolons, tabs or spaces (decimal commas as in ``1234,5;87,2``, see
:func:`split_fields`); blank lines and text after ``#`` are ignored; a first line holding no number is a
header. Any other line must hold two finite numbers, else a ProcessingError names the file and line.
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
    """Split one data line (without its comment) into fields, turning decimal commas into points.

    With semicolons or tabs present, they separate and commas are decimal; space-separated tokens that each
    look like ``12,5`` are read the same way; otherwise commas separate fields.
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
    """Read an (x, y) measurement from a text or CSV file, as float arrays in file order.

    ``x_order``: ``"monotonic"`` (a spectrum) wants x strictly increasing or decreasing and returns a
    decreasing one reversed; ``"nondecreasing"`` (a cumulative capacity) wants x never to decrease;
    ``"any"`` (e.g. a rate test back to its first current) checks nothing. Raises ProcessingError, naming
    the file and line, for a missing or unreadable file, a line not two finite numbers, under ``min_points``
    rows, or a violated ``x_order``.
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
