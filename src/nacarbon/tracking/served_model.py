"""The code MLflow runs, when it logs and when it loads the model, to build the served predictor.

The fitted predictor is the model's ``predictor`` artifact (:meth:`SamplePredictorModel.load_context`)."""

from mlflow.models import set_model

from nacarbon.tracking.pyfunc_model import SamplePredictorModel

set_model(SamplePredictorModel())
