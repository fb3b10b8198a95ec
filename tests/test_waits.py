"""Waits over a second say what they compute and about how long it takes."""

import numpy as np
import pytest
from conftest import app_test, assert_clean

from mlviz.knn import APPROXIMATE_FROM, IvfParameters
from mlviz.ui.waits import (
    KEPT_RUNS,
    SECONDS_PER_UNIT,
    WorkTimes,
    duration,
    graph_work,
    timed,
    work_times,
)


def test_an_estimate_starts_from_the_prior_then_follows_this_server():
    times = WorkTimes({"graph": 2.0})
    assert times.estimate("graph", 3.0) == pytest.approx(6.0)
    for seconds in (1.0, 10.0, 2.0):  # median rate 2 s per unit of 1 ... after three runs
        times.record("graph", 1.0, seconds)
    assert times.estimate("graph", 4.0) == pytest.approx(8.0)
    times.record("graph", 0.0, 5.0)  # no work: nothing to learn
    assert times.estimate("graph", 1.0) == pytest.approx(2.0)


def test_only_the_last_runs_count():
    times = WorkTimes({"graph": 1.0})
    for _ in range(10):
        times.record("graph", 1.0, 100.0)
    for _ in range(5):
        times.record("graph", 1.0, 3.0)
    assert times.estimate("graph", 1.0) == pytest.approx(3.0)


def test_timed_records_the_block_for_the_servers_estimates():
    before = work_times().estimate("anchors", 1.0)
    for _ in range(KEPT_RUNS):  # the median of the kept runs: other tests' runs are in it too
        with timed("anchors", 1e-12):  # a tiny work that took some time: a huge rate
            sum(range(10_000))
    assert work_times().estimate("anchors", 1.0) > before


@pytest.mark.parametrize("seconds, text", [(0.4, "about a second"), (3.2, "about 3 s"),
                                           (75, "about 75 s"), (150, "about 2 min")])
def test_durations_read_as_estimates(seconds, text):
    assert duration(seconds) == text


def test_the_graph_work_counts_what_the_index_scans():
    assert graph_work(1000, 64) == ("graph", 1000 * 1000 * 64)
    n = APPROXIMATE_FROM * 2
    ivf = IvfParameters.for_size(n)
    assert graph_work(n, 64)[1] == pytest.approx(n * n * 64 * ivf.n_probe / ivf.n_cells)


def test_every_prior_is_a_positive_rate():
    assert SECONDS_PER_UNIT and all(r > 0 for r in SECONDS_PER_UNIT.values())


def test_scikit_learn_runs_on_request_between_5k_and_20k_points():
    page = "pages/4_Label_propagation.py"
    at = app_test(page, timeout=300, n="6000", per_class="3").run()
    assert_clean(at)
    button = next(b for b in at.button if b.label.startswith("Run scikit-learn"))
    assert any("scikit-learn's LabelSpreading beside ours: about" in c.value for c in at.caption)
    assert not any(m.label == "scikit-learn" for m in at.metric)
    button.click().run()
    assert_clean(at)
    ours = next(m for m in at.metric if m.label == "scikit-learn")
    assert ours.value.endswith("%")
    at.select_slider(key="lp_alpha").set_value(0.9).run()  # new settings: asked again
    assert not any(m.label == "scikit-learn" for m in at.metric)
    assert any(b.label.startswith("Run scikit-learn") for b in at.button)
    assert np.isfinite(float(ours.value.rstrip("%")))


def test_concurrent_first_requests_wait_for_one_graph(monkeypatch):
    """Eight sessions asking at once for the same new graph: one computation, one result."""
    import threading
    import time

    from mlviz.ui import caches

    calls = []
    real = caches.build_knn_graph

    def slow_build(*args, **kwargs):
        calls.append(threading.get_ident())
        time.sleep(0.3)  # long enough for every thread to arrive while it runs
        return real(*args, **kwargs)

    monkeypatch.setattr(caches, "build_knn_graph", slow_build)
    X = np.random.default_rng(11).normal(size=(300, 4))
    params = caches.GraphParams(k=7, edges="reciprocal", kernel="cosine", gamma=3.0)
    key = ("test", "concurrent", float(time.time()))  # a key no other test uses
    barrier, graphs = threading.Barrier(8), []

    def session():
        barrier.wait()
        graphs.append(caches.cached_graph(key, params, X))

    threads = [threading.Thread(target=session) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(calls) == 1 and len(graphs) == 8
    assert all(g is graphs[0] for g in graphs)


def test_pil_is_imported_whole_before_any_figure_is_serialized():
    """plotly imports PIL.Image lazily inside to_json; with many sessions' first figures at
    once a thread could see it half initialized (seen with 12 sessions). The figures package
    imports it up front, in a fresh interpreter too."""
    import subprocess
    import sys

    code = ("import sys, mlviz.figures; m = sys.modules.get('PIL.Image'); "
            "assert m is not None and hasattr(m, 'Image')")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_no_page_shows_streamlits_spinner():
    """A spinning ring costs a waiting tab 0.1 core-s of Chromium a second (benchmarks/README.md,
    a class on one server): waits go through mlviz.ui.waits' still notice, cached functions
    through ``noticed`` with ``show_spinner=False``."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    found = []
    for path in [root / "app.py", *(root / "pages").glob("*.py"), *(root / "mlviz").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                found += [f"{path.name}: bare @{ast.unparse(d)} on {node.name}"
                          for d in node.decorator_list if isinstance(d, ast.Attribute)
                          and d.attr in ("cache_data", "cache_resource")]
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            if name.endswith(".spinner"):
                found.append(f"{path.name}: {name}")
            if name.endswith(("cache_data", "cache_resource")):
                spinner = [k for k in node.keywords if k.arg == "show_spinner"]
                if not spinner or not (isinstance(spinner[0].value, ast.Constant)
                                       and spinner[0].value.value is False):
                    found.append(f"{path.name}: {ast.unparse(node)}")
    assert not found, found
