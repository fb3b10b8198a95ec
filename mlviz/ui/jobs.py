"""Training runs in a thread beside the server, polled by the page."""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

import streamlit as st

log = logging.getLogger("mlviz")

JOB_SLOTS = max(1, int(os.environ.get("MLVIZ_TRAINING_SLOTS", 0)) or (os.cpu_count() or 2) // 4)
"""Training runs at once, for all sessions of the server together: one per four cores (at
least one); ``MLVIZ_TRAINING_SLOTS`` overrides it."""
TRAINING_THREADS = max(1, (os.cpu_count() or 2) // 2 // JOB_SLOTS)
"""Torch threads of a training run: the runs together use half the cores, which leaves the
server responsive (``benchmarks/README.md`` has the measurement)."""


class BackgroundJob:
    """Work run in a thread; the page polls it. The worker never calls streamlit.

    ``steps`` is a list of ``(name, function)``; each function gets ``progress`` and ``stop``
    keyword arguments (the training functions of :mod:`mlviz.deep`) and runs after the
    previous one. ``progress(epoch, partial)`` callbacks record the latest partial result
    per step, which a fragment draws while the job runs. Started by a :class:`TrainingQueue`
    (or :meth:`start` directly).
    """

    def __init__(self, steps: list, total_epochs: int):
        self.steps = steps
        self.total_epochs = total_epochs
        self.stop = threading.Event()
        self.partial: dict = {}
        self.results: dict = {}
        self.epochs_done = 0
        self.current = ""
        self.error: str | None = None
        self.queued = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._on_done = None

    def start(self) -> BackgroundJob:
        self.queued = False
        self._thread.start()
        return self

    @property
    def names(self) -> list[str]:
        """The steps' names, in the order they run."""
        return [name for name, _ in self.steps]

    @property
    def running(self) -> bool:
        """Waiting in the queue or training: not finished."""
        return self.queued or self._thread.is_alive()

    @property
    def cancelled(self) -> bool:
        return self.stop.is_set()

    def wait(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.queued and not self.cancelled:
            if deadline is not None and time.monotonic() > deadline:
                return
            time.sleep(0.05)
        if self._thread.ident is not None:
            self._thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        try:
            for name, fn in self.steps:
                if self.stop.is_set():
                    break
                self.current = name

                def progress(epoch, partial, name=name):
                    self.partial[name] = partial
                    self.epochs_done += 1

                self.results[name] = fn(progress=progress, stop=self.stop)
        except Exception as exc:  # shown by the page, never a traceback
            log.error("background job failed:\n%s", traceback.format_exc())
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            if self._on_done is not None:
                self._on_done(self)


class TrainingQueue:
    """One queue for the training runs of every session: at most ``slots`` run at once.

    A run is known by a key (the data set and every setting): asking again for a key that is
    queued, running or finished returns that same job, so a run is computed once for everyone
    who asks for it. A job whose every owner has cancelled it, or whose sessions have all
    ended (``alive(owner)`` is false), gives up its place.
    """

    def __init__(self, slots: int = JOB_SLOTS, keep: int = 32,
                 alive: Callable[[str], bool] = lambda owner: True):
        self.slots = max(1, int(slots))
        self.keep = keep
        self.alive = alive
        self._lock = threading.RLock()
        self._waiting: deque[BackgroundJob] = deque()
        self._running: set[BackgroundJob] = set()
        self._jobs: OrderedDict[Hashable, BackgroundJob] = OrderedDict()
        self._owners: dict[BackgroundJob, set[str]] = {}

    def submit(self, key: Hashable, steps: list, total_epochs: int, owner: str = "") -> BackgroundJob:
        """The job of ``key``: the one already asked for (not cancelled, not failed), or a
        new one put at the end of the queue."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None or job.cancelled or job.error is not None:
                job = BackgroundJob(steps, total_epochs)
                job.queued = True
                job._on_done = self._finished
                self._jobs[key] = job
                self._owners[job] = set()
                self._waiting.append(job)
                self._forget_old()
            self._jobs.move_to_end(key)
            self._owners[job].add(owner)
            self._dispatch()
            return job

    def place(self, job: BackgroundJob) -> int | None:
        """1 for the next job to start, 2 for the one after…; None when not waiting."""
        with self._lock:
            return self._waiting.index(job) + 1 if job in self._waiting else None

    def cancel(self, job: BackgroundJob, owner: str = "") -> None:
        """``owner`` no longer wants ``job``; the last owner's cancel stops it."""
        with self._lock:
            owners = self._owners.get(job, set())
            owners.discard(owner)
            if not owners:
                self._drop(job)
            self._dispatch()

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._running)

    def _drop(self, job: BackgroundJob) -> None:
        job.stop.set()
        job.queued = False
        if job in self._waiting:
            self._waiting.remove(job)
        for key, other in list(self._jobs.items()):
            if other is job:
                del self._jobs[key]

    def _dispatch(self) -> None:
        while len(self._running) < self.slots and self._waiting:
            job = self._waiting.popleft()
            if not any(self.alive(o) for o in self._owners.get(job, ())):
                self._drop(job)
                continue
            self._running.add(job)
            job.start()

    def _finished(self, job: BackgroundJob) -> None:
        with self._lock:
            self._running.discard(job)
            self._dispatch()

    def _forget_old(self) -> None:
        for key, job in list(self._jobs.items()):
            if len(self._jobs) <= self.keep:
                break
            if not job.running:
                del self._jobs[key]
                self._owners.pop(job, None)


def _session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def _session_alive(session_id: str) -> bool:
    """Whether the browser tab of ``session_id`` is still open (always, outside a server)."""
    from streamlit import runtime

    if not session_id or not runtime.exists():
        return True
    return runtime.get_instance().is_active_session(session_id)


@st.cache_resource(show_spinner=False)
def training_queue() -> TrainingQueue:
    """The server's one training queue, shared by every session."""
    return TrainingQueue(JOB_SLOTS, alive=_session_alive)


def submit_training(key: Hashable, steps: list, total_epochs: int) -> BackgroundJob:
    """Queue a training run for this session, or join the same run another session asked
    for (same data and settings)."""
    return training_queue().submit(key, steps, total_epochs, owner=_session_id())


POLL_SECONDS = 2.0
"""How often a training session redraws its progress and curves: each poll is a script run and
a figure sent to its browser (every second, four training sessions among twelve kept the 2-core
server from getting the other pages idle)."""


def job_status(job: BackgroundJob, key: str, live=None, on_cancel=None) -> None:
    """Place in the queue or progress bar, a cancel / stop button and ``live()`` drawing of a
    job, polled every :data:`POLL_SECONDS`; the whole page reruns when the job ends. ``on_cancel`` runs when
    this session gives the job up (another session that asked for the same run keeps it)."""
    queue = training_queue()

    @st.fragment(run_every=POLL_SECONDS)
    def poll():
        if not job.running:
            st.rerun()
        place = queue.place(job)
        if place is not None:
            st.info(f"Waiting for a free training slot: number {place} in the queue "
                    f"({queue.running} of {queue.slots} slot{'s' if queue.slots > 1 else ''} "
                    "training now, for all users of this server).", icon="⏳")
        else:
            share = min(job.epochs_done / max(job.total_epochs, 1), 1.0)
            names = job.names
            step = names.index(job.current) + 1 if job.current in names else 1
            st.progress(share, text=f"run {step} of {len(names)}, {job.current}: "
                                    f"{job.epochs_done} of {job.total_epochs} epochs of all runs")
        if st.button("Cancel" if place is not None else "Stop", icon=":material/stop:",
                     key=f"{key}_stop"):
            queue.cancel(job, _session_id())
            if on_cancel is not None:
                on_cancel()
            st.rerun()
        if live is not None and place is None:
            live()

    poll()
