import numpy as np
import pytest
import scipy.sparse as sp
from conftest import random_graph

from mlviz import query_vector
from mlviz.diffusion import (
    block_conjugate_gradient,
    cg_rate,
    condition_number,
    conjugate_gradient,
    exact_solution,
    iterations_to_reach,
    random_walk,
    reference_solution,
    relative_errors,
)
from mlviz.graph import knn_graph, normalize


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def dense_solution(Wn, y, alpha):
    n = Wn.shape[0]
    return (1 - alpha) * np.linalg.solve(np.eye(n) - alpha * Wn.toarray(), y)


@pytest.fixture(scope="module")
def digits_graph(digits):
    X, _ = digits
    return normalize(knn_graph(X, 10, dtype=np.float64))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("alpha", [0.5, 0.9, 0.99])
def test_cg_and_random_walk_reach_the_dense_solution(seed, alpha):
    Wn = normalize(random_graph(200, 0.05, seed=seed, isolated=3))
    y = query_vector([5, 17, 100], 200)
    f = dense_solution(Wn, y, alpha)
    np.testing.assert_allclose(exact_solution(Wn, y, alpha), f, rtol=1e-10, atol=1e-14)
    cg = conjugate_gradient(Wn, y, alpha, tol=1e-10)
    rw = random_walk(Wn, y, alpha, tol=1e-10, max_iter=20000)
    assert cg.converged and rw.converged
    assert rel(cg.solution, f) < 1e-6
    assert rel(rw.solution, f) < 1e-6


def test_on_digits_both_reach_the_direct_solve(digits_graph):
    y = query_vector([0, 10, 500], digits_graph.shape[0])
    f = exact_solution(digits_graph, y, 0.99)
    cg = conjugate_gradient(digits_graph, y, 0.99, tol=1e-9)
    rw = random_walk(digits_graph, y, 0.99, tol=1e-9, max_iter=10000)
    assert rel(cg.solution, f) < 1e-6 and rel(rw.solution, f) < 1e-6
    assert cg.n_iter * 5 < rw.n_iter


def test_random_walk_converges_from_any_start(digits_graph):
    n = digits_graph.shape[0]
    y = query_vector([3], n)
    f0 = np.random.default_rng(0).random(n)
    rw = random_walk(digits_graph, y, 0.9, f0=f0, tol=1e-10, max_iter=5000)
    assert rel(rw.solution, exact_solution(digits_graph, y, 0.9)) < 1e-6


def test_recorded_iterates_follow_the_recurrence(digits_graph):
    y = query_vector([7, 8], digits_graph.shape[0])
    rw = random_walk(digits_graph, y, 0.95, max_iter=12, tol=None, record=True)
    assert rw.iterates.shape == (13, digits_graph.shape[0]) and rw.n_iter == 12
    assert np.all(rw.iterates[0] == 0)
    for t in range(1, 13):
        expected = 0.95 * (digits_graph @ rw.iterates[t - 1]) + 0.05 * y
        np.testing.assert_allclose(rw.iterates[t], expected, rtol=1e-12)
    np.testing.assert_array_equal(rw.solution, rw.iterates[-1])


def test_cg_iterates_minimize_the_energy_norm_over_krylov_spaces(digits_graph):
    n = digits_graph.shape[0]
    y = query_vector([42], n)
    alpha = 0.99
    cg = conjugate_gradient(digits_graph, y, alpha, max_iter=8, tol=None, record=True)
    A = np.eye(n) - alpha * digits_graph.toarray()
    b = (1 - alpha) * y
    f = np.linalg.solve(A, b)
    K = [b]
    for t in range(1, 9):
        basis, _ = np.linalg.qr(np.stack(K, 1))
        coef = np.linalg.solve(basis.T @ A @ basis, basis.T @ b)
        np.testing.assert_allclose(cg.iterates[t], basis @ coef, rtol=1e-6, atol=1e-12)
        K.append(A @ K[-1])
    errs = relative_errors(cg.iterates, f)
    assert errs[0] == pytest.approx(1.0)
    assert np.all(np.diff(np.sqrt(np.einsum("ti,ij,tj->t", cg.iterates - f, A, cg.iterates - f))) < 0)


def test_residuals_are_relative_and_decrease_to_tolerance(digits_graph):
    y = query_vector([1], digits_graph.shape[0])
    cg = conjugate_gradient(digits_graph, y, 0.99, tol=1e-6)
    assert cg.residuals[0] == pytest.approx(1.0)
    assert cg.residuals[-1] <= 1e-6 and cg.residuals[-2] > 1e-6
    A_f = cg.solution - 0.99 * (digits_graph @ cg.solution)
    true = np.linalg.norm(0.01 * y - A_f) / np.linalg.norm(0.01 * y)
    assert true == pytest.approx(cg.residuals[-1], rel=1e-3)
    assert iterations_to_reach(cg.residuals, 1e-6) == cg.n_iter


def test_batched_columns_equal_separate_solves(digits_graph):
    n = digits_graph.shape[0]
    Y = np.stack([query_vector([i], n) for i in (0, 100, 900)], 1)
    for solver in (conjugate_gradient, random_walk):
        batched = solver(digits_graph, Y, 0.9, tol=1e-10, max_iter=5000)
        for j in range(3):
            single = solver(digits_graph, Y[:, j], 0.9, tol=1e-10, max_iter=5000)
            np.testing.assert_allclose(batched.solution[:, j], single.solution, rtol=1e-7, atol=1e-12)
        assert batched.residuals.shape[1] == 3


def test_float32_cg_reaches_a_float32_tolerance(digits_graph):
    y = query_vector([9], digits_graph.shape[0])
    cg = conjugate_gradient(digits_graph.astype(np.float32), y, 0.99, tol=1e-5)
    assert cg.solution.dtype == np.float32 and cg.converged
    assert rel(cg.solution, exact_solution(digits_graph, y, 0.99)) < 1e-3


def test_condition_number_bounds_the_spectrum_and_gives_cg_its_rate(digits_graph):
    alpha = 0.9
    lam = np.linalg.eigvalsh(digits_graph.toarray())
    L = (1 - alpha * lam) / (1 - alpha)
    assert L.max() / L.min() <= condition_number(alpha) * (1 + 1e-12)
    assert condition_number(alpha) == pytest.approx(19.0)
    assert cg_rate(alpha) == pytest.approx((np.sqrt(19) - 1) / (np.sqrt(19) + 1))
    assert cg_rate(0.0) == 0.0
    with pytest.raises(ValueError, match="alpha"):
        condition_number(1.0)


def test_reference_solution_is_the_exact_one_by_either_route(digits_graph):
    y = query_vector([0, 7], digits_graph.shape[0])
    exact = exact_solution(digits_graph, y, 0.99)
    np.testing.assert_array_equal(reference_solution(digits_graph, y, 0.99), exact)
    assert rel(reference_solution(digits_graph, y, 0.99, direct_limit=10), exact) < 1e-10


@pytest.mark.parametrize(
    "call, word",
    [
        (lambda W, y: conjugate_gradient(W, y, alpha=1.0), "alpha"),
        (lambda W, y: random_walk(W, y, alpha=-0.1), "alpha"),
        (lambda W, y: conjugate_gradient(W, y[:-1], 0.9), "y"),
        (lambda W, y: random_walk(W, y, 0.9, max_iter=-1), "max_iter"),
        (lambda W, y: random_walk(W, 0 * y, 0.9), "^y is empty"),
        (lambda W, y: conjugate_gradient(W, np.zeros((y.size, 3)), 0.9), "^y is empty"),
        (lambda W, y: conjugate_gradient(W, y, 0.9, tol=-1.0), "^tol must"),
        (lambda W, y: random_walk(W, y, 0.9, tol=float("nan")), "^tol must"),
        (lambda W, y: block_conjugate_gradient(W, y, 0.9, tol="1e-6"), "^tol must"),
        (lambda W, y: conjugate_gradient(W, y, 0.9, error_tol=-1), "^error_tol must"),
    ],
)
def test_bad_arguments_name_the_argument(digits_graph, call, word):
    y = query_vector([0], digits_graph.shape[0])
    with pytest.raises(ValueError, match=word):
        call(digits_graph, y)


def test_empty_or_out_of_range_query_is_refused():
    with pytest.raises(ValueError, match="queries.*empty"):
        query_vector([], 10)
    with pytest.raises(ValueError, match="queries"):
        query_vector([10], 10)


def test_errors_against_a_reference_match_recorded_iterates(digits_graph):
    y = query_vector([5, 6], digits_graph.shape[0])
    f = exact_solution(digits_graph, y, 0.95)
    for solver in (random_walk, conjugate_gradient):
        its = solver(digits_graph, y, 0.95, max_iter=15, tol=None, record=True, reference=f)
        np.testing.assert_allclose(its.errors, relative_errors(its.iterates, f), rtol=1e-12)
        assert its.errors.shape == (its.n_iter + 1,)


def test_error_tolerance_stops_at_the_first_iterate_below_it(digits_graph):
    y = query_vector([5], digits_graph.shape[0])
    f = exact_solution(digits_graph, y, 0.99)
    for solver in (random_walk, conjugate_gradient):
        its = solver(digits_graph, y, 0.99, max_iter=5000, tol=None, reference=f, error_tol=1e-4)
        assert its.errors[-1] <= 1e-4 < its.errors[-2]
        assert its.converged


def true_residuals(Wn, F, Y, alpha):
    Wn = Wn.astype(np.float64)
    F = np.asarray(F, np.float64).reshape(Y.shape[0], -1)
    B = (1 - alpha) * np.asarray(Y, np.float64).reshape(Y.shape[0], -1)
    return np.linalg.norm(B - (F - alpha * (Wn @ F)), axis=0) / np.linalg.norm(B, axis=0)


def class_columns(labels, n_labelled, seed=0):
    rng = np.random.default_rng(seed)
    idx = rng.choice(labels.size, n_labelled, replace=False)
    Y = np.zeros((labels.size, labels.max() + 1))
    Y[idx, labels[idx]] = 1
    return Y


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("alpha", [0.5, 0.9, 0.99])
def test_block_cg_reaches_the_dense_solution(seed, alpha):
    Wn = normalize(random_graph(200, 0.05, seed=seed, isolated=3))
    Y = np.stack([query_vector(q, 200) for q in ([5, 17], [100], [3, 150, 199], [60])], 1)
    F = dense_solution(Wn, Y, alpha)
    block = block_conjugate_gradient(Wn, Y, alpha, tol=1e-10)
    assert block.converged and block.residuals.shape == (block.n_iter + 1, 4)
    assert rel(block.solution, F) < 1e-8
    assert np.all(true_residuals(Wn, block.solution, Y, alpha) < 1e-9)


def test_block_cg_on_digits_classes_needs_fewer_iterations_than_one_cg_per_class(
    digits, digits_graph
):
    _, labels = digits
    Y = class_columns(labels, 100)
    F = exact_solution(digits_graph, Y, 0.99)
    block = block_conjugate_gradient(digits_graph, Y, 0.99, tol=1e-6)
    columns = conjugate_gradient(digits_graph, Y, 0.99, tol=1e-6)
    assert block.converged and columns.converged
    assert rel(block.solution, F) < 1e-6
    assert np.all(true_residuals(digits_graph, block.solution, Y, 0.99) < 1.01e-6)
    np.testing.assert_allclose(block.residuals[-1], true_residuals(digits_graph, block.solution, Y, 0.99), rtol=1e-3)
    assert block.n_iter < 0.7 * columns.n_iter


def test_block_cg_in_float32(digits, digits_graph):
    _, labels = digits
    Y = class_columns(labels, 50, seed=3)
    block = block_conjugate_gradient(digits_graph.astype(np.float32), Y, 0.99, tol=1e-6)
    # The float32 floor is above tol here: CG stops once it stagnates, well before max_iter.
    assert block.solution.dtype == np.float32 and block.n_iter < 100
    exact = exact_solution(digits_graph, Y, 0.99)
    assert rel(block.solution, exact) < 1e-5
    # Rounding the exact solution to float32 alone leaves a residual of ~1.3e-6 here.
    floor = true_residuals(digits_graph, exact.astype(np.float32), Y, 0.99).max()
    assert np.all(true_residuals(digits_graph, block.solution, Y, 0.99) < 5 * floor)


def test_block_cg_with_empty_and_dependent_columns(digits, digits_graph):
    _, labels = digits
    Y = class_columns(labels, 60, seed=1)
    Y[:, 4] = 0  # a class nobody labelled
    Y = np.column_stack([Y, Y[:, 0] + 2 * Y[:, 1]])  # a column in the span of two others
    block = block_conjugate_gradient(digits_graph, Y, 0.9, tol=1e-10)
    assert block.converged
    np.testing.assert_array_equal(block.solution[:, 4], 0)
    assert rel(block.solution, exact_solution(digits_graph, Y, 0.9)) < 1e-8


def test_block_cg_single_column_is_cg(digits_graph):
    y = query_vector([0, 10, 500], digits_graph.shape[0])
    block = block_conjugate_gradient(digits_graph, y, 0.99, tol=1e-9, record=True)
    cg = conjugate_gradient(digits_graph, y, 0.99, tol=1e-9, record=True)
    assert block.solution.shape == y.shape and block.iterates.shape[1:] == y.shape
    assert abs(block.n_iter - cg.n_iter) <= 1
    m = min(block.n_iter, cg.n_iter, 30)
    np.testing.assert_allclose(block.iterates[:m], cg.iterates[:m], rtol=1e-6, atol=1e-12)


def test_block_cg_stops_at_once_on_zero_input_or_the_solution(digits, digits_graph):
    _, labels = digits
    Y = class_columns(labels, 30)
    F = exact_solution(digits_graph, Y, 0.9)
    assert block_conjugate_gradient(digits_graph, np.zeros_like(Y), 0.9).n_iter == 0
    assert block_conjugate_gradient(digits_graph, Y, 0.9, f0=F, tol=1e-8).n_iter == 0


def test_block_cg_refuses_bad_arguments(digits_graph):
    Y = np.zeros((digits_graph.shape[0], 2))
    with pytest.raises(ValueError, match="alpha"):
        block_conjugate_gradient(digits_graph, Y, alpha=1.0)
    with pytest.raises(ValueError, match="y"):
        block_conjugate_gradient(digits_graph, Y[:-1], 0.9)
    with pytest.raises(ValueError, match="dtype"):
        block_conjugate_gradient(digits_graph, Y, 0.9, dtype=np.float16)


def test_diffusion_solver_equals_the_dense_inverse_with_isolated_nodes():
    from mlviz.diffusion import diffusion_solver

    rng = np.random.default_rng(4)
    W = sp.random(60, 60, density=0.08, random_state=4).toarray()
    W = W + W.T
    W[:5] = 0
    W[:, :5] = 0
    Wn = normalize(sp.csr_matrix(W))
    Y = rng.standard_normal((60, 7))
    solve = diffusion_solver(Wn, 0.9)
    exact = 0.1 * np.linalg.solve(np.eye(60) - 0.9 * Wn.toarray(), Y)
    np.testing.assert_allclose(solve(Y), exact, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(solve(Y[:, 0]), exact[:, 0], rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="alpha"):
        diffusion_solver(Wn, 1.0)


def test_the_random_walk_reaches_the_tolerance_it_names_by_default():
    from mlviz.datasets import make_toy
    from mlviz.graph import build_knn_graph

    d = make_toy("two moons", 600, 0.08, 0)
    W = build_knn_graph(d.X, 10, kernel="gaussian").W_norm
    its = random_walk(W, query_vector([0], d.n), 0.99)
    assert its.converged and its.n_iter > 1000
    assert its.residuals[-1].max() <= 1e-6
