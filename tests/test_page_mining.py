"""The mining page through AppTest."""

import numpy as np
import pytest
from conftest import app_test, assert_clean, decode, figures, strip_ids

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
    m = mine(d.X, Wn, 42, 8, 25, 0.99, metric="euclidean")  # the Gaussian graph's space
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
    m = mine(d.X, Wn, anchor, at.slider(key="mine_k_e").value, at.slider(key="mine_k_m").value,
             0.99, metric="euclidean")
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


def test_sets_are_comparable_by_default_and_e_is_ranked_in_the_graphs_space():
    at = app_test(PAGE, data="real", real="digits", a="5").run()
    assert_clean(at)
    k_e, k_m = at.slider(key="mine_k_e").value, at.slider(key="mine_k_m").value
    assert k_e == k_m == 50  # |E| = |M|, as the authors (gtolias/mom)
    assert "cosine similarity, as the graph" in at.markdown[1].value
    from mlviz.datasets import load_real
    from mlviz.graph import build_knn_graph

    d = load_real("digits")
    g = build_knn_graph(d.X, 15, kernel="cosine", gamma=3.0, dtype=np.float64)
    m = mine(d.X, g.W_norm, 5, 50, 50, 0.99, metric="cosine")
    counts = legend_counts(figures(at)["mine_scatter"])
    assert counts["hard negatives S⁻ = E \\ M"] == m.negatives.size > 0
    table = at.dataframe[0].value
    assert "none for 0% of anchors" in table.iloc[1]["mined"]


FAKE_BENCH = {"metric_learning": {
    "initial": {"R@1": 0.758, "R@1_std": 0.016, "NMI": 0.296, "NMI_std": 0.024},
    "euclidean": {"R@1": 0.811, "R@1_std": 0.016, "NMI": 0.315, "NMI_std": 0.022},
    "mined": {"R@1": 0.8195, "R@1_std": 0.021, "NMI": 0.39, "NMI_std": 0.05},
    "supervised": {"R@1": 0.9825, "R@1_std": 0.002, "NMI": 0.959, "NMI_std": 0.003},
    "seeds": 5, "settings": "the settings"}}


@pytest.mark.parametrize("bench", [FAKE_BENCH, None])
def test_the_miniature_quotes_the_benchmark_or_says_it_has_not_run(monkeypatch, bench):
    import mlviz.ui.fidelity

    monkeypatch.setattr(mlviz.ui.fidelity, "load_fidelity", lambda: bench)
    at = app_test(PAGE, data="real", real="digits").run()
    assert_clean(at)
    assert at.radio(key="mine_start").value == "transfer"
    text = " ".join(c.value for c in at.caption)
    if bench is None:
        assert "has not been run yet" in text
        return
    table = at.dataframe[1].value
    assert list(table["R@1"]) == ["75.8 ± 1.6", "81.1 ± 1.6", "82.0 ± 2.1", "98.2 ± 0.2"]
    assert "over 5 seeds" in text and "the settings" in text


@pytest.mark.slow
def test_the_miniature_runs_from_descriptors_learned_on_other_classes():
    at = app_test(PAGE, data="real", real="digits", timeout=300).run()
    at.slider(key="mine_epochs").set_value(4).run()
    next(b for b in at.button if b.label.startswith("Fine-tune")).click().run()
    job = at.session_state["ml_job"]
    job.wait(300)
    assert not job.running and job.error is None, job.error
    at.run()
    assert_clean(at)
    table = at.dataframe[-1].value
    assert list(table["method"]) == ["initial descriptors", "triplets from the labels",
                                     "mined: positives E, negatives X ∖ E",
                                     "mined: positives S⁺, negatives S⁻"]
    r1 = {m: float(v) for m, v in zip(table["method"], table["R@1"])}
    assert r1["initial descriptors"] < 85  # weak on digits 4-9 (pixels: 99)
    assert r1["mined: positives S⁺, negatives S⁻"] > r1["initial descriptors"] + 2
    assert r1["triplets from the labels"] > max(90, r1["mined: positives S⁺, negatives S⁻"])
    from mlviz.datasets import load_real

    n_target = int(np.sum(load_real("digits").labels >= 4))  # digits 4-9 only
    assert job.results[job.names[0]].embedding.shape[0] == n_target
    scatter = figures(at)["ml_before"]
    assert sum(decode(t["x"]).size for t in scatter["data"]) == n_target
    assert any("never saw" in c.value for c in at.caption)

    at.radio(key="mine_start").set_value("own").run()  # the old run is not shown as this one
    assert_clean(at)
    assert any("other initial descriptors" in i.value for i in at.info)


def test_own_descriptors_and_data_sets_with_few_classes_skip_the_miniature():
    at = app_test(PAGE, data="real", real="digits", start="own").run()
    assert_clean(at)
    text = " ".join(c.value for c in at.caption)
    assert "the sidebar's k = 15" in text and "benchmark of this miniature" not in text
    at = app_test(PAGE, data="real", real="wine").run()  # 3 classes: nothing to split
    assert_clean(at)
    assert not at.get("radio") or all(r.key != "mine_start" for r in at.radio)
    assert "the sidebar's k" in " ".join(c.value for c in at.caption)


def test_image_strips_hold_exactly_the_anchor_and_its_mined_sets():
    from mlviz.datasets import load_real
    from mlviz.graph import build_knn_graph

    at = app_test(PAGE, data="real", real="digits", a="42").run()
    assert_clean(at)
    d = load_real("digits")
    g = build_knn_graph(d.X, 15, kernel="cosine")
    m = mine(d.X, g.W_norm, 42, 50, 50, 0.99, "cosine")
    ids = strip_ids(at)
    assert len(ids) == 5  # anchor, E, M, S+, S-
    assert ids[0] == [42]
    for shown, computed in zip(ids[1:], (m.euclidean, m.manifold, m.positives, m.negatives)):
        assert shown == [int(i) for i in computed[:40]]
    panel = " ".join(x.value for x in at.sidebar.markdown)
    assert "42" in panel and at.sidebar.get("image")
    assert {b.label for b in at.get("download_button")} >= {
        "This anchor's sets (.csv)", "1,000 anchors' sets (.csv)"}


def test_no_strips_on_points_that_are_not_images():
    at = app_test(PAGE).run()
    assert_clean(at)
    assert not strip_ids(at)
