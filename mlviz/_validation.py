"""Argument checks shared by the maths modules.

Every check raises :class:`ValueError` with a message that names the argument and says what
a valid value looks like, so the app can show the message to the user as it is.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp


def check_alpha(alpha: float, name: str = "alpha") -> float:
    """Return ``alpha`` as a float after checking ``0 <= alpha < 1``."""
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise ValueError(f"{name} must be a real number in [0, 1), got {alpha!r}.")
    alpha = float(alpha)
    if not (0.0 <= alpha < 1.0):
        raise ValueError(f"{name} must be in [0, 1), got {alpha}.")
    return alpha


def check_tol(tol: float | None, name: str = "tol") -> float | None:
    """Return ``tol`` as a float (or None: no stopping rule) after checking it is ``>= 0``."""
    if tol is None:
        return None
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not np.isfinite(tol):
        raise ValueError(f"{name} must be a finite number >= 0 or None, got {tol!r}.")
    if tol < 0:
        raise ValueError(f"{name} must be >= 0 (a relative residual), got {tol}.")
    return float(tol)


def check_positive_int(value: int, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int after checking it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}.")
    return value


def check_features(X, name: str = "X", min_samples: int = 2) -> np.ndarray:
    """Return ``X`` as a finite 2-D float array with at least ``min_samples`` rows."""
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be a 2-D numeric array: {exc}") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == bool
    ):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}.")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real, got complex values.")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}.")
    if arr.shape[0] < min_samples:
        raise ValueError(
            f"{name} needs at least {min_samples} samples (rows), got {arr.shape[0]}."
        )
    if arr.shape[1] < 1:
        raise ValueError(f"{name} needs at least 1 feature (column), got 0.")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr).all(axis=1)))
        raise ValueError(
            f"{name} contains NaN or infinite values in {bad} row(s); "
            "remove or impute them first."
        )
    return arr


def check_k(k: int, n_samples: int, name: str = "k") -> int:
    """Check a neighbour count: ``1 <= k < n_samples``."""
    k = check_positive_int(k, name)
    if k >= n_samples:
        raise ValueError(
            f"{name} must be smaller than the number of points ({n_samples}), got {k}."
        )
    return k


def check_square_sparse(W, name: str = "W") -> sp.csr_matrix:
    """Return ``W`` as a square CSR matrix."""
    if not (sp.issparse(W) or isinstance(W, np.ndarray)):
        raise ValueError(f"{name} must be a scipy sparse matrix or a numpy array.")
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {W.shape}.")
    W = sp.csr_matrix(W)
    if W.dtype not in (np.float32, np.float64):
        W = W.astype(np.float64)
    return W


def check_signal(y, n: int, name: str = "y") -> np.ndarray:
    """Return a right-hand side of length ``n`` as a 1-D or 2-D float array.

    A 1-D ``y`` is one signal; a 2-D ``y`` of shape ``(n, c)`` holds ``c`` signals.
    """
    arr = np.asarray(y, dtype=np.float64) if not isinstance(y, np.ndarray) else y
    if arr.ndim not in (1, 2) or arr.shape[0] != n:
        raise ValueError(
            f"{name} must have length {n} (one entry per point), got shape {np.shape(y)}."
        )
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    if arr.ndim == 2 and arr.shape[1] == 0:
        raise ValueError(f"{name} has no columns: give at least one signal.")
    return arr


def query_vector(queries, n: int, name: str = "queries") -> np.ndarray:
    """The query indicator ``y`` with ``y_i = 1`` if ``i`` is a query (seed, slide "query")."""
    idx = np.atleast_1d(np.asarray(queries))
    if idx.size == 0:
        raise ValueError(f"{name} is empty: choose at least one query point.")
    if not np.issubdtype(idx.dtype, np.integer):
        if np.issubdtype(idx.dtype, np.floating) and np.all(idx == np.round(idx)):
            idx = idx.astype(np.int64)
        else:
            raise ValueError(f"{name} must be point indices (integers), got {idx.dtype}.")
    if idx.ndim != 1:
        raise ValueError(f"{name} must be a flat list of point indices.")
    if idx.min() < 0 or idx.max() >= n:
        raise ValueError(
            f"{name} must be indices in [0, {n - 1}], got values from {idx.min()} to {idx.max()}."
        )
    y = np.zeros(n, dtype=np.float64)
    y[idx] = 1.0
    return y


def check_random_state(seed) -> np.random.Generator:
    """A numpy Generator from an int seed, None, or an existing Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, numbers.Integral):
        return np.random.default_rng(seed)
    raise ValueError(f"seed must be an integer or None, got {seed!r}.")
