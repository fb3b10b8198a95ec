import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import random_graph

from mlviz.graph import (
    available_backends,
    knn_graph,
    knn_search,
    largest_component,
    normalize,
    summarize,
)


@pytest.fixture(scope="module")
def points():
    return np.random.default_rng(0).standard_normal((300, 8))


def test_graph_is_symmetric_nonnegative_zero_diagonal(points):
    for mode in ("reciprocal", "union"):
        for kernel in ("cosine", "gaussian"):
            W = knn_graph(points, 10, edges=mode, kernel=kernel)
            assert sp.isspmatrix_csr(W)
            assert abs(W - W.T).max() == 0
            assert W.data.min() > 0
            assert np.all(W.diagonal() == 0)


def test_reciprocal_is_the_mutual_part_of_union(points):
    nb = knn_search(points, 10, metric="euclidean")
    lists = [set(row) for row in nb.indices]
    W = knn_graph(points, 10, edges="reciprocal", kernel="gaussian")
    U = knn_graph(points, 10, edges="union", kernel="gaussian")
    rows, cols = W.nonzero()
    for i, j in zip(rows, cols):
        assert j in lists[i] and i in lists[j]
    rows, cols = U.nonzero()
    for i, j in zip(rows, cols):
        assert j in lists[i] or i in lists[j]
    mutual = sum(1 for i in range(len(lists)) for j in lists[i] if i in lists[j])
    assert W.nnz == mutual


def test_cosine_kernel_is_similarity_to_the_power_gamma(points):
    W = knn_graph(points, 5, edges="union", kernel="cosine", gamma=3.0, dtype=np.float64)
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    i, j = W.nonzero()
    s = np.einsum("ij,ij->i", unit[i], unit[j])
    np.testing.assert_allclose(W[i, j].A1, np.clip(s, 0, None) ** 3, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_backends_agree_with_brute_force(points, metric):
    if metric == "cosine":
        unit = points / np.linalg.norm(points, axis=1, keepdims=True)
        d = -(unit @ unit.T)
    else:
        d = ((points[:, None, :] - points[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    expected = np.argsort(d, axis=1, kind="stable")[:, :7]
    for backend in ("faiss", "sklearn", "torch"):
        nb = knn_search(points, 7, metric=metric, backend=backend)
        assert nb.indices.shape == (300, 7)
        np.testing.assert_array_equal(np.sort(nb.indices, 1), np.sort(expected, 1))
        assert not np.any(nb.indices == np.arange(300)[:, None])


def test_duplicate_points_never_list_themselves():
    X = np.repeat(np.random.default_rng(1).standard_normal((20, 3)), 3, axis=0)
    for backend in ("faiss", "sklearn", "torch"):
        nb = knn_search(X, 4, metric="euclidean", backend=backend)
        assert not np.any(nb.indices == np.arange(60)[:, None])


def test_auto_backend_is_available():
    assert available_backends()[0] in ("faiss", "sklearn", "torch")


def test_normalize_matches_dense_formula():
    W = random_graph(60, 0.1, seed=3)
    d = np.asarray(W.sum(1)).ravel()
    expected = W.toarray() / np.sqrt(np.outer(d, d))
    np.testing.assert_allclose(normalize(W).toarray(), expected, rtol=1e-12)


def test_normalize_keeps_isolated_nodes_as_zero_rows_without_warning():
    W = random_graph(50, 0.2, seed=4, isolated=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Wn = normalize(W)
    dense = Wn.toarray()
    assert np.all(np.isfinite(dense))
    assert np.all(dense[:5] == 0) and np.all(dense[:, :5] == 0)
    eig = np.linalg.eigvalsh(dense)
    assert eig.max() <= 1 + 1e-12 and eig.min() >= -1 - 1e-12


def test_summary_counts_isolated_nodes_and_components():
    W = sp.csr_matrix(
        np.array(
            [
                [0, 1, 0, 0, 0, 0],
                [1, 0, 0, 0, 0, 0],
                [0, 0, 0, 1, 0, 0],
                [0, 0, 1, 0, 1, 0],
                [0, 0, 0, 1, 0, 0],
                [0, 0, 0, 0, 0, 0],
            ],
            dtype=float,
        )
    )
    s = summarize(W)
    assert (s.n_nodes, s.n_edges, s.n_isolated, s.n_components, s.largest_component) == (
        6, 3, 1, 3, 3,
    )


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(k=300), "k"),
        (dict(k=0), "k"),
        (dict(k=5, kernel="laplace"), "kernel"),
        (dict(k=5, edges="mutual"), "edges"),
        (dict(k=5, backend="annoy"), "backend"),
        (dict(k=5, gamma=-1.0), "gamma"),
    ],
)
def test_bad_arguments_name_the_argument(points, kwargs, word):
    with pytest.raises(ValueError, match=word):
        knn_graph(points, **kwargs)


def test_nan_in_x_is_refused(points):
    bad = points.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="X .*NaN"):
        knn_graph(bad, 5)


def test_negative_weights_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        normalize(sp.csr_matrix(np.array([[0.0, -1.0], [-1.0, 0.0]])))


def test_largest_component_mask():
    import scipy.sparse as sp

    # components {0, 1}, {2, 3, 4}, {5} (isolated)
    rows, cols = [0, 2, 3], [1, 3, 4]
    W = sp.coo_matrix((np.ones(3), (rows, cols)), shape=(6, 6))
    W = (W + W.T).tocsr()
    np.testing.assert_array_equal(largest_component(W), [0, 0, 1, 1, 1, 0])


def test_sum_edges_count_a_mutual_pair_twice(points):
    from mlviz.graph import edge_weights, graph_from_neighbors, knn_search

    nb = knn_search(points, 6, metric="cosine")
    w = edge_weights(nb, "cosine", 3.0)
    A = sp.csr_matrix((w.ravel(), (np.repeat(np.arange(len(points)), 6), nb.indices.ravel())),
                      shape=(len(points),) * 2)
    W = graph_from_neighbors(nb, w, "sum", dtype=np.float64)
    expected = (A + A.T).toarray()
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(W.toarray(), expected, rtol=1e-12)
