"""Torch's CPU threads for the length of a training run, restored after it."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import torch

_LOCK = threading.Lock()
_STATE = {"depth": 0, "saved": 0}


@contextlib.contextmanager
def torch_threads(num_threads: int | None) -> Iterator[None]:
    """Use ``num_threads`` CPU threads inside the block, then restore the previous setting.

    :func:`torch.set_num_threads` is process-wide: nested or concurrent runs (the app trains
    in background threads) share one saved value, restored when the last one ends.

    Parameters
    ----------
    num_threads : int or None
        None leaves the setting as it is.
    """
    if num_threads is None:
        yield
        return
    with _LOCK:
        if _STATE["depth"] == 0:
            _STATE["saved"] = torch.get_num_threads()
        _STATE["depth"] += 1
        torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        with _LOCK:
            _STATE["depth"] -= 1
            if _STATE["depth"] == 0:
                torch.set_num_threads(_STATE["saved"])
