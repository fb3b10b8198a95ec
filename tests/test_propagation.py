import numpy as np
import pytest
import scipy.sparse as sp
from conftest import labels_per_class, random_graph

from mlviz.graph import normalize
from mlviz.propagation import (
    certainty,
    class_mass_normalize,
    class_weights,
    label_matrix,
    normalized_rows,
    propagate,
    propagate_labels,
    spread_to_unreached,
)


def test_label_matrix():
    Y = label_matrix(np.array([0, -1, 2, 1, -1]))
    np.testing.assert_array_equal(
        Y, [[1, 0, 0], [0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0]]
    )


def test_propagation_equals_the_dense_inverse():
    Wn = normalize(random_graph(120, 0.05, seed=11, isolated=4))
    labels = np.full(120, -1)
    labels[[10, 20, 30, 40, 50]] = [0, 1, 2, 0, 1]
    Y = label_matrix(labels)
    dense = np.linalg.solve(np.eye(120) - 0.99 * Wn.toarray(), Y)
    for solver in ("block", "columns"):
        Z = propagate(Wn, Y, 0.99, tol=1e-12, solver=solver).scores
        np.testing.assert_allclose(Z, dense, rtol=1e-7, atol=1e-10)
    with pytest.raises(ValueError, match="solver"):
        propagate(Wn, Y, 0.99, solver="lu")


def test_certainty_is_one_minus_normalized_entropy():
    Z = np.array([[2.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [3.0, 1.0, 0.0]])
    w = certainty(Z)
    p = np.array([0.75, 0.25])
    expected_last = 1 - (-(p * np.log(p)).sum()) / np.log(3)
    np.testing.assert_allclose(w, [1.0, 0.0, 0.0, expected_last], atol=1e-12)
    np.testing.assert_allclose(normalized_rows(Z)[2], [1 / 3] * 3)


def test_class_weights_count_labelled_and_pseudo_labelled():
    labels = np.array([0, 0, 1, -1, -1, -1, -1])
    pseudo = np.array([0, 0, 1, 1, 1, 0, 1])
    np.testing.assert_allclose(class_weights(labels, pseudo, 3), [1 / 3, 1 / 4, 0.0])


def test_class_mass_normalization_gives_each_column_its_prior_mass():
    Z = np.array([[4.0, 1.0], [2.0, 1.0], [2.0, 2.0]])
    out = class_mass_normalize(Z, [0.25, 0.75])
    np.testing.assert_allclose(out.sum(0), [0.25, 0.75])
    np.testing.assert_allclose(out[:, 0], Z[:, 0] / 8 * 0.25)


def test_unreached_points_take_the_vote_hop_by_hop():
    # A directed kNN chain 4 -> 3 -> 2 -> 1 -> 0 and a point 5 whose neighbours lead nowhere.
    Z = np.zeros((6, 2))
    Z[0] = [0.2, 0.6]
    neighbors = np.array([[1, 1], [0, 2], [1, 3], [2, 4], [3, 2], [5, 5]])
    weights = np.array([[0.5, 0.5], [0.75, 0.25], [1.0, 0.0], [0.5, 0.5], [1.0, 0.0],
                        [1.0, 0.0]])
    filled, unreached = spread_to_unreached(Z, neighbors, weights)
    np.testing.assert_array_equal(unreached, [False, True, True, True, True, True])
    np.testing.assert_allclose(filled[1], 0.75 * Z[0])                    # hop 1
    np.testing.assert_allclose(filled[2], filled[1])                      # hop 2
    np.testing.assert_allclose(filled[3], 0.5 * filled[2])                # hop 3
    np.testing.assert_allclose(filled[4], filled[3])                      # hop 4
    np.testing.assert_array_equal(filled[5], [0.0, 0.0])                  # no chain to scores
    np.testing.assert_array_equal(filled[0], Z[0])


def test_points_beyond_cg_hops_are_labelled():
    # At alpha = 0.5 CG stops long before its Krylov space spans a 400-point path: the far end
    # is exactly zero after CG and must still get a label, the one the exact solution gives.
    n = 400
    rows = np.arange(n - 1)
    W = sp.coo_matrix((np.ones(n - 1), (rows, rows + 1)), shape=(n, n))
    W = normalize((W + W.T).tocsr())
    labels = np.full(n, -1)
    labels[[0, 1]] = [0, 1]
    neighbors = np.stack([np.maximum(np.arange(n) - 1, 0), np.minimum(np.arange(n) + 1, n - 1)], 1)
    weights = np.full((n, 2), 0.5)
    result = propagate_labels(W, labels, 0.5, normalization=None, neighbors_idx=neighbors,
                              neighbor_weights=weights)
    assert result.unreached.sum() > 300
    assert np.all(result.predictions == np.r_[0, np.ones(n - 1, dtype=int)])


def test_propagate_labels_reads_the_argmax_of_the_exact_solution(digits):
    from mlviz.graph import knn_graph
    from mlviz.propagation import sample_labelled

    X, y = digits
    labels = sample_labelled(y, 5, seed=0)
    assert np.all(np.bincount(labels[labels >= 0]) == 5)
    Wn = normalize(knn_graph(X, 10, dtype=np.float64))
    res = propagate_labels(Wn, labels, 0.99, normalization=None)
    dense = np.linalg.solve(np.eye(len(X)) - 0.99 * Wn.toarray(), label_matrix(labels))
    reached = dense.sum(1) > 0
    expected = np.where(reached, dense.argmax(1), -1)
    expected[labels >= 0] = labels[labels >= 0]
    np.testing.assert_array_equal(res.predictions, expected)


def test_float32_stagnation_stops_early_and_float64_refinement_reaches_tol(digits):
    from mlviz.diffusion import block_conjugate_gradient
    from mlviz.graph import knn_graph

    X, y = digits
    Wn = normalize(knn_graph(X, 10))
    Y = label_matrix(labels_per_class(y, 10, seed=0))
    alone = block_conjugate_gradient(Wn, Y, 0.99, tol=1e-9, max_iter=1000, dtype=np.float32)
    assert not alone.converged and alone.n_iter < 1000  # stopped at the float32 floor
    assert alone.residuals[-1].max() > 1e-9
    refined = propagate(Wn, Y, 0.99, tol=1e-9, max_iter=1000, dtype=np.float32)
    its = refined.iterations
    assert its.converged and its.n_iter < 1000 and its.residuals[-1].max() <= 1e-9
    assert its.residuals.shape == (its.n_iter + 1, Y.shape[1])
    dense = np.linalg.solve(np.eye(len(X)) - 0.99 * Wn.toarray(), Y)
    np.testing.assert_allclose(refined.scores, dense, rtol=0, atol=1e-6 * np.abs(dense).max())
