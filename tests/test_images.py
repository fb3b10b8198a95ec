"""Thumbnails, framed strips, and the strips' contents against the library's results."""

import numpy as np
import pytest

from mlviz.datasets import Dataset, load_real, make_toy
from mlviz.figures.images import MARK_COLORS, STRIP_CLASS, strip_html, strip_pixels
from mlviz.graph import build_knn_graph
from mlviz.images import check_images, framed, thumbnails, unit_range, upsampling_factor
from mlviz.mining import Mined, mine
from mlviz.ranking import nearest_query_scores, top_k
from mlviz.strips import (
    STRIP_LIMIT,
    Strip,
    deep_lp_strips,
    has_images,
    mining_strips,
    point_facts,
    propagation_strips,
    ranking_strips,
)


@pytest.fixture(scope="module")
def digits():
    return load_real("digits")


def ids(strip: Strip) -> list[int]:
    """The point ids the captions name (what the page shows)."""
    return [int(c.split(" ")[0].lstrip("#")) for c in strip.captions]


# ---------------------------------------------------------------- pixels
def test_unit_range_closed_forms():
    np.testing.assert_allclose(unit_range(np.array([0, 51, 255], np.uint8)), [0, 0.2, 1])
    np.testing.assert_allclose(unit_range(np.array([0.0, 4.0, 16.0])), [0, 0.25, 1])  # digits
    np.testing.assert_allclose(unit_range(np.array([0.0, 0.3, 0.6])), [0, 0.3, 0.6])  # kept


def test_thumbnails_repeat_each_pixel(digits):
    t = thumbnails(digits.images)
    assert t.dtype == np.uint8 and t.shape == (1797, 48, 48)  # 8×8 × 6
    expected = np.round(digits.images / 16.0 * 255).astype(np.uint8)
    np.testing.assert_array_equal(t[:, ::6, ::6], expected)
    np.testing.assert_array_equal(t[:, 5::6, 5::6], expected)
    rgb = thumbnails(np.random.default_rng(0).random((3, 24, 24, 3)))
    assert rgb.shape == (3, 48, 48, 3)


def test_upsampling_stays_within_the_memory_limit():
    assert upsampling_factor((100, 8, 8)) == 6
    assert upsampling_factor((100, 100, 100)) == 1  # already large: not upsampled
    assert upsampling_factor((20_000, 8, 8, 3), max_bytes=20_000 * 8 * 8 * 3 * 9) == 3


def test_frames_have_their_colour_and_keep_the_pixels():
    thumbs = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    out = framed(thumbs, [(255, 0, 0), (0, 255, 0)], width=2)
    assert out.shape == (2, 8, 8, 3)
    np.testing.assert_array_equal(out[0, 0, 0], [255, 0, 0])
    np.testing.assert_array_equal(out[1, -1, 3], [0, 255, 0])
    np.testing.assert_array_equal(out[:, 2:6, 2:6, 1], thumbs)
    with pytest.raises(ValueError, match="one row per thumbnail"):
        framed(thumbs, [(0, 0, 0)])


def test_check_images_accepts_the_documented_forms():
    grey, problem = check_images(np.zeros((5, 8, 8), np.uint8), 5)
    assert problem is None and grey.dtype == np.uint8
    rgb, problem = check_images(np.full((5, 8, 8, 3), 0.5), 5)
    assert problem is None and rgb.dtype == np.float32
    assert check_images(None, 5) == (None, None)


# ---------------------------------------------------------------- strips
def test_ranking_strips_are_the_top_k_of_each_ranking(digits):
    d = digits
    g = build_knn_graph(d.X, 15, kernel="cosine")
    from mlviz import query_vector
    from mlviz.diffusion import reference_solution

    queries = [3, 500]
    f = reference_solution(g.W_norm, query_vector(queries, d.n), 0.99)
    q, man, cos = ranking_strips(d, f, queries, 12, "cosine")
    assert ids(q) == queries and set(q.marks) == {"query"}
    assert ids(man) == list(man.indices) == top_k(f, 12, exclude=queries).tolist()
    plain = top_k(nearest_query_scores(d.X, queries, "cosine"), 12, exclude=queries)
    assert list(cos.indices) == plain.tolist() and "cosine" in cos.title
    query_classes = set(d.labels[queries])
    for strip in (man, cos):
        assert len(strip) == 12
        assert [m == "relevant" for m in strip.marks] == [d.labels[j] in query_classes
                                                          for j in strip.indices]
        assert [c.split(" · ")[-1].split(" ")[0] for c in strip.captions] == [
            f"r{r}" for r in range(1, 13)]
    many = ranking_strips(d, f, list(range(100)), 60, "cosine")
    assert all(len(s) == STRIP_LIMIT for s in many) and "of 100" in many[0].note


def test_mining_strips_hold_the_anchor_and_the_mined_sets(digits):
    d = digits
    g = build_knn_graph(d.X, 15, kernel="cosine")
    m = mine(d.X, g.W_norm, 11, 10, 30)
    anchor, E, M, pos, neg = mining_strips(d, m)
    assert list(anchor.indices) == [11]
    assert list(E.indices) == m.euclidean.tolist() and list(M.indices) == m.manifold.tolist()
    assert list(pos.indices) == m.positives.tolist() and list(neg.indices) == m.negatives.tolist()
    for strip in (E, M, pos, neg):
        assert ids(strip) == list(strip.indices)
        assert [mk == "relevant" for mk in strip.marks] == [d.labels[j] == d.labels[11]
                                                            for j in strip.indices]
    m_rank = {j: r for r, j in enumerate(m.manifold.tolist(), 1)}
    assert [c.split(" · ")[-1].split(" ")[0] for c in pos.captions] == [
        f"r{m_rank[j]}" for j in pos.indices]


def test_propagation_strips_against_their_definitions(digits):
    d = digits
    rng = np.random.default_rng(0)
    given = np.full(d.n, -1)
    given[rng.choice(d.n, 60, replace=False)] = d.labels[rng.choice(d.n, 60, replace=False)]
    pred = np.where(given >= 0, given, rng.integers(0, 10, d.n))
    pred[:5] = -1  # got no label
    cert = rng.random(d.n)
    labelled, most, least, wrong = propagation_strips(d, given, pred, cert, d.class_names, k=7)
    assert len(labelled) == STRIP_LIMIT and "of 60" in labelled.note
    assert set(labelled.indices) <= set(np.flatnonzero(given >= 0))
    assert list(given[list(labelled.indices)]) == sorted(given[list(labelled.indices)])
    among = np.flatnonzero((given < 0) & (pred >= 0))
    by_cert = among[np.argsort(-cert[among], kind="stable")]
    assert list(most.indices) == by_cert[:7].tolist()
    assert list(least.indices) == by_cert[::-1][:7].tolist()
    wrong_ids = by_cert[pred[by_cert] != d.labels[by_cert]]
    assert list(wrong.indices) == wrong_ids[:7].tolist() and set(wrong.marks) == {"wrong"}
    j = wrong.indices[0]
    assert wrong.captions[0] == (f"#{j} · {pred[j]} (true {d.labels[j]}) · ω {cert[j]:.2f} ✗")
    assert f"of {wrong_ids.size:,}" in wrong.note


def test_deep_lp_strips_least_certain_and_changed(digits):
    d = digits
    rng = np.random.default_rng(1)
    labelled = np.zeros(d.n, bool)
    labelled[:50] = True
    now, before = rng.integers(0, 10, d.n), rng.integers(0, 10, d.n)
    cert = rng.random(d.n)
    least, changed = deep_lp_strips(d, labelled, now, cert, before, k=5)
    unl = np.flatnonzero(~labelled)
    assert list(least.indices) == unl[np.argsort(cert[unl], kind="stable")][:5].tolist()
    moved = unl[now[unl] != before[unl]]
    assert list(changed.indices) == moved[np.argsort(-cert[moved], kind="stable")][:5].tolist()
    j = changed.indices[0]
    assert changed.captions[0].startswith(f"#{j} · {before[j]}→{now[j]} · ω")
    assert len(deep_lp_strips(d, labelled, now, cert)) == 1  # no previous epoch


def test_strip_pixels_are_the_points_thumbnails_framed(digits):
    thumbs = thumbnails(digits.images)
    strip = Strip("t", (4, 9), ("#4", "#9"), ("relevant", "irrelevant"))
    a, b = strip_pixels(strip, thumbs)
    np.testing.assert_array_equal(a[3:-3, 3:-3, 0], thumbs[4])
    np.testing.assert_array_equal(b[0, 0], MARK_COLORS["irrelevant"])
    with pytest.raises(ValueError, match="marks"):
        Strip("t", (1,), ("#1",), ("shiny",))


def test_a_strip_in_html_holds_each_point_its_framed_png_and_its_escaped_caption(digits):
    import base64
    import io
    import re

    from PIL import Image

    thumbs = thumbnails(digits.images)
    strip = Strip("t", (4, 9), ("#4 · 0 <b>&", "#9 · ω 0.50 ✗"), ("relevant", "irrelevant"))
    block = strip_html(strip, thumbs, 60)
    assert block.startswith(f'<div class="{STRIP_CLASS}"')
    found = re.findall(r'<figure data-point="(\d+)".*?src="data:image/png;base64,([^"]+)".*?'
                       r'<figcaption[^>]*>(.*?)</figcaption>', block, re.S)
    assert [int(i) for i, _, _ in found] == [4, 9]
    assert [c for _, _, c in found] == ["#4 · 0 &lt;b&gt;&amp;", "#9 · ω 0.50 ✗"]
    for (_, png, _), pixels in zip(found, strip_pixels(strip, thumbs)):
        decoded = np.asarray(Image.open(io.BytesIO(base64.b64decode(png))))
        np.testing.assert_array_equal(decoded, pixels)
    assert block.count('width="60"') == 2 and "image-rendering: pixelated" in block
    assert strip_html(Strip("t", (), (), ()), thumbs).count("<figure") == 0


def test_only_image_data_sets_have_strips(digits):
    assert has_images(digits)
    assert not has_images(make_toy("two moons", 100))
    d = Dataset("x", np.zeros((3, 2)), extras={"angle": np.array([0.0, 10.0, 20.0])})
    assert point_facts(d, 1) == {"point": "#1", "angle": "10°"}


def test_mined_strip_of_an_empty_set_is_empty(digits):
    m = Mined(0, np.array([1, 2]), np.array([1, 2]), np.array([], int), np.array([], int))
    assert len(mining_strips(digits, m)[3]) == 0
