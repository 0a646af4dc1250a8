"""Cross-validation splitters that keep every source paper on one side of each split.

Rows from one paper share a lab, a precursor batch and a measuring habit; letting them sit in
both train and test flatters every model. All splitters here take ``groups``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sklearn.model_selection import GroupKFold, GroupShuffleSplit


class RepeatedGroupKFold:
    """Group k-fold repeated with different shuffles of the groups.

    Parameters
    ----------
    n_splits : int, default=5
        Folds per repeat.
    n_repeats : int, default=3
        Number of repeats, each with another permutation of the groups.
    random_state : int, default=0
        Seed of the first repeat; repeat ``r`` uses ``random_state + r``.
    """

    def __init__(self, *, n_splits: int = 5, n_repeats: int = 3, random_state: int = 0):
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """Number of (train, test) pairs yielded."""
        return self.n_splits * self.n_repeats

    def split(self, X, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield train and test indices; ``groups`` is required.

        Yields
        ------
        train, test : ndarray
            Index arrays. No group appears in both.
        """
        if groups is None:
            raise ValueError("RepeatedGroupKFold.split needs groups (the source of each row); got None")
        if self.n_repeats < 1:
            raise ValueError(f"n_repeats must be >= 1; got {self.n_repeats}")
        for r in range(self.n_repeats):
            inner = GroupKFold(n_splits=self.n_splits, shuffle=True, random_state=self.random_state + r)
            yield from inner.split(X, y, groups)


def make_splitter(name: str, *, n_splits: int = 5, n_repeats: int = 1, test_size: float = 0.2,
                  random_state: int = 0):
    """Build the splitter a ``cv`` config names.

    Parameters
    ----------
    name : {"group", "kfold", "repeated", "holdout"}
        ``group``: GroupKFold over papers (shuffled, seeded). ``kfold``/``repeated``: the same
        repeated ``n_repeats`` times (``repeated`` = the 5 x 5 of the significance rule). ``holdout``: one grouped 8:2 split (the paper's ratio, but with
        whole papers held out).
    n_splits, n_repeats, test_size, random_state
        As in the scikit-learn splitters.

    Returns
    -------
    A splitter with ``split(X, y, groups)`` and ``get_n_splits()``.
    """
    if name == "group":
        return RepeatedGroupKFold(n_splits=n_splits, n_repeats=1, random_state=random_state)
    if name in ("kfold", "repeated"):
        return RepeatedGroupKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=random_state)
    if name == "holdout":
        return GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=random_state)
    raise ValueError(f"unknown cv name {name!r}; expected one of 'group', 'kfold', 'repeated', 'holdout'")
