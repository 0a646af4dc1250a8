"""``python -m screen``: score a candidate grid with the promoted champions and rank it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf

from nacarbon.data.columns import STRUCTURE
from nacarbon.errors import ConfigError, NacarbonError
from nacarbon.tracking import tags as T

if TYPE_CHECKING:  # MLflow and the model libraries load when the command runs, not for --help
    import pandas as pd

    from nacarbon.registry.champions import ChampionModel
    from nacarbon.screening.engine import ScreenResult


@dataclass
class ScreenOutcome:
    """A finished screen: the engine's result plus where it was written."""

    result: ScreenResult  # or an OptimizeResult for screen=optimize
    champions: dict[str, ChampionModel]
    ranked: list[str]
    shown_only: list[str]
    missing: list[str]
    out_dir: Path
    run_id: str


def load_champions(cfg: DictConfig) -> tuple[dict[str, ChampionModel], list[str]]:
    """Champions of the configured targets, and the targets that have none."""
    from nacarbon.targets import target_names
    from nacarbon.registry.champions import load_champion
    from nacarbon.tracking.store import connect

    if unknown := [t for t in cfg.targets if t not in target_names()]:
        raise ConfigError("unknown target", key="targets", value=unknown[0], allowed=target_names())
    client = connect(cfg.tracking.uri, cfg.tracking.artifact_root)
    found = {t: load_champion(client, t) for t in cfg.targets}
    champions = {t: c for t, c in found.items() if c is not None}
    return champions, [t for t, c in found.items() if c is None]


def check_features(champions: dict[str, ChampionModel], grid: list[str]) -> None:
    """Every champion must be able to read the grid's columns."""
    for t, c in champions.items():
        names = list(c.predictor.features)
        extra = sorted(set(names) - set(grid))
        if extra:
            raise ConfigError(f"champion of '{t}' (v{c.version}) needs features {extra} that the screening grid "
                              f"does not have; add them to conf/screen/*.yaml grid or promote a model trained "
                              f"with features=default")


def active_rules(constraints, predicted: set[str]) -> tuple[list[dict], list[str]]:
    """Rules to apply: those on grid columns, and those on predictions that exist."""
    rules, skipped = [], []
    for raw in OmegaConf.to_container(constraints, resolve=True):
        target = raw.pop("target", None)
        if target is None or target in predicted:
            rules.append(raw)
        else:
            skipped.append(raw["name"])
    return rules, skipped


def top_table(result: ScreenResult, champions: dict[str, ChampionModel], n: int) -> pd.DataFrame:
    """The paper's Table 3 layout: structure (and process), then each prediction with its interval."""
    top = result.top.head(n)
    cols = ["rank", *STRUCTURE, *(c for c in ("htt_c",) if c in top)]
    for t in champions:
        cols += [c for c in (f"pred_{t}", f"lo_{t}", f"hi_{t}") if c in top]
    cols += [c for c in ("score", "domain_score") if c in top]
    return top[cols].reset_index(drop=True)


def run(cfg: DictConfig) -> ScreenOutcome:
    """Screen the configured grid with the champions and record it all."""
    from nacarbon.screening.engine import Execution, Models, Plan, screen

    sc = cfg.screen
    champions, missing = load_champions(cfg)
    if not champions:
        raise NacarbonError(f"no target among {list(cfg.targets)} has a champion in the registry at "
                            f"{cfg.tracking.uri}; train and promote first (make run, or python -m promote)")
    from nacarbon.screening.grid import condition_axes

    spec = OmegaConf.to_container(sc.grid, resolve=True)
    spec |= condition_axes(OmegaConf.to_container(sc.conditions) if sc.get("conditions") else None)
    check_features(champions, list(spec))
    # The one verdict: only a champion that beats the baseline significantly AND by a relevant margin
    # ranks; a "small-effect" or "no-gain" champion is shown beside the ranking, never ranked on.
    ranked = [t for t, c in champions.items() if c.ranked or sc.rank_below_baseline]
    shown_only = [t for t in champions if t not in ranked]
    if not ranked:
        raise NacarbonError(f"no champion among {list(champions)} has the verdict beats-baseline (significant "
                            f"and relevant): nothing trustworthy to rank (set screen.rank_below_baseline=true "
                            f"to rank anyway)")
    rules, skipped = active_rules(sc.constraints, set(champions))
    # Each champion is the whole registered predictor: its own interval and domain, as `predict` gives.
    predictors = {t: c.predictor for t, c in champions.items()}
    ranges = {t: (float(c.training[c.target_column].min()), float(c.training[c.target_column].max()))
              for t, c in champions.items()}
    out_dir = Path(cfg.paths.experiments_dir) / "screening" / time.strftime("%Y%m%d-%H%M%S")
    out_dir.mkdir(parents=True, exist_ok=True)
    if sc.mode == "optimize":
        return _optimize(cfg, spec, champions, ranked, shown_only, missing, skipped, rules, out_dir)
    rank_by = str(sc.rank_by)
    keep = str(out_dir / "candidates.parquet") if sc.keep_all else None
    directions = {t: "max" if champions[t].higher_is_better else "min" for t in ranked}
    plan = Plan.build(spec, rules, ranking_targets=ranked, weights={t: float(sc.weights[t]) for t in ranked},
                      directions=directions, score_ranges=ranges, require_in_domain=bool(sc.require_in_domain),
                      top_k=int(sc.top_k), rank_by=rank_by)
    execution = Execution(chunk_size=int(sc.chunk_size), backend=sc.backend, keep_all_path=keep,
                          backend_options=OmegaConf.to_container(sc.backend_options), progress=bool(cfg.progress))
    result = screen(Models(predictors), plan, execution)
    from nacarbon.screening.report import write_outputs

    files = write_outputs(result, champions, cfg, out_dir, ranked=ranked, shown_only=shown_only,
                          missing=missing, skipped_rules=skipped, table=top_table(result, champions,
                                                                                 int(sc.table_rows)))
    run_id = _log(cfg, champions, ranked, files, mode="grid",
                  params={"n_candidates": result.n_candidates, "chunk_size": sc.chunk_size, "backend": sc.backend,
                          "rank_by": rank_by,
                          "weights": json.dumps(OmegaConf.to_container(sc.weights))},
                  metrics={"n_candidates": result.n_candidates, "n_passed": result.n_passed,
                           "pass_fraction": result.n_passed / max(result.n_candidates, 1)})
    return ScreenOutcome(result, champions, ranked, shown_only, missing, out_dir, run_id)


def _optimize(cfg: DictConfig, spec: dict, champions: dict[str, ChampionModel], ranked: list[str],
              shown_only: list[str], missing: list[str], skipped: list[str], rules: list[dict],
              out_dir: Path) -> ScreenOutcome:
    """Inverse design: NSGA-II over the grid's bounds against the champions (``screen=optimize``)."""
    from nacarbon.screening.optimize import bounds_from_spec, inverse_design
    from nacarbon.screening.optimize_report import write_optimize_outputs

    sc = cfg.screen
    opt = inverse_design({t: c.predictor for t, c in champions.items()}, bounds=bounds_from_spec(spec),
                         directions={t: "max" if champions[t].higher_is_better else "min" for t in ranked},
                         constraints=rules, require_in_domain=bool(sc.require_in_domain),
                         n_trials=int(sc.optimize.n_trials), population_size=int(sc.optimize.population_size),
                         seed=int(cfg.seed), progress=bool(cfg.progress))
    header = ["Models (registry champions): " + ", ".join(f"`{t}` {T.model_name(t)} v{c.version}" + (
        "" if t in ranked else " (predicted, not an objective)") for t, c in champions.items()), ""]
    header += [f"No champion (not predicted): {', '.join(missing)}", ""] if missing else []
    header += [f"Rules not applied: {', '.join(skipped)}", ""] if skipped else []
    from nacarbon.screening.report import interval_note, winners_curse_note

    header += [*interval_note(champions), "", winners_curse_note("mean", int(sc.table_rows)), ""]
    files = write_optimize_outputs(opt, out_dir, header=header, table_rows=int(sc.table_rows))
    s = opt.summary
    run_id = _log(cfg, champions, ranked, files, mode="optimize",
                  params={"sampler": "NSGAIISampler", "n_trials": s["n_trials"],
                          "population_size": s["population_size"], "seed": s["seed"]},
                  metrics={"n_trials": s["n_trials"], "n_feasible": s["n_feasible"], "n_pareto": s["n_pareto"],
                           "feasible_fraction": s["n_feasible"] / max(s["n_trials"], 1)})
    return ScreenOutcome(opt, champions, ranked, shown_only, missing, out_dir, run_id)


def _log(cfg: DictConfig, champions: dict[str, ChampionModel], ranked: list[str], files: list[Path], *,
         mode: str, params: dict, metrics: dict) -> str:
    """One MLflow run per screen, naming the model versions it used."""
    from nacarbon.tracking.runs import record_run

    tags = {"screen.mode": mode, "ranked_targets": ",".join(ranked)}
    tags |= {f"model_version.{t}": f"{T.model_name(t)}/{c.version}" for t, c in champions.items()}
    tags |= {f"model_run.{t}": c.run_id for t, c in champions.items()}
    description = (f"Screen '{cfg.screen.name}' ({mode}) with " + ", ".join(
        f"{T.model_name(t)} v{c.version}" for t, c in champions.items()) + f"; ranked on {', '.join(ranked)}.")
    # A huge candidates.parquet stays on disk only: the store is not a bulk-data archive.
    kept = [(f, "plots" if f.suffix == ".png" else None) for f in files
            if f.suffix != ".parquet" or f.stat().st_size < 200 * 2**20]
    return record_run(T.SCREENING_EXPERIMENT, T.SCREEN, description, uri=cfg.tracking.uri,
                      artifact_root=cfg.tracking.artifact_root, run_name=f"screen-{cfg.screen.name}", tags=tags,
                      params={"grid": cfg.screen.name, "mode": mode, "require_in_domain": cfg.screen.require_in_domain,
                              **{f"interval_alpha.{t}": c.predictor.regressor.alpha for t, c in champions.items()},
                              **params},
                      metrics=metrics, files=kept)
