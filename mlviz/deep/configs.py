"""The settings of the two trainings, deep label propagation and metric learning, checked."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Literal

from mlviz._validation import check_alpha, check_positive_int
from mlviz.deep.devices import check_device_name
from mlviz.deep.networks import check_seed
from mlviz.propagation import check_weighting


def _check_positive(value, name: str, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}.")
    return float(value)


def _check_optimizer(lr, weight_decay) -> None:
    _check_positive(lr, "lr")
    _check_positive(weight_decay, "weight_decay", allow_zero=True)


def _check_run(seed, device, num_threads) -> None:
    check_seed(seed)
    check_device_name(device)
    if num_threads is not None:
        check_positive_int(num_threads, "num_threads")


@dataclass(frozen=True)
class DeepLPConfig:
    """Settings of deep label propagation and of its supervised baseline.

    Attributes
    ----------
    network : {"auto", "cnn", "mlp"}
        ``"auto"``: the CNN for images ``(n, h, w)``, the MLP for vectors ``(n, d)``.
    embedding_dim : int
        Dimension of ``φθ``.
    epochs : int
        Epochs in all, pre-training included.
    warmup_epochs : int
        Supervised pre-training epochs on ``L`` alone before the label-propagation epochs
        (Iscen et al. 2019 pre-train the network on the labelled points first).
    record_features : bool or int
        Keep ``φθ(x)`` in the history: ``True`` (or 1) every epoch, an int ``s`` every
        ``s``-th epoch (the first and last always), ``False`` never. Each costs
        ``n × embedding_dim × 4`` bytes.
    lr, weight_decay : float
        Adam's learning rate and L2 penalty.
    lr_rampdown : bool
        Cosine rampdown of the learning rate, step by step, over ``7/6 × epochs`` (the
        authors' 210 for 180 epochs, ahmetius/LP-DeepSSL ``helpers.adjust_learning_rate``),
        so the last epochs train at about a twentieth of ``lr`` and the final predictions
        settle; see :meth:`learning_rate`. ``False``: ``lr`` throughout.
    batch_size : int
        Points per step; ``labelled_per_batch`` of them labelled, the rest unlabelled (the
        paper samples both in every mini-batch). An epoch is one pass over the unlabelled
        points, labelled batches cycling (or one pass over the labelled points, when that
        takes more steps); pre-training and baseline epochs take as many steps, on the
        labelled batches alone.
    labelled_per_batch : int or None
        ``None``: the weighting's own, 16 under ``"talk"`` (at most half the batch), half the
        batch under ``"authors"`` (their 50 labelled + 50 unlabelled); see
        :meth:`labelled_batch`.
    weighting : {"talk", "authors"}
        The balance of the pseudo-label term against the supervised one
        (:func:`mlviz.propagation.pseudo_labels`, :class:`mlviz.deep.batches.MixedBatches`).
        ``"talk"``: ``ζ_j = (|L_j| + |U_j|)^-1``, labelled points weighted 1, the step's loss
        an unbiased estimate of ``(L_s + L_w) / |L|``. ``"authors"``: as the authors' code
        (ahmetius/LP-DeepSSL): ``ζ`` scaled by ``N / c``, labelled points weighted by ``ζ``,
        ``ω`` divided by its maximum, batches half labelled, the loss the batch mean. The
        default, measured on digits (error on the unlabelled points, 2 / 5 / 10 labels per
        class, 20 epochs): with a constant ``lr`` (3 seeds) 3.8 / 3.8 / 3.4 % against the
        talk's 5.3 / 4.3 / 3.1 %; with ``lr_rampdown`` (5 seeds) a tie, 4.1 / 4.4 / 2.7 %
        against 4.4 / 4.2 / 2.6 % (each gap under a third of the std across seeds).
    augment : bool
        Random translations by up to one pixel of the images (the paper translates too).
    device : {"auto", "cuda", "cpu"}
        See :func:`~mlviz.deep.pick_device`.
    num_threads : int or None
        ``None`` leaves torch's CPU threads as they are. An int sets
        :func:`torch.set_num_threads` for the duration of the run and restores it after;
        the setting is process-wide while the run lasts. On a small shared machine 1 is much
        safer: intra-op threads that wait for busy cores slow every step down.
    k, alpha, gamma : graph and propagation parameters (reciprocal kNN, cosine kernel).
    cg_max_iter : int
        Most CG iterations per propagation.
    seed : int
        Of the network's initial weights, the batches and the augmentation.
    """

    network: Literal["auto", "cnn", "mlp"] = "auto"
    embedding_dim: int = 64

    epochs: int = 20
    warmup_epochs: int = 5
    record_features: bool | int = True

    lr: float = 2e-3
    weight_decay: float = 5e-4
    lr_rampdown: bool = True
    batch_size: int = 64
    labelled_per_batch: int | None = None
    weighting: Literal["talk", "authors"] = "authors"
    augment: bool = True
    device: Literal["auto", "cuda", "cpu"] = "auto"
    num_threads: int | None = None

    k: int = 20
    alpha: float = 0.99
    gamma: float = 3.0
    cg_max_iter: int = 500

    seed: int = 0

    def validate(self) -> DeepLPConfig:
        """Raise ValueError naming the first bad field; return self."""
        check_positive_int(self.epochs, "epochs")
        check_positive_int(self.warmup_epochs, "warmup_epochs", minimum=0)
        _check_optimizer(self.lr, self.weight_decay)
        check_positive_int(self.batch_size, "batch_size", minimum=2)
        check_weighting(self.weighting)
        if not isinstance(self.lr_rampdown, bool):
            raise ValueError(f"lr_rampdown must be True or False, got {self.lr_rampdown!r}.")
        if self.labelled_per_batch is not None:
            check_positive_int(self.labelled_per_batch, "labelled_per_batch")
        if self.labelled_batch() >= self.batch_size:
            raise ValueError(
                f"labelled_per_batch must be smaller than batch_size ({self.batch_size}), "
                f"got {self.labelled_batch()}."
            )
        check_positive_int(self.k, "k")
        check_alpha(self.alpha)
        _check_positive(self.gamma, "gamma")
        if self.network not in ("auto", "cnn", "mlp"):
            raise ValueError(f"network must be 'auto', 'cnn' or 'mlp', got {self.network!r}.")
        check_positive_int(self.embedding_dim, "embedding_dim")
        check_positive_int(self.cg_max_iter, "cg_max_iter")
        _check_run(self.seed, self.device, self.num_threads)
        if not isinstance(self.record_features, bool):
            check_positive_int(self.record_features, "record_features")
        return self

    def learning_rate(self, epoch: float) -> float:
        """The learning rate at fractional epoch ``epoch`` (0 at the start of the run).

        .. math:: \\eta(t) = \\eta_0 \\cdot \\tfrac12\\left(1 + \\cos\\frac{\\pi t}{T}\\right),
                  \\qquad T = \\tfrac76 E

        with ``E = epochs`` (Loshchilov, Hutter, SGDR, ICLR 2017, one cycle, as the authors'
        code), or ``η_0 = lr`` throughout when ``lr_rampdown`` is off.
        """
        if not self.lr_rampdown:
            return float(self.lr)
        t = min(max(float(epoch), 0.0), float(self.epochs))
        return float(self.lr) * 0.5 * (1.0 + math.cos(math.pi * t / (7.0 / 6.0 * self.epochs)))

    def labelled_batch(self) -> int:
        """``b_L``: ``labelled_per_batch``, or the weighting's own when it is ``None``."""
        if self.labelled_per_batch is not None:
            return int(self.labelled_per_batch)
        half = max(self.batch_size // 2, 1)
        return half if self.weighting == "authors" else min(16, half)

    def records_features(self, epoch: int) -> bool:
        """Whether the 0-based ``epoch`` keeps its features (see ``record_features``)."""
        if self.record_features is False:
            return False
        every = 1 if self.record_features is True else int(self.record_features)
        return epoch % every == 0 or epoch == self.epochs - 1


@dataclass(frozen=True)
class MetricLearningConfig:
    """Settings of metric learning on mined (or labelled) triplets.

    Attributes
    ----------
    epochs : int
    lr, weight_decay : float
        Adam.
    batch_size : int
        Triplets per step.
    margin : float
        ``m`` of the triplet loss on unit vectors (squared distances lie in [0, 4]).
    k, gamma, alpha : graph and diffusion parameters of the mining (reciprocal kNN, cosine
        kernel).
    k_euclidean, k_manifold : int
        Sizes of ``E(x)`` (ranked by cosine similarity of the initial descriptors, the
        graph's space) and ``M(x)``. Equal by default, as in the authors' code
        (github.com/gtolias/mom: 50 and 50 for positives): with ``|M|`` much larger than
        ``|E|``, ``M`` swallows ``E`` and ``S-`` is nearly empty (digits, k = 10: 10 / 50
        leaves 68% of anchors without a hard negative, 50 / 50 none).
    positives : {"manifold", "euclidean"}
        Draw positives from the hard positives ``S+ = M \\ E`` (mining on manifolds) or from
        the Euclidean neighbours ``E`` (the baseline the talk compares with).
    negatives : {"manifold", "euclidean"}
        Draw negatives from the hard negatives ``S- = E \\ M`` or from the Euclidean
        non-neighbours ``X \\ E``. Both options ignore labels; the supervised version
        ignores these two settings.
    n_anchors : int
        Anchors sampled (at most ``n``).
    embedding_dim, hidden : int
        Sizes of :class:`EmbeddingMLP`.
    seed : int
    device : {"auto", "cuda", "cpu"}
    num_threads : int or None
        As in :class:`DeepLPConfig`.
    """

    epochs: int = 30
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 128
    margin: float = 0.2

    k: int = 10
    gamma: float = 3.0
    alpha: float = 0.99
    k_euclidean: int = 50
    k_manifold: int = 50

    positives: Literal["manifold", "euclidean"] = "manifold"
    negatives: Literal["manifold", "euclidean"] = "manifold"
    n_anchors: int = 2000

    embedding_dim: int = 64
    hidden: int = 128

    seed: int = 0
    device: Literal["auto", "cuda", "cpu"] = "auto"
    num_threads: int | None = None

    def validate(self) -> MetricLearningConfig:
        """Raise ValueError naming the first bad field; return self."""
        check_positive_int(self.epochs, "epochs")
        _check_optimizer(self.lr, self.weight_decay)
        check_positive_int(self.batch_size, "batch_size")
        _check_positive(self.margin, "margin")
        check_positive_int(self.k, "k")
        _check_positive(self.gamma, "gamma")
        check_alpha(self.alpha)
        check_positive_int(self.k_euclidean, "k_euclidean")
        check_positive_int(self.k_manifold, "k_manifold")
        for name in ("positives", "negatives"):
            if getattr(self, name) not in ("manifold", "euclidean"):
                raise ValueError(
                    f"{name} must be 'manifold' or 'euclidean', got {getattr(self, name)!r}."
                )
        check_positive_int(self.n_anchors, "n_anchors")
        check_positive_int(self.embedding_dim, "embedding_dim")
        check_positive_int(self.hidden, "hidden")
        _check_run(self.seed, self.device, self.num_threads)
        return self
