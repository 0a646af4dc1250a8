"""``python -m predict input=FILE output=OUT.csv``: what the champions expect of a lab's own samples.

Rows with a measured target check the models and give the lab's offset, shrunk towards zero, which
is applied to the other rows (unless ``lab_calibration=false``). Nothing is written unless all succeeded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig

from nacarbon.reporting.predictions import TargetCheck
from nacarbon.targets import load_target, target_names
from nacarbon.staging import staging_dir
from nacarbon.errors import ConfigError, DataValidationError, RegistryError
from nacarbon.tracking import tags as T

if TYPE_CHECKING:  # pandas, MLflow and the model libraries load when the command runs, not for --help
    import pandas as pd

    from nacarbon.registry.champions import ChampionModel


@dataclass
class PredictOutcome:
    """A finished ``predict``: the table, where it went, and the per-target facts."""

    table: "pd.DataFrame"
    output: Path
    summary: Path
    targets: list[TargetCheck]
    run_id: str


def choose_targets(cfg: DictConfig, client) -> dict[str, "ChampionModel"]:
    """Load the champions to answer with: those asked for (each must exist) or every one there is.

    ConfigError on an unknown target name; RegistryError when an asked-for target has no champion, or none has.
    """
    from nacarbon.registry.champions import load_champion, why_no_champion

    known = target_names()
    asked = list(cfg.targets) if cfg.get("targets") else None
    for t in asked or []:
        if t not in known:
            raise ConfigError("unknown target", key="targets", value=t, allowed=known)
    found = {}
    for t in asked or known:
        champ = load_champion(client, t)
        if champ is None and asked:
            raise RegistryError(f"targets: {t!r} has no champion ({T.model_name(t)}@{T.CHAMPION_ALIAS}); "
                                f"{why_no_champion(client, t)}")
        if champ is not None:
            found[t] = champ
    if not found:
        raise RegistryError(f"no target among {known} has a champion in the registry at {cfg.tracking.uri}; "
                            f"train and promote first (make run, or python -m train + python -m promote)")
    return found


def check_paths(cfg: DictConfig) -> tuple[Path, Path]:
    """The input file and the output CSV, checked before any work."""
    if not cfg.get("input"):
        raise ConfigError("input=FILE is required (a CSV of your samples with the column names of data/)")
    if not cfg.get("output"):
        raise ConfigError("output=OUT.csv is required")
    src, out = Path(str(cfg.input)), Path(str(cfg.output))
    if out.suffix.lower() != ".csv":
        raise ConfigError(key="output", value=str(out), allowed="a file name ending in .csv")
    if out.resolve() == src.resolve():
        raise ConfigError("is the input file; choose another name", key="output", value=str(out))
    for final in (out, out.with_suffix(".md")):
        if final.is_dir():
            raise ConfigError(f"{final} is a folder; give a file name, e.g. {final / 'predictions.csv'}", key="output",
                              value=str(out))
    parent = next((p for p in [out.parent, *out.parent.parents] if p.exists()), Path("."))
    if not parent.is_dir():
        raise ConfigError(f"{parent} is a file, not a folder", key="output", value=str(out))
    if not os.access(parent, os.W_OK):
        raise ConfigError(f"cannot write in {parent}", key="output", value=str(out))
    return src, out


def run(cfg: DictConfig) -> PredictOutcome:
    """Predict for the samples of ``cfg.input`` with every champion and write ``cfg.output``.

    DataValidationError for a bad input file (naming file, row, field and rule), ConfigError for bad paths.
    """
    from nacarbon.data.io import read_raw
    from nacarbon.tracking.store import connect
    from nacarbon.uncertainty.answer import (answer_frame, blank_outside, calibrate_to_lab, check_against_measured,
                                             column_order, lab_prior, lab_variances, measured_values,
                                             outside_conditions)

    src, out_path = check_paths(cfg)
    frame = read_raw(src, label=str(src))
    if frame.empty:
        raise DataValidationError(str(src), [{"row": None, "field": None, "value": None,
                                              "rule": "no rows (a header and at least one sample are needed)"}])
    client = connect(cfg.tracking.uri, cfg.tracking.artifact_root)
    champions = choose_targets(cfg, client)
    table = answer_frame(frame, {t: c.predictor for t, c in champions.items()}, source=str(src))
    checks = []
    for t, champ in champions.items():
        meta = load_target(t)
        check = TargetCheck(t, champ.target_column or meta.column, meta.label, meta.unit, champ)
        filters = meta.filter
        outside = outside_conditions(frame, filters)
        check.conditions = {"filters": filters, "n_outside": int((outside != "").sum())}
        measured = measured_values(frame.reset_index(drop=True), check.column)
        measured[outside != ""] = float("nan")  # neither a check of the model nor a reference for the lab
        check.check = check_against_measured(table, t, measured)
        if cfg.lab_calibration and measured.notna().any():
            tau2, sigma2 = lab_variances(champ.oof)
            table = calibrate_to_lab(table, t, measured, tau2=tau2, sigma2=sigma2, bounds=champ.predictor.bounds,
                                     prior=lab_prior(champ.oof, champ.training, trend=meta.lab_calibration["trend"]))
            check.offset = {"offset": float(table[f"lab_offset_{t}"].iloc[0]),
                            "sd": float(table[f"lab_offset_sd_{t}"].iloc[0]),
                            "n": int(table[f"lab_offset_n_{t}"].iloc[0]), "tau2": tau2, "sigma2": sigma2}
        if filters:
            table = blank_outside(table, t, outside)
        checks.append(check)
    table = table[column_order(table, list(frame.columns), list(champions))]
    return _write(cfg, src, out_path, frame, table, checks)


def _write(cfg: DictConfig, src: Path, out_path: Path, frame: "pd.DataFrame", table: "pd.DataFrame",
           checks: list[TargetCheck]) -> PredictOutcome:
    """Write the CSV and summary (each via a temporary file, renamed into place) and the MLflow run."""
    from nacarbon.data.csvsafe import spreadsheet_safe
    from nacarbon.plots.intervals import parity_with_intervals
    from nacarbon.reporting.predictions import summary_markdown
    from nacarbon.tracking.runs import record_run
    from nacarbon.uncertainty.answer import measured_values

    out_path.parent.mkdir(parents=True, exist_ok=True)
    summary_path = out_path.with_suffix(".md")
    # Staged beside the output (same file system, so the final step is a rename; a kill leaves a
    # hidden folder there, not files in the system temp folder, and the next predict removes it)
    with staging_dir(out_path) as tmp:
        plots = []
        for c in checks:
            if c.check.get("n", 0) >= 1:
                measured = measured_values(frame.reset_index(drop=True), c.column)
                have = measured.notna().to_numpy()
                cols = [f"{s}_{c.target}_uncalibrated" if f"{s}_{c.target}_uncalibrated" in table else f"{s}_{c.target}"
                        for s in ("pred", "lo", "hi")]
                plots.append(parity_with_intervals(measured[have], *(table.loc[have, col] for col in cols),
                                                   path=tmp / f"parity_{c.target}.png", label=c.label, unit=c.unit,
                                                   metrics=c.check))
        csv_tmp, md_tmp = tmp / "out.csv", tmp / "out.md"
        spreadsheet_safe(table).to_csv(csv_tmp, index=False)
        md_tmp.write_text(summary_markdown(src, out_path, table, checks, lab_calibration=bool(cfg.lab_calibration)))
        metrics = {f"{k}_{c.target}": v for c in checks for k, v in c.check.items()}
        metrics |= {f"lab_offset_{c.target}": c.offset["offset"] for c in checks if c.offset}
        metrics |= {f"in_domain_share_{c.target}": float(table[f"in_domain_{c.target}"].mean()) for c in checks}
        metrics["n_rows"] = float(len(table))
        tags = {f"model_version.{c.target}": f"{T.model_name(c.target)}/{c.champion.version}" for c in checks}
        tags |= {f"model_run.{c.target}": c.champion.run_id for c in checks}
        description = (f"predict for {len(table)} samples of {src.name} with "
                       + ", ".join(f"{T.model_name(c.target)} v{c.champion.version}" for c in checks)
                       + ("; lab offset from measured rows applied" if any(c.offset for c in checks) else ""))
        run_id = record_run(T.PREDICT_EXPERIMENT, T.PREDICT, description, uri=cfg.tracking.uri,
                            artifact_root=cfg.tracking.artifact_root, run_name=f"predict-{src.stem}", tags=tags,
                            params={"input": str(src), "output": str(out_path),
                                    "lab_calibration": bool(cfg.lab_calibration),
                                    "targets": ",".join(c.target for c in checks)},
                            metrics={k: v for k, v in metrics.items() if v == v},
                            files=[(csv_tmp, "data"), (md_tmp, None), *((p, "plots") for p in plots)])
        for made, final in ((csv_tmp, out_path), (md_tmp, summary_path)):
            os.replace(made, final)   # same folder: a rename, never a half-written file
    return PredictOutcome(table, out_path, summary_path, checks, run_id)
