"""The label propagation page through AppTest."""

import numpy as np
from conftest import (
    app_test,
    assert_clean,
    decode,
    figures,
    npy_bytes,
    panel_ids,
    strip_captions,
    strip_ids,
    upload,
)

from mlviz.graph import knn_graph, normalize
from mlviz.propagation import propagate_labels, sample_labelled

PAGE = "pages/4_Label_propagation.py"


def metric_values(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_digits_accuracy_matches_the_core_and_beats_sklearn():
    at = app_test(PAGE, data="real", real="digits", per_class="5").run()
    assert_clean(at)
    from mlviz.datasets import load_real

    d = load_real("digits")
    labels = sample_labelled(d.labels, 5, 0)
    Wn = normalize(knn_graph(d.X, 15, kernel="cosine", dtype=np.float64))
    from mlviz.graph import edge_weights, knn_search

    nb = knn_search(d.X, 15, metric="cosine")
    res = propagate_labels(Wn, labels, 0.99, neighbors_idx=nb.indices,
                           neighbor_weights=edge_weights(nb, "cosine", 3.0))
    unl = labels < 0
    expected = np.mean(res.predictions[unl] == d.labels[unl])
    values = metric_values(at)
    assert values["accuracy (unlabelled)"] == f"{expected:.1%}"
    ours = float(values["accuracy (unlabelled)"].rstrip("%"))
    theirs = float(values["scikit-learn"].rstrip("%"))
    assert ours >= theirs
    assert at.query_params["L"].count(":") == 50


def test_widgets_move_and_clicks_label_points():
    at = app_test(PAGE).run()
    at.slider(key="lp_per_class").set_value(3).run()
    at.number_input(key="lp_label_seed").set_value(4).run()
    at.select_slider(key="lp_alpha").set_value(0.9).run()
    at.radio(key="lp_norm").set_value("plain argmax").run()
    at.radio(key="lp_cert_as").set_value("size").run()
    assert_clean(at)
    assert at.query_params["L"].count(":") == 6
    at.button[1].click().run()  # clear all labels
    assert_clean(at)
    assert any("Label at least one point" in i.value for i in at.info)
    at.selectbox(key="lp_click_class").set_value(1).run()
    at.session_state["lp_scatter"] = {"selection": {"points": [{"customdata": [10, "x"]},
                                                              {"customdata": [20, "x"]}]}}
    at.run()
    assert_clean(at)
    assert at.query_params["L"] == "10:1,20:1"
    assert "lp_scatter" in figures(at)


def test_sweeps():
    at = app_test(PAGE, n="300", noise="0.3").run()
    next(b for b in at.button if b.label.startswith("Compute accuracy")).click().run()
    assert_clean(at)
    figs = figures(at)
    for key in ("lp_sweep_alpha", "lp_sweep_k", "lp_sweep_labels"):
        assert key in figs and decode(figs[key]["data"][0]["y"]).size > 3
    before = decode(figs["lp_sweep_labels"]["data"][0]["y"])
    at.number_input(key="lp_label_seed").set_value(7).run()
    assert_clean(at)
    after = decode(figures(at)["lp_sweep_labels"]["data"][0]["y"])
    assert not np.array_equal(before, after)  # the curve draws its labels with the chosen seed


def test_data_without_labels_lets_the_user_label():
    at = upload(app_test(PAGE).run(), "x.npy",
                npy_bytes(np.random.default_rng(0).standard_normal((200, 5))))
    assert not at.exception
    assert at.number_input(key="lp_n_classes").value == 2
    at.session_state["lp_scatter"] = {"selection": {"points": [{"customdata": [3, "x"]}]}}
    at.run()
    assert_clean(at)
    assert at.query_params["L"] == "3:0"


def test_labels_survive_a_visit_to_another_page():
    at = app_test(PAGE, per_class="3").run()
    labels = at.query_params["L"]
    assert labels.count(":") == 6
    at.switch_page("pages/1_Ranking_on_manifolds.py").run()
    assert_clean(at)
    at.query_params.pop("L", None)  # the other page's URL does not carry them
    at.switch_page(PAGE).run()
    assert_clean(at)
    assert at.query_params["L"] == labels
    assert "6 labelled point(s)." in [c.value for c in at.caption]


def test_digits_strips_hold_the_labelled_the_most_and_least_certain_and_the_wrong():
    from mlviz.datasets import load_real
    from mlviz.graph import edge_weights, knn_search

    at = app_test(PAGE, data="real", real="digits", per_class="2").run()
    assert_clean(at)
    d = load_real("digits")
    labels = sample_labelled(d.labels, 2, 0)
    Wn = normalize(knn_graph(d.X, 15, kernel="cosine", dtype=np.float64))
    nb = knn_search(d.X, 15, metric="cosine")
    res = propagate_labels(Wn, labels, 0.99, neighbors_idx=nb.indices,
                           neighbor_weights=edge_weights(nb, "cosine", 3.0))
    labelled, most, least, wrong = strip_ids(at)
    assert sorted(labelled) == np.flatnonzero(labels >= 0).tolist()  # 20: all of them
    among = np.flatnonzero((labels < 0) & (res.predictions >= 0))
    cert = res.certainty[among]
    assert most == among[np.lexsort((among, -cert))][:10].tolist()
    assert least == among[np.lexsort((among, cert))][:10].tolist()
    bad = among[res.predictions[among] != d.labels[among]]
    assert wrong == bad[np.lexsort((bad, -res.certainty[bad]))][:10].tolist()
    captions = [c for _, c in strip_captions(at)[3]]
    j = wrong[0]
    assert captions[0] == (f"#{j} · {res.predictions[j]} (true {d.labels[j]}) · "
                           f"ω {res.certainty[j]:.2f} ✗")
    assert panel_ids(at) == [least[0]]  # until a click: the least certain
    at.session_state["lp_scatter"] = {"selection": {"points": [{"customdata": [33, "x"]}]}}
    at.run()
    assert panel_ids(at) == [33]
    assert "given label: **0**" in " ".join(m.value for m in at.sidebar.markdown)


def test_no_strips_on_toy_data():
    at = app_test(PAGE).run()
    assert_clean(at)
    assert not strip_ids(at) and not at.sidebar.get("image")
