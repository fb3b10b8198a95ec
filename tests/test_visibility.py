"""What a student sees is true and visible: highlights over the points, edges under them,
distinct class colours, colour scales not set by the queries, readable titles."""

import re

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import app_test, assert_clean, decode, figures
from scipy.spatial import cKDTree

from mlviz.figures import class_color, class_scatter, label_scatter, mining_figure, score_scatter
from mlviz.mining import Mined

RANK = "pages/1_Ranking_on_manifolds.py"
SMOOTH = "pages/2_Ranking_as_smoothing.py"
BIG = 5000


def _types(fig: dict) -> list[str]:
    return [t.get("type", "scatter") for t in fig["data"]]


def _assert_highlights_over(fig: dict, base_names) -> None:
    """The base (points) traces are WebGL, and so is every trace drawn on their axes after
    them (stars, rings): plotly draws WebGL traces in order in one canvas, over all SVG."""
    data = fig["data"]
    types = _types(fig)
    base = [i for i, t in enumerate(data) if t.get("name") in base_names]
    assert base, [t.get("name") for t in data]
    assert all(types[i] == "scattergl" for i in base), types
    axes = {data[i].get("xaxis", "x") for i in base}
    highlights = [i for i, t in enumerate(data) if i not in base and t.get("xaxis", "x") in axes]
    assert highlights
    for i in highlights:
        axis = data[i].get("xaxis", "x")
        assert types[i] == "scattergl", (data[i].get("name"), types)
        assert i > max(b for b in base if data[b].get("xaxis", "x") == axis), (data[i]["name"], types)


def test_stars_and_rings_are_webgl_above_the_points_on_large_data():
    at = app_test(RANK, toy="two moons", n=str(BIG), q="2500", iters="5").run()
    assert_clean(at)
    figs = figures(at)
    pick = figs["rank_pick"]
    _assert_highlights_over(pick, {"moon 0", "moon 1", "class 0", "class 1", "points"}
                            | {t.get("name") for t in pick["data"][:-1]})
    anim = figs["rank_anim"]
    points = {t["name"] for t in anim["data"] if str(t.get("name", "")).endswith(": points")}
    _assert_highlights_over(anim, points)
    for frame in anim["frames"][:2]:  # a frame's ring trace keeps the WebGL type
        assert all(d["type"] == "scattergl" for d in frame["data"][:4]), frame["data"]


def _coords(n, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 2))


def test_mining_propagation_and_score_highlights_are_webgl_when_the_points_are():
    n = BIG
    coords = _coords(n)
    mined = Mined(anchor=3, euclidean=np.arange(10, 40), manifold=np.arange(20, 80),
                  positives=np.arange(40, 80), negatives=np.arange(10, 20))
    fig = mining_figure(coords, mined).to_plotly_json()
    assert set(_types(fig)) == {"scattergl"}, _types(fig)
    labelled = np.full(n, -1)
    labelled[[1, 2, 3]] = [0, 1, 0]
    fig = label_scatter(coords, np.arange(n) % 2, np.ones(n), labelled, ["a", "b"])
    fig = fig.to_plotly_json()
    assert set(_types(fig)) == {"scattergl"}, _types(fig)
    assert fig["data"][-1]["name"].startswith("labelled")
    fig = score_scatter(coords, np.ones(n), queries=[5]).to_plotly_json()
    assert _types(fig) == ["scattergl", "scattergl"]


def _ring_graph(n, k):
    rows = np.repeat(np.arange(n), k)
    cols = (rows + np.tile(np.arange(1, k + 1), n)) % n
    W = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    return sp.csr_matrix(W + W.T)


@pytest.mark.parametrize("n,k", [(600, 5), (1800, 4), (BIG, 3)])
def test_edges_lie_under_the_points_whatever_their_renderer(n, k):
    coords = _coords(n)
    W = _ring_graph(n, k)
    fig = class_scatter(coords, np.arange(n) % 3, ["a", "b", "c"], W=W,
                        highlight=[0]).to_plotly_json()
    (edges,) = _edge_shapes(fig)
    assert edges["layer"] == "below", "beneath every trace, SVG or the WebGL canvas"
    (legend,) = [t for t in fig["data"] if t.get("mode") == "lines"]
    assert legend["legendgroup"] == edges["legendgroup"]  # its legend entry hides it
    assert legend["x"] == [None]  # and draws nothing itself
    assert len(set(_types(fig))) == 1, _types(fig)  # the points' renderer only
    segments = [list(map(float, re.split("[,L]", part))) for part in edges["path"].split("M")[1:]]
    upper = sp.triu(W, k=1).tocoo()
    assert len(segments) == upper.nnz == n * k  # one segment per edge, each drawn once
    expected = np.array([(*coords[i], *coords[j]) for i, j in zip(upper.row, upper.col)])
    distance, match = cKDTree(expected).query(np.array(segments))
    assert distance.max() < 1e-4  # each segment joins the two ends of an edge ...
    assert np.unique(match).size == len(segments)  # ... and of a different edge each


def test_a_graph_without_edges_draws_none():
    fig = class_scatter(_coords(10), None, W=sp.csr_matrix((10, 10))).to_plotly_json()
    assert not _edge_shapes(fig)


def test_denser_edges_are_lighter():
    from mlviz.figures.style import edge_style

    sparse, dense = edge_style(2_000), edge_style(40_000)
    assert dense["opacity"] < sparse["opacity"]
    assert dense["width"] <= sparse["width"]


def _edge_shapes(fig) -> list[dict]:
    return [s for s in fig["layout"].get("shapes", ())
            if s.get("type") == "path" and s.get("name", "").startswith("graph edges")]


def _has_edges(fig) -> bool:
    return bool(_edge_shapes(fig))


def test_home_edge_toggle_follows_the_number_of_edges():
    at = app_test("app.py").run()
    assert_clean(at)
    assert _has_edges(figures(at)["home_scatter"]), "two moons: edges shown by default"
    at = app_test("app.py", data="real", real="digits", k="20").run()
    assert_clean(at)
    assert not _has_edges(figures(at)["home_scatter"]), "digits: too many edges to show"
    at.toggle(key="home_show_edges").set_value(True).run()
    assert _has_edges(figures(at)["home_scatter"])


def test_class_colours_stay_distinct_for_many_classes():
    colours = [class_color(c).lower() for c in range(40)]
    assert len(set(colours)) == 40, [c for c in colours if colours.count(c) > 1]


def test_linear_ranking_scale_is_not_set_by_the_queries():
    at = app_test(RANK, q="5", iters="10", logc="0").run()
    assert_clean(at)
    anim = figures(at)["rank_anim"]
    marker = anim["data"][0]["marker"]
    title = " ".join(t["marker"].get("colorbar", {}).get("title", {}).get("text", "")
                     for t in anim["data"] if t.get("marker", {}).get("showscale"))
    assert "quer" in title and "99" in title, title
    assert marker["cmax"] == 1.0
    others = np.concatenate([np.delete(decode(t["marker"]["color"]), 5) for t in anim["data"]
                             if str(t.get("name", "")).endswith(": points")])
    assert np.isclose(np.quantile(others, 0.99), 1.0, atol=0.02)


def test_smoothing_scales_are_not_set_by_a_few_values():
    at = app_test(SMOOTH).run()
    assert_clean(at)
    figs = figures(at)
    for key in ("smooth_lowrank", "smooth_exact"):
        marker = figs[key]["data"][0]["marker"]
        scores = decode(marker["color"])
        assert "99" in marker["colorbar"]["title"]["text"], marker["colorbar"]["title"]
        assert marker["cmax"] < np.max(scores)
        assert np.mean(scores >= marker["cmax"]) < 0.03


def test_titles_are_readable_text():
    at = app_test(SMOOTH).run()
    assert_clean(at)
    import json

    text = json.dumps([f.get("layout", {}) for k, f in figures(at).items() if isinstance(k, str)],
                      ensure_ascii=False)
    for raw in ("U_r", "x_r", "e^iω", "Λ_r", "h_i"):
        assert raw not in text, raw


def test_animation_panels_are_large():
    at = app_test(RANK, iters="5").run()
    layout = figures(at)["rank_anim"]["layout"]
    for axis in ("xaxis", "xaxis2"):
        low, high = layout[axis]["domain"]
        assert high - low >= 0.4, (axis, layout[axis]["domain"])


def test_the_toolbar_has_room_above_titles():
    from mlviz.figures import impulse_transfer_figure
    from mlviz.figures.style import MODEBAR_ROOM, PLOTLY_CONFIG

    assert PLOTLY_CONFIG["displayModeBar"] == "hover"
    fig = impulse_transfer_figure(np.arange(5), np.ones(5), np.linspace(0, np.pi, 5), np.ones(5))
    assert fig.layout.margin.t >= 40 + MODEBAR_ROOM  # subplot titles below the toolbar
    fig = class_scatter(_coords(50), None, title="a title")
    assert fig.layout.title.y < 1 - 20 / fig.layout.height
