"""What the CUDA path does on a real GPU: kNN by torch on CUDA against exact scikit-learn
search (recall, seconds), and one deep label propagation run on CUDA against the CPU.

    python benchmarks/gpu_check.py     # needs a CUDA device; prints markdown, writes results/gpu.json
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _data import few_labels, machine_info, markdown_table, overlapping_gaussians, write_json  # noqa: E402

from mlviz.datasets import load_real  # noqa: E402
from mlviz.deep import DeepLPConfig, describe_device, pick_device, train_deep_lp  # noqa: E402
from mlviz.graph import knn_search  # noqa: E402


def knn_rows(sizes=((10_000, 64), (100_000, 64), (100_000, 512)), k=30) -> list[dict]:
    rows = []
    for n, d in sizes:
        X, _ = overlapping_gaussians(n, d, seed=0)
        knn_search(X[:2000], k, backend="torch")  # warm-up: CUDA context, kernels
        torch.cuda.synchronize()
        t = time.perf_counter()
        gpu = knn_search(X, k, backend="torch")
        torch.cuda.synchronize()
        gpu_s = time.perf_counter() - t
        t = time.perf_counter()
        ref = knn_search(X, k, backend="sklearn")
        cpu_s = time.perf_counter() - t
        recall = np.mean([np.intersect1d(a, b).size / k for a, b in zip(gpu.indices, ref.indices)])
        rows.append({"n": n, "d": d, "torch CUDA (s)": round(gpu_s, 3),
                     "sklearn brute, CPU (s)": round(cpu_s, 2),
                     "speed-up": round(cpu_s / gpu_s, 1), "recall@30 vs sklearn": round(recall, 4)})
    return rows


def deep_rows(epochs: int = 12, warmup: int = 4) -> list[dict]:
    d = load_real("digits")
    labels = few_labels(d.labels, 5, seed=0)
    rows = []
    for device in ("cuda", "cpu"):
        config = DeepLPConfig(epochs=epochs, warmup_epochs=warmup, seed=0, device=device,
                              record_features=False, num_threads=2)
        run = train_deep_lp(d.images, labels, config, y_true=d.labels)
        lp = [r.seconds for r in run.epochs if r.phase != "supervised"]
        rows.append({"device": describe_device(pick_device(device), 2 if device == "cpu" else None),
                     "LP epoch, median (s)": round(float(np.median(lp)), 3),
                     "final accuracy": round(float(run.classifier_accuracies[-1]), 3)})
    return rows


def main() -> None:
    if not torch.cuda.is_available():
        sys.exit("no CUDA device here: nothing to check")
    knn = knn_rows()
    print("### kNN search, k = 30, cosine\n")
    print(markdown_table(list(knn[0]), [list(r.values()) for r in knn]))
    deep = deep_rows()
    print("\n### Deep label propagation on digits, 5 labels per class, 12 epochs (4 warm-up)\n")
    print(markdown_table(list(deep[0]), [list(r.values()) for r in deep]))
    write_json("gpu", {"machine": machine_info(), "gpu": torch.cuda.get_device_name(0),
                       "torch": torch.__version__, "knn": knn, "deep": deep})


if __name__ == "__main__":
    main()
