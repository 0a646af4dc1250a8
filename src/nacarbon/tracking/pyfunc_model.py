"""The registered model is the whole predictor: a pyfunc around a SamplePredictor, logged by training.

Served with ``mlflow models serve -m models:/nacarbon-<target>@champion``, it answers each row
with the prediction, its interval, the domain score and flag and the nearest training samples,
and refuses physically impossible rows with the schema's message (HTTP 400).
"""

from __future__ import annotations

from importlib.metadata import version

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

from nacarbon.errors import DataValidationError

# What the loaded object needs besides the project itself (pinned to the running versions).
_REQUIREMENTS = ("mlflow", "scikit-learn", "pandas", "numpy", "scipy", "pandera", "crepes")


class SamplePredictorModel(mlflow.pyfunc.PythonModel):
    """pyfunc whose ``predict`` returns :meth:`SamplePredictor.predict_frame`'s frame.

    Parameters
    ----------
    predictor : nacarbon.uncertainty.predictor.SamplePredictor
        A fitted predictor.
    """

    def __init__(self, predictor):
        self.predictor = predictor

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        """Predict for the rows of ``model_input``; a schema break becomes an MLflow 400 error."""
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        try:
            return self.predictor.predict_frame(frame, source="request")
        except DataValidationError as err:
            raise MlflowException(str(err), error_code=INVALID_PARAMETER_VALUE) from err


def log_sample_predictor(predictor, *, name: str = "model", registered_model_name: str | None = None,
                         extra_requirements: list[str] | tuple[str, ...] = ()):
    """Log a fitted SamplePredictor as a pyfunc in the active run (and register it if named).

    Parameters
    ----------
    predictor : SamplePredictor
        Fitted.
    name : str, default="model"
        The logged model's name in the run.
    registered_model_name : str, optional
        Register a new version under this name (e.g. ``nacarbon-ice``).
    extra_requirements : sequence of str
        Further pinned requirements (the estimator's library: xgboost, catboost ...).

    Returns
    -------
    mlflow.models.model.ModelInfo
    """
    reqs = sorted({f"{p}=={version(p)}" for p in _REQUIREMENTS} | set(extra_requirements))
    return mlflow.pyfunc.log_model(name=name, python_model=SamplePredictorModel(predictor),
                                   pip_requirements=reqs, registered_model_name=registered_model_name)
