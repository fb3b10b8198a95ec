"""The server's one training queue: a bound on runs at once, cancels, runs shared by key."""

import threading
import time

from mlviz.ui.jobs import TrainingQueue


class Recorder:
    """Training steps that note how many run at once and can be held until released."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0
        self.calls = 0
        self.release = threading.Event()

    def step(self, progress, stop):
        with self.lock:
            self.now += 1
            self.calls += 1
            self.most = max(self.most, self.now)
        self.release.wait(5)
        time.sleep(0.02)
        progress(1, "partial")
        with self.lock:
            self.now -= 1
        return "done"


def wait_all(jobs, timeout=10.0):
    for job in jobs:
        job.wait(timeout)
    assert not any(job.running for job in jobs)


def test_runs_at_once_never_exceed_the_slots():
    rec = Recorder()
    queue = TrainingQueue(slots=2)
    jobs = [queue.submit(("run", i), [("train", rec.step)], 1, owner=f"s{i}") for i in range(6)]
    time.sleep(0.2)
    assert queue.running == 2 and [queue.place(j) for j in jobs[2:]] == [1, 2, 3, 4]
    rec.release.set()
    wait_all(jobs)
    assert rec.most == 2 and rec.calls == 6
    assert all(j.results == {"train": "done"} for j in jobs)


def test_a_cancelled_job_frees_its_place_and_never_runs():
    rec = Recorder()
    queue = TrainingQueue(slots=1)
    first, second, third = (queue.submit(i, [("train", rec.step)], 1, owner="a") for i in "abc")
    time.sleep(0.1)
    assert queue.place(second) == 1 and queue.place(third) == 2
    queue.cancel(second, owner="a")
    assert queue.place(third) == 1 and not second.running and second.cancelled
    rec.release.set()
    wait_all([first, third])
    assert rec.calls == 2 and second.results == {}


def test_identical_runs_are_computed_once_and_shared():
    rec = Recorder()
    rec.release.set()
    queue = TrainingQueue(slots=1)
    one = queue.submit(("digits", 5), [("train", rec.step)], 1, owner="alice")
    two = queue.submit(("digits", 5), [("train", rec.step)], 1, owner="bob")
    assert one is two
    wait_all([one])
    three = queue.submit(("digits", 5), [("train", rec.step)], 1, owner="carol")
    assert three is one and rec.calls == 1, "a finished run is served to the next who asks"


def test_a_shared_run_goes_on_when_one_of_its_owners_cancels():
    rec = Recorder()
    queue = TrainingQueue(slots=1)
    job = queue.submit("run", [("train", rec.step)], 1, owner="alice")
    queue.submit("run", [("train", rec.step)], 1, owner="bob")
    queue.cancel(job, owner="alice")
    assert not job.cancelled
    rec.release.set()
    wait_all([job])
    assert job.results == {"train": "done"}


def test_the_queued_run_of_a_closed_tab_is_dropped():
    rec = Recorder()
    open_tabs = {"teacher"}
    queue = TrainingQueue(slots=1, alive=lambda owner: owner in open_tabs)
    busy = queue.submit("busy", [("train", rec.step)], 1, owner="teacher")
    gone = queue.submit("gone", [("train", rec.step)], 1, owner="student")
    rec.release.set()
    wait_all([busy])
    time.sleep(0.1)
    assert gone.cancelled and not gone.running and rec.calls == 1
