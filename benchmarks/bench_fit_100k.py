"""``LabelSpreading.fit`` at n = 100,000: mlviz (approximate and exact kNN) against scikit-learn.

Problem (issue "a researcher's own descriptors"): 100,000 points of 10 overlapping Gaussian
classes in d = 64 (``benchmarks/_data.py``), 20 labels per class, k = 30, alpha = 0.99.

Peers, run in this process, interleaved with alternating order, best of ``--repeats``:

- ``mlviz``: ``mlviz.label_spreading.LabelSpreading(n_neighbors=30, alpha=0.99)``; at this n
  its ``backend="auto"`` searches with faiss's inverted file (``mlviz.knn.ivf_search``), and
  the graph carries the recall of that search against exact search on 1,000 points;
- ``mlviz_exact``: the same with exact search (``backend="faiss"``);
- ``sklearn_max_iter_1000`` / ``sklearn_max_iter_30``:
  ``sklearn.semi_supervised.LabelSpreading(kernel="knn", n_neighbors=30, alpha=0.99)``.

Accuracy is on the unlabelled points. Only the ratios mean anything across machines.

    python benchmarks/bench_fit_100k.py               # n = 100,000, best of 2
    python benchmarks/bench_fit_100k.py --n 20000     # a smaller try
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import (  # noqa: E402
    few_labels,
    machine_info,
    machine_line,
    markdown_table,
    overlapping_gaussians,
    timed,
    write_json,
)

from mlviz.label_spreading import LabelSpreading  # noqa: E402

ALPHA, K, D, N_CLASSES, PER_CLASS = 0.99, 30, 64, 10, 20


def sklearn_fit(X, yl, max_iter: int):
    from sklearn.semi_supervised import LabelSpreading as SkLabelSpreading

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter=30 is expected
        return SkLabelSpreading(kernel="knn", n_neighbors=K, alpha=ALPHA,
                                max_iter=max_iter).fit(X, yl)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    X, y = overlapping_gaussians(args.n, D, N_CLASSES, seed=0)
    yl = few_labels(y, PER_CLASS, seed=0)
    unlabelled = yl == -1
    peers = {
        "mlviz": lambda: LabelSpreading(n_neighbors=K, alpha=ALPHA).fit(X, yl),
        "mlviz_exact": lambda: LabelSpreading(n_neighbors=K, alpha=ALPHA,
                                              backend="faiss").fit(X, yl),
        "sklearn_max_iter_1000": lambda: sklearn_fit(X, yl, 1000),
        "sklearn_max_iter_30": lambda: sklearn_fit(X, yl, 30),
    }
    seconds: dict[str, list[float]] = {name: [] for name in peers}
    models = {}
    for r in range(args.repeats):
        for name in (list(peers) if r % 2 == 0 else list(peers)[::-1]):
            t, models[name] = timed(peers[name])
            seconds[name].append(t)
            print(f"  {name}: {t:.1f} s", flush=True)
    results = {}
    for name, model in models.items():
        results[name] = {
            "seconds": min(seconds[name]), "all_seconds": seconds[name],
            "n_iter": int(model.n_iter_),
            "accuracy": float(np.mean(model.transduction_[unlabelled] == y[unlabelled])),
        }
    results["mlviz"]["knn_recall"] = models["mlviz"].knn_recall_
    best = results["mlviz"]["seconds"]
    for name in ("mlviz_exact", "sklearn_max_iter_1000", "sklearn_max_iter_30"):
        results[name]["time_over_mlviz"] = results[name]["seconds"] / best
    payload = {
        "machine": machine_info(), "n": args.n, "d": D, "k": K, "alpha": ALPHA,
        "labels_per_class": PER_CLASS, "repeats": args.repeats, "results": results,
        "target": {"speedup_vs_sklearn_1000": 10.0,
                   "met": results["sklearn_max_iter_1000"]["time_over_mlviz"] >= 10.0
                   and results["mlviz"]["accuracy"]
                   >= results["sklearn_max_iter_1000"]["accuracy"]},
    }
    rows = [[name, v["seconds"], v["n_iter"], v["accuracy"], v.get("time_over_mlviz", 1.0)]
            for name, v in results.items()]
    print(f"\n{machine_line(payload['machine'])}\n")
    print(markdown_table(["fit", "best seconds", "iterations", "accuracy (unlabelled)",
                          "time / mlviz"], rows))
    print(f"\nmlviz kNN recall against exact search (1,000 points): "
          f"{results['mlviz']['knn_recall']}")
    suffix = "" if args.n == 100_000 else f"_{args.n}"
    print(f"written {write_json('fit_100k' + suffix, payload)}")
    return payload


if __name__ == "__main__":
    main()
