"""The Markdown sections of the reproduction report, each a list of lines."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nacarbon.analysis.sources import EXPLAINED_ON
from nacarbon.reporting import paper
from nacarbon.reporting.agreement import main_factor, p_value
from nacarbon.reporting.md_html import md_table
from nacarbon.reporting.repro_facts import UNITS, Facts, ReportInputs, corr_verdict, fmt, fmt_p, name, p_eq

NO_RUNS = "no training runs found; run `make run`"


def _corr_cell(corr: pd.DataFrame, target: str, group: str) -> str:
    hit = corr[(corr["target"] == target) & (corr["group"] == group)]
    if hit.empty:
        return "n/a"
    r = hit.iloc[0]
    return f"ρ = {fmt(r['rho'])}, {p_eq(r['p'])}, n = {r['n']}"


def _factor_cell(inp: ReportInputs, column: str, group: str) -> tuple[str, str | None]:
    row = main_factor(inp.spearman, column, group)
    if row is None:
        return "n/a", None
    return f"{name(row['feature'])} (ρ = {fmt(row['rho'])}, {p_eq(row['p'])})", row["feature"]


def _best_run(inp: ReportInputs, target: str) -> pd.Series | None:
    if inp.runs is None or inp.runs.empty:
        return None
    sub = inp.runs[inp.runs["target"] == target]
    return None if sub.empty else sub.sort_values("rank").iloc[0]


def _model_verdict(inp: ReportInputs, target: str) -> str:
    pick = paper.MODELS.get(target)
    sub = inp.runs[inp.runs["target"] == target]
    if pick is None:
        return "the paper names no model"
    mine = sub[sub["model"] == pick]
    if mine.empty:
        return f"paper's pick ({pick}) not trained here"
    r = mine.iloc[0]
    if r["rank"] == 1:
        return "same pick"
    best = sub.sort_values("rank").iloc[0]
    within = r["rmse_mean"] - best["rmse_mean"] <= best["rmse_std"]
    return (f"paper's pick ranks {r['rank']} of {len(sub)}, RMSE {fmt(r['rmse_mean'], 4)} vs "
            f"{fmt(best['rmse_mean'], 4)}{' (within one fold-SD of the best)' if within else ''}")


def _fig2a_rows(inp: ReportInputs, facts: Facts) -> list[list[str]]:
    """Fig. 2a's coefficients, then each target's main factor, beside this project's."""
    specs = {t.name: t for t in inp.targets}
    claims = [c for c in paper.FIG2A if c.target in specs]
    rows = []
    for claim in claims:
        hit = facts.corr[(facts.corr["target"] == claim.target) & (facts.corr["group"] == paper.FIG2A_GROUP)]
        verdict = corr_verdict(hit.iloc[0]) if len(hit) else "no hard-carbon rows here"
        rows.append([f"Fig. 2a: {claim.target} ~ {name(claim.feature)}", f"ρ = {claim.rho}, p = {claim.p}",
                     _corr_cell(facts.corr, claim.target, "hard"), _corr_cell(facts.corr, claim.target, "all"),
                     verdict])
    for claim in claims:
        hard, f_hard = _factor_cell(inp, specs[claim.target].column, "hard")
        pooled, _ = _factor_cell(inp, specs[claim.target].column, "all")
        rows.append([f"Main factor of {claim.target}", name(claim.feature), hard, pooled,
                     "same" if f_hard == claim.feature else "different"])
    return rows


def _data_rows(inp: ReportInputs, facts: Facts) -> list[list[str]]:
    """How many rows the paper's numbers imply and hold, and how many rows sit in its ranges."""
    implied = facts.corr.drop_duplicates("target")["implied_n"]
    n_hard = int(facts.groups["hard"].sum()) if "hard" in facts.groups else 0
    rows = []
    if len(implied):
        ratio = (f"the printed ρ/p need {implied.min() / n_hard:.1f}-{implied.max() / n_hard:.1f}x the hard "
                 f"rows here" if n_hard else "-")
        rows.append(["Rows behind Fig. 2a (from its ρ and p)", "n ≈ " + ", ".join(fmt(n) for n in implied),
                     f"{n_hard} hard rows", f"{len(inp.frame)} rows", ratio])
    rows.append(["Rows in Tables 1-2", " + ".join(f"{v} {k}" for k, v in paper.TABLE_ROWS.items()), str(n_hard),
                 str(len(inp.frame)), "same" if n_hard == paper.TABLE_ROWS["hard"]
                 and len(inp.frame) == sum(paper.TABLE_ROWS.values()) else "differs"])
    for column in paper.RANGES:
        if column not in inp.frame:
            continue
        cnt = facts.counts[facts.counts["feature"] == column].set_index("group")
        cells = [f"{cnt.loc[g, 'n_inside']} of {cnt.loc[g, 'n_measured']} inside" if g in cnt.index else "n/a"
                 for g in ("hard", "all")]
        best = "; ".join(f"{t}: {b.set_index('feature').loc[column, 'n_inside']}/"
                         f"{b.set_index('feature').loc[column, 'n_measured']}" for t, b in facts.best.items())
        rows.append([f"Range of {name(column)}", f"{paper.range_text(column)}{UNITS[column]}", *cells,
                     f"best 5 rows inside: {best}"])
    cnt = facts.counts[facts.counts["feature"] == "all five"].set_index("group")
    box = "; ".join(f"{t}: median {fmt(b['median_inside'])} inside (n = {b['n_inside']}) vs "
                    f"{fmt(b['median_outside'])} outside ({p_eq(b['p'])})" for t, b in facts.box.items())
    rows.append(["All five ranges at once", "the recommended structure",
                 *[f"{cnt.loc[g, 'n_inside']} of {cnt.loc[g, 'n_measured']}" if g in cnt.index else "n/a"
                   for g in ("hard", "all")], box])
    return rows


def _model_rows(inp: ReportInputs, facts: Facts) -> list[list[str]]:
    """The best model per target (Fig. S5), and whether the explained model favours the ranges."""
    rows = []
    for spec in inp.targets:
        best = _best_run(inp, spec.name)
        if best is None:
            ours, verdict = NO_RUNS, "-"
        else:
            ours = (f"{best['model']}: RMSE {fmt(best['rmse_mean'])} ± {fmt(best['rmse_std'], 2)} (baseline "
                    f"{fmt(best['baseline_rmse_mean'])}), {'beats' if best['beats_baseline'] else 'does NOT beat'}"
                    f" the baseline")
            verdict = _model_verdict(inp, spec.name)
        rows.append([f"Best model for {spec.name} (Fig. S5)", paper.MODELS.get(spec.name, "not named"), "-", ours,
                     verdict])
    for target, a in facts.agree.items():
        rows.append([f"The explained model predicts the ranges better ({target})", "implied (section 3)", "-",
                     f"mean prediction {fmt(a['mean_inside'])} inside vs {fmt(a['mean_outside'])} outside; "
                     f"{a['share_inside_top']:.0%} of its best 5% grid points inside (grid: {a['share_inside']:.0%})",
                     "agrees" if a["agrees"] == 1.0 else "disagrees" if a["agrees"] == 0.0 else "n/a"])
    if not facts.agree:
        rows.append(["Model predictions in the ranges", "implied (section 3)", "-",
                     "no model to explain; run `make run`", "-"])
    return rows


def key_table(inp: ReportInputs, facts: Facts) -> list[str]:
    """The summary table: every quantitative claim of the paper beside this project's number."""
    rows = [*_fig2a_rows(inp, facts), *_data_rows(inp, facts), *_model_rows(inp, facts)]
    return md_table(["Claim", "Paper", "Here: hard carbon", "Here: all rows", "Verdict"], rows)


def correlation_section(inp: ReportInputs, facts: Facts, figures: dict[str, str]) -> list[str]:
    """Fig. 2a in detail: per-group coefficients with intervals, and the heatmaps."""
    lines = ["## Fig. 2a: Spearman correlations", "",
             "Spearman ρ on pairwise-complete rows, two-tailed p by the t approximation (as scipy and SPSS), "
             "95% CI by Fisher's z with the Bonett-Wright variance. *n implied* solves the paper's own ρ and p "
             "for the number of rows; *paper's ρ at our n* is the p the paper's coefficient would have here.", ""]
    if facts.corr.empty:
        return [*lines[:2], "None of the targets of Fig. 2a (capacity, rate, plateau_voltage) was analysed.", ""]
    rows = []
    for r in facts.corr.itertuples():
        rows.append([f"{r.target} ~ {name(r.feature)}", r.group, f"{r.paper_rho} / {r.paper_p}", fmt(r.implied_n),
                     r.n, fmt(r.rho), f"[{fmt(r.ci_low, 2)}, {fmt(r.ci_high, 2)}]", fmt_p(r.p), fmt_p(r.p_bh),
                     fmt_p(p_value(r.paper_rho, r.n)), corr_verdict(pd.Series(r._asdict()))])
    lines += md_table(["pair", "group", "paper ρ / p", "n implied", "n", "ρ", "95% CI", "p", "p (BH)",
                       "paper's ρ at our n: p", "verdict"], rows)
    if "fig2a" in figures:
        lines += [f"![Paper vs this project]({figures['fig2a']})", ""]
    lines += ["Every structural parameter against every performance, per group (* p < 0.05, ** p < 0.01, "
              "† significant after Benjamini-Hochberg within the group):", ""]
    lines += [f"![Spearman {k.split(':')[1]}]({p})" for k, p in figures.items() if k.startswith("spearman:")] + [""]
    return lines


def maps_section(inp: ReportInputs, figures: dict[str, str]) -> list[str]:
    """Figs. 2b-g and 3a-f: the configured two-parameter maps, per target and class."""
    lines = ["## Figs. 2b-g and 3a-f: two-parameter maps", "",
             "Thin-plate-spline surfaces over the measured rows, drawn only inside their convex hull (grey: no "
             "data, no map). Hard carbon follows Fig. 2, soft carbon Fig. 3; pairs are `map_pairs` in "
             "`conf/analyze.yaml`.", ""]
    if inp.maps.empty:
        return [*lines, "No maps configured.", ""]
    rows = [[r.target, r.group, f"{name(r.x)} - {name(r.y)}", r.paper_figure, r.n, r.status]
            for r in inp.maps.itertuples()]
    lines += md_table(["target", "class", "axes", "paper Fig.", "rows", "status"], rows)
    lines += [f"![{key.split(':')[1]}]({path})" for key, path in figures.items() if key.startswith("map:")] + [""]
    return lines


def ranges_section(inp: ReportInputs, facts: Facts) -> list[str]:
    """The recommended structure (section 3): counts, best rows, and what the champions predict."""
    lines = ["## Recommended ranges (section 3)", "",
             "Rows inside each range (of the rows reporting the parameter), and the parameter values of the "
             "five best rows of each target, best first:", ""]
    rows = [[name(r.feature) if r.feature in paper.RANGES else r.feature, r.group, r.n_inside, r.n_measured]
            for r in facts.counts.itertuples()]
    lines += md_table(["parameter", "group", "inside", "measured"], rows)
    for target, best in facts.best.items():
        rows = [[name(r.feature), f"{paper.range_text(r.feature)}{UNITS[r.feature]}", r.values,
                 f"{r.n_inside}/{r.n_measured}"] for r in best.itertuples()]
        lines += [f"**{target}**", "", *md_table(["parameter", "paper range", "5 best rows", "inside"], rows)]
    if facts.agree:
        lines += ["Champion predictions on a full-factorial grid (6 levels per parameter over the training rows' "
                  "range; combinations no carbon has measured are included, so this is what the model "
                  "extrapolates):", ""]
        rows = [[t, a["n_grid"], f"{a['share_inside']:.1%}", fmt(a["mean_inside"]), fmt(a["mean_outside"]),
                 f"{a['share_inside_top']:.1%}"] for t, a in facts.agree.items()]
        lines += md_table(["target", "grid points", "inside ranges", "mean pred. inside", "mean pred. outside",
                           "best 5% inside"], rows)
    return lines


def models_section(inp: ReportInputs) -> list[str]:
    """Fig. S5: the best model per target from the training runs in the store."""
    lines = ["## Models per target (Fig. S5)", ""]
    if inp.runs is None or inp.runs.empty:
        return [*lines, f"{NO_RUNS.capitalize()}.", ""]
    lines += ["Finished `nacarbon.kind=train` runs on this data version, CV protocol and feature set; the best "
              "run of each model family, ranked by outer-CV RMSE (ties to the simpler model), as promotion "
              "ranks them. *paper* marks the paper's pick.", ""]
    rows = [[r.target, r.rank, r.model + (" (paper)" if paper.MODELS.get(r.target) == r.model else ""), r.search,
             f"{fmt(r.rmse_mean)} ± {fmt(r.rmse_std, 2)}", fmt(r.baseline_rmse_mean), fmt(r.r2_pooled, 2),
             fmt_p(r.baseline_paired_p), "yes" if r.beats_baseline else "no", r.champion or ""]
            for r in inp.runs.itertuples()]
    return lines + md_table(["target", "rank", "model", "search", "RMSE", "baseline RMSE", "R² (pooled OOF)",
                             "adjusted p vs baseline (the one rule)", "beats baseline", "champion version"], rows)


def shap_section(inp: ReportInputs, figures: dict[str, str]) -> list[str]:
    """Fig. S6: SHAP and permutation importance of each explained model."""
    lines = ["## Feature importance (Fig. S6)", "",
             "SHAP of each target's explained model (`shap.source`; by default `best`: the lowest-RMSE run on "
             f"this report's data, features and splits, the first row per target above): the {EXPLAINED_ON}. "
             "Out-of-fold SHAP would need each outer "
             "fold's model, which training runs do not store. Permutation importance (RMSE increase when one "
             "parameter is shuffled, `shap.permutation_repeats` times, same rows) is shown for comparison.", ""]
    if not inp.importance:
        return [*lines, "SHAP skipped: no model to explain (no training run for `shap.source`); run `make run`.", ""]
    main = {c.target: c.feature for c in paper.FIG2A}
    for target, table in inp.importance.items():
        top = table.iloc[0]
        said = (f" The paper's main factor ({name(main[target])}) ranks "
                f"{int(table.set_index('feature').loc[main[target], 'rank'])}." if target in main
                and main[target] in set(table["feature"]) else "")
        lines += [f"**{target}**: {top['model']} ({top['explainer']}); most important: "
                  f"{name(top['feature'])}.{said}", ""]
        rows = [[r.rank, name(r.feature), fmt(r.mean_abs_shap), f"{fmt(r.perm_rmse_increase_mean)} ± "
                 f"{fmt(r.perm_rmse_increase_std, 2)}"] for r in table.itertuples()]
        lines += md_table(["rank", "parameter", "mean |SHAP|", "permutation: RMSE increase"], rows)
        lines += [f"![SHAP {target}]({p})" for k, p in figures.items() if k.startswith(f"shap:{target}:")] + [""]
    return lines


def disagreements(inp: ReportInputs, facts: Facts) -> list[str]:
    """Where this project and the paper disagree, and the likeliest reasons, as bullets."""
    out = []
    n_hard = int(facts.groups["hard"].sum()) if "hard" in facts.groups else 0
    for r in facts.corr[facts.corr["group"] == paper.FIG2A_GROUP].itertuples():
        if r.same_sign and r.significant:
            continue
        out.append(f"- **{r.target} ~ {name(r.feature)}** (Fig. 2a): paper ρ = {r.paper_rho}, p = {r.paper_p}; here "
                   f"ρ = {fmt(r.rho)} (95% CI {fmt(r.ci_low, 2)} to {fmt(r.ci_high, 2)}), {p_eq(r.p)} on "
                   f"{r.n} hard-carbon rows. The paper's ρ and p together imply n ≈ {fmt(r.implied_n)} rows, "
                   f"while Table 1 lists {paper.TABLE_ROWS['hard']} hard carbons ({n_hard} here); on {r.n} rows "
                   f"the paper's own ρ would have {p_eq(p_value(r.paper_rho, r.n))}. Fig. 2a therefore "
                   f"rests on more (or other) rows than the published tables, e.g. the larger ESI Tables S1-S2, "
                   f"and cannot be recomputed from Tables 1-2.")
    for (target, feature), sign in paper.TEXT_SIGNS.items():
        hit = facts.corr[(facts.corr["target"] == target) & (facts.corr["feature"] == feature)
                         & (facts.corr["group"] == paper.FIG2A_GROUP)]
        if hit.empty:
            continue
        ours = int(np.sign(hit.iloc[0]["rho"]))
        out.append(f"- **The paper contradicts itself on {target} ~ {name(feature)}**: Fig. 2a prints a positive "
                   f"ρ, the text calls it \"a significant negative correlation\". The data here give "
                   f"ρ = {fmt(hit.iloc[0]['rho'])}, agreeing with the {'text' if ours == sign else 'figure'}.")
    for spec in inp.targets:
        best = _best_run(inp, spec.name)
        pick = paper.MODELS.get(spec.name)
        if best is not None and pick and best["model"] != pick:
            out.append(f"- **Model for {spec.name}**: the paper picks {pick}, here {best['model']} has the lowest "
                       f"outer-CV RMSE; {_model_verdict(inp, spec.name)}. The paper's split protocol is in its "
                       f"ESI, not available here; here folds are grouped by source paper, so no paper's rows "
                       f"are both trained and tested on.")
        if best is not None and not best["beats_baseline"]:
            out.append(f"- **{spec.name}**: no model beats the mean baseline here, so the model choice and any "
                       f"model-based statement about it (importance, predicted optima) rest on no predictive "
                       f"skill; its correlations and maps above stand on the data alone.")
    for target, a in facts.agree.items():
        if a["agrees"] == 0.0:
            out.append(f"- **Recommended ranges vs the {target} champion**: it predicts a worse mean inside the "
                       f"ranges ({fmt(a['mean_inside'])}) than outside ({fmt(a['mean_outside'])}).")
    return ["## Where this project and the paper disagree", "", *(out or ["- No disagreement found."]), ""]
