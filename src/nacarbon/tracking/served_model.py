"""The code MLflow runs to build the served predictor (models-from-code; see pyfunc_model.py).

MLflow executes this file when it logs and when it loads the model; the fitted predictor itself
is the model's ``predictor`` artifact, read by :meth:`SamplePredictorModel.load_context`.
"""

from mlflow.models import set_model

from nacarbon.tracking.pyfunc_model import SamplePredictorModel

set_model(SamplePredictorModel())
