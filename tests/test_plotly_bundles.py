"""Which plotly.js bundle a live chart asks for (mlviz.ui.live_chart)."""

import plotly.graph_objects as go

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
