"""kNN search when another process holds a core: faiss's OpenMP threads vs the others.

    python benchmarks/bench_contention.py --quick   # n = 10k (~20 s)
    python benchmarks/bench_contention.py           # n = 30k (~2 min)

On a small shared machine (here: 2 cores, another engineer's tests running) the faiss
backend of ``mlviz.graph.knn_search`` slowed down several times when one core was busy,
while scikit-learn's did not. This script measures that, reproducibly: for each OpenMP
wait policy (the default, and ``OMP_WAIT_POLICY=PASSIVE``, which must be set before faiss
is loaded, so each policy runs in its own child process), it times ``knn_search`` with
faiss on all cores, faiss on one thread, and scikit-learn, first on a quiet machine, then
with ONE busy-loop process started by this script (killed right after), then quiet again;
best of ``--repeats`` (3) in each phase.
It briefly occupies one core: do not run it beside timings you care about.

Ratios to read: contended / quiet time of each peer (1.0 = unaffected).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def child(n: int, repeats: int) -> None:
    """Run in a child process: time the peers quiet / contended / quiet; print JSON."""
    sys.path[:0] = [str(HERE), str(ROOT)]
    import faiss
    from _data import overlapping_gaussians

    from mlviz.graph import knn_search

    X, _ = overlapping_gaussians(n, 64, seed=0)
    knn_search(X[:2000], 30, backend="faiss")
    knn_search(X[:2000], 30, backend="sklearn")
    n_threads = faiss.omp_get_max_threads()

    def timed(fn):
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    def measure() -> dict:
        out = {}
        faiss.omp_set_num_threads(n_threads)
        out[f"faiss ({n_threads} threads)"] = timed(lambda: knn_search(X, 30, backend="faiss"))
        faiss.omp_set_num_threads(1)
        out["faiss (1 thread)"] = timed(lambda: knn_search(X, 30, backend="faiss"))
        faiss.omp_set_num_threads(n_threads)
        out["sklearn"] = timed(lambda: knn_search(X, 30, backend="sklearn"))
        return out

    def best_of(repeats: int) -> dict:
        runs = [measure() for _ in range(repeats)]
        return {peer: min(run[peer] for run in runs) for peer in runs[0]}

    phases = {"quiet": best_of(repeats)}
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(1.0)
        phases["one busy process"] = best_of(repeats)
    finally:
        burner.kill()
        burner.wait()
    time.sleep(1.0)
    phases["quiet again"] = best_of(repeats)
    print("RESULT " + json.dumps(phases))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="n = 20k")
    p.add_argument("--n", type=int, default=30_000)
    p.add_argument("--repeats", type=int, default=3, help="best of, in each phase")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    n = 10_000 if args.quick else args.n
    if args.child:
        child(n, args.repeats)
        return

    sys.path[:0] = [str(HERE), str(ROOT)]
    from _data import machine_info, machine_line, markdown_table, write_json

    info = machine_info()
    print(f"machine: {machine_line(info)}\n\nn = {n:,}, d = 64, k = 30 (cosine)", flush=True)
    results = {}
    for policy in ("default", "PASSIVE"):
        env = dict(os.environ)
        env.pop("OMP_WAIT_POLICY", None)
        if policy != "default":
            env["OMP_WAIT_POLICY"] = policy
        proc = subprocess.run([sys.executable, __file__, "--child", "--n", str(n),
                               "--repeats", str(args.repeats)],
                              env=env, capture_output=True, text=True, check=True)
        line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
        results[policy] = json.loads(line[len("RESULT "):])
        print(f"OMP_WAIT_POLICY={policy}: done", flush=True)

    rows = []
    for policy, phases in results.items():
        for peer in phases["quiet"]:
            quiet = min(phases["quiet"][peer], phases["quiet again"][peer])
            busy = phases["one busy process"][peer]
            rows.append([f"OMP_WAIT_POLICY={policy}", peer, quiet, busy, busy / quiet])
    print("\n### kNN search with one core taken by another process\n")
    print(markdown_table(["OpenMP wait policy", "peer", "quiet s",
                          "one busy process s", "contended / quiet"], rows))
    name = "contention_quick" if args.quick else "contention"
    path = write_json(name, {"machine": info, "n": n, "d": 64, "k": 30,
                             "repeats": args.repeats, "results": results})
    print(f"\nwrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
