"""Cross-validation splitters that keep every source paper on one side of each split.

Rows of one paper share a lab, a precursor batch and a measuring habit: on both sides they flatter
every model. Each ``conf/cv/*.yaml`` names its class (``splitter._target_``); :func:`make_splitter`
builds it, seeded by the run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from sklearn.model_selection import BaseCrossValidator, GroupKFold

from nacarbon.errors import ConfigError


class RepeatedGroupKFold(BaseCrossValidator):
    """Group k-fold repeated with different shuffles of the groups (a scikit-learn cross-validator).

    Each repeat is a shuffled, seeded :class:`~sklearn.model_selection.GroupKFold`: no group is on both
    sides of a split and every row is tested once per repeat. Usable as ``cv=`` wherever scikit-learn
    takes ``groups`` (with metadata routing on, it requests ``groups`` for ``split``).

    Parameters
    ----------
    n_splits : int, default=5
        Folds per repeat (>= 2).
    n_repeats : int, default=3
        Repeats (>= 1), each with another permutation of the groups.
    random_state : int, default=0
        Seed of the first repeat; repeat ``r`` uses ``random_state + r``.
    """

    # Request groups for split() by default, as scikit-learn's grouped splitters do (its
    # GroupsConsumerMixin is not public; this class attribute is the documented mechanism).
    __metadata_request__split = {"groups": True}

    def __init__(self, n_splits: int = 5, *, n_repeats: int = 3, random_state: int = 0):
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Number of (train, test) pairs yielded: ``n_splits * n_repeats``."""
        return self.n_splits * self.n_repeats

    def split(self, X, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (train, test) index arrays, repeat after repeat; no group is in both.

        ``groups`` is required (ValueError without); ConfigError if ``n_repeats`` is not an integer >= 1.
        """
        if groups is None:
            raise ValueError("RepeatedGroupKFold.split needs groups (the source of each row); got None")
        if isinstance(self.n_repeats, bool) or not isinstance(self.n_repeats, (int, np.integer)) or self.n_repeats < 1:
            raise ConfigError("repeats of the grouped k-fold", key="cv.n_repeats", value=self.n_repeats,
                              allowed="an integer >= 1")
        for r in range(self.n_repeats):
            inner = GroupKFold(n_splits=self.n_splits, shuffle=True, random_state=self.random_state + r)
            yield from inner.split(X, y, groups)

    def _iter_test_indices(self, X=None, y=None, groups=None):  # split() is overridden whole
        raise NotImplementedError


def make_splitter(cv: Mapping[str, Any], *, random_state: int):
    """Build the cross-validator a ``cv`` config node names (``splitter._target_`` and its arguments), seeded.

    ``RepeatedGroupKFold`` serves ``group``, ``kfold`` and ``repeated`` (the 5 x 5 of the significance
    rule), ``GroupShuffleSplit`` ``holdout`` (one grouped 8:2 split: the paper's ratio, whole papers held
    out). ConfigError if the node names no class or the class cannot be built.
    """
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    spec = cv.get("splitter")
    if not spec or "_target_" not in spec:
        raise ConfigError("the cv config names no splitter class", key="cv.splitter._target_", value=None,
                          allowed="a cross-validator class, e.g. nacarbon.evaluation.splits.RepeatedGroupKFold")
    try:
        return instantiate(spec, random_state=int(random_state))
    except InstantiationException as err:
        raise ConfigError(f"cannot build the splitter: {err}", key="cv.splitter._target_",
                          value=spec["_target_"]) from None
