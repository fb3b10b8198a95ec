import warnings

import numpy as np
import pytest
from conftest import labels_per_class
from sklearn.datasets import make_moons
from sklearn.semi_supervised import LabelSpreading as SklearnLabelSpreading
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlviz.graph import edge_weights, graph_from_neighbors, knn_graph, knn_search, normalize
from mlviz.label_spreading import (
    LabelSpreading,
    accuracy_vs_alpha,
    accuracy_vs_k,
    accuracy_vs_labels,
)
from mlviz.metrics import accuracy
from mlviz.propagation import (
    certainty,
    label_matrix,
    normalized_rows,
    propagate_labels,
    sample_labelled,
)


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
        (dict(normalization="softmax"), "normalization"),
        (dict(unreached="drop"), "unreached"),
        (dict(edges="mutual"), "edges"),
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


@parametrize_with_checks([LabelSpreading(), LabelSpreading(kernel="gaussian"),
                          LabelSpreading(kernel="gaussian", edges="union")])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


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


def test_estimator_warns_when_max_iter_is_too_small(digits):
    from sklearn.exceptions import ConvergenceWarning

    X, y = digits
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        model = LabelSpreading(max_iter=3).fit(X, labels_per_class(y, 5, 0))
    assert model.n_iter_ == 3


def test_accuracy_sweeps(digits):
    X, y = digits
    labels = sample_labelled(y, 5, seed=0)
    Wn = normalize(knn_graph(X, 10, dtype=np.float64))
    acc = accuracy_vs_alpha(Wn, labels, y, [0.5, 0.99])
    assert acc.shape == (2,) and np.all((acc > 0.5) & (acc <= 1))
    unl = labels == -1
    plain = propagate_labels(Wn, labels, 0.5)
    assert acc[0] == np.mean(plain.predictions[unl] == y[unl])
    by_labels = accuracy_vs_labels(Wn, y, [1, 20], 0.99)
    assert by_labels[1] > by_labels[0]
    by_k = accuracy_vs_k(X, y, labels, [5, 10], 0.99)
    assert np.all(by_k > 0.8)


def test_a_point_predicted_alone_or_in_a_batch_gets_the_same_probabilities():
    X, y = make_moons(3000, noise=0.1, random_state=0)
    model = LabelSpreading(kernel="gaussian").fit(X[:2000], y[:2000])
    batch = model.predict_proba(X[2000:])
    alone = np.vstack([model.predict_proba(X[i:i + 1]) for i in range(2000, 2050)])
    np.testing.assert_allclose(alone, batch[:50], rtol=0, atol=1e-12)


@pytest.mark.parametrize("params", [{"kernel": "cosine"}, {"kernel": "gaussian"},
                                    {"kernel": "gaussian", "edges": "union"}])
def test_held_out_points_are_predicted_no_worse_than_by_sklearn(params):
    """Fully labelled training points vote with their own labels, not with the propagated
    distributions that at alpha = 0.99 contradict many of them."""
    from sklearn.datasets import make_classification
    X, y = make_classification(500, n_features=20, n_informative=20, n_redundant=0,
                               n_classes=4, random_state=0)
    train, test = slice(0, 400), slice(400, 500)
    ours = LabelSpreading(alpha=0.99, **params).fit(X[train], y[train]).score(X[test], y[test])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = SklearnLabelSpreading(kernel="knn", n_neighbors=10, alpha=0.99).fit(
            X[train], y[train]).score(X[test], y[test])
    assert ours >= theirs - 1e-9, (ours, theirs)


def test_a_k_beyond_the_data_uses_every_other_point():
    X, y = make_moons(12, noise=0.05, random_state=0)
    model = LabelSpreading(n_neighbors=50).fit(X, y)
    assert model.n_neighbors_ == 11
    assert (model.predict(X) == y).mean() > 0.5
