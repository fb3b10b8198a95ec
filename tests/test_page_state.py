"""Every result-changing widget of every page keeps its value in a shared link and across a
page switch.

For each page (and the sidebar, on the home page), every keyed widget on it is either moved to a non-default value below or named
in ``ACTS_ONCE`` (inputs that act once, such as a typed index or a file); a new widget that is
in neither fails the test. Then (a) a fresh session opened on the page's URL shows every moved
value and (b) a visit to another page and back keeps them.
"""

import pytest
from conftest import app_test, assert_clean, visit

WIDGET_KINDS = ("slider", "select_slider", "toggle", "checkbox", "radio", "selectbox",
                "number_input", "button_group", "multiselect", "text_input")

ACTS_ONCE = {"rank_add", "mine_anchor", "upload", "dlp_load"}
"""Widgets that act once (a typed index, a file): not part of the view's state."""

SIDEBAR = {"toy": "two spirals", "n": 500, "noise": 0.1, "seed": 3, "k": 12, "edges": "union",
           "kernel": "cosine", "gamma": 4.0}

PAGES = {
    "app.py": ({}, {"home_show_edges": False}),
    "pages/1_Ranking_on_manifolds.py": ({}, {
        "rank_alpha": 0.9, "rank_iters": 12, "rank_solvers": ["conjugate gradient"],
        "rank_topk": 7, "rank_logc": False, "rank_click_adds": True, "rank_tol": 1e-4,
        "rank_map_over": "all",
    }),
    "pages/2_Ranking_as_smoothing.py": ({}, {
        "smooth_signal": "impulse", "smooth_alpha_1d": 0.8, "smooth_alpha": 0.95,
        "smooth_filter": "heat kernel", "smooth_heat_t": 9.0, "smooth_rank": 30,
        "smooth_overlap_k": 40,
    }, {"smooth_filter": "ideal low-pass", "smooth_cutoff": 0.5}),
    "pages/3_Mining_on_manifolds.py": ({"data": "real", "real": "digits"}, {
        "mine_k_e": 20, "mine_k_m": 60, "mine_alpha": 0.95, "mine_epochs": 5,
        "mine_anchors": 500, "mine_margin": 0.5, "mine_negatives": "euclidean",
        "mine_start": "own",
    }),
    "pages/4_Label_propagation.py": ({}, {
        "lp_per_class": 3, "lp_label_seed": 4, "lp_click_class": 1, "lp_alpha": 0.9,
        "lp_norm": "plain argmax", "lp_cert_as": "size",
    }),
    "pages/5_Deep_label_propagation.py": ({"data": "real", "real": "digits"}, {
        "dlp_per_class": 3, "dlp_epochs": 6, "dlp_warmup": 2, "dlp_feature_k": 15, "dlp_alpha": 0.95,
        "dlp_train_seed": 2, "dlp_weighting": "talk",
    }),
}


def keyed_widgets(at) -> dict:
    out = {}
    for kind in WIDGET_KINDS:
        for widget in at.get(kind):
            if widget.key:
                out[widget.key] = widget
    return out


def values(at, keys) -> dict:
    widgets = keyed_widgets(at)
    return {key: widgets[key].value if key in widgets else "<missing>" for key in keys}


def other_page(page: str) -> str:
    return "pages/4_Label_propagation.py" if "1_" in page else "pages/1_Ranking_on_manifolds.py"


@pytest.mark.slow
@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_setting_survives_a_shared_link_and_a_page_switch(page):
    query, *rounds = PAGES[page]
    at = app_test(page, **query).run()
    assert_clean(at)
    if page == "app.py":
        rounds = [SIDEBAR, *rounds]
    steps = [step for moves in rounds for step in moves.items()]  # later rounds need earlier
    moves = dict(steps)
    for key, value in steps:
        widgets = keyed_widgets(at)
        assert key in widgets, f"no widget {key!r} on {page}: {sorted(widgets)}"
        widgets[key].set_value(value).run()
        assert_clean(at)
    unlisted = set(keyed_widgets(at)) - set(moves) - set(SIDEBAR) - ACTS_ONCE - {"data", "real",
                                                                               "layout"}
    assert not unlisted, f"widgets of {page} that this test does not move: {sorted(unlisted)}"
    expected = values(at, moves)
    assert expected == {k: v for k, v in moves.items()}, "the moves took effect"

    url = {k: v for k, v in at.query_params.items()}
    fresh = app_test(page, **url).run()
    assert_clean(fresh)
    assert values(fresh, moves) == expected, f"a fresh session on {url} shows another view"

    visit(at, other_page(page))
    visit(at, page)
    assert values(at, moves) == expected, "a visit to another page and back lost settings"
