"""Grid specs: validation, expansion, size and chunked iteration."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from nacarbon.errors import ConfigError
from nacarbon.screening.grid import CANDIDATE_ID, chunk_bounds, grid_chunk, grid_size, grid_values

TABLE3_SPEC = {
    "d002_nm": {"values": [0.365, 0.38, 0.395]},
    "la_nm": {"start": 1.5, "stop": 5.0, "step": 0.5},
    "lc_nm": {"start": 0.8, "stop": 2.3, "step": 0.5},
    "id_ig": {"start": 0.43, "stop": 1.63, "step": 0.2},
    "ssa_m2_g": {"values": [2, 160, 325, 587]},
}


@pytest.mark.parametrize(("start", "stop", "step", "expected"), [
    (0.43, 1.63, 0.2, [0.43, 0.63, 0.83, 1.03, 1.23, 1.43, 1.63]),
    (1.5, 5.0, 0.5, [1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0]),
    (0.8, 2.3, 0.5, [0.8, 1.3, 1.8, 2.3]),
    (0.0, 0.3, 0.1, [0.0, 0.1, 0.2, 0.3]),        # 0.3 / 0.1 = 2.9999999999999996 in floats
    (0.335, 0.41, 0.015, [0.335, 0.35, 0.365, 0.38, 0.395, 0.41]),
    (0.0, 0.95, 0.1, [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]),  # stop not on the lattice
    (2.0, 2.0, 0.5, [2.0]),
])
def test_step_axis_is_inclusive_and_free_of_float_noise(start, stop, step, expected):
    values = grid_values({"x": {"start": start, "stop": stop, "step": step}})["x"]
    assert values.tolist() == expected


def test_values_and_linspace_axes():
    values = grid_values({"a": {"values": [3, 1, 2]}, "b": {"start": 0.0, "stop": 1.0, "num": 5}})
    assert values["a"].tolist() == [3.0, 1.0, 2.0]  # the given order is kept
    assert values["b"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert list(values) == ["a", "b"]


def test_table3_like_grid_size():
    # 3 spacings x 8 La (1.5..5 by 0.5) x 4 Lc (0.8..2.3 by 0.5) x 7 ID/IG (0.43..1.63 by 0.2) x 4 SSA
    assert grid_size(TABLE3_SPEC) == 3 * 8 * 4 * 7 * 4 == 2688


def test_rows_follow_c_order_of_the_spec():
    spec = {"a": {"values": [1, 2]}, "b": {"values": [10, 20, 30]}, "c": {"values": [0.5, 0.7]}}
    frame = grid_chunk(grid_values(spec), 0, grid_size(spec))
    expected = list(itertools.product([1, 2], [10, 20, 30], [0.5, 0.7]))
    assert list(frame.columns) == [CANDIDATE_ID, "a", "b", "c"]
    assert frame[CANDIDATE_ID].tolist() == list(range(12))
    assert [tuple(row) for row in frame[["a", "b", "c"]].to_numpy()] == expected


@pytest.mark.parametrize("chunk_size", [5, 7, 500, 2688, 10_000])
def test_chunks_cover_every_candidate_exactly_once(chunk_size):
    chunks = [grid_chunk(grid_values(TABLE3_SPEC), a, b) for a, b in chunk_bounds(2688, chunk_size)]
    assert all(len(c) <= chunk_size for c in chunks)
    assert len(chunks) == -(-2688 // chunk_size)
    ids = np.concatenate([c[CANDIDATE_ID].to_numpy() for c in chunks])
    np.testing.assert_array_equal(ids, np.arange(2688))
    whole = pd.concat(chunks, ignore_index=True)
    product = list(itertools.product(*(v.tolist() for v in grid_values(TABLE3_SPEC).values())))
    assert [tuple(r) for r in whole[list(TABLE3_SPEC)].to_numpy()] == product


def test_huge_grid_is_never_materialised():
    # 10^12 candidates: only the requested rows are ever built.
    spec = {f"x{i}": {"start": 0, "stop": 99, "step": 1} for i in range(6)}
    assert grid_size(spec) == 10**12
    first = grid_chunk(grid_values(spec), 0, 3)
    assert first[CANDIDATE_ID].tolist() == [0, 1, 2] and first["x5"].tolist() == [0.0, 1.0, 2.0]
    last = grid_chunk(grid_values(spec), 10**12 - 1, 10**12)
    assert last.iloc[0].tolist() == [10**12 - 1] + [99.0] * 6
    middle = grid_chunk(grid_values(spec), 123_456_789_012, 123_456_789_013)
    assert middle.iloc[0, 1:].tolist() == [12.0, 34.0, 56.0, 78.0, 90.0, 12.0]


def test_chunk_bounds_partition_the_range():
    assert list(chunk_bounds(10, 4)) == [(0, 4), (4, 8), (8, 10)]
    assert len(chunk_bounds(10**15, 7)) == -(-10**15 // 7) and chunk_bounds(10, 4)[-1] == (8, 10)
    with pytest.raises(ConfigError, match="chunk_size"):
        chunk_bounds(10, 0)


@pytest.mark.parametrize(("axis", "key"), [
    ({"start": 0, "stop": 1, "step": 0}, "step"),
    ({"start": 0, "stop": 1, "step": -0.1}, "step"),
    ({"start": 2, "stop": 1, "step": 0.1}, "start"),
    ({"start": 0, "stop": 1, "stpe": 0.1}, "stpe"),
    ({"start": 0, "stop": 1}, "keys"),
    ({"start": 0, "stop": 1, "step": 0.1, "num": 3}, "keys"),
    ({"values": []}, "values"),
    ({"values": [1, 1]}, "values"),
    ({"values": [1, "a"]}, "values"),
    ({"start": 0, "stop": 1, "num": 0}, "num"),
    ({"start": 0, "stop": float("nan"), "step": 0.1}, "stop"),
    ({"start": True, "stop": 1, "step": 0.1}, "start"),
    ([1, 2, 3], "mapping"),
])
def test_bad_axis_raises_config_error_naming_feature_and_key(axis, key):
    with pytest.raises(ConfigError) as info:
        grid_values({"la_nm": axis})
    assert info.value.key.startswith("screen.grid.la_nm")
    assert key in str(info.value)


def test_bad_spec_is_rejected_before_iteration():
    with pytest.raises(ConfigError):
        grid_values({})
    with pytest.raises(ConfigError, match=CANDIDATE_ID):
        grid_values({CANDIDATE_ID: {"values": [1]}})
    with pytest.raises(ConfigError, match="step"):
        grid_values({"x": {"start": 0, "stop": 1, "step": 0}})


def test_condition_axes_encode_categories_and_hold_numbers():
    from nacarbon.screening.grid import condition_axes

    axes = condition_axes({"electrolyte": "ester", "current_ma_g": 100, "material_class": "hard"})
    assert axes == {"is_ether": {"values": [0.0]}, "current_ma_g": {"values": [100.0]}, "is_soft": {"values": [0.0]}}
    spec = {"d002_nm": {"values": [0.37, 0.38]}, **condition_axes({"electrolyte": "ether", "current_ma_g": 30})}
    assert grid_size(spec) == 2
    chunk = grid_chunk(grid_values(spec), 0, 2)
    assert (chunk["is_ether"] == 1.0).all() and (chunk["current_ma_g"] == 30.0).all()


def test_condition_axes_refuse_unknown_category():
    from nacarbon.screening.grid import condition_axes

    with pytest.raises(ConfigError, match=r"electrolyte='carbonate'.*allowed: \['ester', 'ether'\]"):
        condition_axes({"electrolyte": "carbonate"})
    with pytest.raises(ConfigError, match="current_ma_g"):
        condition_axes({"current_ma_g": "fast"})
