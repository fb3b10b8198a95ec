"""Label propagation: mlviz's block CG against power iteration and scikit-learn.

Run from the repository root::

    python benchmarks/bench_propagation.py --quick      # n = 10k only (~1 min)
    python benchmarks/bench_propagation.py              # n = 10k and 100k (~10 min)
    python benchmarks/bench_propagation.py --sweep      # time vs n for the plot

Problem: 10 overlapping Gaussian classes in d = 64 (``benchmarks/_data.py``), 20 labels per
class, k = 30, alpha = 0.99, tolerance 1e-6 on the relative residual.

Part 1 (solve), on ONE graph built with mlviz (reciprocal kNN, cosine kernel gamma = 3,
float32, symmetric normalization): float32 block CG over the 10 label columns
(``mlviz.propagation.propagate``, the default) and one CG per column (``solver="columns"``)
vs 1000 power iterations: the plain scipy loop ``F = a W F + (1-a) Y`` (the peer of the
target), ``mlviz.diffusion.random_walk``, and the loop with torch's threaded CSR product
(the product block CG uses); ``random_walk`` also run to the tolerance at 10k.

Part 2 (whole fit): ``mlviz.label_spreading.LabelSpreading(n_neighbors=30, alpha=0.99).fit``
(graph + solve + post-processing) vs ``sklearn.semi_supervised.LabelSpreading(kernel="knn",
n_neighbors=30, alpha=0.99)`` with its default ``max_iter=30`` and with ``max_iter=1000``.

Part 3 (accuracy variants): plain argmax vs class mass normalization, reciprocal vs union
graph, and the isolated fraction of each graph.

Timings are best-of-``--repeats`` with the peers interleaved in each repeat (order
alternating), so that load from other processes hits all peers alike. Only ratios between
peers run in this process are meaningful; nothing here asserts a wall-clock time.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from functools import partial
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

from mlviz.diffusion import random_walk  # noqa: E402
from mlviz.graph import (  # noqa: E402
    edge_weights,
    graph_from_neighbors,
    knn_search,
    normalize,
    summarize,
)
from mlviz.label_spreading import LabelSpreading  # noqa: E402
from mlviz.propagation import class_mass_normalize, label_matrix, propagate  # noqa: E402

ALPHA = 0.99
K = 30
D = 64
N_CLASSES = 10
PER_CLASS = 20
TOL = 1e-6
GAMMA = 3.0
RW_ITERS = 1000
RW_TOL_CAP = 5000
SWEEP_SIZES = (2_000, 5_000, 10_000, 20_000, 50_000, 100_000)


# ----------------------------------------------------------------------------- solvers


class _Plain:
    """What a power iteration returns, in the shape of :class:`mlviz.diffusion.Iterations`."""

    def __init__(self, F, B, W):
        self.solution, self.n_iter, self.converged = F, RW_ITERS, False
        R = B - (F - ALPHA * (W @ F))
        self.residuals = [np.linalg.norm(R, axis=0) / np.linalg.norm(B, axis=0)]


def power_plain(Wn, Y):
    """Power iteration as one writes it with scipy: ``F = alpha W F + (1 - alpha) Y``."""
    B = (1.0 - ALPHA) * Y
    F = B.copy()
    for _ in range(RW_ITERS):
        F = ALPHA * (Wn @ F) + B
    return _Plain(F, B, Wn)


def power_torch(Wn, Y):
    """The same loop with torch's threaded CSR product, the one block CG uses."""
    import torch

    from mlviz._block_cg import torch_csr

    A = torch_csr(Wn)
    B = torch.from_numpy((1.0 - ALPHA) * Y)
    F = B.clone()
    for _ in range(RW_ITERS):
        F = torch.addmm(B, A, F, beta=1.0, alpha=ALPHA)
    return _Plain(F.numpy(), B.numpy(), Wn)


SOLVERS = {
    "block_cg": lambda Wn, Y: propagate(Wn, Y, ALPHA, tol=TOL, max_iter=1000,
                                        dtype=np.float32),
    "cg_per_column": lambda Wn, Y: propagate(Wn, Y, ALPHA, tol=TOL, max_iter=1000,
                                             dtype=np.float32, solver="columns"),
    "power_plain": power_plain,
    "power_random_walk": lambda Wn, Y: random_walk(Wn, Y, ALPHA, tol=None, max_iter=RW_ITERS,
                                                   dtype=np.float32),
    "power_torch": power_torch,
}
SOLVER_LABELS = {
    "block_cg": "block CG, float32 (mlviz default)",
    "cg_per_column": "one CG per column, float32 (mlviz solver='columns')",
    "power_plain": f"power iteration, {RW_ITERS} its, plain scipy loop",
    "power_random_walk": f"power iteration, {RW_ITERS} its, mlviz.random_walk",
    "power_torch": f"power iteration, {RW_ITERS} its, torch CSR product",
}


# ----------------------------------------------------------------------------- helpers


def true_residual(W64, B64, F) -> float:
    """Largest per-column relative residual ``||B - (I - a W) F|| / ||B||``, in float64."""
    F = np.asarray(F, dtype=np.float64)
    R = B64 - (F - ALPHA * (W64 @ F))
    bn = np.linalg.norm(B64, axis=0)
    return float(np.max(np.linalg.norm(R, axis=0) / np.where(bn > 0, bn, 1.0)))


def float32_floor(W64, B64, F) -> float:
    """The residual left by rounding a (float64-refined) solution to float32: the best a
    float32 solver can report."""
    from mlviz.diffusion import block_conjugate_gradient

    exact = block_conjugate_gradient(W64, B64 / (1.0 - ALPHA), ALPHA, tol=1e-12,
                                     f0=np.asarray(F, np.float64)).solution
    return true_residual(W64, B64, exact.astype(np.float32))


def accuracies(F, y, yl) -> tuple[float, float]:
    """Accuracy on unlabelled points of plain argmax and of class-mass-normalized argmax."""
    unl = yl == -1
    prior = np.bincount(yl[~unl], minlength=N_CLASSES) / (~unl).sum()
    plain = np.argmax(F, axis=1)
    cm = np.argmax(class_mass_normalize(F, prior), axis=1)
    return float(np.mean(plain[unl] == y[unl])), float(np.mean(cm[unl] == y[unl]))


def best_interleaved(fns: dict, repeats: int) -> dict:
    """Run every callable ``repeats`` times, interleaved with alternating order.

    Returns ``{name: (best_seconds, all_seconds, last_result)}``.
    """
    names = list(fns)
    times = {name: [] for name in names}
    results = {}
    for r in range(repeats):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            t, out = timed(fns[name])
            times[name].append(t)
            results[name] = out
    return {name: (min(times[name]), times[name], results[name]) for name in names}


def sklearn_fit(X, yl, max_iter):
    from sklearn.semi_supervised import LabelSpreading as SkLabelSpreading

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter=30 is expected
        return SkLabelSpreading(
            kernel="knn", n_neighbors=K, alpha=ALPHA, max_iter=max_iter
        ).fit(X, yl)


def mlviz_fit(X, yl, **kw):
    return LabelSpreading(n_neighbors=K, alpha=ALPHA, **kw).fit(X, yl)


def unl_accuracy(model, y, yl) -> float:
    unl = yl == -1
    return float(np.mean(model.transduction_[unl] == y[unl]))


_STAGE_LOG: list[dict] = []


def mlviz_stages(X, Y) -> None:
    """The stages of ``LabelSpreading.fit`` (same calls), each timed; appended to a log."""
    _, _, Wn, stages = build_graph(X)
    stages["cg"], _ = timed(propagate, Wn, Y, ALPHA, tol=TOL, max_iter=1000, dtype=np.float32)
    _STAGE_LOG.append(stages)


def warm_up() -> None:
    """First calls of faiss, scikit-learn and torch start thread pools: keep them untimed."""
    from sklearn.neighbors import NearestNeighbors

    X, _ = overlapping_gaussians(2000, D, seed=99)
    knn_search(X, K, backend="faiss")
    NearestNeighbors(n_neighbors=K, algorithm="brute").fit(X).kneighbors(X)
    sklearn_fit(X, few_labels(_, 5), 5)
    mlviz_fit(X, few_labels(_, 5))


def build_graph(X, mode="reciprocal"):
    """The mlviz graph of the benchmark, with the time of each stage."""
    t_knn, nb = timed(knn_search, X, K, metric="cosine", backend="faiss")
    t_w, w = timed(edge_weights, nb, "cosine", GAMMA)
    t_g, W = timed(graph_from_neighbors, nb, w, mode, np.float32)
    t_n, Wn = timed(normalize, W)
    return nb, W, Wn, {"knn_faiss": t_knn, "weights": t_w, "graph": t_g, "normalize": t_n}


# ----------------------------------------------------------------------------- one size


def run_size(n: int, repeats: int, rw_to_tol: bool, fit_repeats: int) -> dict:
    print(f"\n## n = {n:,}  (d = {D}, k = {K}, {N_CLASSES} classes, {PER_CLASS} labels/class)",
          flush=True)
    X, y = overlapping_gaussians(n, D, N_CLASSES, seed=0)
    yl = few_labels(y, PER_CLASS, seed=0)
    out: dict = {"n": n, "d": D, "k": K, "alpha": ALPHA, "tol": TOL,
                 "n_labelled": int((yl >= 0).sum())}

    # -- the shared graph
    nb, W, Wn, stages = build_graph(X)
    s = summarize(W)
    out["graph"] = {
        "mode": "reciprocal", "kernel": f"cosine gamma={GAMMA}", "dtype": str(Wn.dtype),
        "n_edges": s.n_edges, "isolated_fraction": s.isolated_fraction,
        "n_components": s.n_components, "largest_component": s.largest_component,
        "build_seconds": stages,
    }
    print(f"graph: {s.n_edges:,} edges, {100 * s.isolated_fraction:.2f}% isolated, "
          f"{s.n_components} components; build {sum(stages.values()):.2f} s "
          f"(kNN {stages['knn_faiss']:.2f} s)", flush=True)
    Y = label_matrix(yl, N_CLASSES).astype(np.float32)
    W64 = Wn.astype(np.float64)
    B64 = (1.0 - ALPHA) * Y.astype(np.float64)

    # -- part 1: the solve on the same graph: block CG vs one CG per column vs power iteration
    res = best_interleaved({name: partial(fn, Wn, Y) for name, fn in SOLVERS.items()}, repeats)
    solve = {}
    for name, (t, all_t, result) in res.items():
        its = result.iterations if hasattr(result, "iterations") else result
        a_plain, a_cm = accuracies(its.solution, y, yl)
        solve[name] = {
            "seconds": t, "all_seconds": all_t, "n_iter": its.n_iter,
            "converged": bool(its.converged),
            "reported_residual": float(np.max(its.residuals[-1])),
            "true_residual_float64": true_residual(W64, B64, its.solution),
            "seconds_per_iter": t / max(its.n_iter, 1),
            "acc_argmax": a_plain, "acc_class_mass": a_cm,
        }
    base = solve["block_cg"]["seconds"]
    for name in SOLVERS:
        solve[name]["time_over_block_cg"] = solve[name]["seconds"] / base
    f_cg = res["block_cg"][2].iterations.solution
    solve["rel_diff_block_cg_vs_power_1000"] = float(
        np.linalg.norm(f_cg - res["power_plain"][2].solution) / np.linalg.norm(f_cg))
    solve["float32_floor_true_residual"] = float32_floor(W64, B64, f_cg)
    if rw_to_tol:
        t, pt = timed(random_walk, Wn, Y, ALPHA, tol=TOL, max_iter=RW_TOL_CAP, dtype=np.float32)
        a_plain, a_cm = accuracies(pt.solution, y, yl)
        solve["power_to_tol"] = {
            "seconds": t, "n_iter": pt.n_iter, "converged": bool(pt.converged),
            "max_iter": RW_TOL_CAP, "reported_residual": float(np.max(pt.residuals[-1])),
            "true_residual_float64": true_residual(W64, B64, pt.solution),
            "acc_argmax": a_plain, "acc_class_mass": a_cm,
            "time_over_block_cg": t / base,
        }
    out["solve"] = solve

    # -- part 2: the whole fit, mlviz vs scikit-learn
    fit_fns = {
        "mlviz": lambda: mlviz_fit(X, yl),
        "sklearn_max_iter_30": lambda: sklearn_fit(X, yl, 30),
        "sklearn_max_iter_1000": lambda: sklearn_fit(X, yl, 1000),
        "mlviz_stages": lambda: mlviz_stages(X, Y),
    }
    res = best_interleaved(fit_fns, fit_repeats)
    res.pop("mlviz_stages")
    fit = {}
    for name, (t, all_t, model) in res.items():
        fit[name] = {"seconds": t, "all_seconds": all_t, "n_iter": int(model.n_iter_),
                     "accuracy": unl_accuracy(model, y, yl)}
    fit["mlviz"]["unreached_fraction"] = float(np.mean(res["mlviz"][2].unreached_))
    for name in ("sklearn_max_iter_30", "sklearn_max_iter_1000"):
        fit[f"speedup_vs_{name}"] = fit[name]["seconds"] / fit["mlviz"]["seconds"]
    # Where mlviz's fit time goes: the same stages run one by one, interleaved with the
    # fits above; best time of each stage over the repeats.
    breakdown = {key: min(run[key] for run in _STAGE_LOG) for key in _STAGE_LOG[0]}
    _STAGE_LOG.clear()
    breakdown["rest (validation, class mass, outputs)"] = max(
        fit["mlviz"]["seconds"] - sum(breakdown.values()), 0.0)
    fit["mlviz_breakdown_seconds"] = breakdown
    # Same for scikit-learn: its kNN graph alone.
    from sklearn.neighbors import kneighbors_graph

    t_sk_knn, _ = timed(kneighbors_graph, X, K, mode="connectivity", include_self=True)
    fit["sklearn_knn_graph_seconds"] = t_sk_knn
    out["fit"] = fit

    # -- part 3: accuracy variants (one fit each; times for information only)
    variants = {}
    for label, kw in (
        ("reciprocal, class mass (default)", {}),
        ("reciprocal, plain argmax", {"normalization": None}),
        ("union, class mass", {"edges": "union"}),
        ("union, plain argmax", {"edges": "union", "normalization": None}),
    ):
        if not kw:
            model, t = res["mlviz"][2], fit["mlviz"]["seconds"]
        else:
            t, model = timed(mlviz_fit, X, yl, **kw)
        variants[label] = {"accuracy": unl_accuracy(model, y, yl), "seconds": t,
                           "n_iter": int(model.n_iter_),
                           "unreached_fraction": float(np.mean(model.unreached_))}
    # scikit-learn on unit-normalized rows: its Euclidean kNN is then the cosine kNN.
    Xu = X / np.linalg.norm(X, axis=1, keepdims=True)
    t, model = timed(sklearn_fit, Xu, yl, 1000)
    variants["sklearn knn on unit-normalized X, max_iter=1000"] = {
        "accuracy": unl_accuracy(model, y, yl), "seconds": t, "n_iter": int(model.n_iter_),
        "unreached_fraction": None}
    W_union = graph_from_neighbors(nb, edge_weights(nb, "cosine", GAMMA), "union")
    su = summarize(W_union)
    out["graph_union"] = {"n_edges": su.n_edges, "isolated_fraction": su.isolated_fraction,
                          "n_components": su.n_components}
    out["variants"] = variants
    print_size(out)
    return out


# ----------------------------------------------------------------------------- printing


def print_size(r: dict) -> None:
    s = r["solve"]
    rows = [[SOLVER_LABELS[name], s[name]["n_iter"], s[name]["seconds"],
             s[name]["seconds_per_iter"] * 1e3, s[name]["true_residual_float64"],
             s[name]["acc_argmax"], s[name]["acc_class_mass"], s[name]["time_over_block_cg"]]
            for name in SOLVERS]
    if "power_to_tol" in s:
        p = s["power_to_tol"]
        conv = "" if p["converged"] else f" (not converged at {p['max_iter']})"
        rows.append([f"mlviz.random_walk to {TOL:g}{conv}", p["n_iter"], p["seconds"],
                     p["seconds"] / max(p["n_iter"], 1) * 1e3, p["true_residual_float64"],
                     p["acc_argmax"], p["acc_class_mass"], p["time_over_block_cg"]])
    print(f"\n### Solve on the same graph, n = {r['n']:,} (best of repeats)\n")
    print(markdown_table(
        ["solver", "iterations", "seconds", "ms / iter", "true residual (f64)",
         "acc argmax", "acc class mass", "time / block CG"], rows))
    print(f"\nfloat32 floor: the exact solution rounded to float32 has a true residual of "
          f"{s['float32_floor_true_residual']:.2e}")

    f = r["fit"]
    rows = [
        ["mlviz LabelSpreading (faiss kNN + block CG)", f["mlviz"]["n_iter"], f["mlviz"]["seconds"],
         f["mlviz"]["accuracy"], 1.0],
        ["sklearn LabelSpreading knn, max_iter=30", f["sklearn_max_iter_30"]["n_iter"],
         f["sklearn_max_iter_30"]["seconds"], f["sklearn_max_iter_30"]["accuracy"],
         f["speedup_vs_sklearn_max_iter_30"]],
        ["sklearn LabelSpreading knn, max_iter=1000", f["sklearn_max_iter_1000"]["n_iter"],
         f["sklearn_max_iter_1000"]["seconds"], f["sklearn_max_iter_1000"]["accuracy"],
         f["speedup_vs_sklearn_max_iter_1000"]],
    ]
    print(f"\n### Whole fit, n = {r['n']:,} (best of repeats)\n")
    print(markdown_table(["fit", "iterations", "seconds", "accuracy (unlabelled)",
                          "time / mlviz"], rows))
    b = f["mlviz_breakdown_seconds"]
    print("\nmlviz fit breakdown (s): " + ", ".join(f"{k} {v:.3f}" for k, v in b.items())
          + f"; sklearn kneighbors_graph alone: {f['sklearn_knn_graph_seconds']:.2f} s")

    rows = [[("mlviz " if not name.startswith("sklearn") else "") + name, v["accuracy"],
             v["unreached_fraction"], v["n_iter"], v["seconds"]]
            for name, v in r["variants"].items()]
    rows.insert(-1, ["sklearn knn, max_iter=30", f["sklearn_max_iter_30"]["accuracy"], None,
                 f["sklearn_max_iter_30"]["n_iter"], f["sklearn_max_iter_30"]["seconds"]])
    rows.insert(-1, ["sklearn knn, max_iter=1000", f["sklearn_max_iter_1000"]["accuracy"],
                     None, f["sklearn_max_iter_1000"]["n_iter"],
                     f["sklearn_max_iter_1000"]["seconds"]])
    print(f"\n### Accuracy on unlabelled points, n = {r['n']:,}\n")
    print(markdown_table(["variant", "accuracy", "unreached fraction", "iterations", "seconds"],
                         rows))
    g, gu = r["graph"], r["graph_union"]
    print(f"\nisolated fraction (mlviz.graph.summarize), k = {K}: reciprocal "
          f"{100 * g['isolated_fraction']:.2f}% ({g['n_components']} components), union "
          f"{100 * gu['isolated_fraction']:.2f}% ({gu['n_components']} components)", flush=True)


def print_targets(results: list[dict]) -> dict:
    targets = {}
    for r in results:
        if r["n"] != 100_000:
            continue
        s = r["solve"]["power_plain"]["time_over_block_cg"]
        s_torch = r["solve"]["power_torch"]["time_over_block_cg"]
        f30 = r["fit"]["speedup_vs_sklearn_max_iter_30"]
        f1000 = r["fit"]["speedup_vs_sklearn_max_iter_1000"]
        targets = {
            "solve_speedup_vs_power_1000": s, "solve_target": 25.0, "solve_met": s >= 25.0,
            "solve_speedup_vs_power_1000_torch_product": s_torch,
            "fit_speedup_vs_sklearn_30": f30, "fit_speedup_vs_sklearn_1000": f1000,
            "fit_target": 5.0, "fit_met_vs_30": f30 >= 5.0, "fit_met_vs_1000": f1000 >= 5.0,
        }
        print("\n### Targets at n = 100k\n")
        print(markdown_table(["target", "measured", "met"], [
            ["solve >= 25x faster than power iteration (1000 its, plain scipy)", f"{s:.1f}x",
             "yes" if s >= 25 else "no"],
            ["(same, power iteration given torch's threaded product too)", f"{s_torch:.1f}x",
             "yes" if s_torch >= 25 else "no"],
            ["fit >= 5x faster than sklearn (max_iter=30)", f"{f30:.1f}x",
             "yes" if f30 >= 5 else "no"],
            ["fit >= 5x faster than sklearn (max_iter=1000)", f"{f1000:.1f}x",
             "yes" if f1000 >= 5 else "no"],
        ]))
    return targets


# ----------------------------------------------------------------------------- sweep


def _sweep_peers(X, yl) -> dict:
    _, _, Wn, _ = build_graph(X)
    Y = label_matrix(yl, N_CLASSES).astype(np.float32)
    return {
        "mlviz_fit": lambda: mlviz_fit(X, yl),
        "mlviz_solve": lambda: propagate(Wn, Y, ALPHA, tol=TOL, dtype=np.float32),
        "power_1000": lambda: power_plain(Wn, Y),
        "sklearn_fit_30": lambda: sklearn_fit(X, yl, 30),
        "sklearn_fit_1000": lambda: sklearn_fit(X, yl, 1000),
    }


def run_sweep(sizes, repeats: int, large_repeats: int) -> list[dict]:
    """Time vs n for the plot: mlviz fit, mlviz solve (CG), power iteration, sklearn fit."""
    rows = []
    for n in sizes:
        X, y = overlapping_gaussians(n, D, N_CLASSES, seed=0)
        yl = few_labels(y, PER_CLASS, seed=0)
        reps = repeats if n <= 20_000 else large_repeats
        res = best_interleaved(_sweep_peers(X, yl), reps)
        row = {"n": n, "repeats": reps}
        for name, (t, _, model) in res.items():
            row[f"{name}_seconds"] = t
            if name.endswith("fit") or name.startswith("sklearn"):
                row[f"{name}_accuracy"] = unl_accuracy(model, y, yl)
        row["mlviz_solve_n_iter"] = res["mlviz_solve"][2].iterations.n_iter
        rows.append(row)
        print(f"n = {n:>7,}: " + ", ".join(
            f"{k[:-8]} {v:.3f} s" for k, v in row.items() if k.endswith("_seconds")),
            flush=True)
    print(f"\n### Time vs n (seconds, best of {repeats} up to 20k, of {large_repeats} above)\n")
    print(markdown_table(
        ["n", "mlviz fit", "mlviz solve (block CG)", "CG its", "power iteration 1000 (scipy)",
         "sklearn fit (30)", "sklearn fit (1000)", "sklearn30 / mlviz fit",
         "mlviz acc", "sklearn30 acc"],
        [[r["n"], r["mlviz_fit_seconds"], r["mlviz_solve_seconds"], r["mlviz_solve_n_iter"],
          r["power_1000_seconds"], r["sklearn_fit_30_seconds"], r["sklearn_fit_1000_seconds"],
          r["sklearn_fit_30_seconds"] / r["mlviz_fit_seconds"], r["mlviz_fit_accuracy"],
          r["sklearn_fit_30_accuracy"]] for r in rows]))
    return rows


# ----------------------------------------------------------------------------- main


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="n = 10k only")
    p.add_argument("--sizes", type=int, nargs="+", help="override the sizes")
    p.add_argument("--repeats", type=int, default=3,
                   help="repeats of the solve comparison (best of; default 3)")
    p.add_argument("--fit-repeats", type=int, default=None,
                   help="repeats of the whole-fit comparison (default 3 at n <= 20k, else 2)")
    p.add_argument("--large-repeats", type=int, default=2,
                   help="--sweep: repeats above n = 20k (best of; default 2)")
    p.add_argument("--rw-to-tol-sizes", type=int, nargs="*", default=[10_000],
                   help="sizes at which power iteration also runs to tol (cap 5000 its)")
    p.add_argument("--sweep", action="store_true",
                   help="time vs n for the plot (results/propagation_sweep.json)")
    args = p.parse_args(argv)

    info = machine_info()
    print(f"machine: {machine_line(info)}")
    t0 = time.perf_counter()
    warm_up()
    if args.sweep:
        sizes = args.sizes or (SWEEP_SIZES[:3] if args.quick else SWEEP_SIZES)
        rows = run_sweep(sizes, args.repeats, args.large_repeats)
        path = write_json("propagation_sweep", {
            "machine": info, "config": _config(), "rows": rows, "repeats": args.repeats,
            "large_repeats": args.large_repeats,
            "total_seconds": time.perf_counter() - t0})
        print(f"\nwrote {path.relative_to(ROOT)}")
        return

    sizes = args.sizes or ([10_000] if args.quick else [10_000, 100_000])
    results = []
    for n in sizes:
        fit_repeats = args.fit_repeats or (3 if n <= 20_000 else 2)
        results.append(run_size(n, args.repeats, n in args.rw_to_tol_sizes, fit_repeats))
    targets = print_targets(results)
    name = "propagation_quick" if args.quick else "propagation"
    path = write_json(name, {"machine": info, "config": _config(), "results": results,
                             "targets": targets, "total_seconds": time.perf_counter() - t0})
    print(f"\ntotal {time.perf_counter() - t0:.0f} s; wrote {path.relative_to(ROOT)}")


def _config() -> dict:
    return {"alpha": ALPHA, "k": K, "d": D, "n_classes": N_CLASSES,
            "labels_per_class": PER_CLASS, "tol": TOL, "gamma": GAMMA,
            "power_iterations": RW_ITERS, "data": "benchmarks/_data.py overlapping_gaussians "
            "(separation 0.5, seed 0), few_labels(seed 0)"}


if __name__ == "__main__":
    main()
