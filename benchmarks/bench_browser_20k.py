"""A researcher's 20,000 descriptors in a real browser: first visits and slider moves.

Writes a 20,000 × 256 float32 file on the unit sphere (10 overlapping classes, the recipe of
``bench_local_100k.py``), starts ``streamlit run app.py -- --data FILE`` and opens it in one
headless Chromium. Home first (data, graph and layout built: the issue's "after the graph
exists"), then each method page through the sidebar's own link, as a student moves between
pages: "first visit" is the click to an idle page. On each page a named slider is moved
``--repeats`` times to values not seen before (ArrowLeft / ArrowRight on its thumb), each timed
from the key press to an idle page.

"Idle": the app's ``data-test-script-state="notRunning"``, no ``stSkeleton``, polled every
50 ms; the time is the first poll that found it idle and it still was 0.5 s later. The bytes
of the rerun's websocket messages are counted (the server streams its messages while the
script runs and the browser draws each as it comes, so the two overlap on the same cores),
and where the time went: the server's CPU seconds (its process and children, ``/proc``) and
the browser tab's main-thread busy seconds (Chrome's ``Performance.getMetrics``,
``TaskDuration``), both over the same interval.

    python benchmarks/bench_browser_20k.py                  # n = 20,000, d = 256
    python benchmarks/bench_browser_20k.py --n 5000 --repeats 1

Writes ``results/browser_20k.json`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import machine_info, markdown_table, write_json  # noqa: E402
from bench_classroom import (  # noqa: E402
    CHROMIUM,
    IDLE_JS,
    RUNNING,
    RssSampler,
    cpu_seconds,
    free_port,
    start_server,
)
from bench_local_100k import descriptors  # noqa: E402

# (page's sidebar link, slider label, first key to press)
PAGES = [
    ("Ranking_on_manifolds", "α", "ArrowLeft"),
    ("Ranking_as_smoothing", "α of h_α on the graph", "ArrowLeft"),
    ("Mining_on_manifolds", "|E|: Euclidean neighbours", "ArrowRight"),
    ("Label_propagation", "α", "ArrowLeft"),
    ("Deep_label_propagation", "Labels per class", "ArrowRight"),
]
TARGET_MOVE_S, TARGET_VISIT_S = 1.0, 3.0


class Wire:
    """Counts the bytes of the websocket messages the page receives, and where the time goes:
    the server's CPU seconds (``/proc``, process and children) and the browser's main-thread
    busy seconds (Chrome's ``Performance.getMetrics``: ``TaskDuration``)."""

    def __init__(self, page, server_pid: int | None):
        self.bytes, self.server_pid = 0, server_pid
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Performance.enable")

    def _frame(self, payload) -> None:
        self.bytes += len(payload)

    def counters(self) -> tuple[int, float, float]:
        metrics = {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}
        server = cpu_seconds(self.server_pid) if self.server_pid else float("nan")
        return self.bytes, server, metrics.get("TaskDuration", float("nan"))


def settle(page, wire: Wire, t0: float, timeout_s: float) -> dict:
    """Wait for the rerun to start (at most 3 s), then for an idle page."""
    bytes0, server0, browser0 = wire.counters()
    end = time.perf_counter() + 3.0
    while time.perf_counter() < end and not page.locator(RUNNING).count():
        page.wait_for_timeout(25)
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if page.evaluate(IDLE_JS):
            idle_at = time.perf_counter()
            page.wait_for_timeout(500)
            if page.evaluate(IDLE_JS):
                sent, server, browser = wire.counters()
                return {"total_s": idle_at - t0, "bytes": sent - bytes0,
                        "server_cpu_s": server - server0, "browser_busy_s": browser - browser0}
        page.wait_for_timeout(50)
    raise TimeoutError(f"page not idle within {timeout_s} s")


def slider(page, label: str):
    for s in page.locator('[data-testid="stMain"] [data-testid="stSlider"]').all():
        if s.locator('[data-testid="stWidgetLabel"]').inner_text().strip() == label:
            return s
    raise LookupError(f"no slider labelled {label!r}")


def move(page, wire: Wire, label: str, key: str, timeout_s: float) -> dict:
    s = slider(page, label)
    thumb = s.locator('input[type="range"], [role="slider"]').first
    value = s.locator('[data-testid="stSliderThumbValue"]').first
    before = value.inner_text()
    thumb.focus()
    t0 = time.perf_counter()
    thumb.press(key)
    timing = settle(page, wire, t0, timeout_s)
    after = slider(page, label).locator('[data-testid="stSliderThumbValue"]').first.inner_text()
    return {**timing, "moved": f"{before} -> {after}"}


def run(base: str, repeats: int, timeout_s: float, only: list[str] | None = None,
        server_pid: int | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    out = {"home": None, "pages": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        wire = Wire(page, server_pid)
        t0 = time.perf_counter()
        page.goto(base + "/?data=file", wait_until="domcontentloaded")
        out["home"] = settle(page, wire, t0, timeout_s)
        for name, label, key in PAGES:
            if only and name not in only:
                continue
            link = page.locator(f'[data-testid="stSidebar"] a[href="{name}"]').first
            t0 = time.perf_counter()
            link.click()
            visit = settle(page, wire, t0, timeout_s)
            moves = []
            for _ in range(repeats):
                moves.append(move(page, wire, label, key, timeout_s))
                if moves[-1]["moved"].split(" -> ")[0] == moves[-1]["moved"].split(" -> ")[1]:
                    key = "ArrowRight" if key == "ArrowLeft" else "ArrowLeft"
                    moves[-1] = move(page, wire, label, key, timeout_s)
            errors = page.locator('[data-testid="stException"], '
                                  '[data-testid="stAlertContentError"]').count()
            out["pages"].append({"page": name, "slider": label, "visit": visit,
                                 "moves": moves, "errors": errors})
            print(f"{name}: visit {visit['total_s']:.2f} s, moves "
                  f"{[round(m['total_s'], 2) for m in moves]}", flush=True)
        browser.close()
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--d", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--pages", nargs="*", help="only these pages (their URL names)")
    parser.add_argument("--port", type=int, default=0,
                        help="a server already running with --data on this port (0: start one)")
    args = parser.parse_args(argv)
    X, labels = descriptors(args.n, args.d)
    path = Path(tempfile.mkdtemp()) / "descriptors.npz"
    np.savez(path, X=X, labels=labels)
    if args.port:
        port, server = args.port, None
    else:
        port = free_port()
        server = start_server(port, Path(tempfile.gettempdir()) / "browser_20k_streamlit.log",
                              app_args=("--data", str(path)))
        sampler = RssSampler(server.pid)
        sampler.start()
    try:
        result = run(f"http://127.0.0.1:{port}", args.repeats, args.timeout, args.pages,
                     server.pid if server is not None else None)
    finally:
        if server is not None:
            sampler.halt.set()
            server.terminate()
            server.wait(30)
    home = result["home"]
    rows = [["home (data, graph, layout)", f"{home['total_s']:.2f}",
             f"{home['server_cpu_s']:.2f} / {home['browser_busy_s']:.2f}", "", "", "", ""]]
    for p in result["pages"]:
        totals = [m["total_s"] for m in p["moves"]]
        med = statistics.median(totals)
        mid = sorted(p["moves"], key=lambda m: m["total_s"])[len(totals) // 2]
        p["move_median_s"] = med
        visit = p["visit"]
        rows.append([p["page"].replace("_", " "), f"{visit['total_s']:.2f}",
                     f"{visit['server_cpu_s']:.2f} / {visit['browser_busy_s']:.2f}",
                     f"{p['slider']}", f"{med:.2f}",
                     f"{mid['server_cpu_s']:.2f} / {mid['browser_busy_s']:.2f}",
                     f"{mid['bytes'] / 1e6:.2f}"])
    peak = sampler.peak if server is not None else None
    result.update(n=args.n, d=args.d, repeats=args.repeats, peak_rss_bytes=peak,
                  machine=machine_info())
    print(markdown_table(["page", "first visit (s)", "server CPU / browser busy (s)", "slider",
                          "move median (s)", "server CPU / browser busy (s)",
                          "MB sent per move"], rows))
    if server is None:
        return result  # someone else's server: a probe, not a result to keep
    print(f"peak server RSS {peak / 2**30:.2f} GiB")
    write_json(f"browser_{args.n // 1000}k", result)
    return result


if __name__ == "__main__":
    main()
