"""Every page on a local 100,000 × 256 descriptor file: seconds per first visit, peak memory.

The file is written once (10 overlapping classes on the unit sphere, float32) and given to the
app as ``--data``; each page is opened in turn through Streamlit's AppTest in this one process,
so the data set, graph and layout are built once and shared, as on a server. Reports each
page's first-visit seconds and the process's peak resident memory (``ru_maxrss``), against the
issue's bound of 4 GB.

    python benchmarks/bench_local_100k.py            # n = 100,000, d = 256
    python benchmarks/bench_local_100k.py --n 20000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import machine_info, markdown_table, write_json  # noqa: E402

PAGES = ["app.py"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))


def descriptors(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    centres = rng.normal(size=(10, 16))
    mixing = rng.normal(size=(16, d))
    Z = centres[labels] + 0.8 * rng.normal(size=(n, 16))
    X = np.tanh(Z @ mixing / 4) + 0.05 * rng.normal(size=(n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32), labels


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=256)
    args = parser.parse_args(argv)
    from streamlit.testing.v1 import AppTest

    X, labels = descriptors(args.n, args.d)
    path = Path(tempfile.mkdtemp()) / "descriptors.npz"
    np.savez(path, X=X, labels=labels)
    del X
    sys.argv = ["app.py", "--data", str(path)]
    rows, visits = [], {}
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
        if page != "app.py":
            at.switch_page(page)
        at.query_params["data"] = "file"
        start = time.perf_counter()
        at.run()
        seconds = time.perf_counter() - start
        errors = [e.value for e in at.error] + [str(e.value) for e in at.exception]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
        visits[page] = {"seconds": seconds, "errors": errors, "peak_rss_gib": peak}
        rows.append([page, seconds, len(errors), peak])
        print(f"{page}: {seconds:.1f} s, {len(errors)} errors, peak RSS {peak:.2f} GiB",
              flush=True)
    payload = {"machine": machine_info(), "n": args.n, "d": args.d, "visits": visits,
               "peak_rss_gib": max(v["peak_rss_gib"] for v in visits.values()),
               "target_gib": 4.0}
    print(markdown_table(["page (first visit, in this order)", "seconds", "errors",
                          "peak RSS so far (GiB)"], rows))
    suffix = "" if (args.n, args.d) == (100_000, 256) else f"_{args.n}x{args.d}"
    print(f"written {write_json('local_100k' + suffix, payload)}")
    return payload


if __name__ == "__main__":
    main()
