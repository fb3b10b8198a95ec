"""The libraries' objects kept out of the garbage collection after every page run.

Streamlit collects garbage after every script run (``runner.postScriptGC``, on by default): a
full :func:`gc.collect`, which walks every object the process tracks. After the app's first
page that is about 335,000 objects (numpy, scipy, scikit-learn, torch, faiss, plotly, pandas,
pyarrow, Streamlit), nearly all of them the libraries' own, alive as long as the process: the
walk took 0.21 s of every rerun, a third of the script thread's time on a ranking α move at
20,000 points. :func:`freeze_libraries` moves them, once per process, to the permanent
generation that collections skip (:func:`gc.freeze`), after a collection so that no garbage is
frozen; each run's collection then walks only what was made since.
"""

from __future__ import annotations

import gc

_FROZEN: list[int] = []


def freeze_libraries() -> int:
    """Import the libraries the pages load on their first run, collect, and freeze every
    object alive (once per process). Returns the number of objects frozen.

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

        gc.collect()
        gc.freeze()
        _FROZEN.append(gc.get_freeze_count())
    return _FROZEN[0]
