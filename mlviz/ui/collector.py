"""The libraries' objects kept out of the garbage collection after every page run.

Streamlit collects garbage after every script run (``runner.postScriptGC``, on by default): a
full :func:`gc.collect`, which walks every object the process tracks. After the app's first
page that is about 335,000 objects (numpy, scipy, scikit-learn, torch, faiss, plotly, pandas,
pyarrow, Streamlit), nearly all of them the libraries' own, alive as long as the process: the
walk took 0.21 s of every rerun, a third of the script thread's time on a ranking α move at
20,000 points. :func:`freeze_libraries` moves them, once per process, to the permanent
generation that collections skip (:func:`gc.freeze`); each run's collection then walks only what
was made since.

The freeze happens inside the first page run, so it also freezes that run's session (its script
runner, thread and state form cycles): frozen, they would never be collected once the session
ends. So every :data:`REFREEZE_S` a thread unfreezes, collects everything once (the 0.2 s walk,
once a minute instead of once a rerun) and freezes again: what any session left behind is freed
within a minute.
"""

from __future__ import annotations

import gc
import threading
import time

REFREEZE_S = 60.0
_FROZEN: list[int] = []


def freeze_libraries() -> int:
    """Import the libraries the pages load on their first run, collect, freeze every object
    alive and start the thread that refreezes (once per process). Returns the number of
    objects frozen the first time.

    ``mlviz`` imports torch, faiss and scikit-learn inside the functions that need them (so
    that ``import mlviz`` stays light) and Streamlit imports pandas and pyarrow on the first
    table; the home page needs them all, so they are imported here, before the freeze. UMAP
    (numba) is left out: it loads only when a user picks it.
    """
    if not _FROZEN:
        import faiss  # noqa: F401
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
        import sklearn.datasets  # noqa: F401
        import sklearn.decomposition  # noqa: F401
        import sklearn.neighbors  # noqa: F401
        import torch  # noqa: F401

        _FROZEN.append(refreeze())
        threading.Thread(target=_refreeze_every, args=(REFREEZE_S,), name="mlviz-refreeze",
                         daemon=True).start()
    return _FROZEN[0]


def refreeze() -> int:
    """Unfreeze, collect everything, freeze what is alive; return the number frozen."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def _refreeze_every(seconds: float) -> None:
    while True:
        time.sleep(seconds)
        refreeze()
