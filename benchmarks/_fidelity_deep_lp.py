"""Deep label propagation against its two baselines on digits, over seeds.

The talk's "classification error on CIFAR10" table (Iscen, Tolias, Avrithis, Chum, "Label
propagation for deep semi-supervised learning", CVPR 2019) in miniature: scikit-learn's
digits (1,797 8×8 images, 10 classes), 2, 5 and 10 labels per class, the error against the
true classes of the unlabelled points of

- the supervised baseline: :func:`mlviz.deep.train_supervised`, the same network, seed and
  steps as deep LP, on the labelled points alone;
- classic label propagation on the input features (the 64 pixels):
  :class:`mlviz.label_spreading.LabelSpreading`;
- deep label propagation: :func:`mlviz.deep.train_deep_lp`.

Seed ``s`` draws the labelled points (:func:`mlviz.propagation.sample_labelled`) and seeds
the network, the batches and the augmentation; means and (population) standard deviations
are over seeds ``0 .. seeds - 1``. Also measured: the balance of the two loss terms under
both weightings (:func:`weight_balance`), which the issue quotes as 0.069 (the talk's) and
0.43 (the authors' code).

Called by ``bench_fidelity.py``; not part of the library.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from mlviz.datasets import load_real
from mlviz.deep import DeepLPConfig, train_deep_lp, train_supervised
from mlviz.label_spreading import LabelSpreading
from mlviz.metrics import accuracy
from mlviz.propagation import WEIGHTINGS, sample_labelled

LABELS_PER_CLASS = (2, 5, 10)
FULL = {"epochs": 20, "warmup_epochs": 5, "k": 20}
"""Deep LP settings of the full run (the library's defaults, weighting included)."""
QUICK = {"epochs": 8, "warmup_epochs": 3, "k": 20}
"""Fewer epochs, so that the quick run takes under about 4 minutes on one core."""
LP_NEIGHBOURS = 10
"""k of classic label propagation on the pixels (LabelSpreading's default)."""
TARGET = 0.75
"""The issue's target: deep LP error at most this fraction of the supervised error."""


def _config(settings: dict, seed: int, **more) -> DeepLPConfig:
    return DeepLPConfig(seed=seed, num_threads=1, record_features=False, **{**settings, **more})


def one_seed(digits, per_class: int, seed: int, settings: dict) -> dict:
    """Errors of the three methods on the unlabelled points for one draw of labels."""
    labels = sample_labelled(digits.labels, per_class, seed)
    unlabelled = labels < 0
    config = _config(settings, seed)
    deep = train_deep_lp(digits.images, labels, config, y_true=digits.labels)
    base = train_supervised(digits.images, labels, config, y_true=digits.labels)
    lp = LabelSpreading(n_neighbors=LP_NEIGHBOURS).fit(digits.X, labels)
    return {
        "supervised_error": 1.0 - float(base.classifier_accuracies[-1]),
        "lp_error": 1.0 - accuracy(digits.labels, lp.transduction_, unlabelled),
        "deep_lp_error": 1.0 - float(deep.classifier_accuracies[-1]),
    }


def weight_balance(digits, per_class: int = 10, k: int = 10, epochs: int = 8,
                   warmup_epochs: int = 3, seed: int = 0) -> dict:
    """The pseudo-label term against the supervised one, per step, under each weighting.

    ``weight_ratio``: Σ of the unlabelled points' loss weights over Σ of the labelled
    points' in a step (:func:`mlviz.deep.batches.weight_ratio`), in the first and on average
    over the label-propagation epochs; ``loss_ratio``: the same with the cross-entropies,
    ``T_w / T_s`` (:func:`mlviz.deep.losses.loss_terms`), averaged over those epochs.
    """
    labels = sample_labelled(digits.labels, per_class, seed)
    out = {"labels_per_class": per_class, "k": k, "epochs": epochs,
           "warmup_epochs": warmup_epochs, "seed": seed}
    for weighting in WEIGHTINGS:
        config = _config({"epochs": epochs, "warmup_epochs": warmup_epochs, "k": k}, seed,
                         weighting=weighting)
        lp = [e for e in train_deep_lp(digits.images, labels, config).epochs
              if e.phase == "label propagation"]
        out[weighting] = {
            "weight_ratio_first_epoch": lp[0].weight_ratio,
            "weight_ratio": float(np.mean([e.weight_ratio for e in lp])),
            "loss_ratio": float(np.mean([e.pseudo_label_term / e.supervised_term for e in lp])),
        }
    return out


def deep_lp_fidelity(seeds: int = 5, quick: bool = False) -> dict:
    """The table: per labels-per-class count, mean and std of each method's error.

    Returns
    -------
    dict
        ``{"2": {"supervised_error", "supervised_error_std", "lp_error", "lp_error_std",
        "deep_lp_error", "deep_lp_error_std", "deep_lp_over_supervised", "per_seed"}, "5":
        …, "10": …, "seeds": seeds, "settings": {...}, "weight_balance": {...}}``, errors
        as fractions.
    """
    torch.set_num_threads(1)
    digits = load_real("digits")
    settings = dict(QUICK if quick else FULL)
    settings["weighting"] = DeepLPConfig().weighting
    out: dict = {}
    for per_class in LABELS_PER_CLASS:
        start = time.perf_counter()
        runs = [one_seed(digits, per_class, seed, settings) for seed in range(seeds)]
        cell: dict = {}
        for key in ("supervised_error", "lp_error", "deep_lp_error"):
            values = np.array([r[key] for r in runs])
            cell[key] = float(values.mean())
            cell[f"{key}_std"] = float(values.std())
        cell["deep_lp_over_supervised"] = cell["deep_lp_error"] / cell["supervised_error"]
        cell["per_seed"] = runs
        out[str(per_class)] = cell
        print(f"deep LP, {per_class} per class: {time.perf_counter() - start:.0f} s", flush=True)
    out["seeds"] = seeds
    out["settings"] = {**settings, "lp_neighbours": LP_NEIGHBOURS, "quick": quick,
                       "target": TARGET,
                       "target_met": all(out[str(m)]["deep_lp_over_supervised"] <= TARGET
                                         for m in LABELS_PER_CLASS)}
    start = time.perf_counter()
    out["weight_balance"] = weight_balance(digits)
    print(f"weight balance: {time.perf_counter() - start:.0f} s", flush=True)
    return out
