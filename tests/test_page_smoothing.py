"""The smoothing page through AppTest: its numbers against the core, widgets moved."""

import numpy as np
from conftest import app_test, assert_clean, decode, figures

from mlviz import query_vector
from mlviz.datasets import make_toy
from mlviz.diffusion import exact_solution
from mlviz.graph import knn_graph, normalize
from mlviz.spectral import eigenpairs, h_alpha, low_rank_filter, orthogonal_modes

PAGE = "pages/2_Ranking_as_smoothing.py"


def test_numbers_match_the_core():
    at = app_test(PAGE, q="12", alpha="0.9", rank="40").run()
    assert_clean(at)
    figs = figures(at)
    d = make_toy("two moons", 600, 0.1, 0)
    Wn = normalize(knn_graph(d.X, 15, kernel="gaussian", dtype=np.float64))
    pairs = eigenpairs(Wn, 600)
    np.testing.assert_allclose(decode(figs["smooth_eigs"]["data"][0]["y"]), pairs.values, atol=1e-8)
    y = query_vector([12], 600)
    np.testing.assert_allclose(decode(figs["smooth_lowrank"]["data"][0]["marker"]["color"]),
                               low_rank_filter(pairs, y, h_alpha(0.9), 40), atol=1e-10)
    np.testing.assert_allclose(decode(figs["smooth_exact"]["data"][0]["marker"]["color"]),
                               exact_solution(Wn, y, 0.9), atol=1e-10)


def test_the_moving_average_equals_the_path_filter_on_the_page():
    at = app_test(PAGE).run()
    at.select_slider(key="smooth_alpha_1d").set_value(0.8).run()
    traces = {t["name"]: t for t in figures(at)["smooth_1d"]["data"]}
    ema = decode(traces["EMA  xᵢ = αxᵢ₋₁ + (1−α)yᵢ"]["y"])
    on_path = traces["h_α(S) y on the directed path (every 3rd i)"]
    np.testing.assert_allclose(ema[decode(on_path["x"]).astype(int)], decode(on_path["y"]),
                               atol=1e-12)
    from mlviz.spectral import example_signal, exponential_moving_average

    np.testing.assert_allclose(ema, exponential_moving_average(example_signal("step"), 0.8))


def test_widgets_move():
    at = app_test(PAGE).run()
    at.segmented_control(key="smooth_signal").set_value("noisy sine").run()
    at.select_slider(key="smooth_alpha").set_value(0.8).run()
    at.selectbox(key="smooth_filter").set_value("heat kernel").run()
    at.slider(key="smooth_heat_t").set_value(10.0).run()
    at.slider(key="smooth_rank").set_value(200).run()
    at.slider(key="smooth_overlap_k").set_value(50).run()
    assert_clean(at)
    at.selectbox(key="smooth_filter").set_value("ideal low-pass").run()
    at.slider(key="smooth_cutoff").set_value(0.5).run()
    assert_clean(at)
    assert any("all 600 eigenpairs" in str(f.get("layout", {}).get("title", ""))
               for f in figures(at).values())


def test_large_data_bounds_the_rank_and_says_so():
    at = app_test(PAGE, n="1600").run()
    assert_clean(at)
    assert any("only the top 100 eigenpairs" in i.value for i in at.info)
    assert at.slider(key="smooth_rank").max == 100


def test_the_low_rank_caption_counts_the_modes_of_other_components():
    """20,000 descriptors' graph had 37 components: most of its top eigenvectors were the
    λ = 1 modes of small components, zero on the query; the caption says how many."""
    at = app_test(PAGE, n="1600", k="3", edges="reciprocal", q="12", rank="60").run()
    assert_clean(at)
    d = make_toy("two moons", 1600, 0.1, 0)
    Wn = normalize(knn_graph(d.X, 3, edges="reciprocal", kernel="gaussian", dtype=np.float64))
    pairs = eigenpairs(Wn, 100)
    unused = int(orthogonal_modes(pairs, query_vector([12], 1600))[:60].sum())
    assert unused > 0
    said = [c.value for c in at.caption if "are zero on every query" in c.value]
    assert said and f" {unused} of these 60 eigenvectors" in said[0], said
