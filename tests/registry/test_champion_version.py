"""champion_version: only "no such model or alias" reads as "no champion"; other registry errors surface."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos import databricks_pb2

from nacarbon.errors import RegistryError
from nacarbon.registry.champions import champion_version


class _Client:
    """A registry client whose alias lookup fails with a given MLflow error code."""

    def __init__(self, code: str):
        self.code = code

    def get_model_version_by_alias(self, name: str, alias: str):
        raise MlflowException(f"{name}@{alias}: failed", error_code=getattr(databricks_pb2, self.code))


@pytest.mark.parametrize("code", ["RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"])
def test_a_missing_model_or_alias_is_no_champion(code):
    assert champion_version(_Client(code), "ice") is None


@pytest.mark.parametrize("code", ["TEMPORARILY_UNAVAILABLE", "INTERNAL_ERROR", "PERMISSION_DENIED"])
def test_any_other_registry_error_is_an_error_naming_the_model(code):
    with pytest.raises(RegistryError, match=r"nacarbon-ice@champion"):
        champion_version(_Client(code), "ice")
