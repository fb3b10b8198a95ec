"""The two training losses: weighted cross-entropy on pseudo-labels, and the triplet loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mlviz.propagation import UNLABELLED


def weighted_pseudo_label_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    weights: torch.Tensor,
    normalizer: float | None = None,
) -> torch.Tensor:
    """The weighted cross-entropy of deep label propagation.

    .. math:: \\frac{1}{\\nu} \\sum_i w_i\\, \\ell_s(f(x_i), t_i), \\qquad
              \\ell_s(s, y) = -\\log \\mathrm{softmax}(s)_y.

    With :math:`w_i = 1` on labelled and :math:`\\omega_i \\zeta_{\\hat{y}_i}` on
    unlabelled points (:func:`mlviz.propagation.pseudo_labels`) this is
    :math:`(L_s + L_w) / \\nu` over the points given (Iscen, Tolias, Avrithis, Chum, "Label
    propagation for deep semi-supervised learning", CVPR 2019). A target ``-1`` (no
    pseudo-label) contributes nothing.

    Parameters
    ----------
    logits : tensor of shape (b, c)
    targets : tensor of int, shape (b,)
    weights : tensor of shape (b,)
        Non-negative.
    normalizer : float, optional
        :math:`\\nu`; default ``b``, the batch size.

    Returns
    -------
    tensor
        A scalar.
    """
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (b, c), got {tuple(logits.shape)}.")
    b = logits.shape[0]
    if targets.shape != (b,):
        raise ValueError(f"targets must have shape ({b},), got {tuple(targets.shape)}.")
    if weights.shape != (b,):
        raise ValueError(f"weights must have shape ({b},), got {tuple(weights.shape)}.")
    if normalizer is None:
        normalizer = float(max(b, 1))
    elif not normalizer > 0:
        raise ValueError(f"normalizer must be positive, got {normalizer}.")
    ce = F.cross_entropy(logits, targets.long(), reduction="none", ignore_index=UNLABELLED)
    return (weights.to(ce.dtype) * ce).sum() / normalizer


def loss_terms(
    logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor, n_labelled: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The supervised and the pseudo-label term of a step's loss, the first ``n_labelled``
    points of the batch being the labelled ones.

    .. math:: T_s = \\sum_{i < b_L} v_i\\, \\ell_s(f(x_i), y_i), \\qquad
              T_w = \\sum_{i \\geq b_L} v_i\\, \\ell_s(f(x_i), \\hat{y}_i),

    so that :func:`weighted_pseudo_label_loss` with ``normalizer=1`` is ``T_s + T_w``; the
    ratio ``T_w / T_s`` is how much the pseudo-labels count against the labels in a step
    (the balance that ``weighting`` sets, :class:`~mlviz.deep.DeepLPConfig`).

    Returns
    -------
    (tensor, tensor)
        Two scalars, ``T_s`` and ``T_w`` (``T_w = 0`` in a batch of labelled points only).
    """
    if not 0 <= n_labelled <= logits.shape[0]:
        raise ValueError(f"n_labelled must be in [0, {logits.shape[0]}], got {n_labelled}.")
    ce = F.cross_entropy(logits, targets.long(), reduction="none", ignore_index=UNLABELLED)
    weighted = weights.to(ce.dtype) * ce
    return weighted[:n_labelled].sum(), weighted[n_labelled:].sum()


def triplet_loss(
    anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float
) -> torch.Tensor:
    """The triplet loss on a batch of (anchor, positive, negative) embeddings.

    .. math:: \\frac{1}{b} \\sum_i \\max(0,\\ m + \\|a_i - p_i\\|^2 - \\|a_i - n_i\\|^2)

    (Schroff, Kalenichenko, Philbin, "FaceNet", CVPR 2015; the loss of Iscen, Tolias, Avrithis,
    Chum, "Mining on manifolds: metric learning without labels", CVPR 2018, on CUB-200).

    Parameters
    ----------
    anchor, positive, negative : tensor of shape (b, d)
    margin : float
        :math:`m`.

    Returns
    -------
    tensor
        A scalar.
    """
    d_pos = (anchor - positive).pow(2).sum(1)
    d_neg = (anchor - negative).pow(2).sum(1)
    return F.relu(margin + d_pos - d_neg).mean()
