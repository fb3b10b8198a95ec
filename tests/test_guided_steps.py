"""The talk, step by step: every method page's guided steps, walked in AppTest.

Each section is walked with Next from step 1 to the end and Back once; every step must show its
number in the URL, one sentence and one figure, and "Explore freely" must return to the full
page. Links (a fresh session on ``?rank_step=k``, the page's own Start link, the home page's
links) open their step; a page without the step in its URL is the full page, as before.
"""


import numpy as np
import pytest
from conftest import app_test, assert_clean, charts, npy_bytes, upload

from mlviz import datasets as ds
from mlviz.mining import euclidean_neighbors, mine
from mlviz.ui.tour import SECTIONS

FULL_PAGE_CHARTS = {  # a chart each full page draws, by key
    "ranking": "rank_anim",
    "smoothing": "smooth_1d",
    "mining": "mine_scatter",
    "label propagation": "lp_scatter",
}
PARAMS = [pytest.param(s, id=s.name) for s in SECTIONS.values()]


def chart_keys(at) -> list[str]:
    return [key for key, _ in charts(at)]


def shown_step(at, section) -> int:
    """The step the page shows, read off its heading (0: no step heading)."""
    for header in at.subheader:
        number, _, rest = header.value.partition(f" / {len(section.steps)} · ")
        if rest:
            return int(number)
    return 0


def figure_count(at) -> int:
    return len(charts(at)) + len(at.get("graphviz_chart"))


def the_sentence(at) -> str:
    return at.markdown[-1].value


def press(at, label: str):
    button = next(b for b in at.button if b.label == label)
    button.click().run()
    assert_clean(at)
    return at


def check_step(at, section, k: int) -> None:
    assert_clean(at)
    assert at.query_params[section.param] == str(k), dict(at.query_params)
    assert shown_step(at, section) == k
    assert section.steps[k - 1].title in at.subheader[0].value
    sentence = the_sentence(at)
    assert len(sentence) > 40 and sentence.rstrip().endswith("."), sentence
    assert figure_count(at) == 1, f"step {k} of {section.name} shows {figure_count(at)} figures"


def check_full_page(at, section) -> None:
    assert_clean(at)
    assert section.param not in at.query_params, dict(at.query_params)
    assert shown_step(at, section) == 0
    assert at.title[0].value == section.title
    assert FULL_PAGE_CHARTS[section.name] in chart_keys(at), chart_keys(at)
    assert not [b for b in at.button if b.label in ("Next", "Back", "Explore freely")]
    start = [p for p in at.get("page_link") if p.proto.label == "Start"]
    assert len(start) == 1 and start[0].proto.query_string == f"{section.param}=1"


@pytest.mark.parametrize("section", PARAMS)
def test_every_step_walks_to_the_end_back_once_and_explores_freely(section):
    at = app_test(section.page, **{section.param: "1"}).run()
    last = len(section.steps)
    for k in range(1, last + 1):
        check_step(at, section, k)
        assert any(b.label == "Back" and b.disabled == (k == 1) for b in at.button)
        if k < last:
            press(at, "Next")
    press(at, "Back")
    check_step(at, section, last - 1)
    press(at, "Next")
    check_step(at, section, last)
    assert not [b for b in at.button if b.label == "Next"], "the last step has no Next"
    press(at, "Explore freely")
    check_full_page(at, section)


@pytest.mark.parametrize("section", PARAMS)
def test_a_link_opens_its_step_and_the_plain_page_is_the_full_page(section):
    last = len(section.steps)
    at = app_test(section.page, **{section.param: str(last)}).run()
    check_step(at, section, last)
    plain = app_test(section.page).run()
    check_full_page(plain, section)
    wrong = app_test(section.page, **{section.param: str(last + 1)}).run()
    check_full_page(wrong, section)


def test_the_pages_start_link_opens_step_1():
    """A link to the page it is on reruns it with the link's query (emulated here)."""
    section = SECTIONS["smoothing"]
    at = app_test(section.page).run()
    check_full_page(at, section)
    at.query_params[section.param] = "1"
    at.run()
    check_step(at, section, 1)
    press(at, "Next")
    check_step(at, section, 2)  # the URL the session wrote itself does not pull it back
    press(at, "Leave the steps for the full page")
    check_full_page(at, section)


def test_the_home_page_links_into_every_sequence():
    at = app_test("app.py").run()
    assert_clean(at)
    links = {p.proto.page: p.proto.query_string for p in at.get("page_link")
             if p.proto.query_string}
    for section in SECTIONS.values():
        page = section.page.split("/")[-1].removesuffix(".py").split("_", 1)[1]
        assert links.get(page) == f"{section.param}=1", links
    section = SECTIONS["mining"]
    at.query_params[section.param] = "1"  # what the home page's link carries
    at.switch_page(section.page).run()
    check_step(at, section, 1)


def test_a_step_links_page_settings_survive_the_steps():
    section = SECTIONS["ranking"]
    at = app_test(section.page, **{section.param: "4", "alpha": "0.9", "q": "12"}).run()
    check_step(at, section, 4)
    assert "= 0.9\\," in the_sentence(at) and at.query_params["alpha"] == "0.9"
    press(at, "Next")
    press(at, "Next")
    press(at, "Explore freely")
    check_full_page(at, section)
    assert at.query_params["alpha"] == "0.9" and at.query_params["q"] == "12"
    assert at.select_slider(key="rank_alpha").value == 0.9


def test_the_ranking_steps_choose_a_telling_query_and_the_page_keeps_it():
    section = SECTIONS["ranking"]
    at = app_test(section.page, **{section.param: "3"}).run()
    check_step(at, section, 3)
    q = int(at.query_params["q"])
    assert q != 0, "point 0, the page's default, is not a telling query on two moons"
    fig = charts(at)[0][1]
    near = next(t for t in fig["data"] if t["name"].startswith("10 nearest"))
    shown = sorted(int(c[0]) for c in near["customdata"])
    d = ds.make_toy("two moons", 600, 0.1, 0)
    assert shown == sorted(euclidean_neighbors(d.X, [q], 10, "euclidean")[0])
    assert np.sum(d.labels[shown] != d.labels[q]) > 0, "a telling query has neighbours across"
    press(at, "Next")
    press(at, "Leave the steps for the full page")
    assert at.query_params["q"] == str(q)


def test_the_mining_steps_show_exactly_the_mined_sets():
    section = SECTIONS["mining"]
    at = app_test(section.page, **{section.param: "4", "a": "40", "k_e": "30", "k_m": "100"}).run()
    check_step(at, section, 4)
    d = ds.make_toy("two moons", 600, 0.1, 0)
    from mlviz.graph import build_knn_graph

    graph = build_knn_graph(d.X, 15, edges="reciprocal", kernel="gaussian", dtype=np.float64)
    m = mine(d.X, graph.W_norm, 40, 30, 100, 0.99, metric="euclidean")
    fig = charts(at)[0][1]
    pos = next(t for t in fig["data"] if t["name"].startswith("hard positives"))
    assert sorted(int(c[0]) for c in pos["customdata"]) == sorted(m.positives)
    assert not [t for t in fig["data"] if t["name"].startswith("hard negatives")
                and t.get("showlegend", True)], "S⁻ is the next step's"
    assert f"({m.positives.size} points" in the_sentence(at)


def test_label_propagation_falls_back_to_two_moons_without_labels_and_says_so():
    section = SECTIONS["label propagation"]
    X = np.random.default_rng(0).normal(size=(300, 5))
    at = app_test(section.page).run()
    upload(at, "plain.npy", npy_bytes(X))
    assert_clean(at)
    at.query_params[section.param] = "1"
    at.run()
    check_step(at, section, 1)
    assert "two moons instead of" in the_sentence(at), the_sentence(at)
    fig = charts(at)[0][1]
    assert sum(len(t["customdata"]) for t in fig["data"]) == 600
    press(at, "Next")
    check_step(at, section, 2)
    assert "true class" in the_sentence(at)
