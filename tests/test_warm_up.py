"""The background warm-up: the smoothing and mining pages' opening work, computed once per
data set and graph in one low-priority thread, into the caches the pages read."""

import os
import sys
import threading

import numpy as np
import pytest
from conftest import app_test, assert_clean

import mlviz.ui.caches as caches
from mlviz.ui.waits import BACKGROUND_THREAD, WorkTimes
from mlviz.ui.warm_up import NICE, WarmUps


def test_each_key_is_worked_once_in_order_on_one_low_priority_thread():
    ups, seen, done = WarmUps(), [], threading.Event()

    def step(name):
        def run():
            seen.append((name, threading.current_thread().name,
                         os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
        return run

    def fails():
        raise RuntimeError("a step that fails")

    assert ups.submit(("a",), [step("a1"), fails, step("a2")])
    assert not ups.submit(("a",), [step("again")])  # queued before: not twice
    assert ups.submit(("b",), [step("b1"), done.set])
    assert done.wait(30)
    ups.jobs.join()
    assert [name for name, _, _ in seen] == ["a1", "a2", "b1"]  # a failed step does not stop the rest
    assert {thread for _, thread, _ in seen} == {BACKGROUND_THREAD}
    if sys.platform.startswith("linux"):
        assert {nice for _, _, nice in seen} == {os.getpriority(os.PRIO_PROCESS, 0) + NICE}


def test_a_step_runs_with_one_blas_thread_and_the_limit_is_lifted_after():
    """The thread is niced, OpenBLAS's worker threads are not: a step's BLAS stays on it."""
    from threadpoolctl import threadpool_info

    def blas_threads() -> set[int]:
        return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    before = blas_threads()
    if not before:
        pytest.skip("no BLAS library seen by threadpoolctl")
    ups, inside = WarmUps(), []
    assert ups.submit(("blas",), [lambda: inside.append(blas_threads())])
    ups.jobs.join()
    assert inside == [{1}]
    assert blas_threads() == before


def test_a_finished_step_no_longer_holds_its_data_set():
    import weakref

    ups = WarmUps()

    class Arrays:  # a data set's X and W_norm, captured by its steps
        pass

    data = Arrays()
    held = weakref.ref(data)
    assert ups.submit(("big",), [lambda data=data: None, lambda data=data: None])
    del data
    ups.jobs.join()
    assert held() is None  # freed, though the thread lives on, waiting for the next job


def test_the_warm_up_threads_times_are_not_kept_for_estimates():
    from mlviz.ui import waits

    times = WorkTimes({"graph": 1.0})
    original = waits.work_times
    waits.work_times = lambda: times
    try:
        def timed_block():
            with waits.timed("graph", 1.0):
                pass
        background = threading.Thread(target=timed_block, name=BACKGROUND_THREAD)
        background.start()
        background.join()
        assert times.estimate("graph", 1.0) == 1.0  # the prior: nothing recorded
        timed_block()
        assert times.estimate("graph", 1.0) < 0.5  # this thread's run is
    finally:
        waits.work_times = original


@pytest.fixture
def counted(monkeypatch):
    """Calls of the two computations the warm-up does, wherever they come from."""
    calls = {"eigenpairs": 0, "rankings": 0}

    def counting(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(caches, "eigenpairs", counting("eigenpairs", caches.eigenpairs))
    monkeypatch.setattr(caches, "neighbor_rankings",
                        counting("rankings", caches.neighbor_rankings))
    return calls


def descriptor_file(tmp_path, n: int, seed: int):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(6, 16))
    labels = rng.integers(0, 6, n)
    X = (centres[labels] + 0.4 * rng.normal(size=(n, 16))).astype(np.float32)
    path = tmp_path / f"warm_{seed}.npz"
    np.savez(path, X=X, labels=labels)
    return path


def test_home_starts_the_work_the_smoothing_and_mining_pages_then_find_done(
        monkeypatch, tmp_path, counted):
    from mlviz.ui.warm_up import warm_ups

    monkeypatch.setenv("MLVIZ_WARM_UP", "on")
    monkeypatch.setattr(sys, "argv", ["app.py", "--data", str(descriptor_file(tmp_path, 1800, 1))])
    at = app_test("app.py", timeout=300, data="file").run()
    assert_clean(at)
    warm_ups().jobs.join()
    assert counted == {"eigenpairs": 1, "rankings": 1}
    for page in ("pages/2_Ranking_as_smoothing.py", "pages/3_Mining_on_manifolds.py"):
        at.switch_page(page).run()
        assert_clean(at)
    assert counted == {"eigenpairs": 1, "rankings": 1}  # both pages read the warm-up's results


def test_no_warm_up_when_the_server_turns_it_off_or_the_data_is_small(
        monkeypatch, tmp_path, counted):
    from mlviz.ui.warm_up import warm_ups

    monkeypatch.setenv("MLVIZ_WARM_UP", "off")
    monkeypatch.setattr(sys, "argv", ["app.py", "--data", str(descriptor_file(tmp_path, 1800, 2))])
    assert_clean(app_test("app.py", timeout=300, data="file").run())
    monkeypatch.setenv("MLVIZ_WARM_UP", "on")
    monkeypatch.setattr(sys, "argv", ["app.py", "--data", str(descriptor_file(tmp_path, 1200, 3))])
    assert_clean(app_test("app.py", timeout=300, data="file").run())  # ≤ 1,500 points
    warm_ups().jobs.join()
    assert counted == {"eigenpairs": 0, "rankings": 0}


def test_a_step_waits_until_no_page_script_has_run_for_a_while():
    from mlviz.ui.warm_up import SCRIPT_THREAD, wait_for_quiet

    assert wait_for_quiet(quiet_s=0.2, poll_s=0.05) < 1.0  # nothing runs: 0.2 s
    release = threading.Event()
    script = threading.Thread(target=release.wait, name=SCRIPT_THREAD)
    script.start()
    threading.Timer(0.6, release.set).start()
    waited = wait_for_quiet(quiet_s=0.2, poll_s=0.05)
    script.join()
    assert 0.75 <= waited < 2.0  # until the script ended, then 0.2 s of quiet
    release.clear()
    script = threading.Thread(target=release.wait, name=SCRIPT_THREAD)
    script.start()
    try:
        assert wait_for_quiet(quiet_s=0.2, max_wait_s=0.5, poll_s=0.05) < 1.0  # gives up
    finally:
        release.set()
        script.join()
