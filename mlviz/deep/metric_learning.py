"""Metric learning without labels: an embedding fine-tuned on triplets mined on the manifold.

Iscen, Tolias, Avrithis, Chum, "Mining on manifolds: metric learning without labels",
CVPR 2018 (seed, section "mining on manifolds").
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from mlviz._validation import check_features, check_k
from mlviz.deep._loop import Progress, TrainingRun, check_callbacks, check_classes, validated_config
from mlviz.deep.configs import MetricLearningConfig
from mlviz.deep.devices import describe_device, pick_device
from mlviz.deep.losses import triplet_loss
from mlviz.deep.networks import make_network
from mlviz.deep.threads import torch_threads
from mlviz.graph import build_knn_graph
from mlviz.metrics import evaluate_embedding, recall_at_k
from mlviz.mining import Mined, euclidean_neighbors, sample_tuples


@dataclass
class MetricLearningResult:
    """The trace of :func:`train_metric_learning`.

    Attributes
    ----------
    supervised : bool
        Triplets from the true classes (``True``) or mined on the manifold.
    config : MetricLearningConfig
    device : str
        Human description (:func:`~mlviz.deep.describe_device`).
    tuples : list of Mined
        Every sampled anchor with its ``E``, ``M``, ``S+``, ``S-``. In the supervised version
        ``manifold`` and ``positives`` hold the anchor's class ``C(x) \\ {x}`` and
        ``negatives`` is empty (drawn at random from the other classes).
    n_anchors_used : int
        Anchors with something to draw positives and negatives from: one triplet each per
        epoch.
    losses : list of float
        Mean triplet loss per epoch.
    recall_at_1 : list of float
        R@1 of the embedding after each epoch (when labels for evaluation are known).
    epoch_seconds : list of float
    embedding : ndarray of shape (n, embedding_dim), float32
        The final L2-normalized embedding.
    initial_embedding : ndarray of shape (n, embedding_dim), float32
        The untrained network's embedding: the initial descriptors, on which the tuples were
        mined.
    before, after : dict or None
        :func:`mlviz.metrics.evaluate_embedding` of the initial descriptors and of the final
        embedding (when labels for evaluation are known).
    state_dict : dict
        The final weights, on the CPU.
    stopped : bool
        Whether ``stop`` was set when the run ended.
    """

    supervised: bool
    config: MetricLearningConfig
    device: str
    tuples: list[Mined]
    n_anchors_used: int
    losses: list[float] = field(default_factory=list)
    recall_at_1: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    embedding: np.ndarray | None = None
    initial_embedding: np.ndarray | None = None
    before: dict[str, float] | None = None
    after: dict[str, float] | None = None
    state_dict: dict[str, torch.Tensor] = field(default_factory=dict)
    stopped: bool = False

    @property
    def n_epochs(self) -> int:
        return len(self.losses)


def _class_tuples(X: np.ndarray, labels: np.ndarray, anchors: np.ndarray, k_e: int) -> list[Mined]:
    """The supervised sets: the anchor's class ``C(x)`` in place of ``M(x)``.

    ``positives``: ``C(x) \\ {x}``; ``negatives`` is left empty, the other classes being drawn
    at random (:func:`_draw_outside`) rather than stored.
    """
    E = euclidean_neighbors(X, anchors, k_e, metric="cosine")
    out = []
    for a, e in zip(anchors, E):
        same = np.flatnonzero(labels == labels[a])
        same = same[same != a]
        out.append(Mined(int(a), e, same, same, np.empty(0, dtype=np.int64)))
    return out


def _draw_from(rng: np.random.Generator, pools: list[np.ndarray]) -> np.ndarray:
    """One element of each pool, uniformly."""
    return np.array([p[rng.integers(p.size)] for p in pools], dtype=np.int64)


def _draw_outside(
    rng: np.random.Generator,
    n: int,
    anchors: np.ndarray,
    excluded: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """For each anchor, a uniform point that is not the anchor, not in its row of
    ``excluded`` (e.g. ``E(x)``) and, with ``labels``, not of its class (rejection sampling)."""

    def bad(pos: np.ndarray, cand: np.ndarray) -> np.ndarray:
        out = cand == anchors[pos]
        if excluded is not None:
            out |= (excluded[pos] == cand[:, None]).any(axis=1)
        if labels is not None:
            out |= labels[cand] == labels[anchors[pos]]
        return out

    cand = rng.integers(n, size=anchors.size)
    todo = np.flatnonzero(bad(np.arange(anchors.size), cand))
    while todo.size:
        cand[todo] = rng.integers(n, size=todo.size)
        todo = todo[bad(todo, cand[todo])]
    return cand


@dataclass(frozen=True)
class _Triplets:
    """Where each usable anchor draws its positive and its negative from, every epoch."""

    n: int
    anchors: np.ndarray
    positive_pools: list[np.ndarray]
    negative_pools: list[np.ndarray] | None
    excluded: np.ndarray | None = None
    classes: np.ndarray | None = None

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """One positive and one negative per anchor."""
        positives = _draw_from(rng, self.positive_pools)
        if self.negative_pools is not None:
            return positives, _draw_from(rng, self.negative_pools)
        return positives, _draw_outside(rng, self.n, self.anchors, self.excluded, self.classes)


def _check_usable(usable: list[Mined]) -> list[Mined]:
    if not usable:
        raise ValueError(
            "no anchor has both positives and negatives to draw from: raise k_manifold above "
            "k_euclidean, or use negatives='euclidean'."
        )
    return usable


def _mined_triplets(X: np.ndarray, config: MetricLearningConfig, n_anchors: int, k_e: int,
                    k_m: int) -> tuple[list[Mined], _Triplets]:
    """Anchors with ``E``, ``M``, ``S+``, ``S-`` on the cosine kNN graph of the descriptors
    ``X``, ``E`` in the same space (unit vectors), and the pools ``config.positives`` /
    ``config.negatives`` ask for."""
    n = X.shape[0]
    if config.negatives == "euclidean" and k_e >= n - 1:
        raise ValueError(
            f"k_euclidean must be smaller than n - 1 ({n - 1}) to leave Euclidean "
            f"non-neighbours as negatives, got {k_e}."
        )
    W_norm = build_knn_graph(X, config.k, gamma=config.gamma, dtype=np.float32).W_norm
    tuples = sample_tuples(X, W_norm, n_anchors, k_e, k_m, config.alpha, seed=config.seed,
                           metric="cosine")
    need_pos = config.positives == "manifold"
    need_neg = config.negatives == "manifold"
    usable = _check_usable([
        t for t in tuples
        if (t.positives.size or not need_pos) and (t.negatives.size or not need_neg)
    ])
    anchors = np.array([t.anchor for t in usable], dtype=np.int64)
    return tuples, _Triplets(
        n, anchors,
        [t.positives if need_pos else t.euclidean for t in usable],
        [t.negatives for t in usable] if need_neg else None,
        excluded=np.array([t.euclidean for t in usable], dtype=np.int64).reshape(anchors.size, -1),
    )


def _class_triplets(X: np.ndarray, classes: np.ndarray, n_anchors: int, k_e: int,
                    seed: int) -> tuple[list[Mined], _Triplets]:
    """Random anchors, positives from their class, negatives from the other classes."""
    n = X.shape[0]
    if np.unique(classes).size < 2:
        raise ValueError("labels_for_supervised needs at least 2 classes for negatives.")
    anchors = np.sort(np.random.default_rng(seed).choice(n, n_anchors, replace=False))
    tuples = _class_tuples(X, classes, anchors, k_e)
    usable = _check_usable([t for t in tuples if t.positives.size])
    anchors = np.array([t.anchor for t in usable], dtype=np.int64)
    return tuples, _Triplets(n, anchors, [t.positives for t in usable], None, classes=classes)


def train_metric_learning(
    X,
    config: MetricLearningConfig | None = None,
    labels_for_supervised=None,
    *,
    y_true=None,
    network: nn.Module | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> MetricLearningResult:
    """Fine-tune an embedding on hard triplets mined on the manifold (Iscen et al. CVPR 2018).

    The initial descriptors are the untrained network's embedding of ``X`` (unit vectors):
    as the authors mine on the descriptors of the network they then fine-tune
    (github.com/gtolias/mom), the graph, ``E`` and ``M`` are all built on them.
    Unsupervised (``labels_for_supervised`` is None): the reciprocal kNN graph of the
    initial descriptors (cosine kernel), ``n_anchors`` random anchors and their ``E(x)`` (in
    the same space), ``M(x)``, hard positives ``S+ = M \\ E`` and hard negatives
    ``S- = E \\ M`` (:func:`mlviz.mining.sample_tuples`). ``config.positives`` / ``config.negatives`` switch
    either set to its Euclidean counterpart, ``E(x)`` / ``X \\ E(x)``, the comparison of the
    talk's slides ("positives S+ vs. Euclidean neighbours E, negatives S- vs. Euclidean
    non-neighbours X \\ E"). Supervised (the oracle to compare with): the same number of
    random anchors, positives from the anchor's class ``C(x)`` and negatives from the other
    classes, uniformly. Each epoch draws one positive and one negative per anchor and
    minimizes

    .. math:: \\frac{1}{b} \\sum_i \\max(0,\\ m + \\|a_i - p_i\\|^2 - \\|a_i - n_i\\|^2)

    (:func:`~mlviz.deep.triplet_loss`) with Adam on ``network`` (a copy), by default an
    :class:`~mlviz.deep.EmbeddingMLP` that starts from the input descriptors (centred,
    rescaled; projected on the top principal directions when ``d > embedding_dim``;
    L2-normalized). Training and evaluation use all points (transductive).

    The triplet loss (rather than the contrastive one) is the talk's choice for
    fine-grained categorization (CUB-200): it asks only that a positive be closer than a
    negative by a margin, a relative constraint that matches the rank-based Recall@k, and
    it needs no absolute distance threshold for mined pairs whose labels are uncertain.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Starting descriptors (e.g. digit pixels).
    config : MetricLearningConfig, optional
    labels_for_supervised : array-like of int, shape (n,), optional
        True classes: switch to the supervised version.
    y_true : array-like of int, shape (n,), optional
        True classes for evaluation only (R@k, NMI); defaults to ``labels_for_supervised``.
    network : torch.nn.Module, optional
        The network to fine-tune, whose ``forward`` gives L2-normalized embeddings of ``X``
        and ``features`` the same before normalization, e.g. a
        :class:`~mlviz.deep.networks.FeatureEmbedding` of a classifier trained on other
        classes (:mod:`mlviz.deep.transfer`). It is copied, never changed;
        ``config.embedding_dim`` and ``config.hidden`` are then unused.
    progress, stop
        As in :func:`~mlviz.deep.train_deep_lp`; ``progress(epoch, result)``.

    Returns
    -------
    MetricLearningResult
    """
    config = validated_config(config, MetricLearningConfig)
    with torch_threads(config.num_threads):
        return _train_in_threads(X, config, labels_for_supervised, y_true, network, progress,
                                 stop)


def _start_network(X: np.ndarray, config: MetricLearningConfig, network) -> nn.Module:
    if network is None:
        model = make_network("embedding", X.shape[1], 0, config.seed, config.embedding_dim,
                             config.hidden)
        model.start_from(X)
        return model
    if not isinstance(network, nn.Module) or not callable(getattr(network, "features", None)):
        raise ValueError("network must be a torch module with features(x), e.g. a "
                         "FeatureEmbedding of a trained classifier.")
    return copy.deepcopy(network).cpu().train()


def _train_in_threads(
    X, config: MetricLearningConfig, labels_for_supervised, y_true, network, progress, stop
) -> MetricLearningResult:
    X = check_features(X).astype(np.float64)
    n = X.shape[0]
    k_e = check_k(config.k_euclidean, n, "k_euclidean")
    k_m = check_k(config.k_manifold, n, "k_manifold")
    check_k(config.k, n)
    classes = None
    if labels_for_supervised is not None:
        classes = check_classes(labels_for_supervised, n, "labels_for_supervised")
    truth = classes if y_true is None else check_classes(y_true, n, "y_true")
    check_callbacks(progress, stop, "result")
    device = pick_device(config.device)
    n_anchors = min(config.n_anchors, n)
    model = _start_network(X, config, network)
    run = TrainingRun(model, X.astype(np.float32), device, config.lr, config.weight_decay, stop)
    start, _ = run.features()
    if classes is None:
        tuples, triplets = _mined_triplets(start, config, n_anchors, k_e, k_m)
    else:
        tuples, triplets = _class_triplets(start, classes, n_anchors, k_e, config.seed)

    rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(1)[0])
    anchors = triplets.anchors
    result = MetricLearningResult(
        classes is not None, config, describe_device(device), tuples, anchors.size,
        initial_embedding=start,
    )
    if truth is not None:
        result.before = evaluate_embedding(start, truth, config.seed)

    for epoch in run.until_stopped(range(config.epochs)):
        t0 = time.perf_counter()
        positives, negatives = triplets.draw(rng)
        order = rng.permutation(anchors.size)
        steps = [order[start : start + config.batch_size]
                 for start in range(0, order.size, config.batch_size)]
        step_triplets = run.to_device(
            [np.concatenate([anchors[sel], positives[sel], negatives[sel]]) for sel in steps])
        run.model.train()
        for sel, idx in run.until_stopped(zip(steps, step_triplets)):
            a, p, q = run.model(run.inputs[idx]).split(sel.size)
            run.step(triplet_loss(a, p, q, config.margin))
        losses = run.epoch_losses()
        if run.stopped():
            break
        sizes = torch.tensor([sel.size for sel in steps], dtype=torch.float64, device=device)
        result.losses.append(float((losses * sizes).sum()) / anchors.size)
        if truth is not None:
            embedding, _ = run.features()
            result.recall_at_1.append(recall_at_k(embedding, truth, (1,))[1])
        result.epoch_seconds.append(time.perf_counter() - t0)
        if progress is not None:
            progress(epoch + 1, result)
    result.stopped = run.stopped()
    result.embedding, _ = run.features()  # also right after a stop mid-epoch
    if truth is not None:
        result.after = evaluate_embedding(result.embedding, truth, config.seed)
    result.state_dict = run.cpu_state_dict()
    return result
