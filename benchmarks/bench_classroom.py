"""A class on one server: N browser sessions walk the tour at once.

Starts ``streamlit run app.py`` as a subprocess, waits for ``/_stcore/health``, then opens
N sessions with Playwright (one headless Chromium, N browser contexts, one page each; the
asyncio API drives them all at once, started within the same half minute). Each session
walks the tour

    home -> Ranking_on_manifolds -> Ranking_as_smoothing -> Mining_on_manifolds
         -> Label_propagation -> Deep_label_propagation

on the default two moons, except the two training pages (mining and deep LP), opened on
``?data=real&real=digits``. On each page it times navigation -> idle page (the app's
``data-test-script-state="notRunning"``, no ``stSkeleton``, stable for 0.5 s), then presses
ArrowRight on the first slider of the main area (its ``input[type=range]``;
on home, which has none, it flips the first toggle) and times move -> idle page. Every
third session then presses "Train deep LP ..." (3 epochs, 1 warm-up; ``train_seed`` set to
the session number, so that each is its own run in the server's one training queue rather
than joining another session's identical run) and is timed until the queue / progress box
is gone and the results ("epochs done") are shown; the time the "Waiting for a free training
slot" box was shown is the session's queue wait.

Errors counted per page: ``stException`` boxes, ``stAlertContentError`` alerts, uncaught page
errors (``pageerror``) and steps that ran past the per-step bound (``--step-timeout``). A
session that could not finish its tour (a page never idle, or cut short by the whole run's
bound ``--run-timeout``, after which no session opens a new page) is "lost". A thread samples the server's resident
memory (the process and its children, from psutil or ``/proc/PID/status`` VmRSS) every 0.5 s.

Writes ``benchmarks/results/classroom_N.json`` and prints a markdown table.

    python benchmarks/bench_classroom.py --sessions 12
    python benchmarks/bench_classroom.py --sessions 30
    python benchmarks/bench_classroom.py --quick          # 3 sessions, a quick check
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from _data import machine_info  # noqa: E402

from mlviz.ui.live_chart import CHARTS_SETTLED_JS  # noqa: E402

CHROMIUM = os.environ.get("MLVIZ_CHROMIUM", "/usr/bin/chromium")
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
DIGITS = "data=real&real=digits"
TOUR = [  # (page, how it is opened: the teacher's link or the app's menu, its address)
    ("home", "link sent", "/"),
    ("ranking", "menu", "Ranking_on_manifolds"),
    ("smoothing", "menu", "Ranking_as_smoothing"),
    ("mining", "link sent", f"/Mining_on_manifolds?{DIGITS}"),
    ("label propagation", "menu", "Label_propagation"),
    ("deep LP", "link sent", f"/Deep_label_propagation?{DIGITS}&epochs=3&warmup=1"),
]
"""The two training pages on digits are opened from links the teacher sends (with the data and
the run's settings in them); the others from the app's menu in the sidebar, as a student moves
on (the same session: no new page load). ``--urls-only`` opens every page from its address
instead, as this benchmark did before."""
URLS_ONLY = False
MENU_URLS = {"ranking": "/Ranking_on_manifolds", "smoothing": "/Ranking_as_smoothing",
             "label propagation": "/Label_propagation"}
TRAIN_BUTTON = "Train deep LP"
QUEUE_TEXT = "Waiting for a free training slot"
IDLE_JS = """() => !!document.querySelector('IDLE')
    && !document.querySelector('[data-testid="stSkeleton"]')
    && document.querySelectorAll('[data-testid="stElementContainer"]').length > 0
    && CHARTS_SETTLED""".replace("IDLE", IDLE).replace("CHARTS_SETTLED", CHARTS_SETTLED_JS)


FLOOR_PAGE = """import sys
sys.path.insert(0, {root!r})
import numpy as np, plotly.graph_objects as go, streamlit as st
from mlviz.ui.live_chart import live_chart

st.set_page_config(page_title={title!r}, layout="wide")
st.title({title!r})
X = np.random.default_rng(0).normal(size=(600, 2))
scale = (1.0 if st.toggle("Stretch", value=True) else 0.5) if {home!r} else st.slider(
    "A parameter", 0.0, 1.0, 0.5, 0.05)
live_chart(go.Figure(go.Scatter(x=X[:, 0], y=X[:, 1] * scale, mode="markers")), key="c",
           config={{}})
if {train!r} and st.button({button!r}):
    st.write("3 epochs done")
"""


def write_floor_app(folder: Path) -> Path:
    """A minimal app with the tour's page names, for ``--floor``: each page a title, one
    slider (home: a toggle) and one 600-point chart drawn by the app's live chart; the deep LP
    page's train button only writes "epochs done". What Streamlit, plotly.js and the browsers
    cost on this machine for the same walk, whatever the app draws."""
    (folder / "pages").mkdir(parents=True, exist_ok=True)
    (folder / ".streamlit").mkdir(exist_ok=True)
    (folder / ".streamlit" / "config.toml").write_text(
        (ROOT / ".streamlit" / "config.toml").read_text().replace(
            "showSidebarNavigation = false", "showSidebarNavigation = true"))
    for name, _, path in TOUR:
        page = path.split("?")[0].strip("/")
        text = FLOOR_PAGE.format(root=str(ROOT), title=page or "home", home=not page,
                                 train=name == "deep LP", button=TRAIN_BUTTON)
        (folder / (f"pages/{page}.py" if page else "app.py")).write_text(text)
    return folder


# --- server and its memory ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log_path: Path, app_args: tuple[str, ...] = (),
                 env: dict | None = None, app_dir: Path = ROOT) -> subprocess.Popen:
    """``streamlit run app.py`` in ``app_dir`` on ``port``; ``app_args`` go to the app after
    ``--``."""
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", *(("--", *app_args) if app_args else ())],
        cwd=app_dir, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                      timeout=2).status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"streamlit did not start within 90 s; see {log_path}")


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            kids.append(int(entry))
    return kids


def _vmrss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants."""
    try:
        import psutil

        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
        total = 0
        for q in procs:
            try:
                total += q.memory_info().rss
            except psutil.Error:
                pass
        return total
    except ImportError:
        pass
    return sum(_vmrss(q) for q in _tree(pid))


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    todo, seen = [pid], []
    while todo:
        q = todo.pop()
        if q not in seen:
            seen.append(q)
            todo.extend(_children(q))
    return seen


def _cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and its descendants, from ``/proc``."""
    return sum(_cpu(q) for q in _tree(pid))


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy since boot (``/proc/stat``: all but idle and iowait)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


class RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, int]] = []
        self.halt = threading.Event()
        self.t0 = time.perf_counter()

    def run(self) -> None:
        while not self.halt.is_set():
            self.samples.append((time.perf_counter() - self.t0, rss_bytes(self.pid)))
            self.halt.wait(self.every)

    @property
    def peak(self) -> int:
        return max((b for _, b in self.samples), default=0)


# --- one session ------------------------------------------------------------------------


async def wait_idle(page, timeout_s: float) -> None:
    """Idle page: script not running, no skeleton, some elements drawn; still so 0.5 s on."""
    deadline = time.perf_counter() + timeout_s
    while True:
        left = max(deadline - time.perf_counter(), 0.1) * 1000
        await page.wait_for_function(IDLE_JS, timeout=left, polling=200)
        await asyncio.sleep(0.5)
        if await page.evaluate(IDLE_JS):
            return
        if time.perf_counter() > deadline:
            raise TimeoutError("page did not settle")


async def count_errors(page) -> list[str]:
    found = []
    for sel in ('[data-testid="stException"]', '[data-testid="stAlertContentError"]'):
        loc = page.locator(sel)
        for i in range(await loc.count()):
            try:
                found.append(f"{sel}: {(await loc.nth(i).inner_text(timeout=2000))[:300]}")
            except Exception as e:  # noqa: BLE001
                found.append(f"{sel}: (text unreadable: {e})")
    return found


async def _rerun_done(page, timeout_s: float) -> None:
    """After a widget change: wait (at most 3 s) for the rerun to start, then for idle."""
    end = time.perf_counter() + 3.0
    while time.perf_counter() < end:
        if await page.locator(RUNNING).count():
            break
        await asyncio.sleep(0.1)
    await wait_idle(page, timeout_s)


async def move_slider(page, timeout_s: float) -> str | None:
    """ArrowRight on the first slider of the main area; returns "label: before -> after".

    Streamlit 1.67 draws sliders with react-aria: the thumb is a visually hidden
    ``input[type=range]`` (older versions: a ``[role=slider]`` div); both are tried."""
    main = page.locator('[data-testid="stMain"] [data-testid="stSlider"]')
    if await main.count() == 0:  # the home page has no slider: flip its first toggle
        box = page.locator('[data-testid="stMain"] [data-testid="stCheckbox"]')
        if await box.count() == 0:
            return None
        name = (await box.first.inner_text()).strip()
        await box.first.locator("label").first.click()
        await _rerun_done(page, timeout_s)
        return f"toggle {name}"
    slider = main.first
    thumb = slider.locator('input[type="range"]')
    if await thumb.count() == 0:
        thumb = slider.locator('[role="slider"]')
    thumb = thumb.first
    label = (await slider.locator('[data-testid="stWidgetLabel"]').inner_text(
        timeout=timeout_s * 1000)).strip()
    before = await slider.locator('[data-testid="stSliderThumbValue"]').first.inner_text()
    await thumb.focus()
    await thumb.press("ArrowRight")
    await _rerun_done(page, timeout_s)
    after = await main.first.locator('[data-testid="stSliderThumbValue"]').first.inner_text()
    return f"{label}: {before} -> {after}"


async def train(page, timeout_s: float) -> dict:
    """Press train; time until the queue / progress box is gone and results are shown."""
    out = {"requested": True, "completed": False, "queue_wait_s": 0.0, "total_s": None}
    button = page.locator("button", has_text=TRAIN_BUTTON).first
    await button.wait_for(timeout=30_000)
    t0 = time.perf_counter()
    await button.click()
    queue_first = queue_last = None
    seen_box = False
    deadline = t0 + timeout_s
    while time.perf_counter() < deadline:
        now = time.perf_counter()
        queued = await page.get_by_text(QUEUE_TEXT).count() > 0
        progress = await page.locator('[data-testid="stProgress"]').count() > 0
        if queued:
            queue_first = queue_first or now
            queue_last = now
        if queued or progress:
            seen_box = True
        elif (seen_box or now - t0 > 5) and await page.get_by_text("epochs done").count():
            out["completed"] = True
            break
        await asyncio.sleep(0.25)
    out["total_s"] = time.perf_counter() - t0
    if queue_first is not None:
        out["queue_wait_s"] = queue_last - queue_first + 0.25
    try:
        await wait_idle(page, 30)
    except Exception:  # noqa: BLE001
        pass
    return out


async def session(browser, base: str, index: int, trains: bool, delay: float,
                  step_timeout: float, train_timeout: float, deadline: float) -> dict:
    await asyncio.sleep(delay)
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1600})
    page = await ctx.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda e: page_errors.append(str(e)[:300]))
    rec = {"session": index, "trains": trains, "pages": [], "finished": False, "training": None}
    try:
        for name, how, path in TOUR:
            if time.perf_counter() > deadline:  # the whole run's bound: stop, count it lost
                rec["cut_at"] = name
                break
            step = {"page": name, "load_s": None, "move_s": None, "moved": None, "errors": []}
            rec["pages"].append(step)
            step["opened_by"] = how = "link sent" if URLS_ONLY else how
            url = base + (MENU_URLS.get(name, path) if how == "link sent" else "")
            if name == "deep LP":
                url += f"&train_seed={index}"
            n_err = len(page_errors)
            t0 = time.perf_counter()
            try:
                if how == "menu":
                    await page.locator(f'[data-testid="stSidebar"] a[href$="{path}"]').first.click(
                        timeout=step_timeout * 1000)
                    await _rerun_done(page, step_timeout)
                else:
                    await page.goto(url, wait_until="domcontentloaded",
                                    timeout=step_timeout * 1000)
                    await wait_idle(page, step_timeout)
                step["load_s"] = time.perf_counter() - t0
                t1 = time.perf_counter()
                step["moved"] = await move_slider(page, step_timeout)
                step["move_s"] = time.perf_counter() - t1
            except Exception as e:  # noqa: BLE001 (timeouts, closed pages: count, go on)
                step["errors"].append(f"step failed: {type(e).__name__}: {str(e)[:200]}")
            step["errors"] += await count_errors(page)
            step["errors"] += [f"pageerror: {m}" for m in page_errors[n_err:]]
            if name == "deep LP" and trains:
                try:
                    rec["training"] = await train(page, train_timeout)
                except Exception as e:  # noqa: BLE001
                    rec["training"] = {"requested": True, "completed": False,
                                       "error": f"{type(e).__name__}: {str(e)[:200]}"}
                step["errors"] += await count_errors(page)
        rec["finished"] = len(rec["pages"]) == len(TOUR) and all(
            p["load_s"] is not None for p in rec["pages"])
    finally:
        await ctx.close()
    return rec


async def classroom(base: str, n: int, step_timeout: float, train_timeout: float,
                    spread: float, run_timeout: float) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            gap = spread / max(n - 1, 1)
            deadline = time.perf_counter() + run_timeout
            return await asyncio.gather(*[
                session(browser, base, i, i % 3 == 0, i * gap, step_timeout, train_timeout,
                        deadline)
                for i in range(n)])
        finally:
            await browser.close()


# --- report -----------------------------------------------------------------------------


def summarise(records: list[dict], peak_rss: int, n: int, wall: float) -> dict:
    pages = []
    for name, _, _ in TOUR:
        steps = [p for r in records for p in r["pages"] if p["page"] == name]
        times = [t for p in steps for t in (p["load_s"], p["move_s"]) if t is not None]
        loads = [p["load_s"] for p in steps if p["load_s"] is not None]
        moves = [p["move_s"] for p in steps if p["move_s"] is not None]
        pages.append({
            "page": name, "reached": len(loads),
            "load_median_s": statistics.median(loads) if loads else None,
            "load_worst_s": max(loads) if loads else None,
            "move_median_s": statistics.median(moves) if moves else None,
            "move_worst_s": max(moves) if moves else None,
            "worst_s": max(times) if times else None,
            "errors": sum(len(p["errors"]) for p in steps),
            "app_errors": sum(not e.startswith("step failed") for p in steps
                              for e in p["errors"]),
            "step_failures": sum(e.startswith("step failed") for p in steps
                                 for e in p["errors"]),
        })
    trained = [r["training"] for r in records if r["training"]]
    done = [t for t in trained if t and t.get("completed")]
    waits = [t.get("queue_wait_s", 0.0) for t in trained if t]
    return {
        "sessions": n, "wall_s": wall, "pages": pages,
        "lost_sessions": sum(not r["finished"] for r in records),
        "training_meant": sum(r["trains"] for r in records),
        "training_requested": len(trained), "training_completed": len(done),
        "queue_wait_longest_s": max(waits, default=0.0),
        "training_longest_s": max((t["total_s"] for t in done), default=None),
        "peak_rss_mib": peak_rss / 2**20,
        "errors": sum(p["errors"] for p in pages),
        "loads_within_20s": sum(p["load_s"] is not None and p["load_s"] <= 20
                                for r in records for p in r["pages"]),
        "loads": sum(len(r["pages"]) for r in records),
    }


def fmt(x) -> str:
    return "—" if x is None else f"{x:.1f}"


def table(s: dict) -> str:
    rows = ["| page | sessions reached | load median (s) | load worst (s) | slider move median (s) "
            "| slider move worst (s) | app errors | steps failed |", "|---|---|---|---|---|---|---|---|"]
    for p in s["pages"]:
        rows.append(f"| {p['page']} | {p['reached']} / {s['sessions']} | "
                    f"{fmt(p['load_median_s'])} | {fmt(p['load_worst_s'])} | "
                    f"{fmt(p['move_median_s'])} | {fmt(p['move_worst_s'])} | {p['app_errors']} | "
                    f"{p['step_failures']} |")
    rows.append("")
    rows.append(f"Page loads idle within 20 s: {s['loads_within_20s']} of {s['loads']}.")
    rows.append(f"Training: {s['training_meant']} sessions meant to train, "
                f"{s['training_requested']} pressed the button, {s['training_completed']} runs "
                f"completed; longest wait in the queue {s['queue_wait_longest_s']:.1f} s; "
                f"longest press-to-results {fmt(s['training_longest_s'])} s. "
                f"Lost sessions: {s['lost_sessions']}. Peak server RSS "
                f"{s['peak_rss_mib']:.0f} MiB. Wall time {s['wall_s']:.0f} s.")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=12, help="browser sessions (N)")
    parser.add_argument("--port", type=int, default=0, help="server port (0: a free one)")
    parser.add_argument("--quick", action="store_true", help="3 sessions, a quick check")
    parser.add_argument("--step-timeout", type=float, default=180.0,
                        help="bound on each navigation / slider move, seconds")
    parser.add_argument("--train-timeout", type=float, default=420.0,
                        help="bound on one training run from press to results, seconds")
    parser.add_argument("--run-timeout", type=float, default=1500.0,
                        help="no session starts a new page after this many seconds; "
                             "the sessions cut short count as lost")
    parser.add_argument("--spread", type=float, default=30.0,
                        help="the sessions start spread over this many seconds")
    parser.add_argument("--floor", action="store_true",
                        help="walk a minimal app instead (one slider and one chart a page)")
    parser.add_argument("--urls-only", action="store_true",
                        help="open every page from its address (a new page load each)")
    args = parser.parse_args()
    global URLS_ONLY
    URLS_ONLY = args.urls_only
    n = 3 if args.quick else args.sessions
    port = args.port or free_port()
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    app_dir = write_floor_app(Path(tempfile.mkdtemp())) if args.floor else ROOT
    server = start_server(port, Path(f"/tmp/classroom_{n}_streamlit.log"), app_dir=app_dir)
    sampler = RssSampler(server.pid)
    sampler.start()
    cpu0, busy0 = cpu_seconds(server.pid), machine_busy_seconds()
    try:
        t0 = time.perf_counter()
        records = asyncio.run(classroom(f"http://127.0.0.1:{port}", n, args.step_timeout,
                                        args.train_timeout, args.spread,
                                        args.run_timeout))
        wall = time.perf_counter() - t0
        server_cpu = cpu_seconds(server.pid) - cpu0
        machine_busy = machine_busy_seconds() - busy0
    finally:
        sampler.halt.set()
        sampler.join(timeout=5)
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    summary = summarise(records, sampler.peak, n, wall)
    summary["server_cpu_s"] = server_cpu
    summary["machine_busy_s"] = machine_busy
    print(f"CPU over the run: server {server_cpu:.0f} s of the machine's {machine_busy:.0f} busy "
          f"core-seconds ({server_cpu / max(machine_busy, 1e-9):.0%}); the rest is the browsers.")
    out = {"summary": summary, "sessions": records, "machine": machine_info(),
           "rss_samples": sampler.samples[::2],
           "settings": {"step_timeout_s": args.step_timeout,
                        "train_timeout_s": args.train_timeout, "spread_s": args.spread,
                        "run_timeout_s": args.run_timeout, "urls_only": URLS_ONLY,
                        "floor": args.floor}}
    path = results / (f"classroom_{n}{'_urls' if URLS_ONLY else ''}"
                      f"{'_floor' if args.floor else ''}.json")
    path.write_text(json.dumps(out, indent=1))
    print(table(summary))
    print(f"\nwrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
