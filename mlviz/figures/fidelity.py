"""The saved fidelity benchmark as tables in the shape of the talk's (no maths here).

The talk's "classification error on CIFAR10" table (Iscen, Tolias, Avrithis, Chum, "Label
propagation for deep semi-supervised learning", CVPR 2019) has one row per method and one
column per number of labelled images, each cell "mean ± std" of the error in percent over
splits. :func:`deep_lp_error_table` lays out the ``"deep_lp"`` entry of
``benchmarks/results/fidelity.json`` (written by ``benchmarks/bench_fidelity.py``) the same
way.
"""

from __future__ import annotations

from collections.abc import Mapping

DEEP_LP_METHODS: tuple[tuple[str, str], ...] = (
    ("supervised", "Supervised only (the labelled points)"),
    ("lp", "Label propagation on the pixels"),
    ("deep_lp", "Deep label propagation"),
)
"""Rows of the table: the entry's key prefix and the method's name."""


def label_counts(entry: Mapping) -> list[str]:
    """The labels-per-class keys of a ``deep_lp`` entry (``"2"``, ``"5"``, …), ascending."""
    return sorted((str(k) for k in entry if str(k).isdigit()), key=int)


def deep_lp_error_table(entry: Mapping) -> list[dict]:
    """Records ``{"method", "<m> per class", …}`` with cells ``"12.34 ± 0.56"`` (percent).

    ``entry`` maps a labels-per-class count (as text) to ``{"<method>_error": mean,
    "<method>_error_std": std, …}`` with errors as fractions, for the methods of
    :data:`DEEP_LP_METHODS`; a missing std shows as the mean alone, a missing method as "–".
    When the entry has ``"deep_lp_over_supervised"`` per count (the benchmark's ratio of the
    means), a last row gives it.
    """
    counts = label_counts(entry)
    rows = []
    for key, name in DEEP_LP_METHODS:
        row = {"method": name}
        for count in counts:
            cell = entry[count]
            mean, std = cell.get(f"{key}_error"), cell.get(f"{key}_error_std")
            if mean is None:
                row[f"{count} per class"] = "–"
            elif std is None:
                row[f"{count} per class"] = f"{100 * mean:.2f}"
            else:
                row[f"{count} per class"] = f"{100 * mean:.2f} ± {100 * std:.2f}"
        rows.append(row)
    if counts and all("deep_lp_over_supervised" in entry[c] for c in counts):
        rows.append({"method": "deep LP error / supervised error",
                     **{f"{c} per class": f"{entry[c]['deep_lp_over_supervised']:.2f}"
                        for c in counts}})
    return rows
