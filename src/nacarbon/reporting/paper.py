"""The quantitative claims of Liu et al., J. Mater. Chem. A 2022, 10, 8031, as printed.

These are the paper's numbers, quoted so the reproduction report can set this project's
results beside them; nothing here is computed.
"""

from __future__ import annotations

from dataclasses import dataclass

from nacarbon.data import columns as C

CITATION = "Liu et al., J. Mater. Chem. A, 2022, 10, 8031"


@dataclass(frozen=True)
class CorrelationClaim:
    """One Spearman coefficient the paper quotes from its Fig. 2a (hard carbon)."""

    target: str          # conf/target name
    feature: str         # database column
    rho: float
    p: float
    quote: str


# Section 2.2: "The main impact factor for capacity is L_a (rho = 0.223, p = 0.024). The rate and
# plateau are highly correlated with I_D/I_G with correlation coefficients of 0.296 and 0.201
# (significances of 0.001 and 0.02), respectively."
FIG2A: tuple[CorrelationClaim, ...] = (
    CorrelationClaim("capacity", C.LA_NM, 0.223, 0.024, "main impact factor for capacity is La"),
    CorrelationClaim("rate", C.ID_IG, 0.296, 0.001, "rate highly correlated with ID/IG"),
    CorrelationClaim("plateau_voltage", C.ID_IG, 0.201, 0.02, "plateau highly correlated with ID/IG"),
)
# The group Fig. 2a describes: its caption reads "Structure and performance analysis of hard carbon".
FIG2A_GROUP = "hard"
# Section 2.2, on the same pair two paragraphs later: "big data analysis shows that I_D/I_G has a
# significant negative correlation with the rate performance" -- the opposite sign of +0.296.
TEXT_SIGNS: dict[tuple[str, str], int] = {("rate", C.ID_IG): -1}

# Section 3, the structure "with integrated excellent performance" (None: no bound given).
RANGES: dict[str, tuple[float | None, float | None]] = {
    C.D002_NM: (0.36, 0.40),
    C.LA_NM: (2.5, 5.0),
    C.LC_NM: (1.5, 2.5),
    C.ID_IG: (0.8, 1.5),
    C.SSA_M2_G: (None, 300.0),
}

# Section 3 on Fig. S5: "bagging model for ICE, XGBoost for capacity and gradient boosting for rate";
# no model is named for the plateau.
MODELS: dict[str, str] = {"ice": "bagging", "capacity": "xgboost", "rate": "gradient_boosting"}

# Tables 1 and 2 as printed: 47 hard and 20 soft carbons.
TABLE_ROWS: dict[str, int] = {"hard": 47, "soft": 20}


def range_text(column: str) -> str:
    """The paper's recommended range of a :data:`RANGES` column as text: ``"2.5-5"``, ``"< 300"`` or ``"> lo"``."""
    lo, hi = RANGES[column]
    if lo is None:
        return f"< {hi:g}"
    if hi is None:
        return f"> {lo:g}"
    return f"{lo:g}-{hi:g}"
