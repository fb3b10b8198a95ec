"""The ranking page through AppTest: queries, sliders, and frames that hold the core's iterates."""

import numpy as np
from conftest import (
    app_test,
    assert_clean,
    decode,
    figures,
    panel_ids,
    strip_captions,
    strip_ids,
    visit,
)

from mlviz import query_vector
from mlviz.datasets import make_toy
from mlviz.diffusion import conjugate_gradient, exact_solution, random_walk, relative_errors
from mlviz.figures import relative_log_scores
from mlviz.graph import knn_graph, normalize

PAGE = "pages/1_Ranking_on_manifolds.py"


def caption_text(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_queries_from_the_url_and_frames_hold_the_iterates():
    at = app_test(PAGE, q="5,100", alpha="0.9", iters="12").run()
    assert_clean(at)
    assert "Query points: 5, 100" in caption_text(at)
    fig = figures(at)["rank_anim"]
    assert len(fig["frames"]) == 13

    d = make_toy("two moons", 600, 0.1, 0)
    Wn = normalize(knn_graph(d.X, 15, kernel="gaussian", dtype=np.float64))
    y = query_vector([5, 100], 600)
    rw = random_walk(Wn, y, 0.9, max_iter=12, tol=None, record=True).iterates
    cg = conjugate_gradient(Wn, y, 0.9, max_iter=12, tol=None, record=True).iterates
    top = max(rw[-1].max(), cg[-1].max())
    exact = exact_solution(Wn, y, 0.9)
    for t in (1, 6, 12):
        frame = fig["frames"][t]
        assert frame["name"] == str(t)
        rw_colours = decode(frame["data"][0]["marker"]["color"])
        cg_colours = decode(frame["data"][2]["marker"]["color"])
        np.testing.assert_allclose(rw_colours, relative_log_scores(rw[t], top), atol=2e-3)
        np.testing.assert_allclose(cg_colours, relative_log_scores(cg[t], top), atol=2e-3)
        rw_marker, cg_marker = frame["data"][4], frame["data"][5]
        assert decode(rw_marker["x"]).tolist() == [t] == decode(cg_marker["x"]).tolist()
        np.testing.assert_allclose(decode(rw_marker["y"]), relative_errors(rw[t : t + 1], exact),
                                   rtol=1e-9)
        np.testing.assert_allclose(decode(cg_marker["y"]), relative_errors(cg[t : t + 1], exact),
                                   rtol=1e-9)


def test_clicking_points_sets_the_queries_and_the_url():
    at = app_test(PAGE).run()
    at.session_state["rank_pick"] = {
        "selection": {"points": [{"customdata": [42, "class 0"]}, {"customdata": [7, "class 1"]}],
                      "point_indices": [0, 1], "box": [], "lasso": []}
    }
    at.run()
    assert_clean(at)
    assert "Query points: 7, 42" in caption_text(at)
    assert at.query_params["q"] == "7,42"


def test_controls_move():
    at = app_test(PAGE).run()
    at.select_slider(key="rank_alpha").set_value(0.999).run()
    at.slider(key="rank_iters").set_value(50).run()
    at.slider(key="rank_topk").set_value(25).run()
    at.toggle(key="rank_logc").set_value(False).run()
    at.button_group(key="rank_solvers").set_value(["conjugate gradient"]).run()
    assert_clean(at)
    fig = figures(at)["rank_anim"]
    assert len(fig["frames"]) == 51
    assert [a["text"] for a in fig["layout"]["annotations"]][:1] == ["conjugate gradient"]
    conv = figures(at)["rank_conv"]
    assert [t["name"] for t in conv["data"]] == ["conjugate gradient"]


def test_random_and_indexed_queries():
    at = app_test(PAGE).run()
    at.button[0].click().run()
    assert_clean(at)
    first = at.query_params["q"]
    at.number_input(key="rank_add").set_value(17).run()
    assert_clean(at)
    assert "17" in at.query_params["q"].split(",") and at.query_params["q"] != first


def test_cg_needs_fewer_iterations_than_the_walk():
    at = app_test(PAGE).run()
    metrics = {m.label: m.value for m in at.metric}
    rw = int(metrics["random walk: iterations to 1e-06"].replace(",", ""))
    cg = int(metrics["conjugate gradient: iterations to 1e-06"].replace(",", ""))
    assert cg * 5 < rw


def test_average_precision_and_map_on_digits():
    at = app_test(PAGE, data="real", real="digits", q="3").run()
    assert_clean(at)
    labels = [m.label for m in at.metric]
    assert "AP, manifold ranking" in labels and "AP, cosine ranking" in labels
    next(b for b in at.button if b.label.startswith("Compute mAP")).click().run()
    assert_clean(at)
    assert any("mAP over 300 queries" in m.value for m in at.markdown)
    at.select_slider(key="rank_alpha").set_value(0.9).run()  # not recomputed on every move
    assert_clean(at)
    assert any("at α = 0.99; press Compute mAP" in m.value for m in at.markdown)


def test_out_of_range_queries_in_the_url_are_dropped():
    at = app_test(PAGE, q="99999,abc,4").run()
    assert_clean(at)
    assert "Query point: 4" in caption_text(at)


def test_clicks_replace_or_add_and_a_typed_index_can_be_typed_again():
    at = app_test(PAGE, q="3").run()

    def click(*ids):
        at.session_state["rank_pick"] = {
            "selection": {"points": [{"customdata": [i, "?"]} for i in ids],
                          "point_indices": list(range(len(ids))), "box": [], "lasso": []}}
        at.run()

    click(42)
    assert at.query_params["q"] == "42"
    at.toggle(key="rank_click_adds").set_value(True).run()
    click(7)
    assert at.query_params["q"] == "7,42"
    at.number_input(key="rank_add").set_value(5).run()
    assert at.query_params["q"] == "5,7,42"
    assert at.number_input(key="rank_add").value is None
    next(b for b in at.button if b.label.startswith("Reset")).click().run()
    assert at.query_params["q"] == "0"
    at.number_input(key="rank_add").set_value(5).run()
    assert at.query_params["q"] == "0,5"
    assert_clean(at)


def test_an_isolated_query_is_called_out():
    d = make_toy("two moons", 600, 0.08, 0)
    W = knn_graph(d.X, 10, kernel="gaussian")
    isolated = np.flatnonzero(np.diff(W.indptr) == 0)
    assert isolated.size > 0  # the reciprocal 10-NN graph at noise 0.08 leaves a point alone
    at = app_test(PAGE, q=str(isolated[0]), noise="0.08", k="10").run()
    assert_clean(at)
    assert any("has no edge in this graph" in w.value for w in at.warning)
    at = app_test(PAGE, q="0", noise="0.08", k="10").run()
    assert not at.warning


def test_tolerance_and_map_over_all_points():
    at = app_test(PAGE, data="real", real="iris", q="3").run()
    at.select_slider(key="rank_tol").set_value(1e-3).run()
    assert_clean(at)
    labels = [m.label for m in at.metric]
    assert "conjugate gradient: iterations to 0.001" in labels
    at.radio(key="rank_map_over").set_value("all").run()
    next(b for b in at.button if b.label.startswith("Compute mAP")).click().run()
    assert_clean(at)
    assert any("mAP over 150 queries" in m.value for m in at.markdown)


def test_queries_follow_the_user_to_the_smoothing_page_and_back():
    at = app_test(PAGE, q="40,400").run()
    at.query_params.pop("q", None)  # a page switch drops the page's own URL parameters
    at.switch_page("pages/2_Ranking_as_smoothing.py").run()
    assert_clean(at)
    assert at.query_params["q"] == "40,400"
    at.query_params.pop("q", None)
    at.switch_page(PAGE).run()
    assert "Query points: 40, 400" in caption_text(at)


def test_each_page_keeps_its_own_alpha():
    at = app_test(PAGE).run()
    at.select_slider(key="rank_alpha").set_value(0.95).run()
    visit(at, "pages/2_Ranking_as_smoothing.py")
    assert at.select_slider(key="smooth_alpha").value == 0.99  # its own default, not ranking's
    at.select_slider(key="smooth_alpha").set_value(0.5).run()
    visit(visit(at, "pages/3_Mining_on_manifolds.py"), PAGE)
    assert at.select_slider(key="rank_alpha").value == 0.95
    visit(at, "pages/2_Ranking_as_smoothing.py")
    assert at.select_slider(key="smooth_alpha").value == 0.5


def panel_text(at) -> str:
    return " ".join(m.value for m in at.sidebar.markdown)


def test_rotation_orbits_strips_hold_the_top_k_of_both_rankings():
    from mlviz.diffusion import reference_solution
    from mlviz.graph import build_knn_graph
    from mlviz.image_sets import rotation_orbits
    from mlviz.ranking import nearest_query_scores, top_k

    at = app_test(PAGE, data="real", real="rotation orbits", q="100,900", k="5", topk="8").run()
    assert_clean(at)
    d = rotation_orbits()
    g = build_knn_graph(d.X, 5, kernel="cosine", dtype=np.float64)
    f = reference_solution(g.W_norm, query_vector([100, 900], d.n), 0.99)
    manifold = top_k(f, 8, exclude=[100, 900]).tolist()
    cosine = top_k(nearest_query_scores(d.X, [100, 900], "cosine"), 8, exclude=[100, 900]).tolist()
    assert strip_ids(at) == [[100, 900], manifold, cosine]
    table = at.dataframe[0].value
    assert table["point"].tolist() == manifold  # the strip is the page's own top k
    captions = [c for _, c in strip_captions(at)[1]]
    classes = {d.labels[100], d.labels[900]}
    assert [c.endswith("✓") for c in captions] == [d.labels[j] in classes for j in manifold]
    assert "angle: **" in panel_text(at) and panel_ids(at) == [100]  # the first query
    at.slider(key="rank_topk").set_value(3).run()
    assert [len(s) for s in strip_ids(at)] == [2, 3, 3]


def test_no_strip_and_no_panel_without_images():
    at = app_test(PAGE).run()
    assert_clean(at)
    assert not strip_ids(at) and not at.sidebar.get("image")
    assert "Selected query" not in panel_text(at)


def test_the_panel_shows_the_last_chosen_query():
    at = app_test(PAGE, data="real", real="digits", q="3").run()
    assert "point: **#3**" in panel_text(at)
    at.toggle(key="rank_click_adds").set_value(True).run()
    at.session_state["rank_pick"] = {
        "selection": {"points": [{"customdata": [42, "?"]}], "point_indices": [0], "box": [],
                      "lasso": []}}
    at.run()
    assert at.query_params["q"] == "3,42" and "point: **#42**" in panel_text(at)
    at.number_input(key="rank_add").set_value(7).run()
    assert "point: **#7**" in panel_text(at)
    at.switch_page("pages/2_Ranking_as_smoothing.py").run()  # the same query selected there
    assert_clean(at)
    assert "point: **#7**" in panel_text(at) and "h(𝒲)y" in panel_text(at)


def test_k_follows_the_data_set_that_has_its_own():
    at = app_test(PAGE, data="real", real="digits").run()
    assert at.sidebar.slider(key="k").value == 15
    at.sidebar.selectbox(key="real").set_value("rotation orbits").run()
    assert_clean(at)
    assert at.sidebar.slider(key="k").value == 5 and at.query_params["k"] == "5"
    at.sidebar.slider(key="k").set_value(7).run()  # the user's k stays while the data does
    at.slider(key="rank_topk").set_value(4).run()
    assert at.sidebar.slider(key="k").value == 7
    at.sidebar.selectbox(key="real").set_value("digits").run()
    assert at.sidebar.slider(key="k").value == 15
