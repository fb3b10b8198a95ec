import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from mlviz.graph import knn_graph, normalize
from mlviz.mining import (
    euclidean_neighbors,
    hard_examples,
    manifold_neighbors,
    mine,
    sample_tuples,
)


@pytest.fixture
def two_lines():
    """Two parallel chains 0.9 apart; the graph links only along each chain.

    Chain A: points 0..5 at (i, 0). Chain B: points 6..11 at (i, 0.9).
    """
    X = np.array([(i, 0.0) for i in range(6)] + [(i, 0.9) for i in range(6)])
    W = np.zeros((12, 12))
    for start in (0, 6):
        for i in range(start, start + 5):
            W[i, i + 1] = W[i + 1, i] = 1.0
    return X, normalize(sp.csr_matrix(W))


def test_sets_on_a_hand_made_graph(two_lines):
    X, Wn = two_lines
    m = mine(X, Wn, anchor=0, k_euclidean=2, k_manifold=2, alpha=0.9, metric="euclidean")
    np.testing.assert_array_equal(m.euclidean, [6, 1])
    np.testing.assert_array_equal(m.manifold, [1, 2])
    np.testing.assert_array_equal(m.positives, [2])
    np.testing.assert_array_equal(m.negatives, [6])


def test_manifold_neighbours_never_cross_to_another_component(two_lines):
    X, Wn = two_lines
    M = manifold_neighbors(Wn, [0], 8, alpha=0.9)[0]
    np.testing.assert_array_equal(M[:5], [1, 2, 3, 4, 5])
    assert np.all(M[5:] == -1)
    E = euclidean_neighbors(X, [0], 8, metric="euclidean")[0]
    pos, neg = hard_examples(E, M)
    assert set(neg) == {6, 7, 8, 9, 10, 11} & set(E)
    assert -1 not in pos


def test_set_algebra():
    pos, neg = hard_examples(np.array([1, 2, 3]), np.array([3, 4, 5]))
    np.testing.assert_array_equal(pos, [4, 5])
    np.testing.assert_array_equal(neg, [1, 2])


def test_euclidean_neighbors_match_brute_force():
    X = np.random.default_rng(0).standard_normal((80, 5))
    E = euclidean_neighbors(X, [0, 10, 79], 6, metric="euclidean")
    for row, a in zip(E, (0, 10, 79)):
        d = np.linalg.norm(X - X[a], axis=1)
        d[a] = np.inf
        np.testing.assert_array_equal(row, np.argsort(d)[:6])


def test_cosine_neighbours_are_the_euclidean_ones_of_the_unit_vectors():
    """E(x) in the cosine graph's space: ||x̂ - x̂_i||² = 2 - 2 cos(x, x_i), brute force."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((90, 6)) * rng.uniform(0.1, 10, (90, 1)) + 2.0  # lengths vary
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    anchors = [0, 33, 89]
    E = euclidean_neighbors(X, anchors, 7)  # the default is the default graph's: cosine
    for row, a in zip(E, anchors):
        d = np.sum((U - U[a]) ** 2, axis=1)
        np.testing.assert_allclose(d, 2 - 2 * U @ U[a], atol=1e-12)
        d[a] = np.inf
        np.testing.assert_array_equal(row, np.argsort(d, kind="stable")[:7])
    assert not np.array_equal(E, euclidean_neighbors(X, anchors, 7, metric="euclidean"))


def test_cosine_neighbours_are_the_cosine_graphs_neighbours():
    from mlviz.graph import knn_search

    X = np.random.default_rng(2).standard_normal((120, 8)).astype(np.float32)
    anchors = np.arange(0, 120, 7)
    np.testing.assert_array_equal(euclidean_neighbors(X, anchors, 10),
                                  knn_search(X, 10, metric="cosine").indices[anchors])


def test_cosine_neighbours_of_float32_descriptors_with_a_zero_row():
    """A zero descriptor (a ReLU feature map that is all zero) has cosine 0 to every point:
    it must rank after the positive similarities, never turn the scores into NaN."""
    X = np.random.default_rng(3).uniform(0.5, 1.5, (30, 4)).astype(np.float32)
    X[5] = 0.0
    E = euclidean_neighbors(X, [0, 5], 29)
    assert E[0, -1] == 5  # cosine 0: the last, all others being positive
    np.testing.assert_array_equal(E[1], [i for i in range(30) if i != 5])  # all tie at 0


def test_unknown_metric_says_which_to_use():
    with pytest.raises(ValueError, match="neighbors.metric"):
        euclidean_neighbors(np.eye(4), [0], 2, metric="manhattan")


def test_sample_tuples_is_seeded_and_consistent(digits):
    X, _ = digits
    Wn = normalize(knn_graph(X, 10, dtype=np.float64))
    a = sample_tuples(X, Wn, 20, 10, 10, seed=3)
    b = sample_tuples(X, Wn, 20, 10, 10, seed=3)
    assert [t.anchor for t in a] == [t.anchor for t in b]
    for t in a:
        single = mine(X, Wn, t.anchor, 10, 10)
        np.testing.assert_array_equal(t.positives, single.positives)
        np.testing.assert_array_equal(t.negatives, single.negatives)
        assert t.anchor not in t.positives and t.anchor not in t.negatives


def test_bad_arguments(two_lines):
    X, Wn = two_lines
    with pytest.raises(ValueError, match="anchors"):
        euclidean_neighbors(X, [], 2)
    with pytest.raises(ValueError, match="^k must"):
        euclidean_neighbors(X, [0], 12)
    with pytest.raises(ValueError, match="alpha"):
        manifold_neighbors(Wn, [0], 2, alpha=1.0)


def test_mining_statistics_on_a_hand_made_case():
    from mlviz.mining import Mined, mining_statistics

    labels = np.array([0, 0, 0, 1, 1, 1])
    t = Mined(anchor=0, euclidean=np.array([3, 1]), manifold=np.array([1, 2]),
              positives=np.array([2]), negatives=np.array([3]))
    empty = Mined(anchor=3, euclidean=np.array([4, 5]), manifold=np.array([4, 5]),
                  positives=np.array([], dtype=int), negatives=np.array([], dtype=int))
    s = mining_statistics([t, empty], labels, seed=0)
    assert s.without_positives == s.without_negatives == 0.5
    s = mining_statistics([t], labels, seed=0)
    assert s.without_negatives == 0.0
    assert s.positives == 1.0 and s.negatives == 0.0 and s.euclidean_others == 1.0
    assert s.random_non_neighbours in (0.0, 1.0)
    assert s.n_anchors == 1 and s.mean_positives == 1.0


def test_on_two_moons_hard_examples_are_what_they_claim():
    from mlviz.datasets import make_toy
    from mlviz.mining import mining_statistics

    d = make_toy("two moons", 400, 0.1, seed=0)
    Wn = normalize(knn_graph(d.X, 10, kernel="gaussian", dtype=np.float64))
    s = mining_statistics(sample_tuples(d.X, Wn, 200, 10, 30, seed=0), d.labels)
    assert s.positives > 0.95 and s.positives > s.random_non_neighbours
    assert s.negatives < s.euclidean_others


def test_most_telling_anchor_has_both_kinds_and_a_full_manifold_set():
    from mlviz.mining import Mined, most_telling_anchor

    e = np.array([1, 2, 3])
    isolated = Mined(7, e, np.array([], dtype=int), np.array([], dtype=int), e)
    telling = Mined(8, e, np.array([1, 9, 10]), np.array([9, 10]), np.array([2, 3]))
    plain = Mined(9, e, np.array([1, 2, 3]), np.array([], dtype=int), np.array([], dtype=int))
    assert most_telling_anchor([isolated, plain, telling]) == 8


def test_rankings_serve_every_set_size_as_a_prefix(digits):
    from mlviz.mining import neighbor_rankings

    X, _ = digits
    Wn = normalize(knn_graph(X, 10, dtype=np.float64))
    rankings = neighbor_rankings(X, Wn, 40, 20, 40, seed=5)
    for k_e, k_m in [(1, 1), (5, 30), (20, 40), (10, 3)]:
        sliced = rankings.tuples(k_e, k_m)
        direct = sample_tuples(X, Wn, 40, k_e, k_m, seed=5)
        for s, d in zip(sliced, direct, strict=True):
            assert s.anchor == d.anchor
            for field in ("euclidean", "manifold", "positives", "negatives"):
                np.testing.assert_array_equal(getattr(s, field), getattr(d, field))
    with pytest.raises(ValueError, match="k_euclidean"):
        rankings.tuples(21, 5)
    with pytest.raises(ValueError, match="k_manifold"):
        rankings.tuples(5, 0)


@pytest.mark.parametrize("n_anchors", [3, 40])  # CG below FEW_ANCHORS, one LU above
def test_manifold_scores_equal_the_dense_inverse(n_anchors):
    from mlviz.mining import FEW_ANCHORS, manifold_scores

    assert (n_anchors > FEW_ANCHORS) == (n_anchors == 40)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((150, 4))
    Wn = normalize(knn_graph(X, 6, dtype=np.float64))
    anchors = rng.choice(150, n_anchors, replace=False)
    F = manifold_scores(Wn, anchors, alpha=0.95)
    exact = 0.05 * np.linalg.inv(np.eye(150) - 0.95 * Wn.toarray())[:, anchors]
    np.testing.assert_allclose(F, exact, rtol=0, atol=1e-9 * np.abs(exact).max())


@given(n=st.integers(2, 300), data=st.data())
def test_uniform_outside_draws_distinct_points_outside_the_excluded(n, data):
    from mlviz.mining import _uniform_outside

    excluded = np.array(data.draw(st.lists(st.integers(0, n - 1), max_size=min(n - 1, 40))))
    size = data.draw(st.integers(1, 60))
    picked = _uniform_outside(np.random.default_rng(0), n, excluded, size)
    assert picked.size == min(size, n - np.unique(excluded).size)
    assert np.unique(picked).size == picked.size
    assert not np.isin(picked, excluded).any()
    assert picked.min(initial=0) >= 0 and picked.max(initial=0) < n


def test_uniform_outside_is_uniform():
    from mlviz.mining import _uniform_outside

    rng = np.random.default_rng(0)
    counts = np.zeros(10)
    for _ in range(4000):
        counts[_uniform_outside(rng, 10, np.array([0, 4, 5]), 2)] += 1
    assert counts[[0, 4, 5]].sum() == 0
    expected = 4000 * 2 / 7
    assert np.all(np.abs(counts[[1, 2, 3, 6, 7, 8, 9]] - expected) < 0.06 * expected)


def test_most_telling_anchor_prefers_negatives_of_another_class_when_labels_are_known():
    from mlviz.mining import Mined, most_telling_anchor

    labels = np.array([0, 0, 0, 1, 1, 0, 0, 1, 0])
    e = np.array([1, 2, 3, 4])
    same_class_negatives = Mined(0, e, np.array([5, 6, 4]), np.array([5, 6]), np.array([1, 2, 3]))
    other_class_negatives = Mined(8, e, np.array([5, 6, 1]), np.array([5, 6]), np.array([3, 7]))
    tuples = [same_class_negatives, other_class_negatives]
    assert most_telling_anchor(tuples) == 0  # most hard negatives
    assert most_telling_anchor(tuples, labels) == 8  # most hard negatives of another class


def test_comparable_set_sizes_mine_hard_negatives_for_every_anchor(digits):
    """The issue's figures (digits, cosine graph k = 10): with |E| = 10 and |M| = 50, M swallows
    E and most anchors get no hard negative; with |E| = |M| (the authors' choice) every anchor
    gets some. Measured over all 1,797 anchors: 68% of anchors without S⁻ (mean |S⁻| 0.95) at
    10/50, none (mean 19.5) at 50/50."""
    from mlviz.mining import mining_statistics, neighbor_rankings

    X, y = digits
    Wn = normalize(knn_graph(X, 10, dtype=np.float64))
    rankings = neighbor_rankings(X, Wn, 300, 50, 50, seed=0)
    unequal = mining_statistics(rankings.tuples(10, 50), y)
    equal = mining_statistics(rankings.tuples(50, 50), y)
    assert unequal.without_negatives > 0.5 and unequal.mean_negatives < 2
    assert equal.without_negatives < 0.01 and equal.mean_negatives > 15
    assert equal.negatives < equal.euclidean_others  # S⁻ shares the class less than E ∩ M
