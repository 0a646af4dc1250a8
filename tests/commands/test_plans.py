"""A plan's targets, as the pipeline composes them."""

from __future__ import annotations

import pytest

from nacarbon.commands.plans import plan_target
from nacarbon.errors import ConfigError


def test_a_plan_target_carries_its_setup():
    spec = plan_target("main", "ice")
    assert spec.dataset == "merged" and spec.features == "rich"


def test_a_target_the_plan_lacks_is_one_error_listing_the_plan_targets():
    with pytest.raises(ConfigError, match=r"target='nonsense': plan 'main' has no such target") as caught:
        plan_target("main", "nonsense")
    assert "ice" in caught.value.allowed and "plateau_capacity" in caught.value.allowed
