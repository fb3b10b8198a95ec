"""The thread pools' wait settings are in place before their libraries load."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A fresh interpreter (pytest has loaded numpy already): record the variables the moment numpy
# is first imported, which is when it loads OpenBLAS and OpenBLAS reads them.
PROBE = textwrap.dedent("""
    import importlib.abc, os, sys

    seen = {}

    class Probe(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "numpy" and not seen:
                seen.update({v: os.environ.get(v) for v in
                             ("OPENBLAS_THREAD_TIMEOUT", "OMP_WAIT_POLICY")})
            return None

    for v in ("OPENBLAS_THREAD_TIMEOUT", "OMP_WAIT_POLICY"):
        os.environ.pop(v, None)
    sys.meta_path.insert(0, Probe())
    import MODULE
    print(seen["OPENBLAS_THREAD_TIMEOUT"], seen["OMP_WAIT_POLICY"])
""")


def probe(module: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE.replace("MODULE", module)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_openblas_sleeps_and_openmp_is_passive_before_numpy_loads():
    assert probe("mlviz") == ["4", "PASSIVE"]
    assert probe("mlviz.ui") == ["4", "PASSIVE"]  # the app's first import
    assert probe("mlviz.deep") == ["4", "PASSIVE"]


def test_a_value_the_user_set_is_kept():
    out = subprocess.run([sys.executable, "-c", "import os; os.environ['OPENBLAS_THREAD_TIMEOUT']"
                          " = '10'; import mlviz; print(os.environ['OPENBLAS_THREAD_TIMEOUT'])"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "10"
