"""``python -m analyze``: Spearman tables, two-parameter maps and SHAP, in an MLflow run of its own.

Written under ``experiments/analysis/<dataset>-<data_version>/``; ``report=true`` adds the reproduction report.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf

from nacarbon.analysis.sources import EXPLAINED_ON
from nacarbon.errors import ConfigError
from nacarbon.tracking import tags as T

if TYPE_CHECKING:  # SHAP, MLflow and pandas load when the command runs, not for --help
    import pandas as pd

    from nacarbon.analysis.importance import Explained
    from nacarbon.analysis.sources import ModelSource, SourceRef
    from nacarbon.targets import TargetSpec
    from nacarbon.data.io import Dataset

SHAP_DATA = "full"


@dataclass
class Analysis:
    """Everything one analysis computed and wrote."""

    dataset: Dataset
    targets: list[TargetSpec]
    features: list[str]
    out_dir: Path
    spearman: pd.DataFrame
    maps: pd.DataFrame
    explained: dict[str, Explained]
    sources: dict[str, ModelSource]
    notes: list[str]
    metrics: dict[str, float] = field(default_factory=dict)
    run_id: str | None = None
    report: Path | None = None


def output_dir(cfg: DictConfig, data_version: str) -> Path:
    """``experiments/analysis/<dataset>-<data_version>/``."""
    return Path(cfg.paths.experiments_dir, "analysis", f"{cfg.dataset.name}-{data_version}")


def _metrics(spearman: "pd.DataFrame", explained: dict[str, Explained]) -> dict[str, float]:
    out = {}
    for r in spearman.dropna(subset=["rho"]).itertuples():
        key = f"{r.group}_{r.target_name}_{r.feature}"
        out[f"spearman_rho_{key}"], out[f"spearman_p_{key}"] = float(r.rho), float(r.p)
    for target, ex in explained.items():
        for r in ex.importance.itertuples():
            out[f"shap_{target}_{r.feature}"] = float(r.mean_abs_shap)
            out[f"perm_{target}_{r.feature}"] = float(r.perm_rmse_increase_mean)
    return out


def _explain(cfg: DictConfig, client, refs: list["SourceRef"], notes: list[str],
             out: Path) -> tuple[dict[str, "Explained"], dict[str, "ModelSource"], list[str]]:
    from nacarbon.analysis.outputs import write_explanations
    from nacarbon.registry.sources import load_source

    sources = [load_source(client, ref) for ref in refs]
    explained, _ = write_explanations(sources, out, top_k=int(cfg.shap.top_k),
                                      max_background=int(cfg.shap.max_background),
                                      n_repeats=int(cfg.shap.permutation_repeats), seed=int(cfg.seed))
    if not sources:
        notes.insert(0, f"SHAP skipped: no model to explain (shap.source={cfg.shap.source})")
    return explained, {s.ref.target: s for s in sources}, notes


def analyze(cfg: DictConfig) -> Analysis:
    """Compute and write the analysis of ``cfg.dataset`` (nothing is logged to MLflow yet)."""
    from nacarbon.analysis.outputs import write_correlations, write_maps
    from nacarbon.data.io import load_configured
    from nacarbon.registry.sources import find_sources
    from nacarbon.targets import targets_on_dataset
    from nacarbon.tracking.store import connect

    if str(cfg.shap.data) != SHAP_DATA:
        raise ConfigError("only the full-data fit explained on its training rows: out-of-fold SHAP needs per-fold "
                          "models, which training runs do not store", key="shap.data", value=cfg.shap.data,
                          allowed=[SHAP_DATA])
    dataset = load_configured(cfg.dataset)
    targets, notes = targets_on_dataset(cfg.targets, cfg.dataset.name)
    if not targets:
        raise ConfigError(f"none of targets={list(cfg.targets)} is carried by dataset {cfg.dataset.name!r}")
    client = connect(cfg.tracking.uri, cfg.tracking.artifact_root)
    # resolved before anything is written, so a wrong run id fails fast
    runs_of = {"experiment": T.experiment_name(cfg.dataset.name), "data_version": dataset.version,
               "cv": str(cfg.cv.name), "features": str(cfg.features.name)}
    refs, shap_notes = find_sources(client, str(cfg.shap.source), [t.name for t in targets], runs_of=runs_of)
    features = list(cfg.features.columns)
    out = output_dir(cfg, dataset.version)
    if out.exists():  # generated output only: a stale SHAP folder must not outlive its champion
        shutil.rmtree(out)
    group_col = cfg.get("group_col") or None
    spearman, _ = write_correlations(dataset.frame, features, targets, out / "correlation",
                                     group_col=group_col, alpha=float(cfg.alpha))
    pairs = OmegaConf.to_container(cfg.map_pairs, resolve=True) or {}
    maps = write_maps(dataset.frame, targets, pairs, out / "maps", group_col=group_col,
                      method=str(cfg.map.method), grid=int(cfg.map.grid), smoothing=float(cfg.map.smoothing),
                      min_rows=int(cfg.map.min_rows))
    explained, sources, shap_notes = _explain(cfg, client, refs, shap_notes, out / "shap")
    analysis = Analysis(dataset, targets, features, out, spearman, maps, explained, sources,
                        notes + shap_notes + [f"map {r.target}/{r.group} {r.x}-{r.y}: {r.status}"
                                              for r in maps.itertuples() if r.status != "ok"])
    analysis.metrics = _metrics(spearman, explained)
    summary = {"dataset": cfg.dataset.name, "data_version": dataset.version, "targets": [t.name for t in targets],
               "features": features, "shap_source": str(cfg.shap.source), "shap_data": EXPLAINED_ON,
               "explained": {t: {"run_id": s.ref.run_id, "model": s.model_family, "version": s.ref.version,
                                 "explainer": explained[t].explainer} for t, s in sources.items()},
               "notes": analysis.notes}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return analysis


def _log(cfg: DictConfig, analysis: Analysis) -> str:
    from nacarbon.tracking.runs import record_run

    tags = {T.DATASET: cfg.dataset.name, T.DATA_VERSION: analysis.dataset.version, T.FEATURES: cfg.features.name,
            "shap_source": str(cfg.shap.source), "shap_data": EXPLAINED_ON}
    tags |= {f"explained.{t}": f"{s.ref.run_id} ({s.model_family}, v{s.ref.version or '-'})"
             for t, s in analysis.sources.items()}
    params = {"targets": ",".join(t.name for t in analysis.targets), "features": ",".join(analysis.features),
              "group_col": str(cfg.get("group_col")), "alpha": cfg.alpha, "map_method": cfg.map.method,
              "map_min_rows": cfg.map.min_rows, "shap_source": cfg.shap.source, "shap_data": cfg.shap.data,
              "shap_max_background": cfg.shap.max_background, "permutation_repeats": cfg.shap.permutation_repeats,
              "seed": cfg.seed}
    description = (f"Spearman correlations, two-parameter maps and SHAP of {cfg.dataset.name}@"
                   f"{analysis.dataset.version} ({len(analysis.sources)} model(s) explained, {EXPLAINED_ON})"
                   + ("; the reproduction report is under reproduction/." if analysis.report is not None else "."))
    folders = [(analysis.out_dir, None)]
    if analysis.report is not None:
        folders.append((analysis.report.parent, "reproduction"))
    return record_run(T.experiment_name(cfg.dataset.name), T.ANALYZE, description, uri=cfg.tracking.uri,
                      artifact_root=cfg.tracking.artifact_root, run_name=f"analyze-{cfg.dataset.name}", tags=tags,
                      params=params, metrics=analysis.metrics, folders=folders)


def _verdicts(cfg: DictConfig, analysis: Analysis) -> dict:
    """Per target, the one significance rule's verdicts on the report's runs (as compare and promote give them)."""
    from nacarbon.commands.compare import target_verdicts
    from nacarbon.tracking.store import connect

    client = connect(cfg.tracking.uri, cfg.tracking.artifact_root)
    verdicts = {t.name: target_verdicts(client, T.experiment_name(cfg.dataset.name), t.name,
                                        data_version=analysis.dataset.version, cv=cfg.cv.name,
                                        features=cfg.features.name) for t in analysis.targets}
    return {t: v for t, v in verdicts.items() if v is not None}


def run(cfg: DictConfig) -> dict:
    """Analyse ``cfg``, optionally write the reproduction report, and log it all as one MLflow run.

    The dict holds ``run_id``, ``out_dir``, ``files`` (all written), ``notes`` (what was skipped, why) and more.
    """
    analysis = analyze(cfg)
    if cfg.report:
        from nacarbon.reporting.reproduction import report_dir, write_from_analysis

        analysis.report = write_from_analysis(cfg, analysis, report_dir(cfg), tested=_verdicts(cfg, analysis))
    analysis.run_id = _log(cfg, analysis)
    files = sorted(p for p in analysis.out_dir.rglob("*") if p.is_file())
    if analysis.report is not None:
        files += sorted(p for p in analysis.report.parent.rglob("*") if p.is_file())
    return {"run_id": analysis.run_id, "data_version": analysis.dataset.version, "out_dir": analysis.out_dir,
            "files": files, "metrics": analysis.metrics, "notes": analysis.notes, "report": analysis.report,
            "explained": {t: s.ref.run_id for t, s in analysis.sources.items()}}


def format_summary(cfg: DictConfig, result: dict) -> str:
    """What ``python -m analyze`` prints."""
    n_out = sum(1 for f in result["files"] if Path(f).is_relative_to(result["out_dir"]))
    lines = [f"analysis of {cfg.dataset.name}@{result['data_version']}: {n_out} files in {result['out_dir']}",
             f"SHAP: {len(result['explained'])} model(s) explained ({EXPLAINED_ON})"]
    lines += [f"note: {n}" for n in result["notes"]]
    if result["report"] is not None:
        lines.append(f"reproduction report: {result['report']}")
    lines.append(f"MLflow run {result['run_id']} (nacarbon.kind=analyze): browse with `make ui`")
    return "\n".join(lines)

