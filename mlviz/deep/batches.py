"""What each step of deep label propagation trains on: mixed batches, translated images."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from mlviz.propagation import check_weighting


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
    epoch, ``b_U`` unlabelled ones, one pass over ``U`` per epoch (as the authors'
    ``TwoStreamBatchSampler``, ahmetius/LP-DeepSSL ``mean_teacher/data.py``, with ``U``
    primary). The step's loss is ``Σ_i v_i ℓ_s(f(x_i), t_i)`` over its points, with ``v_i``
    from the point weights ``w_i`` of :func:`mlviz.propagation.pseudo_labels`:

    - ``normalization="talk"``: ``v_i = 1 / b_L`` on the labelled points and
      ``v_i = |U| w_i / (|L| |B_U|)`` on the unlabelled ones (``B_U`` the step's unlabelled
      points, fewer than ``b_U`` in the last step), an unbiased estimate of
      ``(L_s + L_w) / |L|`` (see :func:`~mlviz.deep.train_deep_lp`);
    - ``normalization="authors"``: ``v_i = w_i / (b_L + |B_U|)`` on every point, the mean
      over the batch of the weighted cross-entropy (``helpers.train`` there), with the
      labelled points' ``w_i = ζ_yi``.

    In a supervised epoch (``weights=None``) ``v_i = 1 / b_L``: the mean cross-entropy on
    the labelled batch.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
        ``-1`` for unlabelled points.
    batch_size, labelled_per_batch : int
        ``b_L + b_U`` and ``b_L``.
    seed : int
    normalization : {"talk", "authors"}
    """

    def __init__(self, labels: np.ndarray, batch_size: int, labelled_per_batch: int, seed: int,
                 normalization: str = "talk"):
        self.normalization = check_weighting(normalization)
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
        """Each step's point indices (its ``b_L`` labelled points first) and float32 loss
        weights ``v_i``; ``weights`` (``w_i`` of every point) for a label-propagation epoch,
        None for a supervised one."""
        order = self.unlabelled_rng.permutation(self.unlabelled) if weights is not None else None
        batches, batch_weights = [], []
        for step in range(self.steps):
            batch = self.labelled.take(self.b_l)
            w = np.full(self.b_l, 1.0 / self.b_l, dtype=np.float32)
            if order is not None:
                idx_u = order[step * self.b_u : (step + 1) * self.b_u]
                if self.normalization == "authors":
                    together = np.concatenate([batch, idx_u])
                    batch, w = together, (weights[together] / together.size).astype(np.float32)
                elif idx_u.size:
                    scale = self.unlabelled.size / (self.n_labelled * idx_u.size)
                    batch = np.concatenate([batch, idx_u])
                    w = np.concatenate([w, (scale * weights[idx_u]).astype(np.float32)])
            batches.append(batch)
            batch_weights.append(w)
        return batches, batch_weights


def weight_ratio(step_weights: list[np.ndarray], n_labelled: int) -> float:
    """How much the pseudo-labels weigh against the labels in a step, before the losses.

    .. math:: \\frac{1}{S} \\sum_{s=1}^{S}
              \\frac{\\sum_{i \\in B_U^s} v_i}{\\sum_{i \\in B_L^s} v_i}

    over the ``S`` steps of :meth:`MixedBatches.epoch` (the first ``n_labelled`` weights of a
    step being its labelled points'). Under ``"talk"`` it is about ``c ω̄ / |L|`` (0.07 to
    0.09 measured on digits with 10 labels per class), under ``"authors"`` about
    ``ω̄ / max ω`` (0.87 to 0.94 there). ``nan`` for no steps; 0 for a supervised epoch.
    """
    ratios = [float(w[n_labelled:].sum()) / float(w[:n_labelled].sum())
              for w in step_weights if w[:n_labelled].sum() > 0]
    return float(np.mean(ratios)) if ratios else float("nan")
