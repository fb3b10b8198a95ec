"""What a trained network says of every point: its features and its outputs."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@torch.no_grad()
def extract_features(
    model: nn.Module, inputs, batch_size: int = 1024, device: torch.device | str | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """``φθ(x) / ‖φθ(x)‖`` (float32) and the network output for every input, in eval mode.

    The model's training mode is restored afterwards.

    Parameters
    ----------
    model : SmallCNN, SmallMLP or EmbeddingMLP
    inputs : array-like or tensor
        All the points, in the shape the model takes.
    batch_size : int
        Points per forward pass.
    device : torch.device or str, optional
        Where to run; default the device of the model's parameters.

    Returns
    -------
    features : ndarray of shape (n, d), float32
        Unit rows (a zero row stays zero).
    outputs : ndarray of shape (n, c) or None
        Class logits of a classifier; ``None`` for an :class:`EmbeddingMLP`.
    """
    device = next(model.parameters()).device if device is None else torch.device(device)
    data = inputs if isinstance(inputs, torch.Tensor) else torch.as_tensor(
        np.require(inputs, dtype=np.float32, requirements="W")  # shared data sets are read-only
    )
    was_training = model.training
    model.eval()
    feats, outs = [], []
    is_classifier = hasattr(model, "classifier")
    for start in range(0, data.shape[0], batch_size):
        x = data[start : start + batch_size].to(device, non_blocking=True)
        phi = model.features(x)
        if is_classifier:
            outs.append(model.classifier(phi).float().cpu())
        feats.append(F.normalize(phi.float(), dim=1).cpu())
    model.train(was_training)
    return (
        torch.cat(feats).numpy(),
        torch.cat(outs).numpy() if is_classifier else None,
    )
