"""OpenMP threads that sleep instead of spinning while they wait, for the app.

Imported by :mod:`mlviz.ui` before anything loads an OpenMP runtime (faiss, torch,
scikit-learn), since the runtime reads the variable once, when it loads. The app trains models
in a background thread while the user moves sliders; with OpenMP's default (spinning) wait,
faiss's kNN search on all cores ran 8.0x slower while one other core was busy, and 1.8x slower
with ``PASSIVE`` (``benchmarks/bench_contention.py``). A value the user set is kept.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
