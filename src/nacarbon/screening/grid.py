"""Candidate grids: the Cartesian product of per-feature value lists, streamed in chunks.

A spec maps a feature to ``{values: [...]}``, ``{start, stop, step}`` (stop included) or
``{start, stop, num}`` (linspace). A candidate's id is its flat C-order index (last feature fastest),
so it is stable for a spec and any chunk can be rebuilt from its index range alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from nacarbon.data.design import CATEGORY_CODES
from nacarbon.errors import ConfigError

CANDIDATE_ID = "candidate_id"

_FORMS = ({"values"}, {"start", "stop", "step"}, {"start", "stop", "num"})
_KNOWN_KEYS = {"values", "start", "stop", "step", "num"}
# Float steps such as 0.43..1.63 by 0.2 give (stop-start)/step = 5.9999999999999991;
# this slack keeps the stop value in, and the rounding strips 1.0299999999999998-style noise.
_STEP_SLACK = 1e-9
_DECIMALS = 12


def _number(key: str, value: Any) -> float:
    if (isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
            or not np.isfinite(value)):
        raise ConfigError(key=key, value=value, allowed="a finite number")
    return float(value)


def _axis_values(feature: str, axis: Any) -> np.ndarray:
    key = f"screen.grid.{feature}"
    if not isinstance(axis, Mapping):
        raise ConfigError(key=key, value=axis, allowed="a mapping")
    keys = set(axis)
    unknown = sorted(keys - _KNOWN_KEYS)
    if unknown:
        raise ConfigError("unknown key", key=f"{key}.{unknown[0]}", value=axis[unknown[0]],
                          allowed=sorted(_KNOWN_KEYS))
    if keys not in _FORMS:
        raise ConfigError(key=key, value=axis, allowed="exactly the keys ['values'], ['start', 'stop', 'step'] "
                                                       "or ['start', 'stop', 'num']")
    if "values" in keys:
        raw = axis["values"]
        if isinstance(raw, (str, bytes)) or not hasattr(raw, "__len__") or len(raw) == 0:
            raise ConfigError(key=f"{key}.values", value=raw, allowed="a non-empty list")
        values = np.array([_number(f"{key}.values[{i}]", v) for i, v in enumerate(raw)])
        if len(np.unique(values)) != len(values):
            raise ConfigError("contains duplicates", key=f"{key}.values", value=raw)
        return values
    start = _number(f"{key}.start", axis["start"])
    stop = _number(f"{key}.stop", axis["stop"])
    if start > stop:
        raise ConfigError(f"must be <= stop ({stop})", key=f"{key}.start", value=start)
    if "num" in keys:
        num = axis["num"]
        if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 1:
            raise ConfigError(key=f"{key}.num", value=num, allowed="a positive integer")
        if num > 1 and start == stop:
            raise ConfigError(f"more than one value needs start < stop (both {start})", key=f"{key}.num", value=num)
        return np.round(np.linspace(start, stop, int(num)), _DECIMALS)
    step = _number(f"{key}.step", axis["step"])
    if step <= 0:
        raise ConfigError(key=f"{key}.step", value=step, allowed="a number > 0")
    n = int(np.floor((stop - start) / step + _STEP_SLACK)) + 1
    return np.round(start + step * np.arange(n), _DECIMALS)


def grid_values(spec: Mapping[str, Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Validate a grid spec and expand each feature's axis to float values, in spec order.

    ConfigError naming the feature and key on an empty spec, unknown/missing keys, a non-positive
    step, ``start > stop``, a bad ``num`` or duplicate values.
    """
    if not isinstance(spec, Mapping) or not spec:
        raise ConfigError(key="screen.grid", value=spec, allowed="a non-empty mapping of feature -> axis")
    if CANDIDATE_ID in spec:
        raise ConfigError("this name is reserved for the candidate index", key=f"screen.grid.{CANDIDATE_ID}",
                          value=spec[CANDIDATE_ID])
    return {str(feature): _axis_values(str(feature), axis) for feature, axis in spec.items()}


# How a stated test condition becomes the model's input column, in the one encoding
# (nacarbon.data.design.CATEGORY_CODES): electrolyte -> is_ether, material_class -> is_soft.
CONDITION_CODES: dict[str, tuple[str, dict[str, float]]] = {
    column: (feature, codes) for feature, (column, codes) in CATEGORY_CODES.items()}


def condition_axes(conditions: Mapping[str, Any] | None) -> dict[str, dict[str, list[float]]]:
    """One-value grid axes (``{"values": [v]}``, the grid size is unchanged) for ``screen.conditions``.

    Named categories (``electrolyte``, ``material_class``) become their numeric model column; any other
    key is a numeric column held at its value. ConfigError on an unknown category or a non-number.
    """
    axes: dict[str, dict[str, list[float]]] = {}
    for key, value in (conditions or {}).items():
        if key in CONDITION_CODES:
            column, codes = CONDITION_CODES[key]
            if value not in codes:
                raise ConfigError("unknown category", key=f"screen.conditions.{key}", value=value,
                                  allowed=sorted(codes))
            axes[column] = {"values": [codes[value]]}
        else:
            axes[str(key)] = {"values": [_number(f"screen.conditions.{key}", value)]}
    return axes


def grid_size(spec: Mapping[str, Mapping[str, Any]]) -> int:
    """Number of candidates in the grid (validated as in :func:`grid_values`)."""
    return _size(grid_values(spec))


def _size(values: Mapping[str, np.ndarray]) -> int:
    # Python ints: a 10^10-point grid must not overflow silently.
    size = 1
    for axis in values.values():
        size *= len(axis)
    return size


def grid_chunk(values: Mapping[str, np.ndarray], start: int, stop: int) -> pd.DataFrame:
    """Rows ``start`` to ``stop - 1`` of the grid: ``candidate_id`` (int64 flat index), then the features."""
    size = _size(values)
    if not 0 <= start <= stop <= size:
        raise ValueError(f"chunk range [{start}, {stop}) is outside the grid of size {size}")
    index = np.arange(start, stop, dtype=np.int64)
    shape = tuple(len(axis) for axis in values.values())
    positions = np.unravel_index(index, shape)
    columns = {CANDIDATE_ID: index}
    for (feature, axis), pos in zip(values.items(), positions):
        columns[feature] = axis[pos]
    return pd.DataFrame(columns)


class ChunkBounds(Sequence):
    """Lazy sequence of half-open ``(start, stop)`` ranges of ``chunk_size`` over ``range(size)``."""

    def __init__(self, size: int, chunk_size: int):
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
            raise ConfigError(key="screen.chunk_size", value=chunk_size, allowed="a positive integer")
        self.size, self.chunk_size = int(size), int(chunk_size)
        self._starts = range(0, self.size, self.chunk_size)

    def __len__(self) -> int:
        return len(self._starts)

    def __getitem__(self, i: int) -> tuple[int, int]:
        start = self._starts[i]  # integer index only; negative indices and IndexError from range
        return start, min(start + self.chunk_size, self.size)


def chunk_bounds(size: int, chunk_size: int) -> ChunkBounds:
    """``range(size)`` as consecutive ``(start, stop)`` ranges of ``chunk_size``, the last maybe shorter.

    Lazy (:class:`ChunkBounds`): a 10^12-candidate grid costs no memory until a chunk is built.
    """
    return ChunkBounds(size, chunk_size)
