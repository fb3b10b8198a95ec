"""What a student does and sees: clicks and typed indices after buttons, graph warnings."""

from conftest import app_test, assert_clean

RANKING = "pages/1_Ranking_on_manifolds.py"
MINING = "pages/3_Mining_on_manifolds.py"
LABELS = "pages/4_Label_propagation.py"
PAGES = ("app.py", RANKING, "pages/2_Ranking_as_smoothing.py", MINING, LABELS,
         "pages/5_Deep_label_propagation.py")


CLICKS = iter(range(1, 1_000_000))


def click(at, chart_key: str, *ids):
    """A selection as the live chart sends it: each one with the next serial number."""
    at.session_state[chart_key] = {
        "selection": {"points": [{"customdata": [i, "x"]} for i in ids],
                      "point_indices": list(range(len(ids))), "box": [], "lasso": [],
                      "serial": next(CLICKS)}}
    return at.run()


def press(at, label: str):
    return next(b for b in at.button if b.label.startswith(label)).click().run()


# ---------------------------------------------------------------- a click after a button
def test_a_click_on_the_same_point_after_a_button_selects_it_on_the_ranking_page():
    at = app_test(RANKING).run()
    click(at, "rank_pick", 115)
    assert at.query_params["q"] == "115"
    press(at, "Reset to point 0")
    assert at.query_params["q"] == "0"
    click(at, "rank_pick", 115)
    assert at.query_params["q"] == "115"
    press(at, "Random query")
    assert at.query_params.get("q") != "115"
    click(at, "rank_pick", 115)
    assert at.query_params["q"] == "115"
    at.slider(key="rank_topk").set_value(12).run()  # a rerun does not bring an old click back
    press(at, "Reset to point 0")
    at.slider(key="rank_topk").set_value(14).run()
    assert at.query_params["q"] == "0"
    assert_clean(at)


def test_a_click_on_the_same_point_after_a_button_selects_it_on_the_mining_page():
    at = app_test(MINING).run()
    click(at, "mine_scatter", 123)
    assert at.query_params["a"] == "123"
    press(at, "Random anchor")
    assert at.query_params["a"] != "123"
    click(at, "mine_scatter", 123)
    assert at.query_params["a"] == "123"
    assert_clean(at)


def test_a_click_on_the_same_point_after_clearing_labels_labels_it_again():
    at = app_test(LABELS).run()
    press(at, "Clear all labels")
    click(at, "lp_scatter", 10)
    assert at.query_params["L"] == "10:0"
    press(at, "Clear all labels")
    assert at.query_params.get("L") in (None, "")
    click(at, "lp_scatter", 10)
    assert at.query_params["L"] == "10:0"
    assert_clean(at)


# ---------------------------------------------------------------- a typed index always counts
def test_a_typed_anchor_takes_effect_after_a_button():
    at = app_test(MINING).run()
    at.number_input(key="mine_anchor").set_value(7).run()
    assert at.query_params["a"] == "7"
    press(at, "Random anchor")
    assert at.query_params["a"] != "7"
    at.number_input(key="mine_anchor").set_value(7).run()
    assert at.query_params["a"] == "7"
    assert at.number_input(key="mine_anchor").value is None  # the box is cleared for the next
    assert_clean(at)


def test_a_typed_query_takes_effect_after_a_button():
    at = app_test(RANKING).run()
    at.number_input(key="rank_add").set_value(7).run()
    assert at.query_params["q"] == "0,7"
    press(at, "Random query")
    at.number_input(key="rank_add").set_value(7).run()
    assert "7" in at.query_params["q"].split(",")
    assert_clean(at)


# ---------------------------------------------------------------- a graph that falls apart
def main_warnings(at) -> str:
    return " ".join(w.value for w in at.main.warning)


def test_a_fragmented_graph_is_called_out_on_every_page():
    for page in PAGES:
        at = app_test(page, k="2").run()
        assert not at.exception, page
        text = main_warnings(at)
        assert text.count("falls apart") == 1, (page, text)
        assert "components" in text and "isolated" in text, (page, text)
        assert "raise k" in text.lower() and "union" in text, (page, text)


def test_a_graph_of_a_few_components_gets_a_milder_note():
    for page in PAGES:
        at = app_test(page, n="600", noise="0.08", k="10", edges="reciprocal").run()
        assert not at.exception, page
        assert "falls apart" not in main_warnings(at), page
        notes = " ".join(i.value for i in at.main.info)
        assert notes.count("3 connected components") == 1, (page, notes)


def test_the_default_graph_needs_no_warning():
    at = app_test(LABELS).run()
    assert_clean(at)
    assert "components" not in main_warnings(at)
    assert "components" not in " ".join(i.value for i in at.main.info)


# ---------------------------------------------------------------- defaults that show the talk
def default_toy_and_graph():
    import numpy as np

    from mlviz.datasets import make_toy
    from mlviz.graph import build_knn_graph
    from mlviz.ui.sidebar import DEFAULT_DATA_KEY, SIDEBAR

    s = SIDEBAR.settings
    key = ("toy", s["toy"].default, s["n"].default, s["noise"].default, s["seed"].default)
    assert key == DEFAULT_DATA_KEY
    d = make_toy(*key[1:])
    g = build_knn_graph(d.X, s["k"].default, edges=s["edges"].default, kernel="gaussian",
                        dtype=np.float64)
    return d, g


def test_the_default_graph_is_connected_and_labels_grow_unsure_where_the_moons_meet():
    import numpy as np
    from scipy.spatial import cKDTree

    from mlviz.propagation import propagate_labels, sample_labelled

    d, g = default_toy_and_graph()
    assert g.summary.n_components == 1 and g.summary.n_isolated == 0
    labels = sample_labelled(d.labels, 5, 0)  # the label propagation page's first labels
    w = propagate_labels(g.W_norm, labels, 0.99, n_classes=2).certainty
    gap = np.empty(d.n)
    for c in (0, 1):
        gap[d.labels == c] = cKDTree(d.X[d.labels != c]).query(d.X[d.labels == c])[0]
    meet = gap < np.quantile(gap, 0.1)
    assert np.mean(w < 0.5) > 0.05  # faint points exist...
    assert w[meet].mean() < w[~meet].mean() - 0.1  # ... mostly where the classes meet


def test_the_default_ranking_from_a_moons_tip_follows_the_moon():
    import numpy as np

    d, _ = default_toy_and_graph()
    lower = np.flatnonzero(d.labels == 1)
    tip = int(lower[np.argmin(np.linalg.norm(d.X[lower] - (0.0, 0.5), axis=1))])
    at = app_test(RANKING, q=str(tip)).run()
    assert_clean(at)
    metrics = {m.label: float(m.value) for m in at.metric if m.label.startswith("AP")}
    assert metrics["AP, manifold ranking"] > metrics["AP, euclidean ranking"] + 0.1
    assert "components" not in " ".join(i.value for i in at.main.info)


# ---------------------------------------------------------------- loading weights, in plain words
def saved(kind, input_shape, n_classes) -> bytes:
    import io

    from mlviz.deep import save_model
    from mlviz.deep.networks import make_network

    buf = io.BytesIO()
    save_model(make_network(kind, input_shape, n_classes), buf)
    return buf.getvalue()


def load_message(data: bytes, kind="mlp", input_shape=64, n_classes=10) -> str:
    import pytest

    from mlviz.deep import load_model

    with pytest.raises(ValueError) as err:
        load_model(kind, input_shape, n_classes, data, name="bad.pt")
    return str(err.value)


def test_a_file_that_is_not_weights_is_named_and_described():
    message = load_message(b"not a model")
    assert message.startswith("bad.pt is not a file of network weights")
    assert "save_model" not in message and "buffer" not in message


def test_weights_of_another_data_set_say_what_they_fit_and_what_is_needed():
    from mlviz.deep.checkpoints import WeightsMismatch

    message = load_message(saved("mlp", 64, 3))
    assert message == ("bad.pt holds the weights of an MLP with 64 inputs and 3 classes; the "
                       "current data set needs an MLP with 64 inputs and 10 classes.")
    message = load_message(saved("mlp", 4, 3), kind="cnn", input_shape=(8, 8))
    assert "an MLP with 4 inputs and 3 classes" in message
    assert "needs a small CNN on 8×8 images with 10 classes" in message
    assert "Missing key" not in message and "size mismatch" not in message
    import pytest

    from mlviz.deep import load_model

    with pytest.raises(WeightsMismatch):
        load_model("mlp", 4, 3, saved("mlp", 64, 3))


# ---------------------------------------------------------------- every point labelled
def test_with_every_point_labelled_no_metric_reads_nan():
    at = app_test(LABELS).run()
    click(at, "lp_scatter", *range(600))  # the default two moons: 600 points
    assert not at.exception
    assert any("600 labelled" in c.value for c in at.caption)
    shown = {m.label: (m.value, m.delta) for m in at.metric}
    assert all("nan" not in f"{v} {dlt}".lower() for v, dlt in shown.values()), shown
    assert shown["accuracy (unlabelled)"][0] == "–", shown
