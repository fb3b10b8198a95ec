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


class WeightsMismatch(ValueError):
    """Network weights that do not fit the network this data set needs."""


_NETWORK_WORDS = {"cnn": "a small CNN", "mlp": "an MLP", "embedding": "an embedding network"}


def _network_words(kind: str, inputs: int | tuple | None, n_classes: int | None) -> str:
    """``an MLP with 64 inputs and 10 classes``, ``a small CNN on 8×8 images with 10 classes``."""
    words, joint = _NETWORK_WORDS[kind], "with"
    if isinstance(inputs, tuple):
        words += f" on {'×'.join(map(str, inputs))} images"
    elif inputs is not None:
        words, joint = words + f" with {inputs} inputs", "and"
    if n_classes is not None and kind != "embedding":
        words += f" {joint} {n_classes} classes"
    return words


def _saved(state: Mapping[str, torch.Tensor]) -> tuple[str | None, int | None, int | None]:
    """The kind, number of inputs and classes of the network ``state`` is for, where they show."""
    first = None
    if "body.0.0.weight" in state:
        kind = "cnn"
    elif "body.0.weight" in state:
        kind, first = "mlp", state["body.0.weight"]
    elif "projection.weight" in state:
        kind, first = "embedding", state.get("residual.0.weight")
    else:
        return None, None, None
    inputs = int(first.shape[1]) if first is not None and first.ndim == 2 else None
    head = state.get("classifier.weight")
    n_classes = int(head.shape[0]) if head is not None and head.ndim == 2 else None
    return kind, inputs, n_classes


def load_model(kind: NetworkKind, input_shape, n_classes: int, buffer,
               name: str = "the file") -> nn.Module:
    """A network of ``kind`` with the weights saved by :func:`save_model`, in eval mode.

    The file is read with ``torch.load(..., weights_only=True)`` (tensors only, no code).
    ``buffer`` is a path, ``bytes`` or a readable binary file object; ``name`` is how the
    messages call it. The embedding dimension is read from the saved weights.

    Raises
    ------
    WeightsMismatch
        If ``buffer`` holds network weights that do not fit this network (another data set's);
        the message says what they are for and what is needed.
    ValueError
        If ``buffer`` is not a file of network weights.
    """
    check_network_kind(kind)
    if isinstance(buffer, bytes | bytearray):
        buffer = io.BytesIO(bytes(buffer))
    if isinstance(buffer, str | os.PathLike) and not os.path.isfile(buffer):
        raise ValueError(f"{name}: there is no file at {os.fspath(buffer)!r}.")
    not_weights = f"{name} is not a file of network weights"
    try:
        state = torch.load(buffer, map_location="cpu", weights_only=True)
    except Exception:
        raise ValueError(f"{not_weights} (it could not be read as one).") from None
    if not isinstance(state, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ValueError(f"{not_weights} (it holds something other than named tensors).")
    shape = tuple(input_shape) if isinstance(input_shape, tuple | list) else (int(input_shape),)
    n_inputs = int(torch.Size(shape).numel())
    needed = _network_words(kind, shape if kind == "cnn" else n_inputs, n_classes)
    saved_kind, saved_inputs, saved_classes = _saved(state)
    if saved_kind is None:
        raise ValueError(f"{not_weights} saved by this app (none of its layers are those of "
                         "an MLP, a CNN or an embedding network).")
    saved = f"{name} holds the weights of {_network_words(saved_kind, saved_inputs, saved_classes)}"
    if (saved_kind != kind or saved_inputs not in (None, n_inputs)
            or (kind != "embedding" and saved_classes != n_classes)):
        raise WeightsMismatch(f"{saved}; the current data set needs {needed}.")
    key = "projection.weight" if kind == "embedding" else "classifier.weight"
    embedding_dim = int(state[key].shape[0 if kind == "embedding" else 1])
    first = {"mlp": "body.0.weight", "embedding": "residual.0.weight"}.get(kind)
    hidden = int(state[first].shape[0]) if first in state else None
    model = make_network(kind, input_shape, n_classes, 0, embedding_dim, hidden)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError:
        raise WeightsMismatch(f"{saved}, of other sizes than the current data set needs "
                              f"({needed}).") from None
    return model.eval()
