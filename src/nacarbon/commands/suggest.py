"""``python -m suggest``: the next batch of experiments, from the registry's champions.

Builds the candidate pool over what a lab controls (structure grid x heat-treatment temperature,
electrolyte, test current) inside the physical rules, or reads the lab's own characterized
samples (``candidates=FILE``, where the series prior applies), predicts it with the champions (point,
conformal interval, applicability domain), ranks it by the acquisition, picks a diverse batch
and writes the fill-in template ``python -m nacarbon.db add`` accepts, a Markdown summary, and
one MLflow run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf

from nacarbon.errors import ConfigError, NacarbonError
from nacarbon.tracking import tags as T

if TYPE_CHECKING:  # MLflow and the model libraries load when the command runs, not for --help
    import pandas as pd

    from nacarbon.registry.champions import ChampionModel
    from nacarbon.suggest.acquisition import Objective


@dataclass
class SuggestOutcome:
    """A finished suggestion: the picks, the files written and the MLflow run."""

    picks: pd.DataFrame
    sample_ids: list[str]
    template: Path
    summary: Path
    run_id: str
    n_pool: int
    n_eligible: int
    champions: dict[str, ChampionModel]


def parse_objectives(raw: object) -> list[dict]:
    """``cfg.objectives`` as a list of ``{target, weight, goal, low, high}`` dicts (goal may be None).

    An item is a target name or a mapping; anything else is a ConfigError.
    """
    items = OmegaConf.to_container(raw, resolve=True) if OmegaConf.is_config(raw) else raw
    if isinstance(items, (str, dict)):
        items = [items]
    if not isinstance(items, list) or not items:
        raise ConfigError(f"objectives={items!r}: give at least one target, e.g. objectives=[ice]")
    out = []
    for item in items:
        spec = {"target": item} if isinstance(item, str) else item
        if not isinstance(spec, dict) or not isinstance(spec.get("target"), str):
            raise ConfigError(f"objectives: {item!r} is neither a target name nor {{target: ..., weight: ...}}")
        unknown = set(spec) - {"target", "weight", "goal", "low", "high"}
        if unknown:
            raise ConfigError(f"objectives: '{spec['target']}' has unknown keys {sorted(unknown)}; "
                              f"allowed: target, weight, goal, low, high")
        out.append(spec)
    return out


def load_needed(cfg: DictConfig, targets: list[str]) -> dict[str, ChampionModel]:
    """The champion of each objective's target, through the registry's one loader.

    Raises
    ------
    ConfigError
        Naming a target without a champion and how to get one.
    """
    from nacarbon.registry.champions import load_champion, why_no_champion
    from nacarbon.tracking.store import connect

    client = connect(cfg.tracking.uri, cfg.tracking.artifact_root)
    champions = {}
    for t in dict.fromkeys(targets):
        champion = load_champion(client, t)
        if champion is None:
            raise ConfigError(f"objective on target '{t}', which has no champion in the registry at "
                              f"{cfg.tracking.uri}: {why_no_champion(client, t)} "
                              f"(e.g. python -m train target={t} dataset=literature features=rich, then "
                              f"python -m promote target={t} dataset=literature features=rich)")
        champions[t] = champion
    return champions


def make_objectives(specs: list[dict], champions: Mapping[str, ChampionModel]) -> list[Objective]:
    """Objectives with each missing goal taken from the champion's ``higher_is_better``."""
    from nacarbon.suggest.acquisition import Objective

    return [Objective(target=s["target"], weight=float(s.get("weight", 1.0)),
                      goal=s.get("goal") or ("max" if champions[s["target"]].higher_is_better else "min"),
                      low=s.get("low"), high=s.get("high")) for s in specs]


def split_rules(cfg: DictConfig) -> tuple[list[dict], list[dict]]:
    """The screen's physical rules plus ``constraints``: those on pool columns, those on predictions."""
    raw = [*OmegaConf.to_container(cfg.screen.constraints, resolve=True),
           *OmegaConf.to_container(cfg.constraints, resolve=True)]
    on_pool, on_predictions = [], []
    for rule in raw:
        if not isinstance(rule, dict) or "name" not in rule or "expr" not in rule:
            raise ConfigError(f"constraints: {rule!r} must be {{name: ..., expr: ...}} (target: <t> for a rule "
                              f"on pred_<t>)")
        (on_predictions if rule.get("target") or "pred_" in str(rule["expr"]) else on_pool).append(rule)
    return on_pool, on_predictions


def build_pool(cfg: DictConfig, rules: list[dict]) -> pd.DataFrame:
    """The structure grid (minus axes the lab sets in ``process``) crossed with ``process``, ruled."""
    from nacarbon.suggest.space import candidate_pool

    process = OmegaConf.to_container(cfg.process, resolve=True)
    grid = {k: v for k, v in OmegaConf.to_container(cfg.screen.grid, resolve=True).items() if k not in process}
    pool = candidate_pool(grid, process, rules)
    pool["material_class"] = str(cfg.material_class)
    return pool


def load_candidates(cfg: DictConfig, champions: Mapping[str, ChampionModel], rules: list[dict]) -> pd.DataFrame:
    """The lab's own candidates (``cfg.candidates``) for the champions, with the user's constraints.

    See :func:`nacarbon.suggest.candidates.read_candidates` for what is checked.
    """
    from nacarbon.suggest.candidates import read_candidates

    user_rules = OmegaConf.to_container(cfg.constraints, resolve=True)
    series = cfg.series.column if cfg.series.prior else None
    return read_candidates(str(cfg.candidates), [f for c in champions.values() for f in c.predictor.features],
                           series_column=series, constraints=[r for r in rules if r in user_rules])


def within_conditions(pool: pd.DataFrame, targets: list[str]) -> pd.DataFrame:
    """The candidates inside every objective target's training conditions (its ``filter``).

    A model trained on ester cells only (rate factor, plateau voltage) cannot rank an ether
    candidate: the condition was constant in its training data.

    Raises
    ------
    ConfigError
        If no candidate is left, naming the target and its conditions.
    """
    from nacarbon.targets import load_target
    from nacarbon.uncertainty.answer import describe_conditions, outside_conditions

    for t in targets:
        filters = load_target(t).filter
        if not filters:
            continue
        inside = outside_conditions(pool, filters) == ""
        if not inside.any():
            raise ConfigError(f"objective '{t}' was trained on {describe_conditions(filters)} only, and no candidate "
                              f"meets that; e.g. process.electrolyte=[ester]")
        pool = pool[inside].reset_index(drop=True)
    return pool


def run(cfg: DictConfig) -> SuggestOutcome:
    """Propose ``cfg.n`` experiments and write the template, the summary and an MLflow run.

    Returns
    -------
    SuggestOutcome

    Raises
    ------
    ConfigError
        ``n <= 0``, an objective without a champion, constraints that leave no candidate, an
        unknown electrolyte (nothing is written in any of these cases).
    """
    import numpy as np

    from nacarbon.screening.constraints import apply_constraints
    from nacarbon.suggest.champions import champion_predictions, interval_alpha, known_materials
    from nacarbon.suggest.report import outside_domain
    from nacarbon.suggest.select import SuggestConfig, suggest_batch
    from nacarbon.suggest.series import series_fields

    specs = parse_objectives(cfg.objectives)
    from_lab = bool(cfg.candidates)
    sc = SuggestConfig(n=int(cfg.n), method=str(cfg.acquisition), kappa=float(cfg.kappa), xi=float(cfg.xi),
                       combine=str(cfg.combine), min_distance=float(cfg.min_distance),
                       max_per_group=None if cfg.max_per_group is None else int(cfg.max_per_group),
                       group_column=cfg.group_column, space=list(cfg.space), diversity=list(cfg.diversity),
                       n_nearest=int(cfg.n_nearest),
                       **series_fields(OmegaConf.to_container(cfg.series.trends, resolve=True), cfg.series.column,
                                       float(cfg.series.prior), active=from_lab))
    pool_rules, pred_rules = split_rules(cfg)
    if from_lab:
        champions = load_needed(cfg, [s["target"] for s in specs])
        pool = load_candidates(cfg, champions, pool_rules)
    else:
        pool = build_pool(cfg, pool_rules)  # unknown electrolyte, bad grid, rules leaving nothing: before any load
        champions = load_needed(cfg, [s["target"] for s in specs])
    objectives = make_objectives(specs, champions)
    pool = within_conditions(pool, list(champions))
    sc = replace(sc, interval_alpha=interval_alpha(champions))
    frame = champion_predictions(champions, pool)
    n_pool = len(pool)
    # rules on predictions apply where their targets are predicted (as in the screen)
    active = [{k: v for k, v in r.items() if k != "target"} for r in pred_rules
              if all(t in champions for t in {*_pred_names(r["expr"]), *([r["target"]] if r.get("target") else [])})]
    keep = np.ones(n_pool, bool)
    if active:
        checked = apply_constraints(pool.join(frame), active)
        keep = checked.mask
        if not keep.any():
            raise ConfigError(f"the rules on predictions leave no candidate of {n_pool:,}; rows removed per rule: "
                              f"{dict(checked.failures)}")
    n_in_domain = int((keep & frame["in_domain"].to_numpy()).sum())
    if cfg.require_in_domain and not n_in_domain:
        raise ConfigError(f"no candidate of {n_pool:,} that passes the rules is inside the applicability domain "
                          f"of the champions; widen screen.grid / process or set require_in_domain=false")
    pool, frame = pool[keep].reset_index(drop=True), frame[keep].reset_index(drop=True)
    outside = outside_domain(pool, frame, bool(cfg.require_in_domain))
    predict, domain = _callables(frame, list(champions), bool(cfg.require_in_domain))
    known = known_materials(champions)
    picks = suggest_batch(pool, predict, objectives, known, sc, domain=domain)
    shown = frame[frame["in_domain"].to_numpy()] if cfg.require_in_domain else frame
    return _write(cfg, picks, objectives, champions, known, from_lab=from_lab, n_pool=n_pool, n_eligible=len(pool),
                  n_in_domain=n_in_domain, alpha=sc.interval_alpha, candidates=shown, outside=outside)


def _pred_names(expr: str) -> list[str]:
    import re

    return re.findall(r"pred_([A-Za-z0-9_]+)", expr)


def _callables(frame: pd.DataFrame, targets: list[str], require: bool) -> tuple[Callable, Callable]:
    """``predict`` and ``domain`` for :func:`suggest_batch`, reading the precomputed ``frame``."""
    import numpy as np

    def predict(pool):
        return {t: (frame[f"pred_{t}"].to_numpy(), frame[f"lo_{t}"].to_numpy(), frame[f"hi_{t}"].to_numpy())
                for t in targets}

    def domain(pool):
        inside = frame["in_domain"].to_numpy() if require else np.ones(len(frame), bool)
        return frame["domain_score"].to_numpy(), inside

    return predict, domain


def _write(cfg: DictConfig, picks: pd.DataFrame, objectives: list, champions: Mapping[str, ChampionModel],
           known: pd.DataFrame, *, from_lab: bool, n_pool: int, n_eligible: int, n_in_domain: int,
           alpha: float, candidates: pd.DataFrame, outside: list[str]) -> SuggestOutcome:
    """Template, summary, the batch among its candidates (PNG), MLflow run."""
    from nacarbon.plots.batch import batch_plot
    from nacarbon.suggest.report import batch_header, summary_markdown
    from nacarbon.suggest.series import series_sentence
    from nacarbon.suggest.template import table_header, write_template
    from nacarbon.tracking.runs import record_run

    stamp = time.strftime("%Y%m%d-%H%M%S")
    batch_id = f"SUG-{stamp}"
    table_header(cfg.table)  # a missing table is an error before anything is written
    out = Path(cfg.output) if cfg.output else Path(cfg.paths.experiments_dir) / "suggest" / stamp / "batch.csv"
    if out.suffix.lower() != ".csv":
        raise ConfigError(f"output={str(out)!r}: the template is a CSV file (name it *.csv)")
    if out.is_dir():
        raise ConfigError(f"output={str(out)!r} is a folder; give a file name, e.g. output={out / 'batch.csv'}")
    sample_ids = ([str(v) for v in picks["sample_id"]] if from_lab else
                  [f"{batch_id}-{i + 1:02d}" for i in range(len(picks))])
    prior_on = from_lab and bool(cfg.series.column) and bool(cfg.series.prior)
    header = batch_header(
        batch_id, models=", ".join(f"`{T.model_name(t)}` v{c.version}" for t, c in champions.items()),
        pool=(f"{n_pool:,} of your samples in `{cfg.candidates}`" if from_lab else
              f"{n_pool:,} candidates over what a lab controls ({', '.join(cfg.process)} x the structure "
              f"grid '{cfg.screen.name}') inside the physical rules on the settings"),
        n_eligible=n_eligible, n_in_domain=n_in_domain, require_in_domain=bool(cfg.require_in_domain),
        series=(series_sentence(str(cfg.series.column), OmegaConf.to_container(cfg.series.trends, resolve=True),
                                float(cfg.series.prior), int(picks["series_dominated"].sum())) if prior_on else
                "Series prior: off" + ("." if from_lab else " (grid candidates have no series).")),
        acquisition=(f"{cfg.acquisition} (kappa {cfg.kappa}, xi {cfg.xi}) on {cfg.combine} objectives, each "
                     f"champion's {1 - alpha:.0%} interval (paper-grouped CV+, as `predict` and `screen` give); "
                     f"no two picks closer than {cfg.min_distance} on ({', '.join(cfg.diversity)}), the "
                     f"settings a lab controls"),
        template=out.name, n_asked=int(cfg.n), n_picked=len(picks))
    text = summary_markdown(picks, sample_ids, objectives, header=header, outside=outside,
                            diversity=(list(cfg.diversity), float(cfg.min_distance)),
                            notes={"Known materials": f"{len(known):,} (the champions' training rows)"})
    template = write_template(picks, out, table=cfg.table, batch_id=batch_id, material_class=str(cfg.material_class),
                              keep_identity=from_lab)
    summary = out.with_suffix(".md")
    summary.write_text(text, encoding="utf-8")
    plot = batch_plot(candidates, picks, [o.target for o in objectives], path=out.with_suffix(".png"))
    tags = {f"model_version.{t}": f"{T.model_name(t)}/{c.version}" for t, c in champions.items()}
    tags |= {"batch_id": batch_id}
    description = (f"Batch {batch_id}: {len(picks)} suggested experiments by {cfg.acquisition} on "
                   f"{', '.join(o.target for o in objectives)} with " +
                   ", ".join(f"{T.model_name(t)} v{c.version}" for t, c in champions.items()) + ".")
    params = {"n": int(cfg.n), "acquisition": str(cfg.acquisition), "kappa": cfg.kappa, "xi": cfg.xi,
              "combine": str(cfg.combine), "min_distance": cfg.min_distance, "interval_alpha": alpha,
              "objectives": json.dumps([o.__dict__ for o in objectives]),
              "process": json.dumps(OmegaConf.to_container(cfg.process, resolve=True)),
              "grid": cfg.screen.name, "require_in_domain": cfg.require_in_domain,
              "candidates": str(cfg.candidates) if from_lab else "grid",
              "series_prior": float(cfg.series.prior) if from_lab and cfg.series.column else 0.0}
    metrics = {"n_picks": len(picks), "n_pool": n_pool, "n_eligible": n_eligible, "n_in_domain": n_in_domain,
               "n_explore": int((picks["mode"] == "explore").sum())}
    try:
        run_id = record_run(T.SUGGEST_EXPERIMENT, T.SUGGEST, description, uri=cfg.tracking.uri,
                            artifact_root=cfg.tracking.artifact_root, run_name=f"suggest-{batch_id}", tags=tags,
                            params=params, metrics=metrics, files=[(template, None), (summary, None), (plot, "plots")])
    except NacarbonError:
        for made in (template, summary, plot):
            made.unlink(missing_ok=True)
        raise
    return SuggestOutcome(picks, sample_ids, template, summary, run_id, n_pool, n_eligible, dict(champions))
