"""The talk's CUB-200 table in miniature, over seeds (Iscen et al., CVPR 2018).

A small MLP trained on digits 0–3 gives the initial descriptors of digits 4–9, which it
never saw; three copies of it are fine-tuned on digits 4–9 from the same seed: on tuples
mined on the manifold without labels (positives ``S+ = M \\ E``, negatives ``S- = E \\ M``),
on Euclidean tuples (positives ``E``, negatives ``X \\ E``) and on the labels
(:mod:`mlviz.deep.transfer`). R@1 and NMI on digits 4–9, mean and std over seeds.

Called by ``bench_fidelity.py``; run alone with ``python benchmarks/_fidelity_metric.py``.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlviz.datasets import load_real  # noqa: E402
from mlviz.deep.transfer import MINIATURE, SourceConfig, run_miniature  # noqa: E402

ROWS = {"initial": None, "euclidean": "euclidean", "mined": "manifold",
        "supervised": "supervised"}
"""The table's rows, by the runs of :func:`mlviz.deep.transfer.run_miniature` they read."""


def miniature_once(seed: int, epochs: int | None = None) -> dict[str, dict[str, float]]:
    """R@1 and NMI of each row for one seed (fractions)."""
    d = load_real("digits")
    config = replace(MINIATURE, seed=seed, num_threads=1, device="cpu")
    if epochs is not None:
        config = replace(config, epochs=epochs)
    runs = run_miniature(d.X, d.labels, config, SourceConfig())
    out = {}
    for row, kind in ROWS.items():
        measures = runs["manifold"].before if kind is None else runs[kind].after
        out[row] = {"R@1": measures["R@1"], "NMI": measures["NMI"]}
    return out


def metric_learning_fidelity(seeds: int = 5, quick: bool = False) -> dict:
    """Means and stds over ``seeds`` seeds (0, 1, ...) of each row's R@1 and NMI.

    ``quick`` runs the same miniature: it takes about 5 s of CPU a seed on one core (17 s of
    wall time on a busy 2-core machine), so the quick run keeps every setting and every seed
    and its figures are those of the full run.

    Returns
    -------
    dict
        ``{"initial": {"R@1", "R@1_std", "NMI", "NMI_std"}, "mined": ..., "euclidean": ...,
        "supervised": ..., "seeds": seeds, "seconds_per_seed": ..., "settings": ...}``.
    """
    start = time.perf_counter()
    per_seed = [miniature_once(seed) for seed in range(seeds)]
    out: dict = {}
    for row in ROWS:
        values = {m: np.array([s[row][m] for s in per_seed]) for m in ("R@1", "NMI")}
        out[row] = {}
        for m, v in values.items():
            out[row][m] = round(float(v.mean()), 4)
            out[row][f"{m}_std"] = round(float(v.std()), 4)
    out["seeds"] = seeds
    out["per_seed_R@1"] = {row: [round(s[row]["R@1"], 4) for s in per_seed] for row in ROWS}
    out["seconds_per_seed"] = round((time.perf_counter() - start) / max(seeds, 1), 1)
    out["settings"] = describe_settings()
    return out


def describe_settings() -> str:
    """The miniature's settings, in words, for the pages to quote."""
    m, s = MINIATURE, SourceConfig()
    return (f"SmallMLP (φ of {s.embedding_dim} dims, hidden {s.hidden}) trained {s.epochs} "
            f"epochs on digits 0–3; fine-tuned {m.epochs} epochs on digits 4–9, margin "
            f"{m.margin}, kNN graph k = {m.k}, α = {m.alpha}, |E| = {m.k_euclidean}, "
            f"|M| = {m.k_manifold}, {m.n_anchors:,} random anchors, negatives "
            f"{'S⁻' if m.negatives == 'manifold' else 'X ∖ E'} in the mined run")


if __name__ == "__main__":
    import json

    print(json.dumps(metric_learning_fidelity(int(sys.argv[1]) if len(sys.argv) > 1 else 5),
                     indent=2))
