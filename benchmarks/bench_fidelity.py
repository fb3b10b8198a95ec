"""The papers' claims in miniature, over seeds: metric learning without labels and deep LP.

- Metric learning (Iscen et al., CVPR 2018, "mining on manifolds"): descriptors learned on
  other classes, fine-tuned on the target classes with tuples mined on the target's manifold
  without labels, beside the Euclidean-mined and the supervised runs; R@1 and NMI.
- Deep label propagation (Iscen et al., CVPR 2019): error against the labels of the
  unlabelled points for 2, 5 and 10 labels per class, for the supervised baseline, classic
  label propagation on the input features and deep label propagation.

Writes ``results/fidelity.json`` (fractions; means over seeds with ``_std`` beside), which
the mining and deep LP pages quote.

    python benchmarks/bench_fidelity.py            # the full run the pages quote
    python benchmarks/bench_fidelity.py --quick    # fewer epochs, under 10 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import RESULTS, machine_info, write_json  # noqa: E402
from _fidelity_deep_lp import deep_lp_fidelity  # noqa: E402
from _fidelity_metric import metric_learning_fidelity  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs (under 10 minutes)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--only", choices=("metric_learning", "deep_lp"), default=None)
    parser.add_argument("--name", default=None,
                        help="results file name (default: fidelity, or fidelity_quick)")
    args = parser.parse_args(argv)
    runs = {"metric_learning": metric_learning_fidelity, "deep_lp": deep_lp_fidelity}
    name = args.name or ("fidelity_quick" if args.quick else "fidelity")
    payload: dict = {"machine": machine_info(), "quick": args.quick, "seconds": {}}
    previous = RESULTS / f"{name}.json"
    if args.only and previous.exists():  # one experiment again: keep the other's figures
        kept = json.loads(previous.read_text())
        payload.update({k: v for k, v in kept.items() if k in runs and k != args.only})
        payload["seconds"] = kept.get("seconds", {})
    for experiment, run in runs.items():
        if args.only not in (None, experiment):
            continue
        start = time.perf_counter()
        payload[experiment] = run(seeds=args.seeds, quick=args.quick)
        payload["seconds"][experiment] = round(time.perf_counter() - start, 1)
        print(f"== {experiment} ({payload['seconds'][experiment]} s)")
        print(json.dumps(payload[experiment], indent=2))
    path = write_json(name, payload)
    print(f"written {path}")
    return payload


if __name__ == "__main__":
    main()
