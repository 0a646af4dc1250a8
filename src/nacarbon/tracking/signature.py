"""The served predictor's signature: which columns a request carries, of which type, and what comes back.

Inputs are database columns, not derived features (``is_soft`` comes from ``material_class``, or is sent
as is). Features and schema-required columns are required, the rest optional, so a lab's file passes with
its ``sample_id`` and measured values; MLflow checks types and drops other columns, our schema the values.
"""

from __future__ import annotations

import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from nacarbon.data import columns as C
from nacarbon.data.design import DERIVED_FROM
from nacarbon.data.schema import NUMERIC, REQUIRED, WAIVER

# Text columns of a lab's file the schema check reads (a waiver lets a flagged value through).
_TEXT_INPUTS = (C.SAMPLE_ID, C.SOURCE, C.PAPER_ID, C.MATERIAL_CLASS, C.ELECTROLYTE, WAIVER, C.IDIG_CONVENTION,
                C.PRECURSOR, "note")
_EXAMPLE_ROWS = 3


def input_columns(features: list[str]) -> dict[str, tuple[str, bool]]:
    """``column -> (MLflow type, required)`` of a request for a model of these ``features``."""
    # The schema's required columns, but for the identity ones a request may omit (check_input fills them).
    required = {c: "string" if c in _TEXT_INPUTS else "double" for c in REQUIRED if c not in (C.SAMPLE_ID, C.SOURCE)}
    for feature in features:
        if feature not in DERIVED_FROM and feature != "paper_code":   # paper_code: a random effect's group
            required[feature] = "string" if feature in _TEXT_INPUTS else "double"
    columns = {c: (t, True) for c, t in required.items()}
    for feature in features:
        # a derived feature is computed from its column (electrolyte -> is_ether; NaN when absent, imputed
        # as in training) or taken as given
        if feature in DERIVED_FROM:
            columns.setdefault(DERIVED_FROM[feature], ("string", False))
            columns.setdefault(feature, ("double", False))
    for col in _TEXT_INPUTS:
        columns.setdefault(col, ("string", False))
    for col in NUMERIC:
        columns.setdefault(col, ("double", False))
    return columns


def output_columns(predictor) -> list[ColSpec]:
    """The answer's columns (:meth:`SamplePredictor.predict_features`), before the echoed inputs."""
    t = predictor.target
    specs = [ColSpec("double", f"pred_{t}"), ColSpec("double", f"lo_{t}"), ColSpec("double", f"hi_{t}"),
             ColSpec("double", "domain_score"), ColSpec("double", "domain_percentile"),
             ColSpec("boolean", "in_domain")]
    group = getattr(predictor, "group_column_", C.PAPER_ID)
    for i in range(1, predictor.n_nearest + 1):
        specs += [ColSpec("string", f"nearest{i}_sample_id"), ColSpec("string", f"nearest{i}_{group}"),
                  ColSpec("double", f"nearest{i}_distance")]
    return specs


def predictor_signature(predictor, rows: pd.DataFrame | None = None) -> tuple[ModelSignature, pd.DataFrame | None]:
    """The signature of a fitted SamplePredictor's pyfunc and an input example (None without ``rows``).

    The example is the first three database ``rows`` cut to the signature's columns.
    """
    columns = input_columns(list(predictor.features))
    inputs = Schema([ColSpec(t, name, required=req) for name, (t, req) in columns.items()])
    signature = ModelSignature(inputs=inputs, outputs=Schema(output_columns(predictor)))
    if rows is None:
        return signature, None
    example = rows.head(_EXAMPLE_ROWS).reset_index(drop=True)
    keep = [c for c in columns if c in example and (columns[c][1] or example[c].notna().all())]
    example = example[keep].copy()
    for col in keep:
        example[col] = example[col].astype(object if columns[col][0] == "string" else float)
    return signature, example
