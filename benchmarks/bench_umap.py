"""How long the sidebar's UMAP layout takes, for the spinner's estimate.

Times ``mlviz.embedding.layout_2d(X, "umap")`` (what the sidebar calls) on
``overlapping_gaussians`` for n in {1k, 5k, 20k} and d in {64, 256}, best of ``--repeats``
interleaved runs, after one warm-up call that pays numba's compilation (reported apart), then
fits ``seconds ≈ a + b·n·(1 + d/c)`` by least squares over a small grid of c. The fitted
constants go into :func:`mlviz.embedding.umap_seconds_estimate`.

    python benchmarks/bench_umap.py            # 6 sizes, best of 2, ~4 min on 2 cores
    python benchmarks/bench_umap.py --quick    # n ≤ 5k only
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import machine_info, machine_line, markdown_table, overlapping_gaussians, write_json  # noqa: E402

from mlviz.embedding import layout_2d  # noqa: E402


def fit(rows):
    """Least-squares a, b for each c; the c with the smallest squared error."""
    n = np.array([r["n"] for r in rows], float)
    d = np.array([r["d"] for r in rows], float)
    t = np.array([r["seconds"] for r in rows], float)
    best = None
    for c in (16, 32, 64, 128, 256, 512, 1024, 4096):
        A = np.column_stack([np.ones_like(n), n * (1 + d / c)])
        coef, *_ = np.linalg.lstsq(A, t, rcond=None)
        err = float(np.sum((A @ coef - t) ** 2))
        if best is None or err < best[3]:
            best = (float(coef[0]), float(coef[1]), c, err)
    return dict(zip(("a", "b", "c", "sq_error"), best))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    sizes = [(n, d) for n in ((1000, 5000) if args.quick else (1000, 5000, 20000))
             for d in (64, 256)]
    t0 = time.perf_counter()
    layout_2d(overlapping_gaussians(300, 16, seed=1)[0], "umap")
    warm = time.perf_counter() - t0
    data = {size: overlapping_gaussians(*size, seed=0)[0] for size in sizes}
    times = {size: [] for size in sizes}
    for rep in range(args.repeats):  # interleaved; alternate order
        for size in (sizes if rep % 2 == 0 else sizes[::-1]):
            t0 = time.perf_counter()
            layout_2d(data[size], "umap")
            times[size].append(time.perf_counter() - t0)
            print(size, f"{times[size][-1]:.1f} s", flush=True)
    rows = [{"n": n, "d": d, "seconds": min(times[n, d]), "all_seconds": times[n, d]}
            for n, d in sizes]
    model = fit(rows)
    info = machine_info()
    print(machine_line(info))
    print(f"warm-up (numba compilation, n = 300): {warm:.1f} s")
    print(f"fit: seconds ≈ {model['a']:.2f} + {model['b']:.3g}·n·(1 + d/{model['c']})")
    print(markdown_table(["n", "d", "seconds", "model"],
                         [[f"{r['n']:,}", r["d"], f"{r['seconds']:.1f}",
                           f"{model['a'] + model['b'] * r['n'] * (1 + r['d'] / model['c']):.1f}"]
                          for r in rows]))
    write_json("umap_quick" if args.quick else "umap",
               {"machine": info, "warmup_seconds": warm, "rows": rows, "model": model})


if __name__ == "__main__":
    main()
