"""Where an iteration of the solvers goes: per-iteration cost of CG and power iteration.

    python benchmarks/bench_spmm.py --quick     # n = 10k
    python benchmarks/bench_spmm.py             # n = 100k

On the benchmark graph of ``bench_propagation.py`` (reciprocal kNN, k = 30, cosine
gamma = 3, float32, normalized) with the 10 label columns, times (best of ``--repeats``,
interleaved):

* one sparse x dense product ``W @ Y`` with scipy (the only product the solvers use), and the
  same with torch's CSR tensor on the CPU threads, for reference;
* one iteration of ``mlviz.diffusion.conjugate_gradient`` and of ``random_walk`` (their time
  over a fixed number of iterations, ``tol=None``), and of a bare ``F = a W F + B`` loop
  (no residual) - what the speed-up of CG over power iteration is made of:
  ``speed-up = (power iterations / CG iterations) x (power ms per iter / CG ms per iter)``;
* the iterations power iteration needs to reach relative residual 1e-6 (cap 5000).
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

from _data import (  # noqa: E402
    few_labels,
    machine_info,
    machine_line,
    markdown_table,
    overlapping_gaussians,
    timed,
    write_json,
)
from bench_propagation import ALPHA, N_CLASSES, PER_CLASS, TOL, D, K, build_graph  # noqa: E402

from mlviz.diffusion import conjugate_gradient, random_walk  # noqa: E402
from mlviz.propagation import label_matrix, propagate  # noqa: E402

ITERS = 50


def bare_power(W, B, iters):
    F = np.zeros_like(B)
    for _ in range(iters):
        F = ALPHA * (W @ F) + B
    return F


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="n = 10k")
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    n = 10_000 if args.quick else args.n

    import torch

    info = machine_info()
    print(f"machine: {machine_line(info)}\n\nn = {n:,}, d = {D}, k = {K}, "
          f"{N_CLASSES} columns", flush=True)
    X, y = overlapping_gaussians(n, D, N_CLASSES, seed=0)
    yl = few_labels(y, PER_CLASS, seed=0)
    _, _, Wn, _ = build_graph(X)
    Y = label_matrix(yl, N_CLASSES).astype(np.float32)
    B = (1 - ALPHA) * Y
    Yf = np.asfortranarray(Y)
    Wt = torch.sparse_csr_tensor(torch.from_numpy(Wn.indptr.astype(np.int64)),
                                 torch.from_numpy(Wn.indices.astype(np.int64)),
                                 torch.from_numpy(Wn.data), size=Wn.shape)
    Yt = torch.from_numpy(Y)
    # Warm-up, and check that torch's product is the same.
    assert np.allclose(Wn @ Y, (Wt @ Yt).numpy(), atol=1e-5)
    cg_its = propagate(Wn, Y, ALPHA, tol=TOL, dtype=np.float32).iterations.n_iter

    fns = {
        "scipy W @ Y (C order)": (lambda: Wn @ Y, 1),
        "scipy W @ Y (Fortran order)": (lambda: Wn @ Yf, 1),
        f"torch CSR W @ Y ({torch.get_num_threads()} threads)": (lambda: Wt @ Yt, 1),
        "CG iteration (conjugate_gradient)": (
            lambda: conjugate_gradient(Wn, Y, ALPHA, tol=None, max_iter=ITERS,
                                       dtype=np.float32), ITERS),
        "power iteration (random_walk)": (
            lambda: random_walk(Wn, Y, ALPHA, tol=None, max_iter=ITERS, dtype=np.float32),
            ITERS),
        "bare loop F = a W F + B": (lambda: bare_power(Wn, B, ITERS), ITERS),
    }
    times = {name: [] for name in fns}
    names = list(fns)
    for r in range(args.repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            fn, per = fns[name]
            t, _ = timed(fn)
            times[name].append(t / per)
    best = {name: min(ts) for name, ts in times.items()}
    spmm = best["scipy W @ Y (C order)"]
    rows = [[name, 1e3 * t, t / spmm] for name, t in best.items()]
    print(f"\n### Per product / per iteration, best of {args.repeats} (W: {Wn.nnz:,} nnz, "
          f"{Wn.dtype})\n")
    print(markdown_table(["operation", "ms", "x one scipy product"], rows))

    t_tol, pt = timed(random_walk, Wn, Y, ALPHA, tol=TOL, max_iter=5000, dtype=np.float32)
    cg_iter = best["CG iteration (conjugate_gradient)"]
    pw_iter = best["power iteration (random_walk)"]
    bare_iter = best["bare loop F = a W F + B"]
    summary = {
        "cg_iterations_to_tol": cg_its,
        "power_iterations_to_tol": pt.n_iter, "power_to_tol_converged": bool(pt.converged),
        "power_to_tol_seconds": t_tol,
        "iteration_ratio_1000_over_cg": 1000 / cg_its,
        "per_iter_ratio_power_over_cg": pw_iter / cg_iter,
        "predicted_speedup_vs_power_1000": 1000 / cg_its * pw_iter / cg_iter,
        "predicted_speedup_vs_bare_1000": 1000 / cg_its * bare_iter / cg_iter,
        "cg_its_needed_for_25x": 1000 * pw_iter / cg_iter / 25,
    }
    print(f"\nCG needs {cg_its} iterations to {TOL:g}; power iteration needs {pt.n_iter}"
          f"{'' if pt.converged else ' (not converged)'} ({t_tol:.2f} s).")
    print(f"speed-up of CG over 1000 power iterations = {1000 / cg_its:.1f} (iterations) x "
          f"{pw_iter / cg_iter:.2f} (per-iteration cost) = "
          f"{summary['predicted_speedup_vs_power_1000']:.1f}x; against a bare loop "
          f"{summary['predicted_speedup_vs_bare_1000']:.1f}x. 25x would need CG to converge "
          f"in <= {summary['cg_its_needed_for_25x']:.0f} iterations at this per-iteration "
          "cost.")
    path = write_json("spmm_quick" if args.quick else "spmm", {
        "machine": info, "n": n, "nnz": int(Wn.nnz), "columns": N_CLASSES,
        "per_op_seconds_best": best, "all_seconds": times, "summary": summary})
    print(f"\nwrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
