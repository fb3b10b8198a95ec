"""kNN graph construction: mlviz's search backends against scikit-learn brute force.

Run from the repository root::

    python benchmarks/bench_knn.py --quick     # n = 10k only (~1 min)
    python benchmarks/bench_knn.py             # n = 10k and 100k (~10-15 min)

Task: the k = 30 nearest neighbours (cosine similarity, the point itself excluded) of every
one of n points, n in {10k, 100k}, d in {64, 512}, on the benchmark's Gaussian data
(``benchmarks/_data.py``).

Peers, all timed in this process on the same float32 data:

* ``mlviz faiss`` / ``mlviz sklearn`` / ``mlviz torch``: ``mlviz.graph.knn_search(X, 30,
  backend=...)`` (torch on CPU here), including its row normalization and self removal;
* ``sklearn brute``: ``sklearn.neighbors.NearestNeighbors(algorithm="brute")`` called
  directly on the unit-normalized rows (Euclidean on unit vectors = cosine order) - the
  reference for the ratios and for recall;
* ``pynndescent``: approximate NN-descent (only when importable; it comes with umap-learn),
  index construction + ``neighbor_graph``, with numba compiled beforehand on a small set.

recall@k = mean over points of |peer's k neighbours ∩ exact k neighbours| / k; exact peers
are ~1.0 (ties may differ). Timing: best of ``--repeats`` (default 3) at n = 10k and of
``--large-repeats`` (default 1) at n = 100k, peers interleaved with alternating order. A peer whose estimated time (its 10k
time scaled by (n / 10k)^2 for brute force, by (n / 10k)^1.2 for pynndescent) exceeds
``--max-peer-seconds`` (default 180) is skipped with the reason printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import (  # noqa: E402
    machine_info,
    machine_line,
    markdown_table,
    overlapping_gaussians,
    timed,
    write_json,
)

from mlviz.graph import knn_search  # noqa: E402

K = 30
HAS_PYNNDESCENT = importlib.util.find_spec("pynndescent") is not None


def unit_rows(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def drop_self(idx: np.ndarray, k: int) -> np.ndarray:
    """Remove each point from its own list (the last entry where ties pushed it out)."""
    n = idx.shape[0]
    is_self = idx == np.arange(n)[:, None]
    is_self[~is_self.any(axis=1), -1] = True
    return idx[~is_self].reshape(n, -1)[:, :k]


def sklearn_brute(X: np.ndarray, k: int) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    Xn = unit_rows(X)
    _, idx = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(Xn).kneighbors(Xn)
    return drop_self(idx, k)


def pynndescent_knn(X: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    from pynndescent import NNDescent

    Xn = unit_rows(X)
    index = NNDescent(Xn, n_neighbors=k + 1, metric="euclidean", random_state=seed)
    idx, _ = index.neighbor_graph
    return drop_self(idx, k)


def mlviz_knn(backend: str):
    def run(X: np.ndarray, k: int) -> np.ndarray:
        return knn_search(X, k, metric="cosine", backend=backend).indices

    return run


PEERS: dict = {
    "sklearn brute (direct)": (sklearn_brute, 2.0),
    "mlviz faiss": (mlviz_knn("faiss"), 2.0),
    "mlviz sklearn": (mlviz_knn("sklearn"), 2.0),
    "mlviz torch (CPU)": (mlviz_knn("torch"), 2.0),
}
if HAS_PYNNDESCENT:
    PEERS["pynndescent (approx.)"] = (pynndescent_knn, 1.2)
REFERENCE = "sklearn brute (direct)"


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    n, k = exact.shape
    hits = 0
    for start in range(0, n, 20_000):  # blocked: (block, k, k) booleans
        f = found[start : start + 20_000]
        e = exact[start : start + 20_000]
        hits += int((f[:, :, None] == e[:, None, :]).any(axis=2).sum())
    return hits / (n * k)


def warm_up() -> None:
    """Thread pools (faiss, OpenMP, torch) and numba compilation, untimed."""
    X, _ = overlapping_gaussians(3000, 64, seed=99)
    for fn, _ in PEERS.values():
        fn(X, K)


def run_config(n: int, d: int, repeats: int, budget: float, small: dict) -> dict:
    X, _ = overlapping_gaussians(n, d, seed=0)
    print(f"\n## n = {n:,}, d = {d}, k = {K}", flush=True)
    names, skipped = [], {}
    for name, (_, power) in PEERS.items():
        ref_t = small.get((d, name))
        if ref_t is not None and n > 10_000:
            est = ref_t * (n / 10_000) ** power
            if est > budget:
                skipped[name] = (f"estimated {est:.0f} s > {budget:.0f} s "
                                 f"({ref_t:.2f} s at 10k x (n/10k)^{power})")
                print(f"skip {name}: {skipped[name]}", flush=True)
                continue
        names.append(name)
    times = {name: [] for name in names}
    found = {}
    for r in range(repeats):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            t, idx = timed(PEERS[name][0], X, K)
            times[name].append(t)
            found[name] = idx
            print(f"  {name}: {t:.2f} s", flush=True)
    ref = REFERENCE if REFERENCE in found else next(
        (nm for nm in names if not nm.startswith("pynndescent")), None)
    rows = {}
    for name in names:
        best = min(times[name])
        rows[name] = {
            "seconds": best, "all_seconds": times[name],
            "speedup_vs_sklearn_brute": (min(times[REFERENCE]) / best
                                         if REFERENCE in times else None),
            f"recall_at_{K}": recall_at_k(found[name], found[ref]) if ref else None,
            "recall_reference": ref,
        }
        if n == 10_000:
            small[(d, name)] = best
    for name, why in skipped.items():
        rows[name] = {"skipped": why}
    return {"n": n, "d": d, "k": K, "repeats": repeats, "peers": rows}


def print_table(results: list[dict]) -> None:
    table = []
    for r in results:
        for name, v in r["peers"].items():
            if "skipped" in v:
                table.append([f"{r['n']:,}", r["d"], name, "skipped", None, None])
            else:
                rec = v[f"recall_at_{K}"]
                table.append([f"{r['n']:,}", r["d"], name, v["seconds"],
                              v["speedup_vs_sklearn_brute"],
                              None if rec is None else f"{rec:.4f}"])
    by_n = {r["n"]: r["repeats"] for r in results}
    reps = ", ".join(f"{n:,}: {k}" for n, k in by_n.items())
    print(f"\n### kNN search, k = 30, cosine (best of repeats; repeats by n: {reps})\n")
    print(markdown_table(["n", "d", "peer", "seconds", "speed-up vs sklearn brute",
                          f"recall@{K}"], table))
    for r in results:
        for name, v in r["peers"].items():
            if "skipped" in v:
                print(f"- n = {r['n']:,}, d = {r['d']}: {name} skipped: {v['skipped']}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="n = 10k only")
    p.add_argument("--sizes", type=int, nargs="+", help="override n (10k always runs first)")
    p.add_argument("--dims", type=int, nargs="+", default=[64, 512])
    p.add_argument("--repeats", type=int, default=3, help="repeats at n <= 10k (best of)")
    p.add_argument("--large-repeats", type=int, default=1,
                   help="repeats at n > 10k (best of; default 1)")
    p.add_argument("--max-peer-seconds", type=float, default=180.0,
                   help="skip a peer whose estimated time exceeds this")
    args = p.parse_args(argv)

    info = machine_info()
    print(f"machine: {machine_line(info)}")
    if not HAS_PYNNDESCENT:
        print("pynndescent is not importable: approximate peer skipped.")
    t0 = time.perf_counter()
    warm_up()
    sizes = args.sizes or ([10_000] if args.quick else [10_000, 100_000])
    if 10_000 not in sizes:
        sizes = [10_000, *sizes]  # the estimates for larger n come from the 10k run
    small: dict = {}
    results = []
    for n in sorted(sizes):
        for d in args.dims:
            reps = args.repeats if n <= 10_000 else args.large_repeats
            results.append(run_config(n, d, reps, args.max_peer_seconds, small))
    print_table(results)
    name = "knn_quick" if args.quick else "knn"
    path = write_json(name, {
        "machine": info,
        "config": {"k": K, "metric": "cosine", "dims": args.dims, "sizes": sizes,
                   "max_peer_seconds": args.max_peer_seconds,
                   "data": "benchmarks/_data.py overlapping_gaussians(seed 0)"},
        "results": results, "total_seconds": time.perf_counter() - t0})
    print(f"\ntotal {time.perf_counter() - t0:.0f} s; wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
