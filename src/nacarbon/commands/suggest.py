"""``python -m suggest``: the next batch of experiments, from the registry's champions.

The pool is a ruled grid over what a lab controls, or its own samples (``candidates=FILE``); the
diverse batch is written as a ``nacarbon.db add`` template, a Markdown summary and an MLflow run.
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
    from nacarbon.suggest.select import SuggestConfig


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


def load_needed(cfg: DictConfig, targets: list[str]) -> dict[str, ChampionModel]:
    """The champion of each objective's target; ConfigError naming a target without one and how to get one."""
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


def split_rules(cfg: DictConfig) -> tuple[list[dict], list[dict]]:
    """The screen's physical rules plus ``constraints``: those on pool columns, those on predictions."""
    from nacarbon.suggest.space import split_rules as split

    return split([*OmegaConf.to_container(cfg.screen.constraints, resolve=True),
                  *OmegaConf.to_container(cfg.constraints, resolve=True)])


def build_pool(cfg: DictConfig, rules: list[dict]) -> pd.DataFrame:
    """The structure grid (minus axes the lab sets in ``process``) crossed with ``process``, ruled."""
    from nacarbon.suggest.space import candidate_pool

    process = OmegaConf.to_container(cfg.process, resolve=True)
    grid = {k: v for k, v in OmegaConf.to_container(cfg.screen.grid, resolve=True).items() if k not in process}
    pool = candidate_pool(grid, process, rules)
    pool["material_class"] = str(cfg.material_class)
    return pool


def load_candidates(cfg: DictConfig, champions: Mapping[str, ChampionModel], rules: list[dict]) -> pd.DataFrame:
    """The lab's own candidates (``cfg.candidates``, checked by ``read_candidates``), user constraints applied."""
    from nacarbon.suggest.candidates import read_candidates

    user_rules = OmegaConf.to_container(cfg.constraints, resolve=True)
    series = cfg.series.column if cfg.series.prior else None
    return read_candidates(str(cfg.candidates), [f for c in champions.values() for f in c.predictor.features],
                           series_column=series, constraints=[r for r in rules if r in user_rules])


def within_conditions(pool: pd.DataFrame, targets: list[str]) -> pd.DataFrame:
    """The candidates inside every objective target's training conditions (its ``filter``).

    A model trained on ester cells only cannot rank an ether candidate: the condition was constant
    in its training data. ConfigError if no candidate is left, naming the target and its conditions.
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


def settings(cfg: DictConfig, from_lab: bool) -> SuggestConfig:
    """The batch settings of ``cfg`` (the series prior applies to a lab's own candidates only)."""
    from nacarbon.suggest.select import SuggestConfig
    from nacarbon.suggest.series import series_fields

    return SuggestConfig(n=int(cfg.n), method=str(cfg.acquisition), kappa=float(cfg.kappa), xi=float(cfg.xi),
                         combine=str(cfg.combine), min_distance=float(cfg.min_distance),
                         max_per_group=None if cfg.max_per_group is None else int(cfg.max_per_group),
                         group_column=cfg.group_column, space=list(cfg.space), diversity=list(cfg.diversity),
                         n_nearest=int(cfg.n_nearest),
                         **series_fields(OmegaConf.to_container(cfg.series.trends, resolve=True), cfg.series.column,
                                         float(cfg.series.prior), active=from_lab))


def run(cfg: DictConfig) -> SuggestOutcome:
    """Propose ``cfg.n`` experiments and write the template, the summary and an MLflow run.

    ConfigError, with nothing written, for an objective without a champion, an unknown electrolyte or
    constraints that leave no candidate.
    """
    from nacarbon.suggest.champions import champion_predictions, interval_alpha, known_materials
    from nacarbon.suggest.objectives import make_objectives, parse_objectives
    from nacarbon.suggest.report import outside_domain
    from nacarbon.suggest.select import suggest_batch
    from nacarbon.suggest.space import passing_predictions

    specs = parse_objectives(cfg.objectives)
    from_lab = bool(cfg.candidates)
    sc = settings(cfg, from_lab)
    pool_rules, pred_rules = split_rules(cfg)
    if from_lab:
        champions = load_needed(cfg, [s["target"] for s in specs])
        pool = load_candidates(cfg, champions, pool_rules)
    else:
        pool = build_pool(cfg, pool_rules)  # unknown electrolyte, bad grid, rules leaving nothing: before any load
        champions = load_needed(cfg, [s["target"] for s in specs])
    objectives = make_objectives(specs, {t: c.higher_is_better for t, c in champions.items()})
    pool = within_conditions(pool, list(champions))
    sc = replace(sc, interval_alpha=interval_alpha(champions))
    frame = champion_predictions(champions, pool)
    counts = {"n_pool": len(pool)}
    keep = passing_predictions(pool, frame, pred_rules, list(champions))
    counts["n_in_domain"] = int((keep & frame["in_domain"].to_numpy()).sum())
    if cfg.require_in_domain and not counts["n_in_domain"]:
        raise ConfigError(f"no candidate of {counts['n_pool']:,} that passes the rules is inside the applicability "
                          f"domain of the champions; widen screen.grid / process or set require_in_domain=false")
    pool, frame = pool[keep].reset_index(drop=True), frame[keep].reset_index(drop=True)
    counts["n_eligible"] = len(pool)
    outside = outside_domain(pool, frame, bool(cfg.require_in_domain))
    predict, domain = _callables(frame, list(champions), bool(cfg.require_in_domain))
    known = known_materials(champions)
    picks = suggest_batch(pool, predict, objectives, known, sc, domain=domain)
    shown = frame[frame["in_domain"].to_numpy()] if cfg.require_in_domain else frame
    return _write(cfg, picks, objectives, champions, known, from_lab=from_lab, counts=counts,
                  alpha=sc.interval_alpha, candidates=shown, outside=outside)


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


def template_path(cfg: DictConfig, stamp: str) -> Path:
    """Where the template goes: ``cfg.output``, or a new folder of ``experiments/suggest/``."""
    out = Path(cfg.output) if cfg.output else Path(cfg.paths.experiments_dir) / "suggest" / stamp / "batch.csv"
    if out.suffix.lower() != ".csv":
        raise ConfigError("the template is a CSV file", key="output", value=str(out), allowed="a file name *.csv")
    if out.is_dir():
        raise ConfigError(f"a folder; give a file name, e.g. output={out / 'batch.csv'}", key="output", value=str(out))
    return out


def _header(cfg: DictConfig, batch_id: str, picks: pd.DataFrame, champions: Mapping[str, ChampionModel], *,
            from_lab: bool, counts: Mapping[str, int], alpha: float, template: str) -> list[str]:
    """The summary's opening lines, from the config and what the batch found."""
    from nacarbon.suggest.report import acquisition_sentence, batch_header, pool_sentence
    from nacarbon.suggest.series import series_sentence

    prior_on = from_lab and bool(cfg.series.column) and bool(cfg.series.prior)
    series = (series_sentence(str(cfg.series.column), OmegaConf.to_container(cfg.series.trends, resolve=True),
                              float(cfg.series.prior), int(picks["series_dominated"].sum())) if prior_on else None)
    return batch_header(
        batch_id, models=", ".join(f"`{T.model_name(t)}` v{c.version}" for t, c in champions.items()),
        pool=pool_sentence(counts["n_pool"], candidates=cfg.candidates if from_lab else None,
                           process=list(cfg.process), grid=cfg.screen.name),
        n_eligible=counts["n_eligible"], n_in_domain=counts["n_in_domain"],
        require_in_domain=bool(cfg.require_in_domain), series=series, from_lab=from_lab,
        acquisition=acquisition_sentence(cfg.acquisition, cfg.kappa, cfg.xi, cfg.combine, alpha, cfg.min_distance,
                                         list(cfg.diversity)),
        template=template, n_asked=int(cfg.n), n_picked=len(picks))


def _write(cfg: DictConfig, picks: pd.DataFrame, objectives: list, champions: Mapping[str, ChampionModel],
           known: pd.DataFrame, *, from_lab: bool, counts: Mapping[str, int], alpha: float, candidates: pd.DataFrame,
           outside: list[str]) -> SuggestOutcome:
    """Template, summary, the batch among its candidates (PNG), MLflow run."""
    from nacarbon.plots.batch import batch_plot
    from nacarbon.suggest.report import summary_markdown
    from nacarbon.suggest.template import table_header, write_template

    stamp = time.strftime("%Y%m%d-%H%M%S")
    batch_id = f"SUG-{stamp}"
    table_header(cfg.table)  # a missing table is an error before anything is written
    out = template_path(cfg, stamp)
    sample_ids = ([str(v) for v in picks["sample_id"]] if from_lab else
                  [f"{batch_id}-{i + 1:02d}" for i in range(len(picks))])
    header = _header(cfg, batch_id, picks, champions, from_lab=from_lab, counts=counts, alpha=alpha,
                     template=out.name)
    text = summary_markdown(picks, sample_ids, objectives, header=header, outside=outside,
                            diversity=(list(cfg.diversity), float(cfg.min_distance)),
                            notes={"Known materials": f"{len(known):,} (the champions' training rows)"})
    template = write_template(picks, out, table=cfg.table, batch_id=batch_id, material_class=str(cfg.material_class),
                              keep_identity=from_lab)
    summary = out.with_suffix(".md")
    summary.write_text(text, encoding="utf-8")
    plot = batch_plot(candidates, picks, [o.target for o in objectives], path=out.with_suffix(".png"))
    try:
        run_id = _record(cfg, batch_id, picks, objectives, champions, from_lab=from_lab, counts=counts, alpha=alpha,
                         files=[(template, None), (summary, None), (plot, "plots")])
    except NacarbonError:
        for made in (template, summary, plot):
            made.unlink(missing_ok=True)
        raise
    return SuggestOutcome(picks, sample_ids, template, summary, run_id, counts["n_pool"], counts["n_eligible"],
                          dict(champions))


def _record(cfg: DictConfig, batch_id: str, picks: pd.DataFrame, objectives: list,
            champions: Mapping[str, ChampionModel], *, from_lab: bool, counts: Mapping[str, int], alpha: float,
            files: list[tuple[Path, str | None]]) -> str:
    """The batch's MLflow run: settings as params, pool counts as metrics, champion versions as tags."""
    from nacarbon.tracking.runs import record_run

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
    metrics = {"n_picks": len(picks), "n_pool": counts["n_pool"], "n_eligible": counts["n_eligible"],
               "n_in_domain": counts["n_in_domain"], "n_explore": int((picks["mode"] == "explore").sum())}
    return record_run(T.SUGGEST_EXPERIMENT, T.SUGGEST, description, uri=cfg.tracking.uri,
                      artifact_root=cfg.tracking.artifact_root, run_name=f"suggest-{batch_id}", tags=tags,
                      params=params, metrics=metrics, files=files)
