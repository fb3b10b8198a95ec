"""The papers' claims measured by ``benchmarks/bench_fidelity.py``, as the pages quote them.

The benchmark writes ``benchmarks/results/fidelity.json``; the mining and deep label
propagation pages read it here so that every figure they quote comes from that one run.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

FIDELITY_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "fidelity.json"
"""Where the benchmark keeps its last full run."""

RUN_COMMAND = "python benchmarks/bench_fidelity.py"


@st.cache_data(show_spinner=False)
def _read(path: str, mtime: float) -> dict | None:
    try:
        payload = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def load_fidelity(path: Path = FIDELITY_PATH) -> dict | None:
    """The last saved run of the fidelity benchmark, or ``None`` if there is none.

    The dictionary has the entries ``"metric_learning"`` (R@1 and NMI of the initial,
    Euclidean-mined, manifold-mined and supervised descriptors, means and stds over seeds)
    and ``"deep_lp"`` (error against labels per labels-per-class count for the supervised
    baseline, classic label propagation and deep label propagation), plus ``"machine"`` and
    ``"quick"`` saying how it was measured. A missing or unreadable file gives ``None``.
    """
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    return _read(str(path), mtime)
