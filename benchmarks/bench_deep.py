"""Deep label propagation: seconds per epoch on the CPU (and on CUDA where present).

On scikit-learn's digits (1,797 8×8 images, the small CNN) with 5 labels per class, and on
20,000 64-d descriptors (the MLP): the epochs of supervised warm-up and of label
propagation (feature extraction + kNN graph + CG + one pass of Adam) are timed separately,
for 1 and 2 torch threads, beside the supervised baseline's epochs, with the accuracies the
run reached. Absolute seconds depend on the machine (written beside them); the ratio
"LP epoch / supervised epoch" is what the propagation step costs.

    python benchmarks/bench_deep.py            # digits and 20k descriptors
    python benchmarks/bench_deep.py --quick    # digits only
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _data import few_labels, machine_info, markdown_table, overlapping_gaussians, write_json  # noqa: E402

from mlviz.datasets import load_real  # noqa: E402
from mlviz.deep import DeepLPConfig, describe_device, pick_device, train_deep_lp, train_supervised  # noqa: E402


def run_one(name, inputs, labels, y_true, device, threads, epochs, warmup) -> dict:
    config = DeepLPConfig(epochs=epochs, warmup_epochs=warmup, seed=0, device=device,
                          num_threads=threads, record_features=False)
    deep = train_deep_lp(inputs, labels, config, y_true=y_true)
    base = train_supervised(inputs, labels, config, y_true=y_true)
    warm_s = [r.seconds for r in deep.epochs if r.phase == "supervised"][1:]  # first: start-up
    lp_s = [r.seconds for r in deep.epochs if r.phase != "supervised"]
    return {
        "data": name, "n": int(len(labels)), "device": "CUDA: " + describe_device(pick_device(device)) if device == "cuda" else "CPU",
        "threads": threads, "epochs": epochs, "warmup_epochs": warmup,
        "supervised_epoch_s": statistics.median(warm_s) if warm_s else float("nan"),
        "lp_epoch_s": statistics.median(lp_s),
        "baseline_epoch_s": statistics.median(base.epoch_seconds[1:]),
        "deep_lp_accuracy": float(deep.classifier_accuracies[-1]),
        "baseline_accuracy": float(base.classifier_accuracies[-1]),
        "all_lp_epoch_s": lp_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="digits only")
    parser.add_argument("--epochs", type=int, default=12)
    args = parser.parse_args()

    digits = load_real("digits")
    sets = [("digits (CNN)", digits.images, few_labels(digits.labels, 5, seed=0), digits.labels)]
    if not args.quick:
        X, y = overlapping_gaussians(20000, 64, seed=0)
        sets.append(("20k descriptors, d=64 (MLP)", X, few_labels(y, 20, seed=0), y))
    devices = ["cpu"] + (["cuda"] if pick_device("auto").type == "cuda" else [])
    rows = []
    for name, inputs, labels, y_true in sets:
        for device in devices:
            for threads in ([1, 2] if device == "cpu" else [None]):
                rows.append(run_one(name, inputs, labels, y_true, device, threads,
                                    args.epochs, warmup=4))
                print(f"done: {name}, {device}, {threads} thread(s)", flush=True)

    info = machine_info()
    print(f"\n{info.get('cpu_model')}, {info.get('logical_cores')} cores, torch {info.get('torch')}\n")
    print(markdown_table(
        ["data", "device", "threads", "supervised epoch (s)", "LP epoch (s)", "LP / supervised",
         "baseline epoch (s)", "acc deep LP", "acc baseline"],
        [[r["data"], r["device"], r["threads"] or "-", r["supervised_epoch_s"], r["lp_epoch_s"],
          r["lp_epoch_s"] / r["supervised_epoch_s"], r["baseline_epoch_s"],
          r["deep_lp_accuracy"], r["baseline_accuracy"]] for r in rows],
    ))
    path = write_json("deep_quick" if args.quick else "deep", {"machine": info, "rows": rows})
    print(f"\nwritten {path}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
