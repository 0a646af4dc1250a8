"""Shared by bench_targets.py and bench_protocols.py: configs, designs and CV of one target."""

from __future__ import annotations

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from nacarbon.data.design import Design, make_design
from nacarbon.data.io import Dataset, load_configured
from nacarbon.models.crossval import CVResult, cross_validate
from nacarbon.evaluation.metrics import regression_metrics
from nacarbon.paths import project_root

CONF = project_root() / "conf"


def node(group: str, name: str, seed: int = 0):
    """A conf/<group>/<name>.yaml node with ${seed} and ${paths.data_dir} resolved."""
    cfg = OmegaConf.create({"seed": seed, "paths": {"data_dir": str(project_root() / "data")},
                            "node": OmegaConf.load(CONF / group / f"{name}.yaml")})
    return OmegaConf.create(OmegaConf.to_container(cfg, resolve=True)["node"])


def design_for(dataset: Dataset, target: str, features: str, family: str, seed: int = 0) -> Design:
    """The design training builds for (target, features, family)."""
    t, f, m = node("target", target), node("features", features), node("model", family, seed)
    return make_design(dataset.frame, target=t.column, filters=t.get("filter"),
                       features=[*f.columns, *(m.get("extra_features") or [])])


def load(name: str) -> Dataset:
    """A configured dataset, loaded as training loads it."""
    return load_configured(node("dataset", name))


BAGGED = {"extra_trees", "random_forest", "bagging"}  # fewer members: noisier, not biased


def fast(model_cfg, quick: bool):
    """Fewer trees for bagged ensembles in --quick mode (boosting keeps its rounds: fewer would
    underfit; the CV and the splits are unchanged)."""
    if quick and model_cfg.name in BAGGED and "n_estimators" in model_cfg.estimator:
        model_cfg.estimator.n_estimators = min(int(model_cfg.estimator.n_estimators), 100)
    return model_cfg


def run_cv(design: Design, family: str, splitter, *, seed: int = 0, quick: bool = False) -> CVResult:
    """Outer CV of one family (default hyperparameters) with the mean baseline on the same folds."""
    cfg = fast(node("model", family, seed), quick)
    return cross_validate(cfg, design.X, design.y, design.groups, splitter)


def pooled_r2(cv: CVResult, mask: np.ndarray | None = None) -> float:
    """Mean over repeats of the pooled out-of-fold R² (optionally on a subset of rows)."""
    out = []
    for _, part in cv.oof.groupby("repeat"):
        if mask is not None:
            part = part[mask[part["row"].to_numpy()]]
        out.append(regression_metrics(part["y_true"], part["y_pred"])["r2"])
    return float(np.mean(out))


def fmt_table(rows: list[dict], cols: list[str]) -> str:
    """A Markdown table (benchmarks print what README.md records)."""
    df = pd.DataFrame(rows)[cols]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in r) + " |")
    return "\n".join(lines)
