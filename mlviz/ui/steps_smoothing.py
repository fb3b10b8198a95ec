"""Ranking as smoothing, step by step, in the order of the talk's slides.

The moving average as a filter → the graph as a signal domain → low-pass filtering in the
eigenbasis → the low-rank approximation (Iscen et al. CVPR 2018). The first step runs on a
path graph (a line of samples), the others on the sidebar's graph.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mlviz import query_vector
from mlviz.figures import (
    eigenvector_gallery,
    low_rank_curve_figure,
    signals_figure,
    spectrum_figure,
)
from mlviz.spectral import (
    example_signal,
    exponential_moving_average,
    h_alpha,
    low_rank_curve,
    shift_matrix,
    spectrum,
)
from mlviz.ui.caches import cached_eigenpairs, eigenpair_rank
from mlviz.ui.steps_common import Shown, Step, StepContext
from mlviz.ui.waits import noticed

OVERLAP_K = 20
GOOD_OVERLAP = 0.8
"""The top-k overlap the low-rank step looks for: the rank from which it stays above."""


@noticed("Filtering exactly…")
@st.cache_data(max_entries=16, show_spinner=False)
def cached_filtered(data_key, params, queries: tuple, alpha: float, _W_norm):
    """``h_α(𝒲) y``, exactly (the reference the low-rank approximation is measured against)."""
    return h_alpha(alpha).exact(_W_norm, query_vector(list(queries), _W_norm.shape[0]))


@st.cache_data(max_entries=16, show_spinner=False)
def cached_curve(data_key, params, queries: tuple, alpha: float, _pairs, _reference):
    ranks = np.unique(np.geomspace(1, _pairs.rank, 30).round().astype(int))
    return low_rank_curve(_pairs, query_vector(list(queries), _pairs.vectors.shape[0]),
                          h_alpha(alpha), _reference, ranks, OVERLAP_K, exclude=list(queries))


def _pairs(ctx: StepContext):
    ws = ctx.ws
    return cached_eigenpairs(ws.data_key, ws.params, eigenpair_rank(ws.n), ws.graph.W_norm)


def _queries(ctx: StepContext) -> list[int]:
    return [q for q in ctx.setting("q", ()) if q < ctx.ws.n] or [0]


def moving_average(ctx: StepContext) -> Shown:
    alpha = float(ctx.setting("alpha_1d", 0.9))
    y = example_signal("noisy sine")
    ema = exponential_moving_average(y, alpha)
    on_path = h_alpha(alpha).exact(shift_matrix(y.size), y)
    every = np.arange(0, y.size, 3)
    ema_name, path_name = "moving average x", "h_α(S) y on the directed path (every 3rd i)"
    fig = signals_figure(
        {"signal y": y, path_name: on_path, ema_name: ema},
        styles={"signal y": dict(line=dict(color="#bbbbbb", width=1.5)),
                path_name: dict(mode="markers", x=every, y=on_path[every],
                                marker=dict(color="#1f77b4", size=7, symbol="circle-open",
                                            line=dict(width=1.5))),
                ema_name: dict(line=dict(color="#d62728", width=2.5))},
        title=f"a noisy sine and its moving average, α = {alpha:g}")
    return Shown(
        f"On a line of {y.size} samples (a path graph, not the sidebar's data set: a moving "
        f"average needs a line), the **exponential moving average** $x_i = {alpha:g}\\,x_{{i-1}} "
        f"+ {1 - alpha:.2g}\\,y_i$ removes the noise, the high frequencies, and keeps the sine: a "
        "low-pass filter, and exactly the talk's $h_\\alpha$ on the directed path (circles; largest "
        f"difference {np.max(np.abs(ema - on_path)):.1g}).", fig)


def _gallery_modes(values: np.ndarray) -> list[int]:
    """Low to high frequency: one mode of the λ = 1 block, the modes after it, the last."""
    rank = values.size
    start = max(int(np.sum(values > 1 - 1e-8)), 1)
    low = [0] + [start + j for j in (0, 1, 2, 9) if start + j < rank]
    return sorted(set(low + ([rank // 2, rank - 1] if rank > 16 else [])))[:8]


def signal_domain(ctx: StepContext) -> Shown:
    ws = ctx.ws
    pairs = _pairs(ctx)
    shown = _gallery_modes(pairs.values)
    fig = eigenvector_gallery(ws.coords, pairs.vectors, pairs.values, shown)
    return Shown(
        f"On the sidebar's graph of **{ws.dataset.name}** a signal is one value per point, "
        "and its frequencies are the eigenvectors uᵢ of 𝒲 (red positive, blue negative): "
        "with λ near 1 they vary slowly along the manifold (first panels), with small λ "
        "they change from a point to its neighbours (last panels).", fig)


def low_pass(ctx: StepContext) -> Shown:
    alpha = float(ctx.setting("alpha", 0.99))
    queries = _queries(ctx)
    pairs = _pairs(ctx)
    h = h_alpha(alpha)
    coeffs = spectrum(pairs, query_vector(queries, ctx.ws.n))
    gains = h(pairs.values)
    fig = spectrum_figure(pairs.values, coeffs, gains * coeffs, gains, f"h_α, α = {alpha:g}")
    return Shown(
        f"Ranking is **low-pass filtering in the eigenbasis**: the query **y** (point"
        f"{'s' if len(queries) > 1 else ''} {', '.join(map(str, queries))}) touches every "
        "frequency (grey), $h_\\alpha(\\lambda) = (1-\\alpha)/(1-\\alpha\\lambda)$ keeps those "
        "near λ = 1 (red: gain 1 there, "
        f"{h(-1.0):.2g} at λ = −1) "
        "and what survives (blue) is the ranking $\\mathbf x = h_\\alpha(\\mathcal W)\\mathbf y$.",
        fig)


def low_rank(ctx: StepContext) -> Shown:
    ws = ctx.ws
    alpha = float(ctx.setting("alpha", 0.99))
    queries = _queries(ctx)
    pairs = _pairs(ctx)
    reference = cached_filtered(ws.data_key, ws.params, tuple(queries), alpha, ws.graph.W_norm)
    curve = cached_curve(ws.data_key, ws.params, tuple(queries), alpha, pairs, reference)
    below = np.flatnonzero(curve.top_k_overlap < GOOD_OVERLAP)
    at = int(below[-1]) + 1 if below.size else 0  # from here on it stays above
    at = min(at, curve.ranks.size - 1)
    r = int(curve.ranks[at])
    fig = low_rank_curve_figure(curve.ranks, curve.relative_error, curve.top_k_overlap, r,
                                OVERLAP_K)
    return Shown(
        f"**Low rank**: x ≈ Uᵣ h(Λᵣ) Uᵣᵀ **y** needs only the top r eigenpairs, never the n × n "
        f"matrix h(𝒲); from r = {r} of the {pairs.rank:,} "
        + ("eigenpairs" if pairs.rank == ws.n else "computed (Lanczos)")
        + f" on, the top {OVERLAP_K} overlap the "
        f"exact ranking's by at least {GOOD_OVERLAP:.0%} (right), while the scores' error is "
        f"still {curve.relative_error[at]:.2f} (left): the query's own spike needs every "
        "frequency, the ranking of the others far fewer.", fig)


STEPS = (
    Step("The moving average as a filter", moving_average),
    Step("The graph as a signal domain", signal_domain),
    Step("Low-pass in the eigenbasis", low_pass),
    Step("Low rank", low_rank),
)
