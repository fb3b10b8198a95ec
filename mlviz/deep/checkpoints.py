"""Saving trained weights and loading them back into a network."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping

import torch
from torch import nn

from mlviz.deep.networks import NetworkKind, check_network_kind, make_network


def save_model(model: nn.Module | Mapping[str, torch.Tensor], path_or_buffer) -> None:
    """Save the weights (``state_dict``) of ``model`` with :func:`torch.save`.

    ``model`` may be a network or a state dict (e.g. ``DeepLPHistory.state_dict``);
    ``path_or_buffer`` a path or a writable binary file object.
    """
    if isinstance(model, nn.Module):
        state = model.state_dict()
    elif isinstance(model, Mapping):
        state = dict(model)
    else:
        raise ValueError(f"model must be a torch module or a state dict, got {type(model).__name__}.")
    torch.save({k: v.detach().cpu() for k, v in state.items()}, path_or_buffer)


def load_model(kind: NetworkKind, input_shape, n_classes: int, buffer) -> nn.Module:
    """A network of ``kind`` with the weights saved by :func:`save_model`, in eval mode.

    The file is read with ``torch.load(..., weights_only=True)`` (tensors only, no code).
    ``buffer`` is a path, ``bytes`` or a readable binary file object. The embedding dimension
    is read from the saved weights.

    Raises
    ------
    ValueError
        If ``buffer`` is not a saved state dict, or its weights do not fit the network.
    """
    check_network_kind(kind)
    if isinstance(buffer, bytes | bytearray):
        buffer = io.BytesIO(bytes(buffer))
    if isinstance(buffer, str | os.PathLike) and not os.path.isfile(buffer):
        raise ValueError(f"buffer: no model file at {os.fspath(buffer)!r}.")
    try:
        state = torch.load(buffer, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(
            "buffer is not a model saved by mlviz: it could not be read as a file of tensors "
            f"({type(exc).__name__}). Only weights saved with save_model load here."
        ) from None
    if not isinstance(state, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ValueError("buffer does not hold a state dict (a mapping of names to tensors).")
    key = "projection.weight" if kind == "embedding" else "classifier.weight"
    if key not in state or state[key].ndim != 2:
        raise ValueError(f"buffer does not hold the weights of a {kind!r} network (no {key!r}).")
    embedding_dim = int(state[key].shape[0 if kind == "embedding" else 1])
    first = {"mlp": "body.0.weight", "embedding": "residual.0.weight"}.get(kind)
    hidden = int(state[first].shape[0]) if first in state else None
    model = make_network(kind, input_shape, n_classes, 0, embedding_dim, hidden)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first_line = str(exc).splitlines()[1].strip() if "\n" in str(exc) else str(exc)[:120]
        raise ValueError(
            f"buffer holds weights that do not fit a {kind!r} network with input_shape="
            f"{input_shape!r} and n_classes={n_classes}: they were saved for another "
            f"network or data set ({first_line[:120]})."
        ) from None
    return model.eval()
