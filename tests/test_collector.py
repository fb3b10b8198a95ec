"""The libraries' objects are frozen once, so the collection after every page run is cheap."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A fresh interpreter, as a server process starts: import the app's wiring, run the home
# page, then see what the next full collection has to walk.
PROBE = textwrap.dedent("""
    import gc, sys, weakref
    sys.path.insert(0, "tests")
    import mlviz.ui
    frozen = gc.get_freeze_count()
    from conftest import app_test
    at = app_test("app.py").run()
    assert not at.exception
    tracked = len(gc.get_objects())

    class Node:
        pass
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle made after the freeze
    alive = weakref.ref(a)
    del a, b
    gc.collect()
    print(frozen, tracked, alive() is None, "torch" in sys.modules, "pyarrow" in sys.modules)
""")


def test_the_libraries_are_frozen_and_new_garbage_is_still_collected():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=300)
    frozen, tracked, collected, torch, pyarrow = out.stdout.split()
    assert int(frozen) > 200_000  # numpy, scipy, torch, faiss, plotly, pandas, pyarrow, ...
    assert int(tracked) < int(frozen) / 5  # what a collection after the home page walks
    assert (collected, torch, pyarrow) == ("True", "True", "True")


def test_garbage_frozen_with_a_session_is_freed_by_the_next_refreeze():
    import gc
    import weakref

    from mlviz.ui.collector import refreeze

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # a session's runner, thread and state: a cycle
    alive = weakref.ref(a)
    refreeze()  # frozen while the session lives
    del a, b  # the session ends
    gc.collect()
    assert alive() is not None  # a collection skips the frozen cycle ...
    refreeze()
    assert alive() is None  # ... the next refreeze frees it
