"""Which plotly.js bundle a live chart asks for (mlviz.ui.live_chart)."""

import plotly.graph_objects as go
import pytest

from mlviz.figures import class_scatter
from mlviz.figures.style import WEBGL_POINTS_FROM
from mlviz.ui import live_chart as lc


def test_the_basic_bundle_is_the_plotly_js_of_the_installed_plotly():
    basic = lc.bundle_version(lc.PLOTLY_BASIC_DIR / lc.PLOTLY_BASIC_JS)
    assert basic and basic == lc.bundle_version(lc.PLOTLY_JS_DIR / lc.PLOTLY_JS)
    assert lc.basic_bundle_usable()
    assert (lc.PLOTLY_BASIC_DIR / "LICENSE").read_text().startswith("MIT License")


def test_a_banner_without_a_version_is_not_usable(tmp_path):
    (tmp_path / "x.js").write_text("/* something else */ var a = 1;")
    assert lc.bundle_version(tmp_path / "x.js") == ""


def test_scatter_bar_and_pie_need_only_the_basic_bundle():
    fig = go.Figure([go.Scatter(x=[1], y=[1]), go.Bar(x=[1], y=[2]),
                     go.Pie(values=[1, 2])])
    assert not lc.needs_full_bundle(fig.to_plotly_json())


def test_webgl_in_the_data_or_in_a_frame_needs_the_full_bundle():
    assert lc.needs_full_bundle(go.Figure(go.Scattergl(x=[1], y=[1])).to_plotly_json())
    assert lc.needs_full_bundle(go.Figure(go.Heatmap(z=[[1]])).to_plotly_json())
    fig = go.Figure(go.Scatter(x=[1], y=[1]), frames=[go.Frame(data=[go.Scattergl(x=[2], y=[2])])])
    assert lc.needs_full_bundle(fig.to_plotly_json())


def test_the_app_figures_switch_bundle_where_the_points_go_webgl():
    import numpy as np

    def figure(n):
        coords = np.random.default_rng(0).normal(size=(n, 2))
        return class_scatter(coords, np.zeros(n, int), ["a"]).to_plotly_json()

    assert not lc.needs_full_bundle(figure(WEBGL_POINTS_FROM - 1))
    assert lc.needs_full_bundle(figure(WEBGL_POINTS_FROM + 1))


def test_the_default_gallery_of_eigenvectors_is_drawn_without_webgl():
    """Eight panels of 600 points: SVG, so the smoothing page needs only the basic bundle."""
    import numpy as np

    from mlviz.figures import eigenvector_gallery
    from mlviz.figures.style import GALLERY_WEBGL_FROM

    rng = np.random.default_rng(0)
    coords, vectors = rng.normal(size=(600, 2)), rng.normal(size=(600, 8))
    fig = eigenvector_gallery(coords, vectors, np.linspace(0, 1, 8), range(8))
    assert not lc.needs_full_bundle(fig.to_plotly_json())
    n = GALLERY_WEBGL_FROM // 8 + 1
    fig = eigenvector_gallery(rng.normal(size=(n, 2)), rng.normal(size=(n, 8)),
                              np.linspace(0, 1, 8), range(8))
    assert lc.needs_full_bundle(fig.to_plotly_json())


@pytest.mark.parametrize("page, query", [
    ("app.py", {}), ("pages/1_Ranking_on_manifolds.py", {}),
    ("pages/2_Ranking_as_smoothing.py", {}),
    ("pages/3_Mining_on_manifolds.py", {"data": "real", "real": "digits"}),
    ("pages/4_Label_propagation.py", {}),
    ("pages/5_Deep_label_propagation.py", {"data": "real", "real": "digits"}),
])
def test_the_class_tour_needs_only_the_basic_bundle(page, query):
    """The pages a class walks (benchmarks/bench_classroom.py), with their data: every chart
    asks for the basic bundle, so no tab loads the full 4.8 MB one."""
    import json

    from conftest import LIVE_CHART, _in_order, app_test, assert_clean

    at = app_test(page, **query).run()
    assert_clean(at)
    bundles = [json.loads(el.proto.json)["bundle"] for el in _in_order(at._tree)
               if el.type == "bidi_component" and el.proto.component_name.endswith(LIVE_CHART)]
    assert bundles and set(bundles) == {"basic"}, bundles
