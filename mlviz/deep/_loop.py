"""What the two training loops share: checks, Adam on all points on one device, stops.

Deep label propagation (:mod:`mlviz.deep.label_propagation`) and metric learning
(:mod:`mlviz.deep.metric_learning`) train the same way: a seeded network and all the points
on the chosen device, Adam, one copy of an epoch's batches to the device, steps checked
against a ``stop`` event, step losses read back once per epoch, and the final weights copied
to the CPU.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

from mlviz.deep.features import extract_features
from mlviz.propagation import check_labels

Progress = Callable[[int, Any], None]
"""``progress(epoch, partial_result)``, called after each epoch (1-based)."""

Config = TypeVar("Config")
Item = TypeVar("Item")


def validated_config(config: Config | None, config_type: type[Config]) -> Config:
    """``config`` (default ``config_type()``) after its own ``validate()``."""
    config = config if config is not None else config_type()
    if not isinstance(config, config_type):
        raise ValueError(f"config must be a {config_type.__name__}, got {type(config).__name__}.")
    return config.validate()  # type: ignore[attr-defined]


def check_callbacks(progress, stop, result_name: str) -> None:
    """Check ``progress`` is callable as ``progress(epoch, result_name)`` and ``stop`` an Event."""
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be callable as progress(epoch, {result_name}).")
    if stop is not None and not hasattr(stop, "is_set"):
        raise ValueError("stop must be a threading.Event (or have is_set()).")


def check_classes(labels, n: int, name: str) -> np.ndarray:
    """``labels`` as int64 after checking they give a class (``>= 0``) to each of ``n`` points."""
    labels = check_labels(labels, n, name)
    if labels.min() < 0:
        raise ValueError(f"{name} must give a class (>= 0) for every point.")
    return labels


class TrainingRun:
    """A network trained by Adam on points held on one device, until done or stopped.

    Parameters
    ----------
    model : torch.nn.Module
        Moved to ``device``.
    inputs : ndarray of float32
        All the points (training is transductive), copied to ``device`` once.
    device : torch.device
    lr, weight_decay : float
        Adam's settings.
    stop : threading.Event, optional
        Once set, :meth:`until_stopped` yields nothing more.
    """

    def __init__(
        self,
        model: nn.Module,
        inputs: np.ndarray,
        device: torch.device,
        lr: float,
        weight_decay: float,
        stop: threading.Event | None = None,
    ):
        self.device = device
        self.model = model.to(device)
        self.optimizer = torch.optim.Adam(
            self.model.parameters(), lr=lr, weight_decay=weight_decay, fused=True
        )
        self.inputs = torch.from_numpy(np.require(inputs, requirements="W")).to(device)
        self.stop = stop
        self._step_losses: list[torch.Tensor] = []

    def stopped(self) -> bool:
        """Whether ``stop`` is set."""
        return self.stop is not None and self.stop.is_set()

    def until_stopped(self, items: Iterable[Item]) -> Iterator[Item]:
        """The items (epochs, steps) one by one, checking ``stop`` before each."""
        for item in items:
            if self.stopped():
                return
            yield item

    def to_device(self, parts: list[np.ndarray]) -> tuple[torch.Tensor, ...]:
        """The arrays of an epoch's steps on the device, in one copy, not one per step."""
        joined = torch.from_numpy(np.concatenate(parts)).to(self.device)
        return joined.split([part.size for part in parts])

    def step(self, loss: torch.Tensor) -> None:
        """One Adam step on ``loss``; the loss is kept on the device for :meth:`epoch_losses`."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self._step_losses.append(loss.detach())

    def epoch_losses(self) -> torch.Tensor:
        """The losses of the steps since the last call, as float64 on the device.

        Reading them once per epoch spares a device synchronization per step.
        """
        losses, self._step_losses = self._step_losses, []
        if not losses:
            return torch.empty(0, dtype=torch.float64, device=self.device)
        return torch.stack(losses).double()

    def features(self) -> tuple[np.ndarray, np.ndarray | None]:
        """:func:`~mlviz.deep.extract_features` of all the points."""
        return extract_features(self.model, self.inputs)

    def cpu_state_dict(self) -> dict[str, torch.Tensor]:
        """A copy of the weights on the CPU."""
        return {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}
