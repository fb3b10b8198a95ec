"""Thread pools that sleep instead of spinning while they wait, for the app.

Imported first by :mod:`mlviz`, before numpy loads OpenBLAS and before faiss, torch or
scikit-learn load an OpenMP runtime: each runtime reads its variable once, when it loads. A value
the user set is kept.

``OMP_WAIT_POLICY=PASSIVE``: the app trains models in a background thread while the user moves
sliders; with OpenMP's default (spinning) wait, faiss's kNN search on all cores ran 8.0x slower
while one other core was busy, and 1.8x slower with ``PASSIVE`` (``bench_contention.py``).

``OPENBLAS_THREAD_TIMEOUT=4``: after each parallel call OpenBLAS's idle threads spin for 2^t
cycles (t = 28 by default, about 0.1 s) before they sleep. On a 2-core server whose other core
draws the browser's figures, that spinning is stolen from the browser: one α move on the ranking
page at 20,000 points used 0.56–0.86 CPU-seconds for 0.35–0.62 s of wall time, and
0.25–0.47 CPU-seconds for the same wall time with t = 4, the smallest value OpenBLAS accepts.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
