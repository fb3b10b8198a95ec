"""The mining page through AppTest."""

import numpy as np
from conftest import app_test, assert_clean, figures

from mlviz.datasets import make_toy
from mlviz.graph import knn_graph, normalize
from mlviz.mining import mine

PAGE = "pages/3_Mining_on_manifolds.py"


def legend_counts(fig) -> dict:
    out = {}
    for trace in fig["data"]:
        name = trace.get("name", "")
        if "(" in name:
            out[name.split(" (")[0]] = int(name.rsplit("(", 1)[1].rstrip(")"))
    return out


def test_sets_match_the_core_for_a_given_anchor():
    at = app_test(PAGE, toy="two spirals", a="42", k_e="8", k_m="25").run()
    assert_clean(at)
    d = make_toy("two spirals", 600, 0.1, 0)
    Wn = normalize(knn_graph(d.X, 15, kernel="gaussian", dtype=np.float64))
    m = mine(d.X, Wn, 42, 8, 25, 0.99)
    counts = legend_counts(figures(at)["mine_scatter"])
    assert counts["hard positives S⁺ = M \\ E"] == m.positives.size
    assert counts["hard negatives S⁻ = E \\ M"] == m.negatives.size


def percent(cell: str) -> float:
    return float(cell.rstrip("%")) / 100


def test_default_anchor_shows_both_kinds_on_spirals():
    at = app_test(PAGE, toy="two spirals").run()
    assert_clean(at)
    counts = legend_counts(figures(at)["mine_scatter"])
    assert counts["hard positives S⁺ = M \\ E"] > 0 and counts["hard negatives S⁻ = E \\ M"] > 0
    # ... and they are what the talk says: positives along the anchor's own arm, negatives
    # across the gap, on the other arm.
    d = make_toy("two spirals", 600, 0.1, 0)
    Wn = normalize(knn_graph(d.X, 15, kernel="gaussian", dtype=np.float64))
    anchor = int(at.query_params["a"])
    m = mine(d.X, Wn, anchor, at.slider(key="mine_k_e").value, at.slider(key="mine_k_m").value, 0.99)
    assert np.all(d.labels[m.positives] == d.labels[anchor])
    assert np.all(d.labels[m.negatives] != d.labels[anchor])
    table = at.dataframe[0].value
    negatives, others = (percent(table.iloc[1]["share the anchor's class"]),
                         percent(table.iloc[1]["their share"]))
    assert negatives < others - 0.3  # S- share the class far less often than the rest of E


def test_statistics_show_that_mining_works_on_moons():
    at = app_test(PAGE, noise="0.15").run()
    assert_clean(at)
    table = at.dataframe[0].value
    positives, random = (percent(table.iloc[0]["share the anchor's class"]),
                         percent(table.iloc[0]["their share"]))
    assert positives > 0.95 and positives > random + 0.3


def test_widgets_and_clicks_move_the_anchor():
    at = app_test(PAGE).run()
    at.slider(key="mine_k_e").set_value(20).run()
    at.slider(key="mine_k_m").set_value(60).run()
    at.select_slider(key="mine_alpha").set_value(0.9).run()
    at.number_input(key="mine_anchor").set_value(77).run()
    assert_clean(at)
    assert at.query_params["a"] == "77"
    at.session_state["mine_scatter"] = {"selection": {"points": [{"customdata": [123, "x"]}]}}
    at.run()
    assert at.query_params["a"] == "123"
    at.button[0].click().run()
    assert_clean(at)
    assert at.query_params["a"] != "123"


def test_sizes_that_mine_nothing_say_so():
    at = app_test(PAGE).run()
    at.slider(key="mine_k_m").set_value(1).run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert table.iloc[0]["share the anchor's class"] == "– (none mined)"
    assert "None" not in table.to_string() and "nan" not in table.to_string()
