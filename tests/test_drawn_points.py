"""Figures that draw a sample of many points: what they always keep, and that they say so."""

import numpy as np
import pytest
from conftest import app_test, assert_clean
from hypothesis import given, settings
from hypothesis import strategies as st

from mlviz.figures import class_scatter, diffusion_animation, eigenvector_gallery, score_scatter
from mlviz.figures.ranking import relative_log_scores
from mlviz.figures.style import DRAWN_POINTS_UP_TO, KEPT_EXTREMES, drawn_points, largest


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3000), up_to=st.integers(1, 2000),
       keep=st.lists(st.integers(0, 2999), max_size=20))
def test_drawn_points_is_all_or_a_sorted_sample_with_the_kept(n, up_to, keep):
    keep = [k for k in keep if k < n]
    drawn = drawn_points(n, up_to, keep=keep)
    if n <= up_to:
        assert np.array_equal(drawn, np.arange(n))
        return
    assert np.all(np.diff(drawn) > 0) and drawn.min() >= 0 and drawn.max() < n
    assert set(keep) <= set(drawn.tolist())
    assert up_to <= drawn.size <= up_to + len(keep)
    assert np.array_equal(drawn, drawn_points(n, up_to, keep=keep))  # the same every rerun


def test_largest_are_the_largest_magnitudes():
    values = np.array([0.1, -5.0, 2.0, 0.0, 3.0])
    assert set(largest(values, 2).tolist()) == {1, 4}
    assert largest(values, 0).size == 0


def _runs(n: int, T: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    return {"random walk": rng.random((T + 1, n)), "conjugate gradient": rng.random((T + 1, n))}


def test_an_animation_of_many_points_draws_a_sample_with_true_ids_and_scores():
    n = DRAWN_POINTS_UP_TO * 3
    coords = np.random.default_rng(1).normal(size=(n, 2))
    runs = _runs(n)
    queries = [7, n - 1]
    fig = diffusion_animation(coords, runs, queries, top_k=5)
    points = fig.data[0]
    ids = np.array([c[0] for c in points.customdata], dtype=np.int64)
    assert ids.size == len(points.x) <= DRAWN_POINTS_UP_TO + len(queries)
    assert set(queries) <= set(ids.tolist())
    assert np.allclose(points.x, coords[ids, 0], atol=1e-5)
    top = max(float(r[-1].max()) for r in runs.values())
    expected = relative_log_scores(runs["random walk"][-1][ids], top)
    assert np.allclose(points.marker.color, expected, atol=1e-3)
    # the rings mark the top 5 of all points, drawn or not
    ring = fig.data[1]
    f = runs["random walk"][-1].copy()
    f[queries] = -np.inf
    assert set(np.round(ring.x, 9)) == set(np.round(coords[np.argsort(-f)[:5], 0], 9))
    assert all(len(fr.data[0].marker.color) == ids.size for fr in fig.frames)


def test_a_small_animation_draws_every_point():
    n = 200
    fig = diffusion_animation(np.random.default_rng(0).normal(size=(n, 2)), _runs(n), [0])
    assert len(fig.data[0].x) == n


def test_an_eigenvector_on_a_few_points_keeps_them_in_the_sample():
    n = DRAWN_POINTS_UP_TO * 4
    coords = np.random.default_rng(2).normal(size=(n, 2))
    u = np.zeros((n, 1))
    spikes = np.random.default_rng(3).choice(n, 3, replace=False)
    u[spikes, 0] = [1.0, -0.5, 0.7]
    fig = eigenvector_gallery(coords, u, np.array([0.9]), [0], max_points=DRAWN_POINTS_UP_TO)
    colour = np.asarray(fig.data[0].marker.color)
    assert len(colour) <= DRAWN_POINTS_UP_TO + KEPT_EXTREMES
    assert sorted(colour[colour != 0].tolist()) == sorted(u[spikes, 0].tolist())


def test_a_score_scatter_keeps_the_queries_and_the_highest_scores():
    n = DRAWN_POINTS_UP_TO * 2
    coords = np.random.default_rng(4).normal(size=(n, 2))
    scores = np.random.default_rng(5).random(n)
    fig = score_scatter(coords, scores, queries=[3], max_points=DRAWN_POINTS_UP_TO)
    ids = np.array([c[0] for c in fig.data[0].customdata], dtype=np.int64)
    assert 3 in ids and set(np.argsort(-scores)[:KEPT_EXTREMES].tolist()) <= set(ids.tolist())
    assert np.allclose(fig.data[0].marker.color, scores[ids])


@pytest.mark.parametrize("max_points", [None, 100])
def test_class_scatter_draws_all_unless_bounded(max_points):
    n = 1000
    coords = np.random.default_rng(6).normal(size=(n, 2))
    labels = np.arange(n) % 3
    fig = class_scatter(coords, labels, ["a", "b", "c"], max_points=max_points)
    drawn = sum(len(t.x) for t in fig.data)
    assert drawn == (n if max_points is None else max_points)
    assert len(fig.data) == 3  # one legend entry per class either way


def test_the_ranking_page_says_it_draws_a_sample_of_many_points():
    n = DRAWN_POINTS_UP_TO + 1000
    at = app_test("pages/1_Ranking_on_manifolds.py", timeout=300, n=str(n)).run()
    assert_clean(at)
    told = " ".join(i.value for i in at.info)
    assert f"a fixed random {DRAWN_POINTS_UP_TO:,} of them" in told


def test_a_sampled_figure_sizes_its_stars_by_the_points_it_draws():
    """The stars are as much larger than the drawn points as in a figure of that many."""
    n = DRAWN_POINTS_UP_TO * 4
    coords = np.random.default_rng(7).normal(size=(n, 2))
    fig = diffusion_animation(coords, _runs(n), [0])
    star = next(t for t in fig.data if t.name == "query")
    small = diffusion_animation(coords[:DRAWN_POINTS_UP_TO], _runs(DRAWN_POINTS_UP_TO), [0])
    assert star.marker.size == pytest.approx(
        next(t for t in small.data if t.name == "query").marker.size, rel=1e-3)
    assert star.marker.size > fig.data[0].marker.size
