"""Approximate kNN search (faiss IVF) and its measured recall."""

import numpy as np
import pytest

from mlviz import knn
from mlviz.graph import build_knn_graph
from mlviz.knn import IvfParameters, ivf_search, knn_search, neighbor_recall, search_data

pytest.importorskip("faiss")


def clustered(n=3000, d=16, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, d))
    return (centres[rng.integers(0, 20, n)] + 0.3 * rng.normal(size=(n, d))).astype(np.float32)


def test_recall_of_exact_lists_is_one():
    X = clustered(800)
    nb = knn_search(X, 10, backend="faiss")
    assert neighbor_recall(search_data(X, "cosine"), nb.indices, "cosine") == 1.0


def test_recall_counts_the_replaced_share_exactly():
    X = clustered(500)
    nb = knn_search(X, 10, metric="euclidean", backend="sklearn")
    wrong = nb.indices.copy()
    wrong[:, 7:] = -1 - np.arange(3)  # three of ten slots per point hold no true neighbour
    assert neighbor_recall(search_data(X, "euclidean"), wrong, "euclidean") == pytest.approx(0.7)


def test_recall_on_a_sample_is_the_mean_over_the_sampled_points():
    X = clustered(600)
    nb = knn_search(X, 5, backend="faiss")
    wrong = nb.indices.copy()
    wrong[::2, 0] = -1  # even points lose one of five
    full = neighbor_recall(search_data(X, "cosine"), wrong, "cosine", n_sample=600)
    assert full == pytest.approx(0.9)
    sampled = neighbor_recall(search_data(X, "cosine"), wrong, "cosine", n_sample=100, seed=3)
    assert 0.8 < sampled < 1.0


def test_ivf_finds_most_neighbours_and_reports_it():
    X = clustered(4000)
    nb = knn_search(X, 10, backend="ivf")
    assert not nb.exact and nb.indices.shape == (4000, 10)
    assert (nb.indices >= 0).all() and (nb.indices != np.arange(4000)[:, None]).all()
    assert neighbor_recall(search_data(X, "cosine"), nb.indices) > 0.9


def test_ivf_fills_lists_its_cells_cannot():
    X = clustered(400)
    data = search_data(X, "cosine")
    scores, idx = ivf_search(data, 30, "cosine", IvfParameters(n_cells=40, n_probe=1))
    assert (idx >= 0).all()
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


def test_auto_searches_approximately_from_the_threshold(monkeypatch):
    X = clustered(1200)
    if knn.available_backends()[0] != "faiss":
        pytest.skip("auto does not pick faiss here (CUDA torch first)")
    monkeypatch.setattr(knn, "APPROXIMATE_FROM", 1000)
    graph = build_knn_graph(X, 10)
    assert not graph.neighbors.exact and 0.8 < graph.recall <= 1.0
    monkeypatch.setattr(knn, "APPROXIMATE_FROM", 2000)
    graph = build_knn_graph(X, 10)
    assert graph.neighbors.exact and graph.recall is None


def test_ivf_parameters_grow_with_n():
    small, large = IvfParameters.for_size(2_000), IvfParameters.for_size(100_000)
    assert large.n_cells == 316 and large.n_probe == 19
    assert 1 <= small.n_probe <= small.n_cells <= 2_000 // 40


def test_label_spreading_on_an_approximate_graph_states_its_recall_and_keeps_accuracy():
    from mlviz.label_spreading import LabelSpreading

    rng = np.random.default_rng(1)
    X = clustered(4000, seed=1)
    y = np.argmax(X @ rng.normal(size=(16, 4)), axis=1)  # classes: cones through the origin
    yl = np.full(4000, -1)
    for c in range(4):
        yl[np.flatnonzero(y == c)[:10]] = c
    exact = LabelSpreading(n_neighbors=15).fit(X, yl)
    approx = LabelSpreading(n_neighbors=15, backend="ivf").fit(X, yl)
    assert exact.knn_recall_ is None and 0.9 < approx.knn_recall_ <= 1.0
    unl = yl == -1
    acc_exact = np.mean(exact.transduction_[unl] == y[unl])
    acc_approx = np.mean(approx.transduction_[unl] == y[unl])
    assert acc_approx > acc_exact - 0.02
