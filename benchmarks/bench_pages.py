"""A page's rerun after a slider move, once the data, graph and results are cached.

For each page and n in {2,000, 20,000}: open the page through streamlit's AppTest, run it
once (filling the caches), then move one slider that does not change the graph, back and
forth, and time each rerun. Reports the first move (to a value not seen yet: what a student
waits for) and the median of the later moves (values seen before: what caching buys).

    python benchmarks/bench_pages.py            # n = 2,000 and 20,000
    python benchmarks/bench_pages.py --quick    # n = 2,000 only
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import machine_info  # noqa: E402

# (page, widget kind, key, two values to alternate between)
MOVES = [
    ("app.py", "toggle", "home_show_edges", (False, True)),
    ("pages/1_Ranking_on_manifolds.py", "slider", "rank_topk", (12, 10)),
    ("pages/2_Ranking_as_smoothing.py", "slider", "smooth_overlap_k", (25, 20)),
    ("pages/3_Mining_on_manifolds.py", "slider", "mine_k_e", (12, 10)),
    ("pages/4_Label_propagation.py", "radio", "lp_cert_as", ("size", "opacity")),
    ("pages/5_Deep_label_propagation.py", "slider", "dlp_per_class", (6, 5)),
]
TARGET_S = 0.3


def time_page(page: str, kind: str, key: str, values, n: int, repeats: int) -> dict:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    if page != "app.py":
        at.switch_page(page)
    at.query_params["n"] = str(n)
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"{page} failed: {at.exception[0].value}")
    times = []
    for i in range(repeats):
        getattr(at, kind)(key=key).set_value(values[i % 2])
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        if at.exception:
            raise RuntimeError(f"{page} failed after moving {key}: {at.exception[0].value}")
    return {"page": page, "n": n, "moved": key, "first_run_s": first, "first_move_s": times[0],
            "rerun_median_s": statistics.median(times[1:]), "rerun_all_s": times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 2,000 only")
    parser.add_argument("--repeats", type=int, default=7, help="slider moves per page (>= 2)")
    args = parser.parse_args()
    if args.repeats < 2:
        parser.error("--repeats must be at least 2")
    sizes = [2000] if args.quick else [2000, 20000]
    rows = [time_page(*move, n=n, repeats=args.repeats) for n in sizes for move in MOVES]
    print(f"| page | n | slider moved | first run (s) | first move (s) | later moves, median (s) "
          f"| under {TARGET_S} s |")
    print("|---|---:|---|---:|---:|---:|---|")
    for r in rows:
        ok = "yes" if max(r["first_move_s"], r["rerun_median_s"]) < TARGET_S else "no"
        print(f"| {r['page']} | {r['n']:,} | {r['moved']} | {r['first_run_s']:.2f} | "
              f"{r['first_move_s']:.3f} | {r['rerun_median_s']:.3f} | {ok if r['n'] == 2000 else '(target at 2,000)'} |")
    out = ROOT / "benchmarks" / "results" / ("pages_quick.json" if args.quick else "pages.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine_info(), "rows": rows}, indent=2))
    print(f"\nwritten {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
