"""Maps of one measured performance over two structural parameters (paper Figs. 2b-g and 3).

The interpolated surface is restricted to the convex hull of the points, so the reader never
mistakes extrapolation for data. Screening predictions (Fig. 4f-h): :mod:`nacarbon.screening.heatmap`.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Polygon
from matplotlib.ticker import MaxNLocator
from scipy.interpolate import CloughTocher2DInterpolator, LinearNDInterpolator, RBFInterpolator
from scipy.spatial import ConvexHull, Delaunay, QhullError

from nacarbon.data import columns as C
from nacarbon.errors import ConfigError, DataValidationError

AXIS_LABELS: dict[str, str] = {
    C.D002_NM: r"$d_{002}$ (nm)",
    C.LA_NM: r"$L_a$ (nm)",
    C.LC_NM: r"$L_c$ (nm)",
    C.ID_IG: r"$I_D/I_G$",
    C.SSA_M2_G: r"SSA (m$^2$ g$^{-1}$)",
    C.CAPACITY_MAH_G: r"Capacity (mAh g$^{-1}$)",
    C.CURRENT_MA_G: r"Current density (mA g$^{-1}$)",
    C.RATE_FACTOR: "Rate factor",
    C.ICE_PCT: "ICE (%)",
    C.PLATEAU_V: "Plateau (V)",
    C.PLATEAU_CAPACITY_MAH_G: r"Plateau capacity (mAh g$^{-1}$)",
    C.HTT_C: "HTT (°C)",
}
METHODS = ("rbf", "linear", "cubic")
CMAP = "viridis"
_DATA = "<DataFrame>"  # DataValidationError wants a path; these frames live in memory


class MapGrid(NamedTuple):
    """Interpolated surface on a regular grid.

    ``xx``, ``yy``, ``zz`` are (grid, grid) (rows follow y); ``zz`` is NaN where ``inside`` is False,
    outside the convex hull of the data, whose vertices (in order, data units) are the rows of ``hull``.
    """

    xx: np.ndarray
    yy: np.ndarray
    zz: np.ndarray
    inside: np.ndarray
    hull: np.ndarray


def axis_label(column: str) -> str:
    """Mathtext plot label with units for a database column (``"$L_a$ (nm)"``); unknown ones unchanged."""
    return AXIS_LABELS.get(column, column)


def short_label(column: str) -> str:
    """Return :func:`axis_label` without its unit, e.g. ``"$L_a$"`` for ``"la_nm"``."""
    return axis_label(column).split(" (")[0]


def _bad(field: str, value: object, rule: str) -> DataValidationError:
    return DataValidationError(_DATA, [{"row": None, "field": field, "value": value, "rule": rule}])


def numeric_columns(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """``cols`` of ``df`` as float64 (NaN kept); one DataValidationError names all missing or non-numeric."""
    problems, out = [], {}
    for c in cols:
        if c not in df.columns:
            problems.append({"row": None, "field": c, "value": None, "rule": "column must be present"})
            continue
        try:
            out[c] = pd.to_numeric(df[c], errors="raise").astype(float)
        except (ValueError, TypeError) as exc:
            problems.append({"row": None, "field": c, "value": str(exc), "rule": "must be numeric"})
    if problems:
        raise DataValidationError(_DATA, problems)
    return pd.DataFrame(out, index=df.index)


def map_grid(x_values: np.ndarray, y_values: np.ndarray, z_values: np.ndarray, *, method: str = "rbf",
             grid: int = 100, smoothing: float = 1e-2) -> MapGrid:
    """Interpolate z over a regular (x, y) grid of ``grid`` nodes per axis, masked to the data's convex hull.

    ``method`` "rbf" is a thin-plate-spline RBFInterpolator with ``smoothing`` (0 interpolates exactly);
    "linear"/"cubic" are griddata's interpolants on the hull's own triangulation. Coordinates are scaled
    to [0, 1] first, because structural parameters differ by orders of magnitude (d002 ~ 0.37 nm, SSA
    ~ 10^2 m^2/g) and the isotropic kernel and the triangulation would follow the larger axis only.
    Repeated (x, y) points are replaced by their mean z, which an exact interpolant needs; the spline
    carries a linear polynomial, so planes are reproduced at any smoothing.
    """
    if method not in METHODS:
        raise ConfigError(key="map.method", value=method, allowed=list(METHODS))
    if int(grid) < 2:
        raise ConfigError(key="map.grid", value=grid, allowed="an integer >= 2")
    x, y, z = (np.asarray(v, dtype=float).ravel() for v in (x_values, y_values, z_values))
    if not len(x) == len(y) == len(z):
        raise _bad("x, y, z", (len(x), len(y), len(z)), "arrays must have equal length")
    if not (np.isfinite(x).all() and np.isfinite(y).all() and np.isfinite(z).all()):
        raise _bad("x, y, z", None, "values must be finite (drop missing rows first)")
    pts = pd.DataFrame({"x": x, "y": y, "z": z}).groupby(["x", "y"], as_index=False)["z"].mean()
    if len(pts) < 3:
        raise _bad("x, y", len(pts), "need at least 3 distinct (x, y) points")
    lo = pts[["x", "y"]].min().to_numpy()
    span = pts[["x", "y"]].max().to_numpy() - lo
    if (span == 0).any():
        raise _bad("x, y", span.tolist(), "points span a line, not an area")
    uv = (pts[["x", "y"]].to_numpy() - lo) / span
    try:
        tri = Delaunay(uv)
    except QhullError as exc:
        raise _bad("x, y", None, "points are collinear: no area to map") from exc

    g = np.linspace(0.0, 1.0, int(grid))
    uu, vv = np.meshgrid(g, g)
    query = np.column_stack([uu.ravel(), vv.ravel()])
    inside = (tri.find_simplex(query) >= 0).reshape(uu.shape)
    zv = pts["z"].to_numpy()
    if method == "rbf":
        zz = RBFInterpolator(uv, zv, kernel="thin_plate_spline", smoothing=smoothing)(query)
    elif method == "linear":
        zz = LinearNDInterpolator(tri, zv)(query)
    else:
        zz = CloughTocher2DInterpolator(tri, zv)(query)
    zz = np.where(inside, zz.reshape(uu.shape), np.nan)
    hull = lo + uv[ConvexHull(uv).vertices] * span
    return MapGrid(lo[0] + uu * span[0], lo[1] + vv * span[1], zz, inside, hull)


def save_png(fig: Figure, path: str | Path, title: str) -> Path:
    """Write a pyplot-free ``fig`` to ``path`` as a 150 dpi PNG titled ``title``, then clear it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The title (with n) also goes into the PNG's text metadata, so files explain themselves.
    fig.savefig(path, dpi=150, metadata={"Title": title})
    fig.clear()
    return path


def _norm(*arrays: np.ndarray) -> tuple[Normalize, np.ndarray]:
    finite = np.concatenate([np.ravel(a) for a in arrays])
    finite = finite[np.isfinite(finite)]
    vmin, vmax = float(finite.min()), float(finite.max())
    if vmax == vmin:  # constant z still needs increasing contour levels
        pad = 0.5 * abs(vmin) if vmin else 0.5
        vmin, vmax = vmin - pad, vmax + pad
    levels = MaxNLocator(nbins=15).tick_values(vmin, vmax)  # round numbers on the colour bar
    return Normalize(levels[0], levels[-1]), levels


def performance_map(df: pd.DataFrame, x: str, y: str, z: str, *, path: str | Path, method: str = "rbf",
                    grid: int = 100, title: str | None = None, smoothing: float = 1e-2) -> Path:
    """Draw measured ``z`` over structural parameters ``x`` and ``y`` as a filled-contour PNG at ``path``.

    Rows missing a column are dropped; ``(n = ...)`` is appended to the title; ``method``, ``grid`` and
    ``smoothing`` are :func:`map_grid`'s. The surface is drawn only inside the convex hull (grey outside,
    where any map would extrapolate). Points share the colour scale and have black edges, so a point
    disagreeing with the smoothed surface is visible.
    """
    data = numeric_columns(df, [x, y, z]).dropna()
    n = len(data)
    mg = map_grid(data[x], data[y], data[z], method=method, grid=grid, smoothing=smoothing)
    norm, levels = _norm(mg.zz, data[z].to_numpy())

    fig = Figure(figsize=(6.4, 5.0), layout="constrained")
    ax = fig.add_subplot()
    ax.set_facecolor("0.90")
    cf = ax.contourf(mg.xx, mg.yy, mg.zz, levels=levels, cmap=CMAP, norm=norm)
    ax.add_patch(Polygon(mg.hull, closed=True, fill=False, ls="--", lw=0.8, ec="0.3"))
    ax.scatter(data[x], data[y], c=data[z], cmap=CMAP, norm=norm, s=30, edgecolors="k",
               linewidths=0.7, zorder=3, label=f"measured (n = {n})")
    fig.colorbar(cf, ax=ax, label=axis_label(z))
    ax.set_xlabel(axis_label(x))
    ax.set_ylabel(axis_label(y))
    outside = Patch(facecolor="0.90", edgecolor="0.3", ls="--", label="outside data hull (no map)")
    # below the axes, so the key never hides measured points
    fig.legend(handles=[*ax.get_legend_handles_labels()[0], outside], loc="outside lower center",
               ncols=2, fontsize=8)
    head = title or f"{short_label(z)} over {short_label(x)} and {short_label(y)} ({method})"
    full = f"{head} (n = {n})"
    ax.set_title(full, fontsize=10)
    return save_png(fig, path, full)
