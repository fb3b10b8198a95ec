"""Training runs in a thread beside the server, polled by the page."""

from __future__ import annotations

import logging
import os
import threading
import traceback

import streamlit as st

log = logging.getLogger("mlviz")

TRAINING_THREADS = max(1, (os.cpu_count() or 2) // 2)
"""Torch threads of a training run: half the cores leaves the server responsive
(``benchmarks/README.md`` has the measurement)."""


class BackgroundJob:
    """Work run in a thread; the page polls it. The worker never calls streamlit.

    ``steps`` is a list of ``(name, function)``; each function gets ``progress`` and ``stop``
    keyword arguments (the training functions of :mod:`mlviz.deep`) and runs after the
    previous one. ``progress(epoch, partial)`` callbacks record the latest partial result
    per step, which a fragment draws while the job runs.
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
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> BackgroundJob:
        self._thread.start()
        return self

    @property
    def names(self) -> list[str]:
        """The steps' names, in the order they run."""
        return [name for name, _ in self.steps]

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

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


def job_status(job: BackgroundJob, key: str, live=None) -> None:
    """Progress bar, stop button and ``live()`` drawing of a running job, polled every second;
    the whole page reruns when the job ends."""

    @st.fragment(run_every=1.0)
    def poll():
        if not job.running:
            st.rerun()
        share = min(job.epochs_done / max(job.total_epochs, 1), 1.0)
        names = job.names
        step = names.index(job.current) + 1 if job.current in names else 1
        st.progress(share, text=f"run {step} of {len(names)}, {job.current}: "
                                f"{job.epochs_done} of {job.total_epochs} epochs of all runs")
        if st.button("Stop", icon=":material/stop:", key=f"{key}_stop"):
            job.stop.set()
        if live is not None:
            live()

    poll()
