"""Label spreading as a scikit-learn estimator, and how its accuracy moves with α, k and the
number of labels.

:class:`LabelSpreading` builds the talk's reciprocal kNN graph (:mod:`mlviz.graph`) and
propagates the labels on it (:func:`mlviz.propagation.propagate_labels`: Zhou, Bousquet, Lal,
Weston, Schölkopf, "Learning with local and global consistency", NIPS 2003, solved by
conjugate gradient as in Iscen et al., "Label propagation for deep semi-supervised learning",
CVPR 2019; seed, section "label propagation").
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from mlviz._validation import check_alpha, check_tol
from mlviz.graph import EDGES, KERNELS, build_knn_graph, gaussian_scale
from mlviz.knn import unit_rows
from mlviz.metrics import accuracy
from mlviz.propagation import (
    UNLABELLED,
    class_weights,
    normalized_rows,
    propagate_labels,
    sample_labelled,
)


class LabelSpreading(ClassifierMixin, BaseEstimator):
    """Label spreading on a reciprocal kNN graph, solved by conjugate gradient.

    Same problem as :class:`sklearn.semi_supervised.LabelSpreading` (``alpha`` is the same
    clamping factor), on the talk's graph: reciprocal kNN, ``max(s,0)^gamma`` weights on
    cosine similarity, ``Z = (I - alpha W)^-1 Y`` by block conjugate gradient
    (:func:`mlviz.propagation.propagate`; Zhou et al. 2003; Iscen et al. 2017, 2019).

    Parameters
    ----------
    n_neighbors : int, default=10
        k of the kNN graph; at most ``n - 1`` is used on ``n`` samples (:attr:`n_neighbors_`).
    alpha : float in [0, 1), default=0.99
    edges : {"reciprocal", "union", "sum"}, default="reciprocal"
        Mutual neighbours only (the talk's graph), either direction, or ``A + Aᵀ`` where a
        mutual pair counts twice (the authors' LP-DeepSSL code;
        :func:`mlviz.graph.graph_from_neighbors`). The authors' code also counts each point
        as its own first neighbour: their k is ``n_neighbors + 1`` here.
    kernel : {"cosine", "gaussian"}, default="cosine"
    gamma : float, default=3.0
        Exponent of the cosine kernel.
    normalization : {"class_mass", None}, default="class_mass"
        Class mass normalization of ``Z`` before the argmax (Zhu et al. 2003); ``None`` is
        the talk's plain ``argmax_j z_ij``.
    unreached : {"knn", "none"}, default="knn"
        What a point with no diffusion score (isolated, or in a component without labels)
        gets: the vote of its k nearest neighbours, or ``-1`` (no label).
    tol : float, default=1e-6
        Relative residual of CG. CG runs in float32 and, where float32 rounding stalls it
        above ``tol``, goes on in float64 from there.
    max_iter : int, default=1000
    backend : {"auto", "faiss", "sklearn", "torch", "ivf"}, default="auto"
        kNN search backend (:func:`mlviz.knn.knn_search`): exact, or faiss's approximate
        inverted file ``"ivf"``, which ``"auto"`` picks from 50,000 samples.

    Attributes
    ----------
    classes_ : ndarray of shape (c,)
    transduction_ : ndarray of shape (n,)
        Label of every training point: the given label where there is one.
    label_distributions_ : ndarray of shape (n, c)
        ``ẑ_i``, rows summing to 1.
    certainty_ : ndarray of shape (n,)
        ``ω_i = 1 - H(ẑ_i) / log c`` on the scores the prediction is read from (after class
        mass normalization when it is on; see :func:`propagate_labels`).
    class_weights_ : ndarray of shape (c,)
        ``ζ_j`` of :attr:`transduction_` (unreached points counted with their kNN vote).
    unreached_ : ndarray of bool, shape (n,)
        Points without a diffusion score (see ``unreached``).
    n_iter_ : int
        Conjugate gradient iterations, float64 refinement included.
    n_neighbors_ : int
        The k used: ``min(n_neighbors, n - 1)``.
    sigma2_ : float or None
        ``σ²`` of the Gaussian kernel, fixed at fit (None for the cosine kernel).
    knn_recall_ : float or None
        Share of the exact k nearest neighbours the approximate search found, measured on
        1,000 samples (:func:`mlviz.knn.neighbor_recall`); ``None`` when the search was exact.
    """

    def __init__(
        self,
        n_neighbors: int = 10,
        alpha: float = 0.99,
        edges: Literal["reciprocal", "union", "sum"] = "reciprocal",
        kernel: Literal["cosine", "gaussian"] = "cosine",
        gamma: float = 3.0,
        normalization: Literal["class_mass"] | None = "class_mass",
        unreached: Literal["knn", "none"] = "knn",
        tol: float = 1e-6,
        max_iter: int = 1000,
        backend: str = "auto",
    ):
        self.n_neighbors = n_neighbors
        self.alpha = alpha
        self.edges = edges
        self.kernel = kernel
        self.gamma = gamma
        self.normalization = normalization
        self.unreached = unreached
        self.tol = tol
        self.max_iter = max_iter
        self.backend = backend

    def _check_params(self, n: int) -> None:
        check_alpha(self.alpha)
        if self.normalization not in ("class_mass", None):
            raise ValueError(
                f"normalization must be 'class_mass' or None, got {self.normalization!r}."
            )
        if self.unreached not in ("knn", "none"):
            raise ValueError(f"unreached must be 'knn' or 'none', got {self.unreached!r}.")
        if not isinstance(self.n_neighbors, (int, np.integer)) or self.n_neighbors < 1:
            raise ValueError(f"n_neighbors must be a positive integer, got {self.n_neighbors!r}.")
        if self.edges not in EDGES:
            raise ValueError(f"edges must be one of {EDGES}, got {self.edges!r}.")
        if self.kernel not in KERNELS:
            raise ValueError(f"kernel must be 'cosine' or 'gaussian', got {self.kernel!r}.")
        check_tol(self.tol)
        if n < 2:
            raise ValueError(f"LabelSpreading needs at least 2 samples, got n_samples = {n}.")

    def fit(self, X, y):
        """Build the graph on ``X`` and propagate the labels of ``y`` (``-1`` = unlabelled)."""
        try:
            n_x = X.shape[0] if hasattr(X, "shape") else len(X)
            n_y = y.shape[0] if hasattr(y, "shape") else len(y)
        except (TypeError, IndexError):
            n_x = n_y = None  # validate_data says what is wrong with them
        if n_x is not None and n_x != n_y:
            raise ValueError(f"y must have one label per row of X ({n_x} rows), got {n_y} labels.")
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        self._check_params(X.shape[0])
        known = y != UNLABELLED
        if not known.any():
            raise ValueError("y has no labelled sample: give at least one label (not -1).")
        self.classes_, codes = np.unique(y[known], return_inverse=True)
        labels = np.full(y.shape[0], UNLABELLED, dtype=np.int64)
        labels[known] = codes
        c = self.classes_.size

        metric = "cosine" if self.kernel == "cosine" else "euclidean"
        self.n_neighbors_ = int(min(self.n_neighbors, X.shape[0] - 1))
        graph = build_knn_graph(X, self.n_neighbors_, edges=self.edges, kernel=self.kernel,
                                gamma=self.gamma, backend=self.backend, dtype=np.float32)
        self.sigma2_ = gaussian_scale(graph.neighbors) if self.kernel == "gaussian" else None
        self.knn_recall_ = graph.recall
        result = propagate_labels(
            graph.W_norm, labels, self.alpha, n_classes=c, normalization=self.normalization,
            neighbors_idx=graph.neighbors.indices if self.unreached == "knn" else None,
            neighbor_weights=graph.weights, tol=self.tol, max_iter=self.max_iter,
            dtype=np.float32,
        )
        if not result.converged:
            warnings.warn(
                f"CG stopped at max_iter={self.max_iter} before reaching tol={self.tol}; "
                "raise max_iter.", ConvergenceWarning, stacklevel=2,
            )
        codes_pred = result.predictions.copy()
        if self.unreached == "knn":
            majority = np.bincount(labels[known], minlength=c).argmax()
            codes_pred[codes_pred == UNLABELLED] = majority
        self.unreached_ = result.unreached
        self.label_distributions_ = normalized_rows(result.scores)
        self.certainty_ = result.certainty
        self.class_weights_ = class_weights(labels, codes_pred, c)
        self.transduction_ = (
            self.classes_[codes_pred] if codes_pred.min() >= 0
            else np.where(codes_pred >= 0, self.classes_[np.clip(codes_pred, 0, None)], UNLABELLED)
        )
        self.n_iter_ = result.n_iter
        self.X_fit_ = X
        self._metric = metric
        votes = self.label_distributions_.copy()
        votes[known] = np.eye(c)[labels[known]]
        self._votes = votes
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of new points: the kernel-weighted vote of their k nearest
        training points, each labelled one voting with its own label and each unlabelled one
        with its propagated distribution ``ẑ_i``. The Gaussian kernel's ``σ²`` is the one
        fixed at fit, so a point's probabilities do not depend on the batch it comes in."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        from sklearn.neighbors import NearestNeighbors

        base, query = self.X_fit_, X
        if self._metric == "cosine":
            base, query = unit_rows(base), unit_rows(query)
        k = self.n_neighbors_
        dist, idx = NearestNeighbors(n_neighbors=k).fit(base).kneighbors(query)
        sq = dist**2
        if self._metric == "cosine":
            w = np.clip(1.0 - 0.5 * sq, 0.0, 1.0) ** self.gamma
        else:
            w = np.exp(-sq / self.sigma2_)
        P = np.einsum("ik,ikc->ic", w, self._votes[idx])
        return normalized_rows(P)

    def predict(self, X) -> np.ndarray:
        """Most probable class of each point of ``X``."""
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


def accuracy_vs_alpha(W_norm, labels, y_true, alphas, **kwargs) -> np.ndarray:
    """Accuracy on the unlabelled points for each ``alpha`` (same graph, same labels);
    ``kwargs`` go to :func:`mlviz.propagation.propagate_labels`."""
    unlabelled = np.asarray(labels) == UNLABELLED
    return np.array([
        accuracy(y_true, propagate_labels(W_norm, labels, a, **kwargs).predictions, unlabelled)
        for a in alphas
    ])


def accuracy_vs_labels(W_norm, y_true, per_class_values, alpha: float, seed: int = 0,
                       draws: int = 1, **kwargs) -> np.ndarray:
    """Accuracy on the unlabelled points for each number of labels per class.

    With ``draws > 1`` each value is the mean over that many random draws of the labelled
    points (seeds ``seed, seed + 1, ...``): with one label per class a single draw can land
    anywhere, and one curve of single draws zigzags.
    """
    if int(draws) < 1:
        raise ValueError(f"draws must be at least 1, got {draws}.")
    out = []
    for m in per_class_values:
        scores = []
        for s in range(seed, seed + int(draws)):
            labels = sample_labelled(y_true, int(m), s)
            predictions = propagate_labels(W_norm, labels, alpha, **kwargs).predictions
            scores.append(accuracy(y_true, predictions, labels == UNLABELLED))
        out.append(np.mean(scores))
    return np.array(out)


def accuracy_vs_k(X, y_true, labels, ks, alpha: float, **estimator_params) -> np.ndarray:
    """Accuracy on the unlabelled points of :class:`LabelSpreading` for each graph's k."""
    unlabelled = np.asarray(labels) == UNLABELLED
    return np.array([
        accuracy(y_true, LabelSpreading(n_neighbors=int(k), alpha=alpha, **estimator_params)
                 .fit(X, labels).transduction_, unlabelled)
        for k in ks
    ])
