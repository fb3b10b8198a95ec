"""Label propagation with certainty and class weights.

Zhou, Bousquet, Lal, Weston, Schölkopf, "Learning with local and global consistency",
NIPS 2003, solved by conjugate gradient as in the talk (seed, section "label propagation"):

.. math:: Y_{ij} = \\mathbb{1}[i \\in L \\wedge y_i = j], \\qquad
          Z = (I - \\alpha\\mathcal{W})^{-1} Y, \\qquad \\hat{y}_i = \\arg\\max_j z_{ij}.

Certainty and class weights of Iscen, Tolias, Avrithis, Chum, "Label propagation for deep
semi-supervised learning", CVPR 2019:

.. math:: \\omega_i = 1 - \\frac{H(\\hat{\\mathbf{z}}_i)}{\\log c}, \\qquad
          \\zeta_j = (|L_j| + |U_j|)^{-1},

with ``ẑ_i`` the row ``z_i`` normalized to sum 1. The authors' code (ahmetius/LP-DeepSSL,
``lp/db_semisuper.py``) balances the loss otherwise: ``ω`` divided by its maximum, ``ζ``
scaled by ``N / c`` and labelled points weighted by ``ζ`` too; :func:`pseudo_labels` offers
both (``weighting="talk"`` or ``"authors"``). Class mass normalization (Zhu,
Ghahramani, Lafferty, ICML 2003) is offered because plain argmax is biased towards the
classes whose labels sit in dense, well-connected parts of the graph.

The scikit-learn estimator on top of this, and the accuracy sweeps, are in
:mod:`mlviz.label_spreading`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np

from mlviz._validation import (
    check_alpha,
    check_positive_int,
    check_random_state,
    check_square_sparse,
)
from mlviz.diffusion import Iterations, block_conjugate_gradient, conjugate_gradient

UNLABELLED = -1

Weighting = Literal["talk", "authors"]
WEIGHTINGS: tuple[str, ...] = ("talk", "authors")
"""The loss weightings of deep label propagation (see :func:`pseudo_labels`)."""


def check_weighting(weighting) -> str:
    """Return ``weighting`` after checking it is one of :data:`WEIGHTINGS`."""
    if weighting not in WEIGHTINGS:
        raise ValueError(
            "weighting must be 'talk' (the talk's ζ_j = (|L_j| + |U_j|)^-1, labelled points "
            "weighted 1) or 'authors' (the authors' code, ahmetius/LP-DeepSSL: ζ scaled by N/c, "
            f"labelled points weighted by ζ too, ω divided by its maximum), got {weighting!r}."
        )
    return str(weighting)


def label_matrix(labels, n_classes: int | None = None) -> np.ndarray:
    """``Y`` with ``Y_ij = 1`` if point ``i`` is labelled with class ``j`` (``-1`` = unlabelled).

    Parameters
    ----------
    labels : array-like of int, shape (n,)
        Class indices ``0..c-1``, or ``-1`` for unlabelled points.
    n_classes : int, optional
        ``c``; ``max(labels) + 1`` by default.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError("labels must be a 1-D array of integer class indices (-1 = unlabelled).")
    if labels.size and labels.min() < UNLABELLED:
        raise ValueError("labels must be class indices >= 0, or -1 for unlabelled points.")
    c = int(labels.max()) + 1 if n_classes is None else int(n_classes)
    if c < 1:
        raise ValueError("labels has no labelled point: label at least one point.")
    if labels.size and labels.max() >= c:
        raise ValueError(f"labels must be below n_classes={c}, found {labels.max()}.")
    Y = np.zeros((labels.size, c))
    known = labels >= 0
    Y[np.flatnonzero(known), labels[known]] = 1.0
    return Y


@dataclass
class Propagation:
    """``Z = (I - alpha W)^-1 Y`` and the CG trace that produced it."""

    scores: np.ndarray
    iterations: Iterations


def propagate(
    W_norm,
    Y,
    alpha: float = 0.99,
    *,
    tol: float = 1e-6,
    max_iter: int = 1000,
    dtype=None,
    solver: Literal["block", "columns"] = "block",
) -> Propagation:
    """``Z = (I - alpha W)^-1 Y`` by CG over all class columns at once.

    CG solves ``L_alpha f = Y`` for ``f = (1 - alpha)(I - alpha W)^-1 Y``; ``Z = f / (1 - alpha)``.
    ``solver="block"`` (default) is :func:`mlviz.diffusion.block_conjugate_gradient`, one
    Krylov space for all classes (fewer iterations); ``"columns"`` is one CG per
    class column (:func:`mlviz.diffusion.conjugate_gradient`). Both stop when every column's
    relative residual is at most ``tol``.
    """
    alpha = check_alpha(alpha)
    W = check_square_sparse(W_norm, "W_norm")
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[0] != W.shape[0]:
        raise ValueError(
            f"Y must have shape (n, c) with n={W.shape[0]} rows, got shape {Y.shape}."
        )
    solvers = {"block": block_conjugate_gradient, "columns": conjugate_gradient}
    if solver not in solvers:
        raise ValueError(f"solver must be 'block' or 'columns', got {solver!r}.")
    its = solvers[solver](W, Y, alpha, tol=tol, max_iter=max_iter, dtype=dtype)
    if not its.converged and its.solution.dtype == np.float32 and its.n_iter < max_iter:
        its = _refine_in_float64(solvers[solver], W, Y, alpha, its, tol, max_iter)
    return Propagation(scores=its.solution / (1.0 - alpha), iterations=its)


def _refine_in_float64(solve, W, Y, alpha, its: Iterations, tol, max_iter) -> Iterations:
    """Go on in float64 from a float32 solution that stagnated above ``tol``: a few more
    iterations, each on the residual float32 could not resolve (iterative refinement)."""
    more = solve(W, Y, alpha, tol=tol, max_iter=max_iter - its.n_iter, dtype=np.float64,
                 f0=its.solution)
    return Iterations(
        solution=more.solution,
        iterates=None,
        residuals=np.concatenate([its.residuals, more.residuals[1:]]),
        n_iter=its.n_iter + more.n_iter,
        converged=more.converged,
    )


def class_mass_normalize(Z, class_prior) -> np.ndarray:
    """Scale column ``j`` of ``Z`` to mass ``q_j``: ``z_ij q_j / Σ_i z_ij`` (Zhu et al. 2003).

    ``q`` is the class prior, by default the class frequencies among the labelled points.
    A column without mass stays zero.
    """
    Z = np.asarray(Z, dtype=np.float64)
    q = np.asarray(class_prior, dtype=np.float64)
    if q.shape != (Z.shape[1],):
        raise ValueError(f"class_prior must have one entry per class ({Z.shape[1]}).")
    mass = np.clip(Z, 0, None).sum(axis=0)
    scale = np.divide(q, mass, out=np.zeros_like(q), where=mass > 0)
    return Z * scale


def normalized_rows(Z) -> np.ndarray:
    """``ẑ_i = z_i / Σ_j z_ij`` after clipping round-off negatives; a zero row becomes uniform."""
    Z = np.clip(np.asarray(Z, dtype=np.float64), 0.0, None)
    total = Z.sum(axis=1, keepdims=True)
    uniform = np.full_like(Z, 1.0 / Z.shape[1])
    return np.where(total > 0, Z / np.where(total > 0, total, 1.0), uniform)


def certainty(Z) -> np.ndarray:
    """``ω_i = 1 - H(ẑ_i) / log c``: 1 for a one-hot row, 0 for a uniform (or zero) row."""
    P = normalized_rows(Z)
    c = P.shape[1]
    if c < 2:
        return np.ones(P.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(P > 0, P * np.log(P), 0.0)
    return np.clip(1.0 + plogp.sum(axis=1) / np.log(c), 0.0, 1.0)


def class_weights(labels, pseudo_labels, n_classes: int) -> np.ndarray:
    """``ζ_j = (|L_j| + |U_j|)^-1``: ``L_j`` labelled as ``j``, ``U_j`` unlabelled predicted ``j``.

    A class with no point gets weight 0 (no point uses it).
    """
    labels = np.asarray(labels)
    pseudo = np.asarray(pseudo_labels)
    if labels.shape != pseudo.shape:
        raise ValueError("labels and pseudo_labels must have the same length.")
    unl = labels == UNLABELLED
    counts = np.bincount(labels[~unl], minlength=n_classes)[:n_classes] + np.bincount(
        pseudo[unl][pseudo[unl] >= 0], minlength=n_classes
    )[:n_classes]
    return np.divide(1.0, counts, out=np.zeros(n_classes), where=counts > 0)


def spread_to_unreached(Z, neighbors_idx, weights) -> tuple[np.ndarray, np.ndarray]:
    """Give points that diffusion did not reach (zero row) the weighted vote of their kNN.

    A point is unreached when it is isolated in the graph, in a component without a label,
    or so far from every label that CG stopped (at its tolerance) before its score left zero:
    CG's ``t``-th iterate is zero beyond ``t`` hops of the labels. Each such point takes
    ``Σ_j w_ij z_j`` over its own (directed) k nearest neighbours; this is repeated, hop by
    hop, for points whose neighbours were all unreached too, until no row changes. The
    directed kNN also crosses between the components of the reciprocal graph.

    Returns
    -------
    Z : ndarray
        With unreached rows filled where a chain of neighbours leads to scores.
    unreached : ndarray of bool
        The rows that had no score before.
    """
    Z = np.asarray(Z, dtype=np.float64).copy()
    unreached = ~(np.clip(Z, 0, None).sum(axis=1) > 0)
    empty = np.flatnonzero(unreached)
    while empty.size:
        votes = np.einsum("ik,ikc->ic", weights[empty], Z[neighbors_idx[empty]])
        filled = np.clip(votes, 0, None).sum(axis=1) > 0
        if not filled.any():
            break
        Z[empty[filled]] = votes[filled]
        empty = empty[~filled]
    return Z, unreached


class PseudoLabels(NamedTuple):
    """What propagated scores say of each point: the talk's ŷ, ω, ζ and loss weights.

    Attributes
    ----------
    pseudo_labels : ndarray of int, shape (n,)
        The given label for a labelled point; ``ŷ_i = argmax_j z_ij`` for an unlabelled one,
        ``-1`` where ``z_i`` has no positive entry (diffusion did not reach the point).
    certainty : ndarray of shape (n,)
        ``ω_i = 1 - H(ẑ_i) / log c``, ``ẑ_i = z_i / Σ_j z_ij`` (for every point); divided by
        its maximum over all points under ``weighting="authors"``.
    class_weights : ndarray of shape (c,)
        ``ζ_j = (|L_j| + |U_j|)^-1``, ``U_j`` the unlabelled points with ``ŷ_i = j``; times
        ``N / c`` under ``weighting="authors"``.
    weights : ndarray of shape (n,)
        Each point's weight in ``L_s + L_w``: 1 on ``L`` (``ζ_yi`` under ``"authors"``),
        ``ω_i ζ_ŷi`` on ``U`` (0 where ``ŷ_i = -1``).
    """

    pseudo_labels: np.ndarray
    certainty: np.ndarray
    class_weights: np.ndarray
    weights: np.ndarray


def check_labels(labels, n: int | None = None, name: str = "labels") -> np.ndarray:
    """``labels`` as int64 class indices, ``-1`` for unlabelled; a ValueError names what is wrong."""
    arr = np.asarray(labels)
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        raise ValueError(f"{name} must be a 1-D array of integer class indices (-1 = unlabelled).")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have one entry per point ({n}), got {arr.shape[0]}.")
    if arr.size and arr.min() < UNLABELLED:
        raise ValueError(f"{name} must be class indices >= 0, or -1 for unlabelled points.")
    return arr.astype(np.int64)


def pseudo_labels(Z, labels, weighting: Weighting = "talk") -> PseudoLabels:
    """Pseudo-labels, certainties, class weights and per-point loss weights from ``Z``.

    The only home of this maths; label propagation and deep LP both read their labels here.
    ``weighting="talk"`` (default) is the formula of the talk and the paper:

    .. math:: \\hat{y}_i = \\arg\\max_j z_{ij}, \\quad
              \\omega_i = 1 - \\frac{H(\\hat{\\mathbf{z}}_i)}{\\log c}, \\quad
              \\zeta_j = (|L_j| + |U_j|)^{-1}, \\quad
              w_i = \\begin{cases} 1 & i \\in L \\\\ \\omega_i \\zeta_{\\hat{y}_i} & i \\in U
              \\end{cases}

    (Iscen, Tolias, Avrithis, Chum, "Label propagation for deep semi-supervised learning",
    CVPR 2019, eq. 8–11; seed, section "label propagation").

    ``weighting="authors"`` follows the authors' code (ahmetius/LP-DeepSSL,
    ``DBSS.update_plabels`` in ``lp/db_semisuper.py``):

    .. math:: \\tilde\\omega_i = \\frac{\\omega_i}{\\max_k \\omega_k}, \\quad
              \\tilde\\zeta_j = \\frac{N}{c}\\,\\zeta_j, \\quad
              w_i = \\begin{cases} \\tilde\\zeta_{y_i} & i \\in L \\\\
              \\tilde\\omega_i \\tilde\\zeta_{\\hat{y}_i} & i \\in U \\end{cases}

    so that ``max ω̃ = 1`` and ``ζ̃`` averages 1 over the points (when every class has one);
    ``N`` counts the points with a (pseudo-)label. The maximum runs over all points, the
    labelled ones included, as there.

    Parameters
    ----------
    Z : array-like of shape (n, c)
        Propagated scores ``(I - alpha W)^-1 Y``; round-off negatives are clipped to 0.
    labels : array-like of int, shape (n,)
        Class indices, ``-1`` for unlabelled points.
    weighting : {"talk", "authors"}

    Returns
    -------
    PseudoLabels
        A named tuple ``(pseudo_labels, certainty, class_weights, weights)``.
    """
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[1] < 1:
        raise ValueError(f"Z must have shape (n, c), got shape {Z.shape}.")
    if not np.all(np.isfinite(Z)):
        raise ValueError("Z contains NaN or infinite values.")
    labels = check_labels(labels, Z.shape[0])
    weighting = check_weighting(weighting)
    c = Z.shape[1]
    if labels.size and labels.max() >= c:
        raise ValueError(f"labels must be below the number of columns of Z ({c}).")
    unlabelled = labels == UNLABELLED
    reached = np.clip(Z, 0.0, None).sum(axis=1) > 0
    pseudo = np.where(unlabelled, np.where(reached, Z.argmax(axis=1), UNLABELLED), labels)
    omega = certainty(Z)
    zeta = class_weights(labels, pseudo, c)
    weights = np.ones(labels.shape[0])
    if weighting == "authors":
        if omega.size and omega.max() > 0:
            omega = omega / omega.max()
        zeta = zeta * (np.count_nonzero(pseudo >= 0) / c)
        weights[~unlabelled] = zeta[labels[~unlabelled]]
    usable = unlabelled & (pseudo >= 0)
    weights[unlabelled] = 0.0
    weights[usable] = omega[usable] * zeta[pseudo[usable]]
    return PseudoLabels(pseudo.astype(np.int64), omega, zeta, weights)


@dataclass
class PropagatedLabels:
    """Everything label propagation says about each point.

    Attributes
    ----------
    scores : ndarray of shape (n, c)
        ``Z`` after the chosen normalization (and the kNN vote for unreached points).
    predictions : ndarray of shape (n,)
        Class index per point: the given label where there is one, else ``argmax_j z_ij``;
        ``-1`` where nothing is known.
    certainty : ndarray of shape (n,)
        ``ω_i``.
    class_weights : ndarray of shape (c,)
        ``ζ_j``.
    unreached : ndarray of bool, shape (n,)
        Points the diffusion did not reach.
    n_iter : int
        CG iterations.
    converged : bool
        Whether CG reached ``tol``.
    """

    scores: np.ndarray
    predictions: np.ndarray
    certainty: np.ndarray
    class_weights: np.ndarray
    unreached: np.ndarray
    n_iter: int
    converged: bool = True


def propagate_labels(
    W_norm,
    labels,
    alpha: float = 0.99,
    *,
    n_classes: int | None = None,
    normalization: str | None = "class_mass",
    neighbors_idx: np.ndarray | None = None,
    neighbor_weights: np.ndarray | None = None,
    tol: float = 1e-6,
    max_iter: int = 1000,
    dtype=None,
) -> PropagatedLabels:
    """Propagate ``labels`` (``-1`` = unlabelled) on the graph and read off predictions.

    ``Z = (I - alpha W)^-1 Y`` by CG; optional class mass normalization with the labelled
    class frequencies as prior; points with no score take the kNN vote
    (:func:`spread_to_unreached`) when ``neighbors_idx`` and ``neighbor_weights`` are given,
    else stay ``-1``; certainty ω and class weights ζ as in Iscen et al. 2019.

    ω is computed on the scores the prediction is read from: with ``normalization=None``
    that is the talk's ``ω_i = 1 - H(ẑ_i) / log c`` on the rows of ``Z``; with class mass
    normalization (the default) the same formula on the normalized scores, so that a
    point's certainty is about the label it is given.
    """
    labels = np.asarray(labels)
    if normalization not in ("class_mass", None):
        raise ValueError(f"normalization must be 'class_mass' or None, got {normalization!r}.")
    W = check_square_sparse(W_norm, "W_norm")
    if labels.shape != (W.shape[0],):
        raise ValueError(f"labels must have one entry per point ({W.shape[0]}), got shape {labels.shape}.")
    known = labels != UNLABELLED
    if not known.any():
        raise ValueError("labels has no labelled point: label at least one point.")
    Y = label_matrix(labels, n_classes)
    c = Y.shape[1]
    prop = propagate(W, Y, alpha, tol=tol, max_iter=max_iter, dtype=dtype)
    Z = prop.scores
    if normalization == "class_mass":
        Z = class_mass_normalize(Z, np.bincount(labels[known], minlength=c) / known.sum())
    Z = np.clip(Z, 0.0, None)
    unreached = ~(Z.sum(axis=1) > 0)
    if neighbors_idx is not None and neighbor_weights is not None:
        Z, _ = spread_to_unreached(Z, neighbors_idx, neighbor_weights)
    read = pseudo_labels(Z, labels)
    return PropagatedLabels(
        scores=Z,
        predictions=read.pseudo_labels,
        certainty=read.certainty,
        class_weights=read.class_weights,
        unreached=unreached,
        n_iter=prop.iterations.n_iter,
        converged=prop.iterations.converged,
    )


def sample_labelled(y_true, per_class: int, seed: int | None = 0) -> np.ndarray:
    """Keep ``per_class`` random labels of each class of ``y_true``; the rest become ``-1``."""
    y_true = np.asarray(y_true)
    per_class = check_positive_int(per_class, "per_class")
    rng = check_random_state(seed)
    out = np.full(y_true.shape, UNLABELLED, dtype=np.int64)
    for c in np.unique(y_true[y_true >= 0]):
        members = np.flatnonzero(y_true == c)
        out[rng.choice(members, min(per_class, members.size), replace=False)] = c
    return out
