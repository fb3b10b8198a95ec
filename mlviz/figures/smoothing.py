"""Ranking as smoothing: signals, filters, scores on the layout and the graph's spectrum."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mlviz.figures.scatter import hover_data, query_trace
from mlviz.figures.style import (
    DIVERGING_SCALE,
    GAIN_COLOR,
    GALLERY_WEBGL_FROM,
    GUIDE_COLOR,
    IMPULSE_COLOR,
    LOW_RANK_COLORS,
    LOW_RANK_ERROR_FLOOR,
    OTHER_FILTER_STYLES,
    POINT_COLOR,
    SCORE_SCALE,
    SPECTRUM_COLORS,
    SPECTRUM_FLOOR,
    apply_layout,
    drawn_points,
    largest,
    log_axis,
    marker_size,
    scatter_type,
)

_GAIN_AXIS = dict(range=[0, 1.05], tickvals=[0, 0.25, 0.5, 0.75, 1.0])
"""A y axis for gains and fractions in [0, 1]."""


def signals_figure(series: Mapping[str, np.ndarray], title: str | None = None,
                   styles: Mapping[str, dict] | None = None, height: int = 320) -> go.Figure:
    """Several 1-D signals over the same positions ``0..n-1``, drawn in the order given (the
    last on top); a style may give its own ``x`` and ``y`` (e.g. every third sample)."""
    fig = go.Figure()
    styles = styles or {}
    for name, values in series.items():
        trace = dict(x=np.arange(len(values)), y=values, name=name, mode="lines")
        trace.update(styles.get(name, {}))
        fig.add_trace(go.Scatter(**trace))
    fig.update_xaxes(title="position i")
    return apply_layout(fig, title, height)


def impulse_transfer_figure(positions: np.ndarray, impulse_response: np.ndarray,
                            omega: np.ndarray, gain: np.ndarray) -> go.Figure:
    """A filter's impulse response ``h_i`` (bars) and its gain ``|H(e^iω)|`` over ``ω ∈ [0, π]``.

    Parameters
    ----------
    positions : the ``i`` of each ``h_i``.
    impulse_response : ``h_i``, e.g. the moving average of a unit impulse.
    omega : frequencies in ``[0, π]``.
    gain : ``|H(e^iω)|`` at ``omega``.
    """
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.15,
                        subplot_titles=("impulse response hᵢ", "gain |H(e^(iω))|"))
    fig.add_trace(go.Bar(x=positions, y=impulse_response, marker_color=IMPULSE_COLOR,
                         name="hᵢ", showlegend=False), 1, 1)
    fig.add_trace(go.Scatter(x=omega, y=gain, mode="lines",
                             line=dict(color=GAIN_COLOR, width=2.5), showlegend=False), 1, 2)
    fig.update_xaxes(title="i", row=1, col=1)
    fig.update_xaxes(title="frequency ω", tickvals=[0, np.pi / 2, np.pi],
                     ticktext=["0", "π/2", "π"], row=1, col=2)
    fig.update_yaxes(range=_GAIN_AXIS["range"], row=1, col=2)
    return apply_layout(fig, None, 300)


def score_scatter(
    coords: np.ndarray,
    scores: np.ndarray,
    *,
    queries=None,
    title: str | None = None,
    labels: np.ndarray | None = None,
    class_names: Sequence[str] = (),
    diverging: bool = False,
    colorbar_title: str = "score",
    height: int = 420,
    showscale: bool = True,
    color_range: tuple[float, float] | None = None,
    max_points: int | None = None,
) -> go.Figure:
    """Points coloured by a score (sequential scale; diverging, centred on 0, for signed ones).

    ``color_range`` fixes the sequential scale's ends, so that two scatters compare. Above
    ``max_points`` points, a fixed sample of them is drawn with the queries and the largest
    scores (:func:`~mlviz.figures.style.drawn_points`)."""
    coords = np.asarray(coords, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    n = coords.shape[0]
    keep = largest(scores) if queries is None else np.union1d(largest(scores), queries)
    drawn = drawn_points(n, max_points, keep=keep)
    custom, template = hover_data(drawn, None if labels is None else labels[drawn], class_names,
                                  scores[drawn])
    marker = dict(size=marker_size(drawn.size), color=scores[drawn], showscale=showscale,
                  colorbar=dict(title=dict(text=colorbar_title, side="right"), thickness=12))
    if diverging:
        bound = float(np.max(np.abs(scores))) or 1.0
        marker.update(colorscale=DIVERGING_SCALE, cmin=-bound, cmax=bound, reversescale=True)
    else:
        marker.update(colorscale=SCORE_SCALE)
        if color_range is not None:
            marker.update(cmin=color_range[0], cmax=color_range[1])
    fig = go.Figure(scatter_type(drawn.size)(x=coords[drawn, 0].astype(np.float32),
                                             y=coords[drawn, 1].astype(np.float32),
                                             mode="markers",
                                    marker=marker, customdata=custom, hovertemplate=template,
                                    showlegend=False))
    if queries is not None and len(queries):
        fig.add_trace(query_trace(coords, queries, labels, class_names, drawn=drawn.size))
    return apply_layout(fig, title, height, kind="map")


def eigenvector_gallery(coords: np.ndarray, vectors: np.ndarray, values: np.ndarray,
                        indices: Sequence[int], cols: int = 4,
                        max_points: int | None = None) -> go.Figure:
    """Small scatters of eigenvectors ``u_i`` on the layout, low to high frequency.

    Each panel's diverging colour scale is symmetric about 0, to its largest ``|u_i|``. Above
    ``max_points`` points, each panel draws a fixed sample of them and its largest ``|u_i|``.
    """
    indices = [i for i in indices if i < vectors.shape[1]]
    rows = int(np.ceil(len(indices) / cols))
    titles = [f"u<sub>{i + 1}</sub>, λ = {values[i]:.3f}" for i in indices]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles,
                        horizontal_spacing=0.02, vertical_spacing=0.08)
    n = coords.shape[0]
    count = min(n, max_points or n)
    trace_type = scatter_type(count * len(indices), GALLERY_WEBGL_FROM)  # all panels' marks
    for pos, i in enumerate(indices):
        u = vectors[:, i]
        bound = float(np.max(np.abs(u))) or 1.0
        drawn = drawn_points(n, max_points, keep=largest(u))
        fig.add_trace(trace_type(
            x=coords[drawn, 0].astype(np.float32), y=coords[drawn, 1].astype(np.float32),
            mode="markers", showlegend=False,
            marker=dict(size=max(marker_size(count) - 3, 3), color=u[drawn],
                        colorscale=DIVERGING_SCALE,
                        reversescale=True, cmin=-bound, cmax=bound),
            hovertemplate=f"u{i + 1}: %{{marker.color:.3g}}<extra></extra>",
        ), row=pos // cols + 1, col=pos % cols + 1)
    return apply_layout(fig, None, 230 * rows + 40, kind="panels",
                        margin=dict(l=5, r=5, t=40, b=5))


def spectrum_figure(values: np.ndarray, coeffs: np.ndarray, filtered: np.ndarray,
                    gains: np.ndarray, filter_name: str,
                    other_gains: Mapping[str, np.ndarray] | None = None) -> go.Figure:
    """The query in the eigenbasis ``|Uᵀy|``, the filter ``h(λ)`` and the filtered ``|h(Λ)Uᵀy|``.

    Parameters
    ----------
    values : eigenvalues λ.
    coeffs : the query's coefficients ``Uᵀy``.
    filtered : the filtered coefficients ``h(Λ)Uᵀy``.
    gains : ``h(λ)`` at ``values``.
    filter_name : legend name of ``h``.
    other_gains : further filters' gains, drawn as thin, faint curves to compare.

    Notes
    -----
    The x axis is the eigenvalue λ: low graph frequencies (smooth signals) on the right at
    λ = 1, high frequencies on the left. Coefficients below ``SPECTRUM_FLOOR`` of the largest
    (modes the query does not touch, e.g. of another connected component) are left out, not
    drawn at an arbitrary floor.
    """
    values = np.asarray(values, dtype=np.float64)
    floor = SPECTRUM_FLOOR * max(float(np.max(np.abs(coeffs))), 1e-300)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for name, magnitude, colour, size in (
        ("|Uᵀy|  (query)", np.abs(coeffs), SPECTRUM_COLORS["query"], 5),
        ("|h(Λ)Uᵀy|  (filtered)", np.abs(filtered), SPECTRUM_COLORS["filtered"], 6),
    ):
        shown = magnitude >= floor
        fig.add_trace(go.Scatter(x=values[shown], y=magnitude[shown], mode="markers", name=name,
                                 marker=dict(color=colour, size=size)), secondary_y=False)
    order = np.argsort(values)
    for (name, other), (colour, dash) in zip((other_gains or {}).items(), OTHER_FILTER_STYLES):
        fig.add_trace(go.Scatter(x=values[order], y=np.asarray(other)[order], mode="lines",
                                 name=f"h(λ): {name}", opacity=0.6,
                                 line=dict(color=colour, width=1.5, dash=dash)),
                      secondary_y=True)
    fig.add_trace(go.Scatter(x=values[order], y=gains[order], mode="lines",
                             name=f"h(λ): {filter_name}",
                             line=dict(color=SPECTRUM_COLORS["filter"], width=2.5)),
                  secondary_y=True)
    fig.update_xaxes(title="eigenvalue λ of 𝒲  (high frequency ← → low frequency)")
    fig.update_yaxes(title="coefficient magnitude", type="log", secondary_y=False,
                     exponentformat="power")
    fig.update_yaxes(title="gain h(λ)", secondary_y=True, **_GAIN_AXIS)
    return apply_layout(fig, None, 380)  # last: its grid covers both y axes


def eigenvalue_figure(values: np.ndarray, n_total: int) -> go.Figure:
    """Eigenvalues of 𝒲 in descending order."""
    fig = go.Figure(go.Scatter(x=np.arange(1, values.size + 1), y=values, mode="markers+lines",
                               marker=dict(size=4, color=POINT_COLOR), line=dict(width=1),
                               hovertemplate="λ<sub>%{x}</sub> = %{y:.4f}<extra></extra>"))
    fig.update_xaxes(title=f"index i (top {values.size:,} of {n_total:,})")
    fig.update_yaxes(title="λᵢ", range=[min(-0.05, float(values.min()) - 0.05), 1.05])
    return apply_layout(fig, "spectrum of 𝒲", 300)


def low_rank_curve_figure(ranks: np.ndarray, errors: np.ndarray, overlaps: np.ndarray,
                          current: int | None, k: int) -> go.Figure:
    """Relative error (log) and top-k overlap of the rank-r approximation against r, in two
    panels side by side (one y axis each); ``current`` marks the chosen rank."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("relative error ‖xᵣ − x‖ / ‖x‖", f"top-{k} overlap"))
    errors = np.asarray(errors, dtype=np.float64)
    exact_to_the_eye = errors < LOW_RANK_ERROR_FLOOR
    shown = np.maximum(errors, LOW_RANK_ERROR_FLOOR)
    fig.add_trace(go.Scatter(
        x=ranks, y=shown, mode="lines+markers", name="relative error", showlegend=False,
        line=dict(color=LOW_RANK_COLORS["error"]), customdata=errors,
        marker=dict(symbol=np.where(exact_to_the_eye, "triangle-down", "circle"),
                    size=np.where(exact_to_the_eye, 10, 6)),
        hovertemplate="r = %{x}<br>relative error %{customdata:.2e}<extra></extra>",
    ), 1, 1)
    fig.add_trace(go.Scatter(x=ranks, y=overlaps, mode="lines+markers", name=f"top-{k} overlap",
                             line=dict(color=LOW_RANK_COLORS["overlap"]), showlegend=False), 1, 2)
    if current is not None:
        for col in (1, 2):
            fig.add_vline(x=current, line=dict(dash="dot", color=GUIDE_COLOR), row=1, col=col)
        fig.add_annotation(x=np.log10(current), y=1.0, xref="x2", yref="y2 domain",
                           text=f"r = {current}", showarrow=False, xanchor="left", xshift=4,
                           yanchor="top", font=dict(color=GUIDE_COLOR, size=11))
    apply_layout(fig, None, 320)
    fig.update_xaxes(title="rank r", type="log")
    fig.update_yaxes(**log_axis(np.append(shown, 1.0)), row=1, col=1)
    return fig.update_yaxes(**_GAIN_AXIS, tickformat=".0%", row=1, col=2)
