"""Ranking by diffusion: the solvers' iterates animated, and their convergence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mlviz.figures.scatter import hover_data, query_trace
from mlviz.figures.style import (
    ANIMATION_ERROR_PX,
    ANIMATION_MIN_ROW_PX,
    ANIMATION_PANEL_PX,
    DRAWN_POINTS_UP_TO,
    ERROR_FLOOR,
    GRID_COLOR,
    GUIDE_COLOR,
    MARKER_OUTLINE,
    RING_COLOR,
    RING_SIZE_EXTRA,
    SCORE_SCALE,
    SOLVER_COLORS,
    TRACKER_SIZE,
    apply_layout,
    ceiling_title,
    drawn_points,
    log_axis,
    marker_size,
    scatter_type,
    score_ceiling,
)
from mlviz.ranking import top_k as top_ranked


def relative_log_scores(F: np.ndarray, top: float, decades: float = 4.0) -> np.ndarray:
    """``log10(f / top)`` clipped to ``[-decades, 0]``: diffusion spans many orders of magnitude.

    Zero and negative scores (CG iterates can dip below 0) map to the floor.
    """
    top = top if top > 0 else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log10(np.clip(F, 0, None) / top)
    return np.clip(np.nan_to_num(out, nan=-decades, neginf=-decades), -decades, 0.0)


def _error_line(name: str, iterations, errors: np.ndarray, width: float) -> go.Scatter:
    """One solver's relative error against the iteration τ."""
    return go.Scatter(
        x=iterations, y=errors, mode="lines", name=name,
        line=dict(width=width, color=SOLVER_COLORS.get(name)),
        hovertemplate=name + "<br>τ = %{x}<br>error %{y:.2e}<extra></extra>",
    )


def _grid(names: Sequence[str], with_error_panel: bool, aspect: float) -> go.Figure:
    """Equal scatter columns side by side with room for the colour bar, the error panel under
    them across the width; the scatters' row as tall as the data's ``aspect`` (height / width)
    needs, so that wide data get wide panels."""
    k = len(names)
    row_px = float(np.clip(ANIMATION_PANEL_PX * aspect, ANIMATION_MIN_ROW_PX, ANIMATION_PANEL_PX))
    margins, spacing = 150, 60
    heights = [row_px] + ([ANIMATION_ERROR_PX] if with_error_panel else [])
    plot_px = sum(heights) + (spacing if with_error_panel else 0)
    fig = make_subplots(
        rows=len(heights), cols=k, row_heights=heights,
        vertical_spacing=spacing / plot_px if with_error_panel else 0.0,
        specs=[[{}] * k] + ([[{"colspan": k}] + [None] * (k - 1)] if with_error_panel else []),
        subplot_titles=list(names) + (["relative error to f* against τ"]
                                      if with_error_panel else []),
    )
    gap, bar_room = 0.02, 0.08
    width = (1.0 - bar_room - gap * (k - 1)) / k
    for c, title in zip(range(k), fig.layout.annotations):
        domain = [c * (width + gap), c * (width + gap) + width]
        fig.layout[f"xaxis{'' if c == 0 else c + 1}"].domain = domain
        title.x = sum(domain) / 2
    fig.update_layout(height=int(plot_px + margins))
    return fig


def _play_controls(steps: Sequence[int], frame_ms: int, redraw: bool) -> dict:
    """Layout of a play / pause pair and a slider over ``steps``, opening on the last."""
    still = dict(frame=dict(duration=0, redraw=redraw), mode="immediate",
                 transition=dict(duration=0))
    play = dict(frame=dict(duration=frame_ms, redraw=redraw), transition=dict(duration=0),
                fromcurrent=False, mode="immediate")
    return dict(
        updatemenus=[dict(
            type="buttons", direction="left", x=0.0, y=-0.02, xanchor="left", yanchor="top",
            pad=dict(t=10, r=10), showactive=False,
            buttons=[
                dict(label="▶ play from τ = 0", method="animate", args=[None, play]),
                dict(label="❚❚ pause", method="animate", args=[[None], still]),
            ],
        )],
        sliders=[dict(
            active=len(steps) - 1, x=0.24, y=-0.02, len=0.76, xanchor="left", yanchor="top",
            pad=dict(t=10), currentvalue=dict(prefix="iteration τ = ", font=dict(size=14),
                                              xanchor="right"),
            steps=[dict(label=str(t), method="animate", args=[[str(t)], still]) for t in steps],
        )],
    )


def diffusion_animation(
    coords: np.ndarray,
    runs: Mapping[str, np.ndarray],
    queries,
    *,
    top_k: int = 10,
    labels: np.ndarray | None = None,
    class_names: Sequence[str] = (),
    log_scale: bool = True,
    decades: float = 4.0,
    frame_ms: int = 350,
    steps: Sequence[int] | None = None,
    errors: Mapping[str, np.ndarray] | None = None,
    max_points: int | None = DRAWN_POINTS_UP_TO,
) -> go.Figure:
    """Side-by-side scatters of several solvers' iterates, one slider and play button for all.

    Parameters
    ----------
    coords : (n, 2) drawing coordinates.
    runs : mapping of solver name to iterates of shape (T + 1, n).
    queries : query point ids (drawn as stars).
    top_k : the current top-k ranked points (queries excluded) are ringed in each frame.
    log_scale : colour by ``log10(f / max f)`` (floor ``-decades``) instead of ``f / max f``.
    steps : the iterations to make frames of (all by default).
    errors : per solver, the relative error ``||f(τ) - f*|| / ||f*||`` of each of its
        iterates (shape (T + 1,)); when given, a last panel draws them (log scale) with a
        marker that follows the slider.
    max_points : above this many points, each panel draws a fixed random sample of this many
        (:func:`~mlviz.figures.style.drawn_points`) and the queries; the rings still mark the
        top k of all points.

    Returns
    -------
    go.Figure
        Opening on the last iteration; play runs from the first. The colour scale is fixed
        across frames and solvers (relative to the largest score of the last iterates), so
        colours compare across iterations and panels.
    """
    coords = np.asarray(coords, dtype=np.float64)
    q = np.atleast_1d(np.asarray(queries, dtype=np.int64))
    names = list(runs)
    T = min(r.shape[0] for r in runs.values()) - 1
    steps = list(range(T + 1)) if steps is None else [s for s in steps if 0 <= s <= T]
    top = max(float(np.max(r[-1])) for r in runs.values())
    if not log_scale:  # the queries' own scores would make every other point the darkest
        top = score_ceiling(*(r[steps[-1]] for r in runs.values()), exclude=q)
    n = coords.shape[0]
    drawn = drawn_points(n, max_points, keep=q)
    trace_type = scatter_type(drawn.size)
    size = marker_size(drawn.size)

    def colours(f: np.ndarray) -> np.ndarray:
        if log_scale:
            return np.round(relative_log_scores(f, top, decades), 3).astype(np.float32)
        return np.round(np.clip(f / (top or 1.0), 0, 1), 4).astype(np.float32)

    def ringed(f: np.ndarray) -> np.ndarray:
        return top_ranked(f, top_k, exclude=q, positive_only=True)

    cmin, cmax = (-decades, 0.0) if log_scale else (0.0, 1.0)
    shown = "log₁₀(f / max f)" if log_scale else "f / top"
    bar_title = shown if log_scale else ceiling_title(shown)
    span = np.ptp(coords, axis=0) if n else np.ones(2)
    fig = _grid(names, errors is not None, float(span[1] / span[0]) if span[0] > 0 else 1.0)
    score_format = ":.2f" if log_scale else ":.3f"
    custom, template = hover_data(
        drawn, None if labels is None else labels[drawn], class_names,
        extra_rows=[f"{shown} %{{marker.color{score_format}}}"],
    )
    row = fig.layout.yaxis.domain
    point_traces, ring_traces = [], []
    for c, name in enumerate(names, start=1):
        f0 = runs[name][steps[-1]]
        fig.add_trace(trace_type(
            x=coords[drawn, 0].astype(np.float32), y=coords[drawn, 1].astype(np.float32),
            mode="markers", name=f"{name}: points",
            marker=dict(
                size=size, color=colours(f0[drawn]), colorscale=SCORE_SCALE, cmin=cmin, cmax=cmax,
                showscale=c == len(names),
                colorbar=dict(title=dict(text=bar_title, side="right"), thickness=12,
                              x=fig.layout[f"xaxis{'' if c == 1 else c}"].domain[1] + 0.005,
                              xanchor="left", y=sum(row) / 2, len=row[1] - row[0],
                              yanchor="middle"),
            ),
            customdata=custom, hovertemplate=template, showlegend=False,
        ), row=1, col=c)
        point_traces.append(len(fig.data) - 1)
        ring = ringed(f0)
        fig.add_trace(trace_type(  # the points' renderer: drawn over them
            x=coords[ring, 0], y=coords[ring, 1], mode="markers",
            name=f"top {top_k}", legendgroup="top", showlegend=c == 1,
            marker=dict(symbol="circle-open", size=size + RING_SIZE_EXTRA, color=RING_COLOR,
                        line=dict(width=2.5)),
            hoverinfo="skip",
        ), row=1, col=c)
        ring_traces.append(len(fig.data) - 1)
        star = query_trace(coords, q, labels, class_names, drawn=drawn.size)
        star.update(showlegend=c == 1, legendgroup="query")
        fig.add_trace(star, row=1, col=c)

    shown_errors, trackers = {}, []
    if errors is not None:
        for name in names:
            err = np.maximum(np.asarray(errors[name], dtype=np.float64)[steps], ERROR_FLOOR)
            shown_errors[name] = dict(zip(steps, err))
            fig.add_trace(_error_line(name, steps, err, width=2), row=2, col=1)
            fig.add_trace(go.Scatter(
                x=[steps[-1]], y=[err[-1]], mode="markers", showlegend=False, hoverinfo="skip",
                marker=dict(size=TRACKER_SIZE, color=SOLVER_COLORS.get(name),
                            line=dict(width=1.5, color=MARKER_OUTLINE)),
            ), row=2, col=1)
            trackers.append(len(fig.data) - 1)

    frames = []
    for t in steps:
        data, idx = [], []
        for c, name in enumerate(names):
            f = runs[name][t]
            ring = ringed(f)
            data.append(dict(type=fig.data[point_traces[c]].type,
                             marker=dict(color=colours(f[drawn]))))
            data.append(dict(type=fig.data[ring_traces[c]].type, x=coords[ring, 0],
                             y=coords[ring, 1]))
            idx += [point_traces[c], ring_traces[c]]
        for name, trace in zip(shown_errors, trackers):
            data.append(dict(type="scatter", x=[t], y=[shown_errors[name][t]]))
            idx.append(trace)
        # not validated: the traces' types and keys are those above (at 20,000 points, 31 frames
        # took 0.11 s to validate and 0.02 s not to, for the same JSON)
        frames.append(go.Frame(data=data, traces=idx, name=str(t), _validate=False))
    fig.frames = frames
    fig.update_layout(**_play_controls(steps, frame_ms, redraw=trace_type is go.Scattergl))
    apply_layout(fig, height=fig.layout.height, kind="map", margin=dict(t=60, b=90),
                 dragmode="zoom",
                 legend=dict(yanchor="bottom", y=1.06))
    for c in range(1, len(names) + 1):
        fig.update_yaxes(scaleanchor=f"x{'' if c == 1 else c}", row=1, col=c)
    if shown_errors:
        fig.layout[f"yaxis{len(names) + 1}"].scaleanchor = None  # not a map
        every = np.concatenate([list(e.values()) for e in shown_errors.values()])
        fig.update_yaxes(**log_axis(every), showgrid=True, gridcolor=GRID_COLOR,
                         showticklabels=True, row=2, col=1)
        fig.update_xaxes(showgrid=True, gridcolor=GRID_COLOR, showticklabels=True,
                         row=2, col=1)
    return fig


def convergence_figure(errors: Mapping[str, np.ndarray], tol: float | None = None) -> go.Figure:
    """Relative error to the exact solution against iteration, log scale, one line per solver."""
    fig = go.Figure()
    floored = {name: np.maximum(np.asarray(err, dtype=np.float64), ERROR_FLOOR)
               for name, err in errors.items()}
    for name, err in floored.items():
        fig.add_trace(_error_line(name, np.arange(err.size), err, width=2.5))
    if tol is not None:
        fig.add_hline(y=tol, line=dict(dash="dot", color=GUIDE_COLOR),
                      annotation_text=f"tolerance {tol:g}", annotation_position="top right")
    apply_layout(fig, "relative error ‖f(τ) − f*‖ / ‖f*‖", 360)
    fig.update_xaxes(title="iteration τ")
    every = np.concatenate(list(floored.values()) + ([np.array([tol])] if tol else []))
    return fig.update_yaxes(**log_axis(every))
