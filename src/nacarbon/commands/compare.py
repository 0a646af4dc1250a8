"""``python -m compare``: collect runs, build the table and plots, write them and log them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf

from nacarbon.errors import ConfigError
from nacarbon.tracking import tags as T

if TYPE_CHECKING:  # pandas and MLflow load when the command runs, not for --help
    import pandas as pd


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
    """``data_version: current`` means the hash of the dataset files as they are now.

    Parameters
    ----------
    cfg : DictConfig
        The composed ``conf/compare.yaml``.

    Returns
    -------
    str
    """
    if str(cfg.data_version) != "current":
        return str(cfg.data_version)
    from nacarbon.data.io import load_configured

    return load_configured(cfg.dataset).version


def _target_text(cfg: DictConfig, target: str) -> tuple[str, str]:
    path = Path(cfg.paths.root, "conf", "target", f"{target}.yaml")
    if not path.is_file():
        raise ConfigError(f"conf/compare.yaml: targets: unknown target '{target}' (no {path})")
    node = OmegaConf.load(path)
    return str(node.get("label", target)), str(node.get("unit", ""))


def target_verdicts(client, experiment: str, target: str, *, alpha: float = 0.05, **selection):
    """The one significance rule's verdict on every run of one target, as ``compare`` tables it.

    Parameters
    ----------
    client : MlflowClient
        From :func:`nacarbon.tracking.store.connect`.
    experiment : str
        ``nacarbon-<dataset>``.
    target : str
    alpha : float, default=0.05
    **selection
        ``data_version``, ``cv``, ``features`` (and optionally ``seed``, ``search``,
        ``exclude_models``), as :func:`nacarbon.tracking.folds.collect_folds` takes them.

    Returns
    -------
    pandas.DataFrame or None
        :func:`nacarbon.comparison.table.significance_by_run` of the target's runs (what
        ``promote`` decides on and the reproduction report shows); None when no run matches.
    """
    from nacarbon.comparison.table import comparison_table, significance_by_run
    from nacarbon.tracking.folds import experiment_folds

    folds = experiment_folds(client, experiment, target=target, **selection)
    return significance_by_run(comparison_table(folds, alpha=alpha)) if len(folds) else None


def run(cfg: DictConfig) -> ComparisonResult:
    """Compare the latest run of every model with the mean baseline, per target.

    Parameters
    ----------
    cfg : DictConfig
        The composed ``conf/compare.yaml``.

    Returns
    -------
    ComparisonResult

    Raises
    ------
    ConfigError
        If an asked-for target is unknown or no target has a matching finished run.
    """
    import pandas as pd

    from nacarbon.comparison.markdown import comparison_markdown
    from nacarbon.comparison.plots import comparison_plot
    from nacarbon.comparison.table import comparison_table, winners
    from nacarbon.evaluation.significance import TEST_NAME
    from nacarbon.tracking.folds import experiment_folds
    from nacarbon.tracking.runs import record_run
    from nacarbon.tracking.store import connect, git_commit

    texts = {t: _target_text(cfg, t) for t in cfg.targets}
    version = resolve_data_version(cfg)
    client = connect(cfg.tracking.uri, cfg.tracking.artifact_root)
    experiment = T.experiment_name(cfg.dataset.name)
    selection = (f"dataset {cfg.dataset.name}@{version}, cv={cfg.cv.name}, features={cfg.features.name}, "
                 f"seed={cfg.seed}, search={cfg.runs_search or 'any'}")
    parts, missing = [], []
    for target in cfg.targets:
        folds = experiment_folds(client, experiment, target=target, data_version=version, cv=cfg.cv.name,
                                 features=cfg.features.name, seed=cfg.seed, search=cfg.runs_search,
                                 exclude_models=tuple(cfg.exclude_models))
        if len(folds):
            parts.append(folds)
        else:
            missing.append(target)
    if not parts:
        raise ConfigError(f"no finished training runs in {cfg.tracking.uri} for {list(cfg.targets)} ({selection}); "
                          f"train first, e.g. `python -m train -m target=ice model=ridge,xgboost`")
    folds = pd.concat(parts, ignore_index=True)
    table = comparison_table(folds, alpha=float(cfg.alpha))
    best = winners(table)

    out_dir = Path(cfg.paths.experiments_dir, "compare", f"{cfg.dataset.name}-{version}")
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = {}
    for target, part in table.groupby("target", sort=False):
        label, unit = texts[target]
        comparison_plot(part, folds[folds["target"] == target], path=out_dir / f"{target}.png",
                        title=f"{label} — {cfg.dataset.name}@{version}, cv={cfg.cv.name}", unit=unit)
        plots[target] = f"{target}.png"
    header = {"dataset": f"{cfg.dataset.name}, data version {version}", "selection": selection,
              "runs": "the latest finished run of each model", "git commit": git_commit()}
    markdown = comparison_markdown(table, best, header=header, alpha=float(cfg.alpha), missing=missing,
                                   plots=plots)
    table.to_csv(out_dir / "table.csv", index=False)
    (out_dir / "table.md").write_text(markdown)

    tags = {T.DATASET: cfg.dataset.name, T.DATA_VERSION: version, T.CV: cfg.cv.name, T.FEATURES: cfg.features.name}
    description = (f"Every model family against the mean baseline on {cfg.dataset.name}@{version} (cv={cfg.cv.name}): "
                   + "; ".join(f"{t}: {', '.join(w) if w else 'none beats the baseline'}" for t, w in best.items()))
    run_id = record_run(
        experiment, T.COMPARE, description, uri=cfg.tracking.uri, artifact_root=cfg.tracking.artifact_root,
        run_name=f"compare-{cfg.dataset.name}-{version}", tags=tags,
        params={"targets": ",".join(cfg.targets), "alpha": cfg.alpha, "test": TEST_NAME,
                "search": cfg.runs_search or "any", "seed": cfg.seed, "exclude_models": ",".join(cfg.exclude_models)},
        metrics={f"{t}_n_models": float((table["target"] == t).sum() - 1) for t in best}
        | {f"{t}_n_beating_baseline": float(len(w)) for t, w in best.items()},
        files=[(out_dir / "table.csv", None), (out_dir / "table.md", None),
               *((out_dir / name, "plots") for name in plots.values())])
    return ComparisonResult(table, best, missing, version, out_dir, run_id, markdown)


def format_summary(result: ComparisonResult) -> str:
    """The few lines ``python -m compare`` prints.

    Parameters
    ----------
    result : ComparisonResult
        From :func:`run`.

    Returns
    -------
    str
    """
    lines = [f"comparison of {result.table['model'].ne('baseline').sum()} runs, data version {result.data_version}"]
    for target, models in result.winners.items():
        lines.append(f"  {target:10s} " + (", ".join(models) if models else "no model beats the mean baseline"))
    lines += [f"  {t:10s} no finished runs" for t in result.missing]
    lines.append(f"written to {result.out_dir} (table.md, table.csv, PNGs); MLflow run {result.run_id}")
    return "\n".join(lines)
