"""What each step of deep label propagation trains on: mixed batches, translated images."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F


def shift_images(x: torch.Tensor, gen: torch.Generator, max_shift: int = 1) -> torch.Tensor:
    """Translate each image by up to ``max_shift`` pixels (zero padding), seeded."""
    b, h, w = x.shape
    pad = F.pad(x, (max_shift,) * 4)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, b), generator=gen).to(x.device)
    rows = offsets[0][:, None] + torch.arange(h, device=x.device)[None]
    cols = offsets[1][:, None] + torch.arange(w, device=x.device)[None]
    batch = torch.arange(b, device=x.device)[:, None, None]
    return pad[batch, rows[:, :, None], cols[:, None, :]]


class _Cycler:
    """Endless reshuffled passes over ``indices``, drawn ``size`` at a time."""

    def __init__(self, indices: np.ndarray, rng: np.random.Generator):
        self.indices, self.rng = indices, rng
        self.order = rng.permutation(indices)
        self.pos = 0

    def take(self, size: int) -> np.ndarray:
        out = []
        while size > 0:
            if self.pos == self.order.size:
                self.order, self.pos = self.rng.permutation(self.indices), 0
            part = self.order[self.pos : self.pos + size]
            self.pos += part.size
            size -= part.size
            out.append(part)
        return np.concatenate(out)


class MixedBatches:
    """The steps of an epoch of deep LP, each with its points and their loss weights.

    A step takes ``b_L`` labelled points, cycling over ``L``, and, in a label-propagation
    epoch, ``b_U`` unlabelled ones, one pass over ``U`` per epoch. Weights: ``1 / b_L`` on
    the labelled points, ``|U| ω_i ζ_ŷi / (|L| |B_U|)`` on the unlabelled ones (``B_U`` the
    step's unlabelled points, fewer than ``b_U`` in the last step), for the loss of
    :func:`~mlviz.deep.train_deep_lp`.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
        ``-1`` for unlabelled points.
    batch_size, labelled_per_batch : int
        ``b_L + b_U`` and ``b_L``.
    seed : int
    """

    def __init__(self, labels: np.ndarray, batch_size: int, labelled_per_batch: int, seed: int):
        labelled = np.flatnonzero(labels >= 0)
        self.unlabelled = np.flatnonzero(labels < 0)
        seeds = np.random.SeedSequence(seed).spawn(2)
        self.labelled = _Cycler(labelled, np.random.default_rng(seeds[0]))
        self.unlabelled_rng = np.random.default_rng(seeds[1])
        self.n_labelled = labelled.size
        self.b_l = labelled_per_batch
        self.b_u = batch_size - labelled_per_batch
        self.steps = max(math.ceil(self.unlabelled.size / self.b_u),
                         math.ceil(labelled.size / self.b_l), 1)

    def epoch(self, weights: np.ndarray | None) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each step's point indices and float32 loss weights; ``weights`` (``ω_i ζ_ŷi`` of
        every point) for a label-propagation epoch, None for a supervised one."""
        order = self.unlabelled_rng.permutation(self.unlabelled) if weights is not None else None
        batches, batch_weights = [], []
        for step in range(self.steps):
            batch = self.labelled.take(self.b_l)
            w = np.full(self.b_l, 1.0 / self.b_l, dtype=np.float32)
            if order is not None:
                idx_u = order[step * self.b_u : (step + 1) * self.b_u]
                if idx_u.size:
                    scale = self.unlabelled.size / (self.n_labelled * idx_u.size)
                    batch = np.concatenate([batch, idx_u])
                    w = np.concatenate([w, (scale * weights[idx_u]).astype(np.float32)])
            batches.append(batch)
            batch_weights.append(w)
        return batches, batch_weights
