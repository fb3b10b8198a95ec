import numpy as np
import pytest
import scipy.sparse as sp
from conftest import random_graph

from mlviz import query_vector
from mlviz.diffusion import exact_solution
from mlviz.graph import knn_graph, normalize
from mlviz.spectral import (
    FILTERS,
    Eigenpairs,
    eigenpairs,
    ema_frequency_response,
    ema_impulse_response,
    exponential_moving_average,
    h_alpha,
    heat_kernel,
    ideal_low_pass,
    low_rank_filter,
    orthogonal_modes,
    path_graph,
    shift_matrix,
    spectral_embedding,
    spectrum,
    transfer_functions,
)


@pytest.fixture(scope="module")
def graph():
    return normalize(random_graph(150, 0.06, seed=7, isolated=2))


def test_full_rank_filter_equals_the_exact_inverse(graph):
    pairs = eigenpairs(graph, 150)
    y = query_vector([3, 70], 150)
    for alpha in (0.5, 0.99):
        x = low_rank_filter(pairs, y, h_alpha(alpha))
        np.testing.assert_allclose(x, exact_solution(graph, y, alpha), rtol=1e-9, atol=1e-12)


def test_eigenpairs_are_orthonormal_descending_and_reconstruct(graph):
    pairs = eigenpairs(graph, 150)
    U, lam = pairs.vectors, pairs.values
    assert np.all(np.diff(lam) <= 1e-12)
    np.testing.assert_allclose(U.T @ U, np.eye(150), atol=1e-10)
    np.testing.assert_allclose(U @ np.diag(lam) @ U.T, graph.toarray(), atol=1e-10)
    assert lam.max() <= 1 + 1e-12 and lam.min() >= -1 - 1e-12


def test_lanczos_agrees_with_dense(digits):
    X, _ = digits
    Wn = normalize(knn_graph(X[:1500], 10, edges="union", dtype=np.float64))
    W_big = sp.block_diag([Wn, Wn]).tocsr()  # 3000 nodes: above DENSE_LIMIT, uses eigsh
    dense = np.linalg.eigvalsh(Wn.toarray())[::-1]
    top = eigenpairs(W_big, 20)
    expected = np.sort(np.concatenate([dense[:20], dense[:20]]))[::-1][:20]
    np.testing.assert_allclose(top.values, expected, atol=1e-8)
    residual = W_big @ top.vectors - top.vectors * top.values
    assert np.abs(residual).max() < 1e-6


def test_low_rank_error_shrinks_with_r(graph):
    pairs = eigenpairs(graph, 150)
    y = query_vector([10], 150)
    exact = exact_solution(graph, y, 0.9)
    errs = [np.linalg.norm(low_rank_filter(pairs, y, h_alpha(0.9), r) - exact) for r in (5, 50, 150)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-10


def test_spectral_embedding_inner_products_are_the_filter(graph):
    pairs = eigenpairs(graph, 150)
    h = h_alpha(0.8)
    E = spectral_embedding(pairs, h)
    H = (1 - 0.8) * np.linalg.inv(np.eye(150) - 0.8 * graph.toarray())
    np.testing.assert_allclose(E @ E.T, H, atol=1e-10)


def test_spectrum_is_the_projection_on_the_eigenbasis(graph):
    pairs = eigenpairs(graph, 150)
    y = query_vector([0, 1], 150)
    np.testing.assert_allclose(pairs.vectors @ spectrum(pairs, y), y, atol=1e-10)


def test_transfer_functions():
    lam = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(h_alpha(0.5)(lam), 0.5 / (1 - 0.5 * lam))
    assert h_alpha(0.99)(1.0) == pytest.approx(1.0)
    np.testing.assert_allclose(heat_kernel(2.0)(lam), np.exp(-2 * (1 - lam)))
    np.testing.assert_array_equal(ideal_low_pass(0.5)(lam), [0, 0, 0, 1, 1])


@pytest.mark.parametrize("alpha", [0.3, 0.8, 0.99])
def test_ema_is_the_filter_on_the_directed_path(alpha):
    y = np.random.default_rng(0).standard_normal(64)
    x = exponential_moving_average(y, alpha)
    expected = np.array(
        [(1 - alpha) * sum(alpha**t * y[i - t] for t in range(i + 1)) for i in range(64)]
    )
    np.testing.assert_allclose(x, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_alpha(alpha).exact(shift_matrix(64), y), x, rtol=1e-10,
                               atol=1e-12)


def test_ema_impulse_response_and_transfer_function():
    alpha = 0.7
    impulse = np.zeros(20)
    impulse[0] = 1.0
    np.testing.assert_allclose(exponential_moving_average(impulse, alpha), 0.3 * 0.7 ** np.arange(20))
    np.testing.assert_allclose(ema_impulse_response(alpha, 20),
                               exponential_moving_average(impulse, alpha), rtol=1e-12)
    assert ema_frequency_response(alpha, np.array([0.0]))[0] == pytest.approx(1.0)
    assert ema_frequency_response(alpha, np.array([np.pi]))[0] == pytest.approx(0.3 / 1.7)


def test_undirected_path_filter_is_symmetric():
    y = np.zeros(31)
    y[15] = 1.0
    x = h_alpha(0.99).exact(normalize(path_graph(31)), y)
    np.testing.assert_allclose(x, x[::-1], atol=1e-14)
    assert np.all(x > 0) and np.argmax(x) == 15
    assert np.all(np.diff(x[15:]) < 0)


def test_bad_arguments(graph):
    with pytest.raises(ValueError, match="r must be at most"):
        eigenpairs(graph, 151)
    pairs = eigenpairs(graph, 10)
    with pytest.raises(ValueError, match="r must be at most"):
        low_rank_filter(pairs, query_vector([0], 150), h_alpha(0.5), r=11)
    with pytest.raises(ValueError, match="alpha"):
        h_alpha(1.5)


def test_low_rank_curve_matches_direct_computation(graph):
    from mlviz.spectral import low_rank_curve

    pairs = eigenpairs(graph, 150)
    y = query_vector([4], 150)
    exact = exact_solution(graph, y, 0.9)
    curve = low_rank_curve(pairs, y, h_alpha(0.9), exact, [1, 10, 150, 999], k=5, exclude=[4])
    np.testing.assert_array_equal(curve.ranks, [1, 10, 150])
    x10 = low_rank_filter(pairs, y, h_alpha(0.9), 10)
    assert curve.relative_error[1] == pytest.approx(np.linalg.norm(x10 - exact) / np.linalg.norm(exact))
    assert curve.relative_error[-1] < 1e-10 and curve.top_k_overlap[-1] == 1.0


def test_exact_filters_match_eigendecomposition(graph):
    pairs = eigenpairs(graph, 150)
    y = query_vector([7], 150)
    filters = transfer_functions(alpha=0.8, t=3.0)
    assert tuple(filters) == FILTERS and FILTERS[0] == "h_alpha"
    np.testing.assert_allclose(filters["heat kernel"].exact(graph, y),
                               low_rank_filter(pairs, y, heat_kernel(3.0)), atol=1e-10)
    np.testing.assert_allclose(filters["h_alpha"].exact(graph, y),
                               low_rank_filter(pairs, y, h_alpha(0.8)), atol=1e-10)
    np.testing.assert_array_equal(filters["h_alpha"].exact(graph, y), exact_solution(graph, y, 0.8))
    assert filters["ideal low-pass"].exact is None


def test_lanczos_keeps_every_copy_of_a_repeated_eigenvalue(digits):
    """A graph with many small components has λ = 1 once per component: a single Lanczos run
    finds one vector per distinct eigenvalue (seen: 20,000 descriptors with 37 such
    components got 50 "largest" eigenvalues down to 0.86 where the true 50th is 0.99)."""
    X, _ = digits
    Wn = normalize(knn_graph(X[:1600], 10, edges="union", dtype=np.float64))
    pair = sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    triangle = sp.csr_matrix(np.ones((3, 3)) - np.eye(3))
    blocks = [Wn] + [normalize(pair)] * 20 + [normalize(triangle)] * 20 + [sp.csr_matrix((5, 5))]
    W = sp.block_diag(blocks).tocsr()  # 1,705 nodes: above DENSE_LIMIT, not dense
    dense = np.linalg.eigvalsh(W.toarray())[::-1]
    top = eigenpairs(W, 60)
    np.testing.assert_allclose(top.values, dense[:60], atol=1e-8)
    assert np.sum(np.isclose(top.values, 1.0)) == 1 + 20 + 20
    np.testing.assert_allclose(top.vectors.T @ top.vectors, np.eye(60), atol=1e-8)
    residual = W @ top.vectors - top.vectors * top.values
    assert np.abs(residual).max() < 1e-8


def test_modes_of_other_components_are_orthogonal_to_the_query():
    pair = normalize(sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]])))
    path = normalize(sp.csr_matrix(path_graph(1600)))  # above DENSE_LIMIT: per component
    W = sp.block_diag([path, pair, pair]).tocsr()
    pairs = eigenpairs(W, 10)
    y = query_vector([2], W.shape[0])  # on the path
    off = orthogonal_modes(pairs, y)
    on_path = np.abs(pairs.vectors[:1600]).sum(axis=0) > 1e-12
    np.testing.assert_array_equal(off, ~on_path)
    assert off.sum() == 2  # the two pairs' λ = 1
    x = low_rank_filter(pairs, y, h_alpha(0.9))
    kept = low_rank_filter(Eigenpairs(pairs.values[~off], pairs.vectors[:, ~off]), y, h_alpha(0.9))
    np.testing.assert_allclose(x, kept, atol=1e-14)
