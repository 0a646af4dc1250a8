"""Pipeline steps that live beside a command of their own (compare, screen, analyze, report).

Each has the signature ``step(cfg, state, compose_config, overrides)``: the pipeline config, the
shared state of earlier steps, the composer, and the overrides every step inherits.
"""

from __future__ import annotations

from collections.abc import Callable

from omegaconf import DictConfig

Compose = Callable[[str, list[str]], DictConfig]


def step_compare(cfg: DictConfig, state: dict, compose: Compose, overrides: list[str]) -> None:
    """The Fig. S5 comparison of every trained family, per target."""
    from nacarbon.comparison.run import run

    ccfg = compose("compare", [*overrides, f"targets=[{','.join(cfg.targets)}]", f"runs_search={cfg.search_preset}",
                               f"seed={cfg.seed}"])
    state["compare"] = run(ccfg)
    print(f"[compare] tables written under {ccfg.paths.experiments_dir}/compare")


def step_screen(cfg: DictConfig, state: dict, compose: Compose, overrides: list[str]) -> None:
    """Screen the default grid with whatever champions exist."""
    from nacarbon.screening_run import run

    keep = [o for o in overrides if o.startswith(("paths.", "tracking."))]
    scfg = compose("screening", [*keep, f"targets=[{','.join(cfg.targets)}]", f"progress={cfg.progress}"])
    outcome = run(scfg)
    state["screen"] = outcome
    print(f"[screen] {outcome.result.n_candidates:,} candidates, {outcome.result.n_passed:,} feasible; "
          f"ranked on {outcome.ranked}; tables in {outcome.out_dir}")


def step_analyze(cfg: DictConfig, state: dict, compose: Compose, overrides: list[str]) -> None:
    """Spearman, maps and SHAP (see :mod:`nacarbon.analyzing`)."""
    from nacarbon.analyzing import step_analyze as analyze

    analyze(cfg, state, compose, overrides)


def step_report(cfg: DictConfig, state: dict, compose: Compose, overrides: list[str]) -> None:
    """A one-page summary of the whole run under ``experiments/``."""
    from nacarbon.reporting.run_report import write_run_report

    path = write_run_report(cfg, state)
    print(f"[report] {path}")
