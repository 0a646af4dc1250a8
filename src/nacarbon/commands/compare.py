"""``python -m compare``: collect runs, build the table and plots, write them and log them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig

from nacarbon.errors import ConfigError
from nacarbon.tracking import tags as T

if TYPE_CHECKING:  # pandas and MLflow load when the command runs, not for --help
    import pandas as pd

    from nacarbon.targets import TargetSpec


@dataclass
class ComparisonResult:
    """What one comparison produced."""

    table: "pd.DataFrame"
    winners: dict[str, list[str]]
    missing: list[str]
    data_version: str
    out_dir: Path
    run_id: str
    markdown: str


def resolve_data_version(cfg: DictConfig) -> str:
    """The data version ``cfg`` selects runs on: ``current`` is the hash of the dataset files now, else as given."""
    if str(cfg.data_version) != "current":
        return str(cfg.data_version)
    from nacarbon.data.io import load_configured

    return load_configured(cfg.dataset).version


def target_verdicts(client, experiment: str, target: str, *, alpha: float = 0.05, **selection):
    """The one significance rule's verdict on every run of one target, as ``compare`` tables it.

    ``selection``: ``data_version``, ``cv``, ``features`` (optionally ``seed``, ``search``, ``exclude_models``).
    None when no run matches.
    """
    from nacarbon.comparison.table import comparison_table, significance_by_run
    from nacarbon.tracking.folds import experiment_folds

    folds = experiment_folds(client, experiment, target=target, **selection)
    return significance_by_run(comparison_table(folds, alpha=alpha)) if len(folds) else None


def collect(cfg: DictConfig, version: str, selection: str) -> tuple["pd.DataFrame", list[str]]:
    """The per-fold scores of the asked-for targets' latest runs, and the targets without any.

    ConfigError if no target has a matching finished run (``selection`` says what was looked for)."""
    import pandas as pd

    from nacarbon.tracking.folds import experiment_folds
    from nacarbon.tracking.store import connect

    client = connect(cfg.tracking.uri, cfg.tracking.artifact_root)
    parts, missing = [], []
    for target in cfg.targets:
        folds = experiment_folds(client, T.experiment_name(cfg.dataset.name), target=target, data_version=version,
                                 cv=cfg.cv.name, features=cfg.features.name, seed=cfg.seed,
                                 search=cfg.runs_search, exclude_models=tuple(cfg.exclude_models))
        if len(folds):
            parts.append(folds)
        else:
            missing.append(target)
    if not parts:
        raise ConfigError(f"no finished training runs in {cfg.tracking.uri} for {list(cfg.targets)} ({selection}); "
                          f"train first, e.g. `python -m train -m target=ice model=ridge,xgboost`")
    return pd.concat(parts, ignore_index=True), missing


def write_plots(cfg: DictConfig, table: "pd.DataFrame", folds: "pd.DataFrame", specs: dict[str, "TargetSpec"],
                version: str, out_dir: Path) -> dict[str, str]:
    """One comparison plot per target in ``out_dir``, titled with its label and unit; target -> file name."""
    from nacarbon.comparison.plots import comparison_plot

    plots = {}
    for target, part in table.groupby("target", sort=False):
        spec = specs[str(target)]
        comparison_plot(part, folds[folds["target"] == target], path=out_dir / f"{target}.png",
                        title=f"{spec.label} — {cfg.dataset.name}@{version}, cv={cfg.cv.name}", unit=spec.unit)
        plots[str(target)] = f"{target}.png"
    return plots


def record(cfg: DictConfig, table: "pd.DataFrame", best: dict[str, list[str]], version: str, out_dir: Path,
           plots: dict[str, str]) -> str:
    """Log the comparison as an MLflow run of kind ``compare`` (table, Markdown, plots); its run id."""
    from nacarbon.evaluation.significance import TEST_NAME
    from nacarbon.tracking.runs import record_run

    tags = {T.DATASET: cfg.dataset.name, T.DATA_VERSION: version, T.CV: cfg.cv.name, T.FEATURES: cfg.features.name}
    description = (f"Every model family against the mean baseline on {cfg.dataset.name}@{version} (cv={cfg.cv.name}): "
                   + "; ".join(f"{t}: {', '.join(w) if w else 'none beats the baseline'}" for t, w in best.items()))
    return record_run(
        T.experiment_name(cfg.dataset.name), T.COMPARE, description, uri=cfg.tracking.uri,
        artifact_root=cfg.tracking.artifact_root, run_name=f"compare-{cfg.dataset.name}-{version}", tags=tags,
        params={"targets": ",".join(cfg.targets), "alpha": cfg.alpha, "test": TEST_NAME,
                "search": cfg.runs_search or "any", "seed": cfg.seed, "exclude_models": ",".join(cfg.exclude_models)},
        metrics={f"{t}_n_models": float((table["target"] == t).sum() - 1) for t in best}
        | {f"{t}_n_beating_baseline": float(len(w)) for t, w in best.items()},
        files=[(out_dir / "table.csv", None), (out_dir / "table.md", None),
               *((out_dir / name, "plots") for name in plots.values())])


def run(cfg: DictConfig) -> ComparisonResult:
    """Compare the latest run of every model with the mean baseline, per target; write and log it.

    ConfigError if a target is unknown or none has a matching finished run.
    """
    from nacarbon.comparison.markdown import comparison_markdown
    from nacarbon.comparison.table import comparison_table, winners
    from nacarbon.targets import load_target
    from nacarbon.tracking.store import git_commit

    specs = {str(t): load_target(t) for t in cfg.targets}   # an unknown target fails before anything is read
    version = resolve_data_version(cfg)
    selection = (f"dataset {cfg.dataset.name}@{version}, cv={cfg.cv.name}, features={cfg.features.name}, "
                 f"seed={cfg.seed}, search={cfg.runs_search or 'any'}")
    folds, missing = collect(cfg, version, selection)
    table = comparison_table(folds, alpha=float(cfg.alpha))
    best = winners(table)
    out_dir = Path(cfg.paths.experiments_dir, "compare", f"{cfg.dataset.name}-{version}")
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = write_plots(cfg, table, folds, specs, version, out_dir)
    header = {"dataset": f"{cfg.dataset.name}, data version {version}", "selection": selection,
              "runs": "the latest finished run of each model", "git commit": git_commit()}
    markdown = comparison_markdown(table, best, header=header, alpha=float(cfg.alpha), missing=missing,
                                   plots=plots)
    table.to_csv(out_dir / "table.csv", index=False)
    (out_dir / "table.md").write_text(markdown)
    run_id = record(cfg, table, best, version, out_dir, plots)
    return ComparisonResult(table, best, missing, version, out_dir, run_id, markdown)


def format_summary(result: ComparisonResult) -> str:
    """The few lines ``python -m compare`` prints about ``result`` (from :func:`run`)."""
    lines = [f"comparison of {result.table['model'].ne('baseline').sum()} runs, data version {result.data_version}"]
    width = max([10, *map(len, result.winners), *map(len, result.missing)])   # plateau_voltage: one column still
    for target, models in result.winners.items():
        lines.append(f"  {target:{width}s} " + (", ".join(models) if models else "no model beats the mean baseline"))
    lines += [f"  {t:{width}s} no finished runs" for t in result.missing]
    lines.append(f"written to {result.out_dir} (table.md, table.csv, PNGs); MLflow run {result.run_id}")
    return "\n".join(lines)
