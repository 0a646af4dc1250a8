"""What the MLflow UI shows for a registered model and each of its versions: target, data version,
the promotion rule and the evidence (adjusted p), in words. Plain text; no MLflow import."""

from __future__ import annotations

from nacarbon.tracking import tags as T

RULE = ("A version becomes `champion` when it is the best finished run of the target on the current data "
        "version, CV protocol and features, beats the mean baseline under the one significance rule "
        "(ΔRMSE over >= 25 repeated paper-grouped splits, one-sided Nadeau–Bengio corrected t-test, "
        "Holm-adjusted across the target's families, p < alpha) and beats the current champion; "
        "`promote --force` overrides this and is recorded (tag `forced`).")


def _p(candidate) -> str:
    p = candidate.metrics.get("beats_baseline_p")
    return "not tested" if p is None else f"{p:.3g}"


def model_description(target: str, candidate) -> str:
    """The registered model ``nacarbon-<target>``: what it predicts, what a version is, the rule."""
    column = candidate.tags.get(T.TARGET_COLUMN, "")
    return (f"{T.model_name(target)}: predicts {target} (`{column}`) of a hard or soft carbon anode from its "
            f"structure (d002, La, Lc, ID/IG, BET SSA) and process. Each version is the whole predictor of one "
            f"training run (`python -m train`): prediction, 90 % paper-grouped conformal interval, "
            f"applicability-domain score and nearest training samples, with its own code, pinned "
            f"requirements and input schema; serve it with `mlflow models serve -m "
            f"models:/{T.model_name(target)}@champion`. {RULE}")


def version_description(candidate, *, data_version: str, action: str, reason: str, forced: bool) -> str:
    """One version: the run behind it, its data, its scores against the baseline, and the decision."""
    t = candidate.tags
    verdict = "beats" if candidate.beats_baseline else "does not beat"
    return (f"{candidate.model} for {t.get(T.TARGET, '?')} (`{t.get(T.TARGET_COLUMN, '')}`), trained on "
            f"{t.get(T.DATASET, '?')}@{data_version}, cv={t.get(T.CV, '')}, features={t.get(T.FEATURES, '')}, "
            f"search={t.get(T.SEARCH, '')} (run {candidate.run_id}). Outer-CV {candidate.label} {candidate.score:.4g} vs "
            f"mean baseline {candidate.baseline_score:.4g}; pooled R² {candidate.r2_pooled:.3g}; Holm-adjusted p "
            f"{_p(candidate)}: {verdict} the baseline. Promotion: {action}{' (forced)' if forced else ''}: "
            f"{reason}")[:4900]
