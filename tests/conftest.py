import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits


def random_graph(n: int, density: float, seed: int, isolated: int = 0) -> sp.csr_matrix:
    """A random symmetric non-negative graph with zero diagonal and ``isolated`` empty nodes."""
    rng = np.random.default_rng(seed)
    A = sp.random(n, n, density=density, random_state=rng, format="csr")
    W = sp.csr_matrix(A + A.T)
    W.setdiag(0)
    if isolated:
        keep = np.ones(n)
        keep[:isolated] = 0
        D = sp.diags(keep)
        W = sp.csr_matrix(D @ W @ D)
    W.eliminate_zeros()
    return W


@pytest.fixture(scope="session")
def digits():
    X, y = load_digits(return_X_y=True)
    return X, y
