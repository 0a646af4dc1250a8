"""The plots of a SHAP explanation (nacarbon.analysis.shap_plots)."""

from __future__ import annotations

from sklearn.tree import DecisionTreeRegressor

from nacarbon.analysis.explain import shap_values
from nacarbon.analysis.shap_plots import shap_plots


def test_shap_plots_write_pngs(tmp_path, data):
    X, y = data
    model = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y)
    paths = shap_plots(shap_values(model, X), tmp_path / "shap", top_k=2)
    names = [p.name for p in paths]
    assert names[:3] == ["shap_beeswarm.png", "shap_bar.png", "shap_dependence_1_d002_nm.png"]
    assert len(names) == 4 and names[3].startswith("shap_dependence_2_")
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert p.stat().st_size > 5_000
