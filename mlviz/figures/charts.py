"""Plain charts shared by several pages: histograms, bars and parameter sweeps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from mlviz.figures.style import FEW_STEPS, HISTOGRAM_COLORS, apply_layout, log_axis


def histogram_figure(values: Mapping[str, np.ndarray], title: str, xlabel: str, bins: int = 20,
                     x_range: tuple[float, float] = (0, 1), height: int = 280) -> go.Figure:
    """Overlaid histograms (e.g. certainty of correct vs wrong predictions).

    Counted with :func:`numpy.histogram`, whose last bin is closed: a certainty of exactly 1
    (a point only one class reaches) is counted, not dropped at the edge.
    """
    fig = go.Figure()
    edges = np.linspace(x_range[0], x_range[1], bins + 1)
    centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
    for (name, v), colour in zip(values.items(), HISTOGRAM_COLORS):
        v = np.asarray(v, dtype=np.float64)
        counts, _ = np.histogram(np.clip(v[np.isfinite(v)], *x_range), bins=edges)
        fig.add_trace(go.Bar(
            x=centres, y=counts, width=width, name=f"{name} ({v.size:,})", marker_color=colour,
            opacity=0.7, customdata=np.stack([edges[:-1], edges[1:]], axis=1),
            hovertemplate=f"{name}<br>{xlabel} in [%{{customdata[0]:.2f}}, "
                          "%{customdata[1]:.2f}]<br>%{y} points<extra></extra>",
        ))
    fig.update_layout(barmode="overlay", bargap=0)
    fig.update_xaxes(title=xlabel, range=list(x_range))
    fig.update_yaxes(title="points", rangemode="tozero")
    return apply_layout(fig, title, height)


def bar_figure(names: Sequence, values: np.ndarray, title: str, ylabel: str,
               colours: Sequence[str] | None = None, height: int = 260) -> go.Figure:
    """One bar per named item; the names are categories even when they look like numbers."""
    fig = go.Figure(go.Bar(x=[str(n) for n in names], y=values,
                           marker_color=list(colours) if colours else None))
    fig.update_xaxes(type="category")
    fig.update_yaxes(title=ylabel, tickformat=".3~g")
    return apply_layout(fig, title, height)


def sweep_figure(x: Sequence[float], series: Mapping[str, np.ndarray], xlabel: str, title: str,
                 log_x: bool = False, height: int = 300, fraction: bool = True) -> go.Figure:
    """Curves against one parameter: accuracies (``fraction``, drawn in percent, never above
    100 %) or any other score."""
    fig = go.Figure()
    for name, y in series.items():
        fig.add_trace(go.Scatter(x=list(x), y=y, mode="lines+markers", name=name,
                                 cliponaxis=False))
    x = np.asarray(list(x), dtype=np.float64)
    if log_x and x.size and np.all(x > 0):
        fig.update_xaxes(**log_axis(x))
    elif x.size and np.all(x == np.round(x)) and x.max() - x.min() <= FEW_STEPS:
        fig.update_xaxes(dtick=1)  # a few epochs: whole numbers, not 1.5
    fig.update_xaxes(title=xlabel)
    if fraction:
        every = np.concatenate([np.asarray(y, dtype=np.float64).ravel() for y in series.values()])
        every = every[np.isfinite(every)]
        low, high = (every.min(), every.max()) if every.size else (0.0, 1.0)
        pad = max(0.02, 0.08 * (high - low))
        fig.update_yaxes(title="accuracy",
                         tickformat=".0%" if high - low + 2 * pad > 0.08 else ".1%",
                         range=[max(0.0, low - pad), min(1.0, high + pad)])
    return apply_layout(fig, title, height)
