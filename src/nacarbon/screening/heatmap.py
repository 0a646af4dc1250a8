"""Screening predictions drawn as heatmaps over two structural parameters (paper Fig. 4f-h)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nacarbon.analysis.maps import CMAP, axis_label, numeric_columns, save_png, short_label
from nacarbon.errors import ConfigError, DataValidationError

AGGREGATIONS = ("max", "mean", "min", "median")


def _levels(values: pd.Series, bins: int) -> pd.Series:
    if values.nunique() <= bins:  # screening grids are already regular: keep their levels
        return values
    edges = np.linspace(values.min(), values.max(), bins + 1)
    centers = 0.5 * (edges[:-1] + edges[1:])
    return pd.Series(centers[np.digitize(values, edges[1:-1])], index=values.index)


def aggregate_grid(
    candidates_df: pd.DataFrame, x: str, y: str, z: str, *, agg: str = "max", bins: int = 40
) -> pd.DataFrame:
    """Table of predicted ``z`` aggregated per (x, y) level: y levels as index, x as columns, NaN where empty.

    ``agg`` (max, mean, min, median) summarises the candidates sharing a cell (differing in the other
    parameters): "max" shows the best reachable value, "mean" the typical one. An axis with more than
    ``bins`` distinct values is cut into ``bins`` equal-width bins [lo, hi) named by their centres.
    """
    if agg not in AGGREGATIONS:
        raise ConfigError(f"unknown aggregation {agg!r}; choose one of {AGGREGATIONS}")
    if int(bins) < 1:
        raise ConfigError(f"bins must be positive, got {bins}")
    data = numeric_columns(candidates_df, [x, y, z]).dropna()
    if data.empty:
        raise DataValidationError("<DataFrame>", [{"row": None, "field": f"{x}, {y}, {z}", "value": 0,
                                                   "rule": "need at least one complete candidate row"}])
    keyed = pd.DataFrame({x: _levels(data[x], bins), y: _levels(data[y], bins), z: data[z]})
    table = keyed.groupby([y, x])[z].agg(agg).unstack(x)
    return table.sort_index().sort_index(axis=1)


def _edges(centers: np.ndarray) -> np.ndarray:
    if len(centers) == 1:
        half = 0.5 * abs(centers[0]) or 0.5
        return np.array([centers[0] - half, centers[0] + half])
    mids = 0.5 * (centers[:-1] + centers[1:])
    return np.concatenate([[2 * centers[0] - mids[0]], mids, [2 * centers[-1] - mids[-1]]])


def prediction_map(candidates_df: pd.DataFrame, x: str, y: str, z: str, *, path: str | Path, agg: str = "max",
                   bins: int = 40, title: str | None = None) -> Path:
    """Write :func:`aggregate_grid`'s table as a PNG heatmap (paper Fig. 4f-h) titled with the count."""
    table = aggregate_grid(candidates_df, x, y, z, agg=agg, bins=bins)
    n = int(candidates_df[[x, y, z]].notna().all(axis=1).sum())
    xe = _edges(table.columns.to_numpy(dtype=float))
    ye = _edges(table.index.to_numpy(dtype=float))
    values = np.ma.masked_invalid(table.to_numpy(dtype=float))

    fig = Figure(figsize=(6.4, 5.0), layout="constrained")
    ax = fig.add_subplot()
    ax.set_facecolor("0.90")  # empty cells: no candidate there
    mesh = ax.pcolormesh(xe, ye, values, cmap=CMAP, shading="flat")
    fig.colorbar(mesh, ax=ax, label=f"{agg} predicted {axis_label(z)}")
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    head = title or f"Predicted {short_label(z)}: {agg} over the other parameters"
    full = f"{head} (n = {n} candidates)"
    ax.set_title(full, fontsize=10)
    return save_png(fig, path, full)
