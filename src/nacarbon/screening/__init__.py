"""Virtual screening of carbon-anode structures (Liu et al. 2022, Section S3, Table 3, Fig. 4f-h).

A structure grid is predicted chunk by chunk by whole predictors, rules remove impossible candidates,
and the feasible ones are ranked by a weighted score and by Pareto dominance, locally or on Dask.
"""

from nacarbon.screening.backends import DaskBackend, LocalBackend, make_backend
from nacarbon.screening.constraints import ConstraintResult, Rule, apply_constraints, parse_rules
from nacarbon.screening.engine import Execution, Models, Plan, ScreenResult, pred_col, screen
from nacarbon.screening.grid import CANDIDATE_ID, grid_size, grid_values
from nacarbon.screening.ranking import ParetoAccumulator, TopK, pareto_front, weighted_score

__all__ = [
    "CANDIDATE_ID", "ConstraintResult", "DaskBackend", "Execution", "LocalBackend", "Models", "ParetoAccumulator",
    "Plan", "Rule", "ScreenResult", "TopK", "apply_constraints", "grid_size", "grid_values", "make_backend",
    "parse_rules", "pareto_front", "pred_col", "screen", "weighted_score",
]
