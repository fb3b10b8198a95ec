"""The talk's CUB-200 table in miniature: descriptors learned on other classes, fine-tuned
on tuples mined on the target classes' manifold, without their labels.

Iscen, Tolias, Avrithis, Chum, "Mining on manifolds: metric learning without labels",
CVPR 2018 (seed, section "mining on manifolds"): GoogLeNet, trained on ImageNet, gives
descriptors of birds it never saw (CUB-200, R@1 35.0); fine-tuned on triplets mined on the
birds' manifold, without labels, it reaches 45.3, and 49.8 with the labels. Here a small MLP
is trained (supervised) on some classes of a data set, the *source* classes (digits 0–3);
its feature map ``φθ``, normalized, gives the initial descriptors of the other, never-seen
*target* classes (digits 4–9). Three runs then fine-tune copies of that one network on the
target points, from the same seed: on tuples mined on the manifold of the initial
descriptors (hard positives ``S+ = M \\ E``), on Euclidean tuples (positives ``E``,
negatives ``X \\ E``), and on triplets from the target labels (supervised).

On raw digit pixels (R@1 0.99) there is nothing left to gain; descriptors learned for other
classes are weak on the target classes (R@1 about 0.77 here) while their manifold still
holds the classes together, which is what mining exploits. ``benchmarks/_fidelity_metric.py``
measures the table over seeds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from mlviz._validation import check_features, check_positive_int
from mlviz.deep._loop import TrainingRun, check_classes, validated_config
from mlviz.deep.configs import MetricLearningConfig, _check_positive
from mlviz.deep.devices import pick_device
from mlviz.deep.metric_learning import MetricLearningResult, train_metric_learning
from mlviz.deep.networks import FeatureEmbedding, make_network
from mlviz.deep.threads import torch_threads

RUNS: tuple[str, ...] = ("manifold", "euclidean", "supervised")
"""The fine-tuning runs: tuples mined on the manifold, Euclidean tuples, true classes."""

MINIATURE = MetricLearningConfig(epochs=10, margin=0.2, k=10, k_euclidean=50, k_manifold=50,
                                 negatives="manifold", n_anchors=1000)
"""The fine-tuning of the benchmark (``benchmarks/_fidelity_metric.py``) and the page's
defaults: ``|E| = |M| = 50`` and hard negatives ``S-`` as in the authors' code
(github.com/gtolias/mom, ``mat/mom_CUB.m``: 50 for positives), 1,000 random anchors (of
digits 4–9's 1,077 points; the authors take every image as an anchor on CUB). 10 epochs: the mined run peaks early, then drifts as its wrong
positives pull classes together (R@1 0.831 after 10 epochs, 0.820 after 15, mean of 5
seeds). Their margin 0.5 and their choice of each negative among the 10 of ``S-`` nearest in
the current embedding measured no better here (R@1 0.833 and 0.835 against 0.852, over 5
seeds of a prototype) and are left out."""


@dataclass(frozen=True)
class SourceConfig:
    """The network trained on the source classes, whose features are the initial descriptors.

    Attributes
    ----------
    source_classes : tuple of int or None
        Classes the network is trained on; the others are the target. ``None``: the lowest
        40% of the classes (at least 2, leaving at least 2): digits 0–3.
    epochs : int
        Of cross-entropy training on the source points.
    embedding_dim, hidden : int
        Sizes of the :class:`~mlviz.deep.SmallMLP`; ``φθ`` has ``embedding_dim``
        dimensions. A narrow ``φθ`` (16) keeps the source classes apart and squeezes the
        unseen ones: weak initial descriptors, as in the paper.
    lr : float
        Adam's learning rate.
    batch_size : int
    """

    source_classes: tuple[int, ...] | None = None
    epochs: int = 5
    embedding_dim: int = 16
    hidden: int = 128
    lr: float = 1e-3
    batch_size: int = 64

    def validate(self) -> SourceConfig:
        """Raise ValueError naming the first bad field; return self."""
        if self.source_classes is not None and (
            isinstance(self.source_classes, (str, bytes))
            or not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool)
                       for c in self.source_classes)
        ):
            raise ValueError(f"source_classes must be class numbers, got {self.source_classes!r}.")
        check_positive_int(self.epochs, "epochs")
        check_positive_int(self.embedding_dim, "embedding_dim")
        check_positive_int(self.hidden, "hidden")
        _check_positive(self.lr, "lr")
        check_positive_int(self.batch_size, "batch_size", minimum=2)
        return self


def split_classes(labels, source_classes=None) -> tuple[np.ndarray, np.ndarray]:
    """The source and target classes (sorted) of ``labels``.

    ``source_classes=None``: the lowest ``max(2, round(0.4 c))`` of the ``c`` classes.
    Raises ValueError unless both sides have at least 2 classes.
    """
    classes = np.unique(np.asarray(labels))
    if classes.size < 4:
        raise ValueError(f"the miniature needs labels with at least 4 classes (2 to learn the "
                         f"descriptors on, 2 to fine-tune on), got {classes.size}.")
    if source_classes is None:
        source = classes[: max(2, int(round(0.4 * classes.size)))]
    else:
        source = np.unique(np.asarray(source_classes, dtype=np.int64))
        unknown = np.setdiff1d(source, classes)
        if unknown.size:
            raise ValueError(f"source_classes {unknown.tolist()} are not classes of the labels.")
    target = np.setdiff1d(classes, source)
    if source.size < 2 or target.size < 2:
        raise ValueError(f"source_classes must leave at least 2 classes on each side, got "
                         f"{source.size} source and {target.size} target classes.")
    return source, target


def train_source_network(X, labels, config: SourceConfig | None = None, seed: int = 0,
                         device: str = "auto", stop: threading.Event | None = None
                         ) -> FeatureEmbedding:
    """A :class:`~mlviz.deep.SmallMLP` trained by cross-entropy on ``(X, labels)``, as the
    embedding ``φθ(x) / ||φθ(x)||`` (:class:`~mlviz.deep.networks.FeatureEmbedding`).

    Adam, ``config.epochs`` passes in seeded batches; inputs standardized per feature on
    ``X``. Returned on the CPU, in training mode. Labels are remapped to ``0..c-1``.
    """
    config = validated_config(config, SourceConfig)
    X = check_features(X).astype(np.float32)
    labels = check_classes(labels, X.shape[0], "labels")
    _, y = np.unique(labels, return_inverse=True)
    net = make_network("mlp", X.shape[1], int(y.max()) + 1, seed, config.embedding_dim,
                       config.hidden)
    net.fit_input_scaling(X)
    dev = pick_device(device)
    run = TrainingRun(net, X, dev, config.lr, 0.0, stop)
    targets = torch.from_numpy(y.astype(np.int64)).to(dev)
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
    run.model.train()
    for _ in run.until_stopped(range(config.epochs)):
        order = rng.permutation(X.shape[0])
        steps = [order[s : s + config.batch_size] for s in range(0, order.size, config.batch_size)]
        for idx in run.until_stopped(run.to_device(steps)):
            run.step(F.cross_entropy(run.model(run.inputs[idx]), targets[idx]))
        run.epoch_losses()
    return FeatureEmbedding(run.model.cpu())


class TransferMiniature:
    """Descriptors learned on source classes, fine-tuned three ways on the target classes.

    Parameters
    ----------
    X : array-like of shape (n, d)
    labels : array-like of int, shape (n,)
        Every point's class: the source classes train the network, the target classes'
        labels serve only the supervised run and the evaluation.
    config : MetricLearningConfig, optional
        The fine-tuning (all three runs); ``positives`` / ``negatives`` are set per run,
        ``negatives`` kept for the manifold run (``"manifold"``: ``S-``, ``"euclidean"``:
        ``X \\ E``).
    source : SourceConfig, optional

    Attributes
    ----------
    source_classes, target_classes : ndarray of int
    target : ndarray of bool, shape (n,)
        The target points, on which the runs train and are evaluated.
    X_target, y_target : ndarray
    """

    def __init__(self, X, labels, config: MetricLearningConfig | None = None,
                 source: SourceConfig | None = None):
        self.config = validated_config(config, MetricLearningConfig)
        self.source = validated_config(source, SourceConfig)
        X = check_features(X).astype(np.float32)
        labels = check_classes(labels, X.shape[0], "labels")
        self.source_classes, self.target_classes = split_classes(labels,
                                                                 self.source.source_classes)
        self.target = np.isin(labels, self.target_classes)
        self.X_target, self.y_target = X[self.target], labels[self.target]
        self._X_source, self._y_source = X[~self.target], labels[~self.target]
        self._network: FeatureEmbedding | None = None
        self._lock = threading.Lock()

    def network(self, stop: threading.Event | None = None) -> FeatureEmbedding:
        """The source network, trained on the first call (thread-safe) and kept."""
        with self._lock:
            if self._network is None:
                with torch_threads(self.config.num_threads):
                    net = train_source_network(self._X_source, self._y_source, self.source,
                                               self.config.seed, self.config.device, stop)
                if stop is not None and stop.is_set():
                    return net  # not kept: a stopped training is not the source network
                self._network = net
            return self._network

    def run(self, kind: str, progress=None, stop: threading.Event | None = None
            ) -> MetricLearningResult:
        """One fine-tuning run on the target points, from the source network.

        ``kind``: ``"manifold"`` (positives ``S+``, negatives from ``config.negatives``),
        ``"euclidean"`` (positives ``E``, negatives ``X \\ E``) or ``"supervised"``.
        ``result.before`` is the initial descriptors' R@k and NMI on the target classes.
        """
        if kind not in RUNS:
            raise ValueError(f"kind must be one of {RUNS}, got {kind!r}.")
        config = self.config
        if kind == "manifold":
            config = replace(config, positives="manifold")
        elif kind == "euclidean":
            config = replace(config, positives="euclidean", negatives="euclidean")
        network = self.network(stop)
        return train_metric_learning(
            self.X_target, config, self.y_target if kind == "supervised" else None,
            y_true=self.y_target, network=network, progress=progress, stop=stop)


def run_miniature(X, labels, config: MetricLearningConfig | None = None,
                  source: SourceConfig | None = None, runs=RUNS
                  ) -> dict[str, MetricLearningResult]:
    """Every run of :class:`TransferMiniature`, by kind; the initial descriptors' figures are
    each result's ``before``."""
    mini = TransferMiniature(X, labels, config, source)
    return {kind: mini.run(kind) for kind in runs}
