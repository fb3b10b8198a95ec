"""Seeded synthetic data and machine info shared by the benchmark scripts.

Not part of the library: only the benchmarks import it.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def overlapping_gaussians(
    n: int,
    d: int = 64,
    n_classes: int = 10,
    *,
    separation: float = 0.5,
    seed: int = 0,
    dtype=np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of ``n_classes`` overlapping Gaussian classes in ``d`` dimensions.

    Class ``j`` has mean ``separation * sqrt(d) * u_j`` (``u_j`` a random unit vector, so
    class means are ``~separation * sqrt(2 d)`` apart) and an isotropic spread that varies
    by class (0.8 to 1.25, so some classes are denser than others: plain argmax of label
    propagation is then biased towards the dense classes, which class mass normalization
    corrects). Class sizes are unequal too (weights 1 to 2). The overlap is such that label
    propagation is well above chance but clearly below 1.0.

    Returns
    -------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,), int64, classes ``0..n_classes-1``
    """
    rng = np.random.default_rng(seed)
    means = rng.standard_normal((n_classes, d))
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    means *= separation * np.sqrt(d)
    spreads = np.linspace(0.8, 1.25, n_classes)
    weights = np.linspace(1.0, 2.0, n_classes)
    y = rng.choice(n_classes, size=n, p=weights / weights.sum())
    X = means[y] + spreads[y, None] * rng.standard_normal((n, d))
    # A common offset: cosine similarity then sees the classes as cones around one
    # direction, as with real (non-centred) descriptors.
    X += 0.5 * rng.standard_normal(d)
    return X.astype(dtype), y.astype(np.int64)


def few_labels(y: np.ndarray, per_class: int = 20, seed: int = 0) -> np.ndarray:
    """``y`` with all but ``per_class`` random labels per class replaced by ``-1``."""
    rng = np.random.default_rng(seed + 1)
    out = np.full_like(y, -1)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        keep = rng.choice(idx, size=min(per_class, idx.size), replace=False)
        out[keep] = c
    return out


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(name: str) -> str | None:
    try:
        mod = __import__(name)
    except Exception:  # noqa: BLE001 - absent or broken: report as missing
        return None
    return str(getattr(mod, "__version__", "unknown"))


def machine_info() -> dict:
    """CPU model, cores, Python and library versions, date: stored beside every result."""
    try:
        import torch

        torch_threads = torch.get_num_threads()
    except Exception:  # noqa: BLE001
        torch_threads = None
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {
        "cpu_model": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "mem_gb": _mem_gb(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": _version("numpy"),
        "scipy": _version("scipy"),
        "sklearn": _version("sklearn"),
        "faiss": _version("faiss"),
        "torch": _version("torch"),
        "torch_threads": torch_threads,
        "pynndescent": _version("pynndescent"),
        "load_average_at_start": load,
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _mem_gb() -> float | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal"):
                    return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def machine_line(info: dict) -> str:
    return (
        f"{info['cpu_model']}, {info['cores_usable']} cores, {info['mem_gb']} GB; "
        f"Python {info['python']}, numpy {info['numpy']}, scipy {info['scipy']}, "
        f"scikit-learn {info['sklearn']}, faiss {info['faiss']}, torch {info['torch']}; "
        f"{info['date']}"
    )


def timed(fn, *args, **kwargs):
    """``(seconds, result)`` of one call, by ``time.perf_counter``."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def write_json(name: str, payload: dict) -> Path:
    """Write ``results/<name>.json``, adding the load average at the end of the run."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    if isinstance(payload.get("machine"), dict) and hasattr(os, "getloadavg"):
        payload["machine"]["load_average_at_end"] = os.getloadavg()
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=_jsonable) + "\n")
    return path


def _jsonable(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serializable: {type(obj)}")


def markdown_table(headers: list[str], rows: list[list]) -> str:
    def fmt(v):
        if v is None:
            return "–"
        if isinstance(v, float):
            if v == 0:
                return "0"
            if abs(v) >= 100:
                return f"{v:.0f}"
            if abs(v) >= 1:
                return f"{v:.2f}"
            return f"{v:.3g}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
