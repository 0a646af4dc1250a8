"""Write the analysis tables and figures: Spearman heatmaps, two-parameter maps, SHAP per model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from nacarbon.analysis.correlation import ALL, correlation_heatmap, spearman_table
from nacarbon.analysis.importance import Explained, explain_source
from nacarbon.analysis.maps import numeric_columns, performance_map
from nacarbon.analysis.sources import ModelSource
from nacarbon.targets import TargetSpec
from nacarbon.errors import ConfigError, DataValidationError

MAP_COLUMNS = ["target", "group", "x", "y", "paper_figure", "n", "file", "status"]


def write_correlations(frame: pd.DataFrame, features: list[str], targets: list[TargetSpec], out_dir: Path, *,
                       group_col: str | None, alpha: float) -> tuple[pd.DataFrame, list[Path]]:
    """Write ``spearman.csv`` and one ``spearman_<group>.png`` per group to ``out_dir``; return both.

    The table is :func:`~nacarbon.analysis.correlation.spearman_table` plus ``target_name``; ``group_col``
    (``material_class``) splits the rows, and ``alpha`` is the level of the Benjamini-Hochberg mark.
    """
    table = spearman_table(frame, features, [t.column for t in targets], group_col=group_col, alpha=alpha)
    names = {t.column: t.name for t in targets}
    table.insert(3, "target_name", table["target"].map(names))
    out_dir.mkdir(parents=True, exist_ok=True)
    table.to_csv(out_dir / "spearman.csv", index=False)
    files = [out_dir / "spearman.csv"]
    for group in dict.fromkeys(table["group"]):
        files.append(correlation_heatmap(table, group=group, path=out_dir / f"spearman_{group}.png", alpha=alpha))
    return table, files


def _pairs(spec: object, where: str) -> list[tuple[str, str, str]]:
    pairs = []
    for item in spec or []:
        item = list(item)
        if len(item) not in (2, 3) or not all(isinstance(v, str) for v in item):
            raise ConfigError(f"{where}: each pair is [x, y] or [x, y, paper_figure] of column names, got {item}")
        pairs.append((item[0], item[1], item[2] if len(item) == 3 else "-"))
    return pairs


def write_maps(frame: pd.DataFrame, targets: list[TargetSpec], pairs: Mapping, out_dir: Path, *,
               group_col: str | None, method: str, grid: int, smoothing: float, min_rows: int) -> pd.DataFrame:
    """Draw the configured two-parameter maps of each target, per material class, with ``maps.csv``.

    ``pairs`` is ``target -> group -> [[x, y, paper_figure], ...]`` (``conf/analyze.yaml: map_pairs``;
    other targets ignored): group ``all`` uses every row, another the rows whose ``group_col`` equals it.
    Maps with fewer than ``min_rows`` complete rows are skipped. Returns one row per configured map:
    ``target, group, x, y, paper_figure, n, file, status`` (``status`` "ok" or why not; then no ``file``).
    """
    rows = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for spec in targets:
        for group, group_pairs in (pairs.get(spec.name) or {}).items():
            if group != ALL and group_col is None:
                raise ConfigError(f"map_pairs.{spec.name}.{group}: a class needs group_col to be set")
            sub = frame if group == ALL else frame[(frame[group_col] == group).fillna(False).to_numpy(bool)]
            for x, y, fig in _pairs(group_pairs, f"map_pairs.{spec.name}.{group}"):
                n = len(numeric_columns(sub, [x, y, spec.column]).dropna())
                row = {"target": spec.name, "group": group, "x": x, "y": y, "paper_figure": fig, "n": n,
                       "file": "", "status": "ok"}
                if n < min_rows:
                    row["status"] = f"skipped: {n} complete rows < min_rows={min_rows}"
                else:
                    fig_note = f", cf. paper Fig. {fig}" if fig != "-" else ""
                    target_png = out_dir / f"{spec.name}_{group}_{x}_{y}.png"
                    try:
                        path = performance_map(sub, x, y, spec.column, path=target_png, method=method, grid=grid,
                                               smoothing=smoothing, title=f"{spec.label}, {group} carbon{fig_note}")
                        row["file"] = str(path)
                    except DataValidationError as err:
                        row["status"] = f"skipped: {err}"
                rows.append(row)
    table = pd.DataFrame(rows, columns=MAP_COLUMNS)
    table.to_csv(out_dir / "maps.csv", index=False)
    return table


def write_explanations(sources: Sequence[ModelSource], out_dir: Path, *, top_k: int, max_background: int,
                       n_repeats: int, seed: int) -> tuple[dict[str, Explained], pd.DataFrame]:
    """SHAP and permutation importance of each model under ``out_dir/<target>/``, plus ``importance.csv``.

    Returns target -> :class:`~nacarbon.analysis.importance.Explained` and all importance tables
    stacked (empty without sources); the keywords are :func:`~nacarbon.analysis.importance.explain_source`'s.
    """
    explained = {src.ref.target: explain_source(src, out_dir / src.ref.target, top_k=top_k,
                                                max_background=max_background, n_repeats=n_repeats, seed=seed)
                 for src in sources}
    table = pd.concat([e.importance for e in explained.values()], ignore_index=True) if explained else pd.DataFrame()
    if explained:
        table.to_csv(out_dir / "importance.csv", index=False)
    return explained, table
