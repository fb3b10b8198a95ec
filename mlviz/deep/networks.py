"""The small networks trained here, their input scaling, and a seeded way to make them."""

from __future__ import annotations

import numbers
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mlviz._validation import check_positive_int

NetworkKind = Literal["cnn", "mlp", "embedding"]
NETWORKS: tuple[str, ...] = ("cnn", "mlp", "embedding")
"""``"cnn"``: :class:`SmallCNN` on images; ``"mlp"``: :class:`SmallMLP` on vectors (both
classifiers); ``"embedding"``: :class:`EmbeddingMLP` for metric learning."""


def check_seed(seed) -> int:
    """Return ``seed`` as an int after checking it is a non-negative integer."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    return int(seed)


def check_network_kind(kind: str) -> str:
    """Return ``kind`` after checking it is one of :data:`NETWORKS`."""
    if kind not in NETWORKS:
        raise ValueError(f"kind must be one of {NETWORKS}, got {kind!r}.")
    return kind


class _Scaled(nn.Module):
    """Input standardization kept in buffers, so that a saved model carries it."""

    def _init_scaling(self, shape: tuple[int, ...]) -> None:
        self.register_buffer("input_mean", torch.zeros(shape))
        self.register_buffer("input_scale", torch.ones(shape))

    def set_input_scaling(self, mean, scale) -> None:
        """Inputs are mapped to ``(x - mean) / scale`` before the first layer."""
        mean_t = torch.as_tensor(np.asarray(mean, dtype=np.float32)).reshape(self.input_mean.shape)
        scale_t = torch.as_tensor(np.asarray(scale, dtype=np.float32)).reshape(
            self.input_scale.shape
        )
        if not torch.all(scale_t > 0):
            raise ValueError("scale must be positive.")
        self.input_mean.copy_(mean_t)
        self.input_scale.copy_(scale_t)

    def _scale(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.input_mean) / self.input_scale


def _conv_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()
    )


class SmallCNN(_Scaled):
    """A small convolutional classifier for one-channel ``h × w`` images (8×8 digits).

    ``φθ``: conv(32)–conv(32)–max-pool (when ``h, w >= 4``)–conv(64), each 3×3 with batch
    norm and ReLU, average-pooled to at most 4×4, flattened, then FC–BN–ReLU to
    ``embedding_dim``; ``fθ``: one FC layer to the ``c`` class logits (the softmax is in the
    loss), as in Iscen et al., "Label propagation for deep semi-supervised learning",
    CVPR 2019.

    Parameters
    ----------
    image_shape : (h, w)
    n_classes : int
    embedding_dim : int
        ``d``, the dimension of ``φθ(x)``.
    """

    def __init__(self, image_shape: tuple[int, int], n_classes: int, embedding_dim: int = 64):
        super().__init__()
        h, w = (int(s) for s in image_shape)
        self.image_shape = (h, w)
        layers: list[nn.Module] = [_conv_block(1, 32), _conv_block(32, 32)]
        if min(h, w) >= 4:
            layers.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
        layers += [_conv_block(32, 64), nn.AdaptiveAvgPool2d((min(h, 4), min(w, 4))), nn.Flatten()]
        self.body = nn.Sequential(*layers)
        self.embed = nn.Sequential(
            nn.Linear(64 * min(h, 4) * min(w, 4), embedding_dim, bias=False),
            nn.BatchNorm1d(embedding_dim),
            nn.ReLU(),
        )
        self.classifier = nn.Linear(embedding_dim, n_classes)
        self._init_scaling(())

    def fit_input_scaling(self, images: np.ndarray) -> None:
        """Standardize by the mean and standard deviation of all pixels of ``images``."""
        self.set_input_scaling(np.asarray(images.mean()), np.asarray(max(float(images.std()), 1e-6)))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``φθ(x)`` of shape (batch, embedding_dim), not normalized."""
        if x.ndim == 3:
            x = x.unsqueeze(1)
        return self.embed(self.body(self._scale(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``FC(φθ(x))``."""
        return self.classifier(self.features(x))


class SmallMLP(_Scaled):
    """A small classifier for descriptor vectors.

    ``φθ``: FC(``hidden``)–BN–ReLU–FC(``embedding_dim``)–BN–ReLU; ``fθ``: one FC layer to the
    class logits. Inputs are standardized per feature.
    """

    def __init__(self, input_dim: int, n_classes: int, embedding_dim: int = 64, hidden: int = 256):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(input_dim, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(),
            nn.Linear(hidden, embedding_dim, bias=False), nn.BatchNorm1d(embedding_dim), nn.ReLU(),
        )
        self.classifier = nn.Linear(embedding_dim, n_classes)
        self._init_scaling((input_dim,))

    def fit_input_scaling(self, X: np.ndarray) -> None:
        """Standardize each feature by its mean and standard deviation over ``X`` (a constant
        feature is only centred)."""
        std = X.std(axis=0)
        self.set_input_scaling(X.mean(axis=0), np.where(std > 1e-6, std, 1.0))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``φθ(x)`` of shape (batch, embedding_dim), not normalized."""
        return self.body(self._scale(x.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``FC(φθ(x))``."""
        return self.classifier(self.features(x))


class EmbeddingMLP(_Scaled):
    """A residual MLP embedding for metric learning, starting from the given descriptors.

    .. math:: e(x) = \\frac{P\\tilde{x} + g(\\tilde{x})}{\\|P\\tilde{x} + g(\\tilde{x})\\|},
              \\qquad g = \\mathrm{FC}\\circ\\mathrm{ReLU}\\circ\\mathrm{FC},

    with :math:`\\tilde{x}` the scaled input (:meth:`start_from`), :math:`P` a linear map set
    to the identity (or the top principal directions, :meth:`start_from`) and the last layer
    of :math:`g` zero at start. The untrained network is thus the (projected, normalized)
    input descriptor itself, as fine-tuning a pre-trained network starts from its
    descriptors (Iscen et al., "Mining on manifolds: metric learning without labels",
    CVPR 2018).
    """

    def __init__(self, input_dim: int, embedding_dim: int = 64, hidden: int = 128):
        super().__init__()
        self.projection = nn.Linear(input_dim, embedding_dim, bias=False)
        self.residual = nn.Sequential(
            nn.Linear(input_dim, hidden), nn.ReLU(), nn.Linear(hidden, embedding_dim)
        )
        with torch.no_grad():
            self.projection.weight.copy_(torch.eye(embedding_dim, input_dim))
            self.residual[-1].weight.zero_()
            self.residual[-1].bias.zero_()
        self._init_scaling((input_dim,))

    def set_projection(self, components) -> None:
        """Set ``P`` (rows: orthonormal directions, e.g. principal components)."""
        comp = torch.as_tensor(np.asarray(components, dtype=np.float32))
        if comp.shape != self.projection.weight.shape:
            raise ValueError(
                f"components must have shape {tuple(self.projection.weight.shape)}, "
                f"got {tuple(comp.shape)}."
            )
        with torch.no_grad():
            self.projection.weight.copy_(comp)

    def start_from(self, X: np.ndarray) -> None:
        """Centre the inputs on the mean of ``X`` and divide them by its root mean square
        deviation (one scale for all features); when ``X`` has more features than the
        embedding, set ``P`` to its top principal directions."""
        mean = X.mean(axis=0)
        centred = X - mean
        scale = float(np.sqrt(np.mean(centred**2))) or 1.0
        self.set_input_scaling(mean, np.full(X.shape[1], scale))
        if X.shape[1] > self.projection.out_features:
            _, _, Vt = np.linalg.svd(centred / scale, full_matrices=False)
            self.set_projection(Vt[: self.projection.out_features])

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``P x̃ + g(x̃)``, not normalized."""
        z = self._scale(x.flatten(1))
        return self.projection(z) + self.residual(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The L2-normalized embedding ``e(x)``."""
        return F.normalize(self.features(x), dim=1)


class FeatureEmbedding(nn.Module):
    """A classifier's feature map used as an embedding: ``e(x) = φθ(x) / ||φθ(x)||``.

    The way a network trained for one task gives the starting descriptors of another: the
    talk's CUB-200 experiment fine-tunes GoogLeNet, trained on ImageNet classes, on birds
    it never saw (Iscen, Tolias, Avrithis, Chum, "Mining on manifolds: metric learning
    without labels", CVPR 2018). The classifier's last layer ``fθ`` is dropped; its weights
    are shared, not copied.

    Parameters
    ----------
    classifier : SmallMLP or SmallCNN
        Anything with ``features(x)``.
    """

    def __init__(self, classifier: nn.Module):
        super().__init__()
        if not callable(getattr(classifier, "features", None)):
            raise ValueError("classifier must have a features(x) method (SmallMLP, SmallCNN).")
        self.body = classifier

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``φθ(x)``, not normalized."""
        return self.body.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The L2-normalized embedding ``e(x)``."""
        return F.normalize(self.features(x), dim=1)


def _check_input_shape(kind: str, input_shape) -> tuple[int, ...]:
    shape = (input_shape,) if isinstance(input_shape, numbers.Integral) else tuple(input_shape)
    if not shape or not all(isinstance(s, numbers.Integral) and s >= 1 for s in shape):
        raise ValueError(f"input_shape must be positive integers, got {input_shape!r}.")
    if kind == "cnn":
        if len(shape) == 3 and shape[0] == 1:
            shape = shape[1:]
        if len(shape) != 2:
            raise ValueError(
                f"input_shape of a 'cnn' must be (h, w) or (1, h, w), got {input_shape!r}."
            )
        return tuple(int(s) for s in shape)
    return (int(np.prod(shape)),)


def make_network(
    kind: NetworkKind,
    input_shape,
    n_classes: int,
    seed: int = 0,
    embedding_dim: int = 64,
    hidden: int | None = None,
) -> nn.Module:
    """A freshly initialized network, seeded (the global torch RNG is left as it was).

    Parameters
    ----------
    kind : {"cnn", "mlp", "embedding"}
        :class:`SmallCNN`, :class:`SmallMLP` or :class:`EmbeddingMLP`.
    input_shape : int or tuple
        ``(h, w)`` for the CNN, the descriptor dimension (or any shape, flattened) otherwise.
    n_classes : int
        ``c``, at least 1; ignored by ``"embedding"``.
    seed : int
    embedding_dim : int
        ``d`` of ``φθ`` (of ``e`` for ``"embedding"``).
    hidden : int, optional
        Width of the hidden layer of the MLPs (256 for ``"mlp"``, 128 for ``"embedding"``);
        ignored by the CNN.

    Returns
    -------
    torch.nn.Module
        In training mode, on the CPU, with identity input scaling.
    """
    check_network_kind(kind)
    shape = _check_input_shape(kind, input_shape)
    embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
    if kind != "embedding":
        n_classes = check_positive_int(n_classes, "n_classes")
    seed = check_seed(seed)
    if hidden is None:
        hidden = 256 if kind == "mlp" else 128
    hidden = check_positive_int(hidden, "hidden")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if kind == "cnn":
            return SmallCNN(shape, n_classes, embedding_dim)  # type: ignore[arg-type]
        if kind == "mlp":
            return SmallMLP(shape[0], n_classes, embedding_dim, hidden)
        return EmbeddingMLP(shape[0], embedding_dim, hidden)


def classifier_inputs(inputs, network: str) -> tuple[np.ndarray, str, tuple[int, ...]]:
    """Check ``inputs`` and match them to a classifier.

    Parameters
    ----------
    inputs : array-like of shape (n, h, w), (n, 1, h, w) or (n, d)
    network : {"auto", "cnn", "mlp"}
        ``"auto"``: the CNN for images, the MLP for vectors.

    Returns
    -------
    data : ndarray of float32
        Images ``(n, h, w)`` for the CNN, vectors ``(n, d)`` (images flattened) for the MLP.
    kind : {"cnn", "mlp"}
    input_shape : tuple
        ``data.shape[1:]``.
    """
    try:
        arr = np.asarray(inputs)
    except Exception as exc:
        raise ValueError(f"inputs must be a numeric array: {exc}") from None
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"inputs must be numeric, got dtype {arr.dtype}.")
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"inputs must be vectors (n, d) or one-channel images (n, h, w), got shape {arr.shape}."
        )
    if arr.shape[0] < 2 or 0 in arr.shape:
        raise ValueError(f"inputs needs at least 2 non-empty samples, got shape {arr.shape}.")
    arr = arr.astype(np.float32)
    if not np.all(np.isfinite(arr)):
        raise ValueError("inputs contains NaN or infinite values; remove or impute them first.")
    kind = network if network != "auto" else ("cnn" if arr.ndim == 3 else "mlp")
    if kind == "cnn" and arr.ndim != 3:
        raise ValueError(
            "network 'cnn' needs images of shape (n, h, w); got vectors. Use network='mlp'."
        )
    if kind == "mlp":
        arr = arr.reshape(arr.shape[0], -1)
    return arr, kind, tuple(arr.shape[1:])
