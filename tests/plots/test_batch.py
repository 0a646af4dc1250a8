"""The suggested batch among its candidates, for one and for two objectives."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from nacarbon.plots.batch import batch_plot


@pytest.fixture
def frames():
    rng = np.random.default_rng(0)
    pool = pd.DataFrame({"pred_ice": rng.normal(70, 8, 3000), "pred_plateau_capacity": rng.normal(120, 40, 3000),
                         "domain_score": rng.uniform(0, 1, 3000)})
    picks = pool.nlargest(4, "pred_ice").reset_index(drop=True)
    for t in ("ice", "plateau_capacity"):
        picks[f"lo_{t}"], picks[f"hi_{t}"] = picks[f"pred_{t}"] - 5, picks[f"pred_{t}"] + 5
    picks["rank"] = range(1, 5)
    return pool, picks


@pytest.mark.parametrize("targets", [["ice"], ["ice", "plateau_capacity"]])
def test_batch_plot_is_a_png(frames, tmp_path, targets):
    pool, picks = frames
    path = batch_plot(pool, picks, targets, path=tmp_path / "b.png", labels={"ice": "ICE (%)"})
    image = imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 400
    assert image[..., :3].std() > 0.05  # something is drawn, not a blank canvas
