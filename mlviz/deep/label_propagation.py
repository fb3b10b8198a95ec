"""Deep label propagation and its fully supervised baseline.

Iscen, Tolias, Avrithis, Chum, "Label propagation for deep semi-supervised learning",
CVPR 2019 (seed, section "label propagation").
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch

from mlviz._validation import check_features, check_k
from mlviz.deep._loop import Progress, TrainingRun, check_callbacks, check_classes, validated_config
from mlviz.deep.batches import MixedBatches, shift_images, weight_ratio
from mlviz.deep.configs import DeepLPConfig
from mlviz.deep.devices import describe_device, pick_device
from mlviz.deep.losses import loss_terms
from mlviz.deep.networks import classifier_inputs, make_network
from mlviz.deep.threads import torch_threads
from mlviz.graph import build_knn_graph
from mlviz.metrics import accuracy
from mlviz.propagation import (
    PseudoLabels,
    check_labels,
    label_matrix,
    propagate,
    pseudo_labels,
    spread_to_unreached,
)


def propagate_on_features(
    features,
    labels,
    *,
    k: int = 20,
    alpha: float = 0.99,
    gamma: float = 3.0,
    edges: Literal["reciprocal", "union", "sum"] = "reciprocal",
    n_classes: int | None = None,
    tol: float = 1e-6,
    max_iter: int = 500,
    backend: str = "auto",
    weighting: str = "talk",
) -> tuple[np.ndarray, PseudoLabels]:
    """One label-propagation step of deep LP on features ``φθ(x)``.

    The kNN graph of the features with :math:`w_{ij} = \\max(\\cos(\\phi_i, \\phi_j), 0)^\\gamma`,
    normalized to :math:`\\mathcal{W} = D^{-1/2} W D^{-1/2}`
    (:func:`mlviz.graph.build_knn_graph`, in float32), then

    .. math:: Z = (I - \\alpha\\mathcal{W})^{-1} Y

    by conjugate gradient (:func:`mlviz.propagation.propagate`). A point the diffusion did
    not reach takes the weighted vote of its k nearest neighbours
    (:func:`mlviz.propagation.spread_to_unreached`). Pseudo-labels, certainties, class
    weights and loss weights are those of :func:`mlviz.propagation.pseudo_labels` (Iscen et
    al., CVPR 2019).

    Parameters
    ----------
    features : array-like of shape (n, d)
    labels : array-like of int, shape (n,)
        Class indices, ``-1`` for unlabelled points; at least one labelled.
    k, alpha, gamma : graph and propagation parameters.
    edges : {"reciprocal", "union", "sum"}
        Mutual neighbours only (the paper's graph) or either direction.
    n_classes : int, optional
        Default ``max(labels) + 1``.
    tol, max_iter : CG's relative residual and most iterations.
    backend : {"auto", "faiss", "sklearn", "torch"}
        Of the kNN search.
    weighting : {"talk", "authors"}
        Of the loss weights (:func:`mlviz.propagation.pseudo_labels`).

    Returns
    -------
    Z : ndarray of shape (n, c)
    PseudoLabels
    """
    features = check_features(features, "features")
    n = features.shape[0]
    labels = check_labels(labels, n)
    if not (labels >= 0).any():
        raise ValueError("labels has no labelled point: label at least one point.")
    k = check_k(k, n)
    graph = build_knn_graph(features, k, edges=edges, kernel="cosine", gamma=gamma,
                            backend=backend, dtype=np.float32)  # type: ignore[arg-type]
    Y = label_matrix(labels, n_classes)
    Z = propagate(graph.W_norm, Y, alpha, tol=tol, max_iter=max_iter, dtype=np.float32).scores
    Z, _ = spread_to_unreached(np.clip(Z, 0.0, None), graph.neighbors.indices, graph.weights)
    return Z, pseudo_labels(Z, labels, weighting)  # type: ignore[arg-type]


@dataclass
class EpochRecord:
    """What one epoch of deep LP (or of the baseline) did.

    Attributes
    ----------
    epoch : int
        1-based.
    phase : str
        ``"supervised"`` (pre-training or baseline: ``L_s`` alone) or ``"label propagation"``
        (``L_s + L_w``).
    features : ndarray of shape (n, d), float32, or None
        L2-normalized ``φθ(x)`` at the start of the epoch: the features the graph was built
        on (``None`` when not recorded).
    pseudo_labels, certainty, class_weights : ndarray or None
        ``ŷ``, ``ω`` and ``ζ`` used by this epoch's loss; ``None`` in supervised epochs.
    pseudo_label_accuracy : float or None
        Accuracy of ``ŷ`` on the unlabelled points (when ``y_true`` was given).
    predictions : ndarray of int, shape (n,)
        The classifier's ``argmax`` at the end of the epoch.
    classifier_accuracy : float or None
        Its accuracy on the unlabelled points (when ``y_true`` was given).
    loss : float
        Mean training loss over the epoch's steps.
    supervised_term, pseudo_label_term : float
        Means over the epoch's steps of the two parts of the step loss, ``T_s`` on the
        labelled points and ``T_w`` on the unlabelled ones (:func:`mlviz.deep.losses.loss_terms`);
        ``T_w = 0`` in a supervised epoch.
    weight_ratio : float
        Mean over the steps of the pseudo-label weight over the labelled weight
        (:func:`mlviz.deep.batches.weight_ratio`): the balance ``weighting`` sets, before the
        cross-entropies; 0 in a supervised epoch.
    seconds : float
        Wall time of the epoch (propagation, training and feature extraction).
    """

    epoch: int
    phase: str
    features: np.ndarray | None
    pseudo_labels: np.ndarray | None = None
    certainty: np.ndarray | None = None
    class_weights: np.ndarray | None = None
    pseudo_label_accuracy: float | None = None
    predictions: np.ndarray | None = None
    classifier_accuracy: float | None = None
    loss: float = float("nan")
    supervised_term: float = float("nan")
    pseudo_label_term: float = float("nan")
    weight_ratio: float = float("nan")
    seconds: float = 0.0


@dataclass
class DeepLPHistory:
    """The trace of :func:`train_deep_lp` or :func:`train_supervised`.

    Attributes
    ----------
    method : str
        ``"deep label propagation"`` or ``"supervised"``.
    config : DeepLPConfig
    network : str
        ``"cnn"`` or ``"mlp"``; with ``input_shape`` and ``n_classes``, what
        :func:`~mlviz.deep.load_model` needs.
    input_shape : tuple
    n_classes : int
    device : str
        Human description (:func:`~mlviz.deep.describe_device`).
    labelled : ndarray of bool, shape (n,)
    epochs : list of EpochRecord
    final_features : ndarray of shape (n, d), float32, or None
        L2-normalized ``φθ(x)`` of the returned weights (after the last epoch, or where
        ``stop`` interrupted one).
    final_predictions : ndarray of int, shape (n,), or None
    state_dict : dict
        The final weights, on the CPU (:func:`~mlviz.deep.save_model` takes it).
    stopped : bool
        Whether ``stop`` ended the run before ``config.epochs``.
    """

    method: str
    config: DeepLPConfig
    network: str
    input_shape: tuple
    n_classes: int
    device: str
    labelled: np.ndarray
    epochs: list[EpochRecord] = field(default_factory=list)
    final_features: np.ndarray | None = None
    final_predictions: np.ndarray | None = None
    state_dict: dict[str, torch.Tensor] = field(default_factory=dict)
    stopped: bool = False

    @property
    def n_epochs(self) -> int:
        return len(self.epochs)

    @property
    def losses(self) -> np.ndarray:
        return np.array([e.loss for e in self.epochs])

    @property
    def epoch_seconds(self) -> np.ndarray:
        return np.array([e.seconds for e in self.epochs])

    @property
    def classifier_accuracies(self) -> np.ndarray:
        """Per epoch; NaN where unknown."""
        return np.array([_nan(e.classifier_accuracy) for e in self.epochs])

    @property
    def pseudo_label_accuracies(self) -> np.ndarray:
        """Per epoch; NaN in supervised epochs or without ``y_true``."""
        return np.array([_nan(e.pseudo_label_accuracy) for e in self.epochs])


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def train_deep_lp(inputs, labels, config: DeepLPConfig | None = None, *, y_true=None,
                  progress: Progress | None = None,
                  stop: threading.Event | None = None) -> DeepLPHistory:
    """Deep label propagation (Iscen, Tolias, Avrithis, Chum, CVPR 2019).

    ``config.warmup_epochs`` epochs of supervised pre-training on ``L``, then every epoch:

    1. ``φθ(x)`` of all points (eval mode), L2-normalized;
    2. the reciprocal kNN graph on them (cosine kernel ``max(s,0)^gamma``),
       ``𝒲 = D^-1/2 W D^-1/2``;
    3. ``Z = (I - alpha 𝒲)^-1 Y`` by CG;
    4. ``ŷ``, ``ω``, ``ζ`` and the loss weights of :func:`mlviz.propagation.pseudo_labels`;
    5. one epoch of Adam on

    .. math:: L_s + L_w = \\sum_{i \\in L} \\ell_s(f(x_i), y_i)
              + \\sum_{i \\in U} \\omega_i \\zeta_{\\hat{y}_i} \\ell_s(f(x_i), \\hat{y}_i).

    Loss normalization: a step takes ``b_L`` labelled points (cycling over ``L``) and a set
    ``B_U`` of ``b_U`` unlabelled ones (one pass over ``U`` per epoch, the last set smaller)
    and minimizes

    .. math:: \\frac{1}{b_L}\\sum_{i \\in B_L} \\ell_s(f(x_i), y_i)
              + \\frac{|U|}{|L|\\, |B_U|} \\sum_{i \\in B_U} \\omega_i\\zeta_{\\hat{y}_i}
                \\ell_s(f(x_i), \\hat{y}_i),

    an unbiased estimate of ``(L_s + L_w) / |L|``: the relative weights of all points are
    exactly those of the formula, and in pre-training the loss is the mean cross-entropy on
    the labelled batch. That is ``config.weighting="talk"``; with ``"authors"`` the step
    follows the authors' code (ahmetius/LP-DeepSSL, ``helpers.train``): ``b_L = b_U`` and
    the batch mean ``(1/|B|) Σ_{i ∈ B} w_i ℓ_s``, with the weights ``w_i`` of
    :func:`~mlviz.propagation.pseudo_labels` under that weighting (``ζ̃_yi`` on labelled
    points, ``ω̃_i ζ̃_ŷi`` on unlabelled ones). Each epoch records the mean of both terms
    (``EpochRecord.supervised_term``, ``.pseudo_label_term``). Adam's learning rate is set
    before every step to :meth:`DeepLPConfig.learning_rate` (a cosine rampdown, as the
    authors', unless ``config.lr_rampdown`` is off), in the baseline too.

    Parameters
    ----------
    inputs : array-like of shape (n, h, w) or (n, d)
        One-channel images (CNN) or descriptor vectors (MLP).
    labels : array-like of int, shape (n,)
        Class indices ``0..c-1``; ``-1`` for unlabelled points.
    config : DeepLPConfig, optional
    y_true : array-like of int, shape (n,), optional
        True classes of all points, only to record accuracies on the unlabelled ones.
    progress : callable ``(epoch, history)``, optional
        Called after each epoch with the 1-based epoch and the history so far. Called from
        the training thread: it must not touch a UI.
    stop : threading.Event, optional
        Checked before every epoch and every step; once set, the run ends and returns the
        history of the epochs completed (``stopped=True``).

    Returns
    -------
    DeepLPHistory
    """
    return _train(inputs, labels, config, True, y_true, progress, stop)


def train_supervised(inputs, labels, config: DeepLPConfig | None = None, *, y_true=None,
                     progress: Progress | None = None,
                     stop: threading.Event | None = None) -> DeepLPHistory:
    """The fully supervised baseline: the same network, seed and steps, on ``L_s`` alone.

    Every epoch is a pre-training epoch of :func:`train_deep_lp` (which is thus identical to
    this baseline for its first ``warmup_epochs`` epochs). Arguments as there.
    """
    return _train(inputs, labels, config, False, y_true, progress, stop)


def _train(inputs, labels, config, use_lp, y_true, progress, stop) -> DeepLPHistory:
    config = validated_config(config, DeepLPConfig)
    with torch_threads(config.num_threads):
        return _train_in_threads(inputs, labels, config, use_lp, y_true, progress, stop)


def _train_in_threads(
    inputs, labels, config: DeepLPConfig, use_lp: bool, y_true, progress, stop
) -> DeepLPHistory:
    data, kind, shape = classifier_inputs(inputs, config.network)
    n = data.shape[0]
    labels = check_labels(labels, n)
    labelled = labels >= 0
    if not labelled.any():
        raise ValueError("labels has no labelled point: label at least one point.")
    if use_lp:
        check_k(config.k, n)
    truth = None if y_true is None else check_classes(y_true, n, "y_true")
    if truth is not None and np.any(truth[labelled] != labels[labelled]):
        raise ValueError("y_true disagrees with labels on labelled points.")
    check_callbacks(progress, stop, "history")
    n_classes = int(labels.max()) + 1
    device = pick_device(config.device)

    model = make_network(kind, shape, n_classes, config.seed, config.embedding_dim)
    model.fit_input_scaling(data)
    run = TrainingRun(model, data, device, config.lr, config.weight_decay, stop)
    targets_t = torch.from_numpy(labels).to(device)
    sampler = MixedBatches(labels, config.batch_size, config.labelled_batch(), config.seed,
                           config.weighting)
    aug_gen = torch.Generator().manual_seed(config.seed)
    augment = config.augment and kind == "cnn"
    history = DeepLPHistory(
        "deep label propagation" if use_lp else "supervised", config, kind, shape, n_classes,
        describe_device(device), labelled,
    )

    feats, logits = run.features()
    trained = False
    for epoch in run.until_stopped(range(config.epochs)):
        t0 = time.perf_counter()
        lp_epoch = use_lp and epoch >= config.warmup_epochs
        record = EpochRecord(
            epoch + 1, "label propagation" if lp_epoch else "supervised",
            feats if config.records_features(epoch) else None,
        )
        pl = None
        if lp_epoch and sampler.unlabelled.size:
            _, pl = propagate_on_features(
                feats, labels, k=config.k, alpha=config.alpha, gamma=config.gamma,
                n_classes=n_classes, max_iter=config.cg_max_iter, weighting=config.weighting,
            )
            record.pseudo_labels = pl.pseudo_labels
            record.certainty = pl.certainty.astype(np.float32)
            record.class_weights = pl.class_weights
            if truth is not None:
                record.pseudo_label_accuracy = accuracy(truth, pl.pseudo_labels, ~labelled)
            targets_t = torch.from_numpy(pl.pseudo_labels).to(device)
        batches, weights = sampler.epoch(None if pl is None else pl.weights)
        record.weight_ratio = weight_ratio(weights, sampler.b_l)
        run.model.train()
        trained = True
        terms = []
        steps = zip(run.to_device(batches), run.to_device(weights))
        for step, (idx_t, w) in enumerate(run.until_stopped(steps)):
            for group in run.optimizer.param_groups:
                group["lr"] = config.learning_rate(epoch + step / len(batches))
            x = run.inputs[idx_t]
            if augment:
                x = shift_images(x, aug_gen)
            t_s, t_w = loss_terms(run.model(x), targets_t[idx_t], w, sampler.b_l)
            run.step(t_s + t_w)
            terms.append(torch.stack([t_s.detach(), t_w.detach()]))
        losses = run.epoch_losses().cpu().numpy()
        if run.stopped():
            break
        feats, logits = run.features()
        trained = False
        record.predictions = logits.argmax(axis=1)
        if truth is not None:
            record.classifier_accuracy = accuracy(truth, record.predictions, ~labelled)
        record.loss = float(np.mean(losses)) if losses.size else float("nan")
        if terms:
            record.supervised_term, record.pseudo_label_term = (
                torch.stack(terms).double().mean(0).cpu().numpy().tolist())
        record.seconds = time.perf_counter() - t0
        history.epochs.append(record)
        if progress is not None:
            progress(epoch + 1, history)
    if trained:  # stopped inside an epoch: describe the weights actually returned
        feats, logits = run.features()
    history.stopped = history.n_epochs < config.epochs
    history.final_features = feats
    history.final_predictions = logits.argmax(axis=1)
    history.state_dict = run.cpu_state_dict()
    return history
