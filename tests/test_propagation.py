import numpy as np
import pytest
import scipy.sparse as sp
from conftest import labels_per_class, random_graph
from sklearn.semi_supervised import LabelSpreading as SklearnLabelSpreading
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlviz.graph import edge_weights, graph_from_neighbors, knn_search, normalize
from mlviz.metrics import accuracy
from mlviz.propagation import (
    LabelSpreading,
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


def test_estimator_reaches_sklearn_accuracy_on_digits_with_ten_labels(digits):
    X, y = digits
    labels = labels_per_class(y, 10, seed=0)
    unl = labels == -1
    ours = LabelSpreading(n_neighbors=10, alpha=0.99).fit(X, labels)
    ref = SklearnLabelSpreading(kernel="knn", n_neighbors=10, alpha=0.99, max_iter=1000).fit(X, labels)
    acc_ours = accuracy(y, ours.transduction_, unl)
    acc_ref = accuracy(y, ref.transduction_, unl)
    assert acc_ours >= acc_ref, (acc_ours, acc_ref)
    assert acc_ours > 0.93
    plain = LabelSpreading(n_neighbors=10, alpha=0.99, normalization=None).fit(X, labels)
    assert accuracy(y, plain.transduction_, unl) > 0.9
    np.testing.assert_array_equal(ours.transduction_[~unl], y[~unl])


def test_estimator_scores_equal_propagation_on_the_same_graph(digits):
    X, y = digits
    labels = labels_per_class(y, 5, seed=1)
    model = LabelSpreading(n_neighbors=8, alpha=0.9, normalization=None, unreached="none",
                           tol=1e-7).fit(X, labels)
    nb = knn_search(X, 8, metric="cosine")
    Wn = normalize(graph_from_neighbors(nb, edge_weights(nb, "cosine", 3.0), dtype=np.float64))
    dense = np.linalg.solve(np.eye(len(X)) - 0.9 * Wn.toarray(), label_matrix(labels))
    expected = normalized_rows(dense)
    np.testing.assert_allclose(model.label_distributions_, expected, atol=1e-4)
    np.testing.assert_allclose(model.certainty_, certainty(dense), atol=1e-4)
    unreached = dense.sum(1) == 0
    np.testing.assert_array_equal(model.unreached_, unreached)
    assert np.all(model.transduction_[unreached & (labels == -1)] == -1)


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


def test_unreached_points_get_their_neighbours_vote(digits):
    X, y = digits
    labels = labels_per_class(y, 10, seed=0)
    model = LabelSpreading(n_neighbors=10).fit(X, labels)
    assert model.unreached_.sum() > 0
    assert np.all(model.transduction_ >= 0)
    assert accuracy(y, model.transduction_, model.unreached_) > 0.7


def test_predict_on_new_points(digits):
    X, y = digits
    train, test = np.arange(0, 1500), np.arange(1500, len(X))
    labels = labels_per_class(y[train], 10, seed=2)
    model = LabelSpreading(n_neighbors=10).fit(X[train], labels)
    proba = model.predict_proba(X[test])
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert accuracy(y[test], model.predict(X[test])) > 0.9


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(alpha=1.0), "alpha"),
        (dict(n_neighbors=5000), "n_neighbors"),
        (dict(normalization="softmax"), "normalization"),
        (dict(unreached="drop"), "unreached"),
        (dict(graph="mutual"), "graph"),
        (dict(kernel="rbf"), "kernel"),
        (dict(tol=-1e-6), "tol"),
        (dict(tol=float("nan")), "tol"),
    ],
)
def test_bad_parameters_name_themselves(digits, kwargs, word):
    X, y = digits
    with pytest.raises(ValueError, match=word):
        LabelSpreading(**kwargs).fit(X[:200], labels_per_class(y[:200], 2, 0))


def test_bad_data_is_refused(digits):
    X, y = digits
    labels = labels_per_class(y, 2, 0)
    with pytest.raises(ValueError, match="^y must have one label per row of X"):
        LabelSpreading().fit(X, labels[:-1])
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LabelSpreading().fit(bad, labels)
    with pytest.raises(ValueError, match="labelled"):
        LabelSpreading().fit(X, np.full(len(X), -1))


@parametrize_with_checks([LabelSpreading(n_neighbors=5)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_propagate_labels_and_sweeps(digits):
    from mlviz.graph import knn_graph
    from mlviz.propagation import (
        accuracy_vs_alpha,
        accuracy_vs_k,
        accuracy_vs_labels,
        propagate_labels,
        sample_labelled,
    )

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
    acc = accuracy_vs_alpha(Wn, labels, y, [0.5, 0.99])
    assert acc.shape == (2,) and np.all((acc > 0.5) & (acc <= 1))
    by_labels = accuracy_vs_labels(Wn, y, [1, 20], 0.99)
    assert by_labels[1] > by_labels[0]
    by_k = accuracy_vs_k(X, y, labels, [5, 10], 0.99)
    assert np.all(by_k > 0.8)


def test_on_literally_the_same_graph_sklearn_agrees_and_class_mass_is_no_worse(digits):
    """scikit-learn's LabelSpreading with a kernel callable that returns mlviz's W: the
    same graph, the same normalization, iterated instead of solved."""
    X, y = digits
    labels = labels_per_class(y, 10, seed=0)
    unl = labels == -1
    nb = knn_search(X, 10, metric="cosine")
    W = graph_from_neighbors(nb, edge_weights(nb, "cosine", 3.0), dtype=np.float64)
    ref = SklearnLabelSpreading(kernel=lambda A, B: W, alpha=0.99, max_iter=5000,
                                tol=1e-12).fit(X, labels)
    plain = LabelSpreading(n_neighbors=10, alpha=0.99, normalization=None, unreached="none",
                           tol=1e-8).fit(X, labels)
    reached = ~plain.unreached_
    assert np.mean(plain.transduction_[reached] == ref.transduction_[reached]) > 0.995
    ours = LabelSpreading(n_neighbors=10, alpha=0.99).fit(X, labels)
    assert accuracy(y, ours.transduction_, unl) >= accuracy(y, ref.transduction_, unl)


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


def test_estimator_warns_when_max_iter_is_too_small(digits):
    from sklearn.exceptions import ConvergenceWarning

    X, y = digits
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        model = LabelSpreading(max_iter=3).fit(X, labels_per_class(y, 5, 0))
    assert model.n_iter_ == 3
