"""Plotly figure builders: arrays in, ``go.Figure`` out. No streamlit here.

Shared conventions: one sequential colour scale for scores, one categorical palette for
classes, point ids in ``customdata[0]`` (so a selection returns global ids), hover showing
index, label and score, WebGL scatter for large n.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import scipy.sparse as sp

SCORE_SCALE = "Viridis"
CLASS_COLORS = (  # tab10 with navy for class 7: its grey looked like the edges and "no label"
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#393b79", "#bcbd22", "#17becf",
    "#7f7f7f", "#637939", "#8c6d31", "#843c39", "#7b4173",
)
QUERY_COLOR = "#d62728"
SOLVER_COLORS = {"random walk": "#1f77b4", "conjugate gradient": "#d62728"}
RING_COLOR = "#ff7f0e"
EDGE_COLOR = "rgba(90,90,90,0.45)"
WEBGL_FROM = 3000
"""Above this many points scatters use WebGL (Scattergl)."""
MAX_EDGES_DRAWN = 60_000

PLOTLY_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "modeBarButtonsToRemove": ["autoScale2d"],
}


def class_color(c: int) -> str:
    return CLASS_COLORS[int(c) % len(CLASS_COLORS)]


def marker_size(n: int) -> float:
    """Points large enough to click, smaller as n grows."""
    return float(np.clip(14 - 2.2 * np.log10(max(n, 1)), 4, 10))


def _scatter_cls(n: int):
    return go.Scattergl if n > WEBGL_FROM else go.Scatter


def hover_data(
    ids: np.ndarray, labels: np.ndarray | None, class_names: Sequence[str], scores=None
) -> tuple[np.ndarray, str]:
    """``customdata`` (id, label name, score) and its hover template."""
    ids = np.asarray(ids)
    label_txt = (
        np.array([class_names[c] if 0 <= c < len(class_names) else "?" for c in labels], dtype=object)
        if labels is not None
        else np.full(ids.size, "–", dtype=object)
    )
    cols = [ids.astype(object), label_txt]
    template = "point %{customdata[0]}<br>label %{customdata[1]}"
    if scores is not None:
        cols.append(np.asarray(scores, dtype=float).astype(object))
        template += "<br>score %{customdata[2]:.4g}"
    return np.stack(cols, axis=1), template + "<extra></extra>"


def edge_trace(coords: np.ndarray, W: sp.spmatrix, max_edges: int = MAX_EDGES_DRAWN) -> go.Scatter:
    """The graph's edges as one line trace (``None`` between segments).

    Draws at most ``max_edges`` edges, the heaviest first, and says so in the legend.
    """
    upper = sp.triu(W, k=1).tocoo()
    order = np.argsort(-upper.data)[:max_edges]
    i, j = upper.row[order], upper.col[order]
    xs = np.full(3 * i.size, np.nan)
    ys = np.full(3 * i.size, np.nan)
    xs[0::3], xs[1::3] = coords[i, 0], coords[j, 0]
    ys[0::3], ys[1::3] = coords[i, 1], coords[j, 1]
    name = "graph edges" if upper.nnz <= max_edges else f"graph edges ({max_edges:,} of {upper.nnz:,})"
    cls = go.Scattergl if i.size > 5000 else go.Scatter
    return cls(
        x=xs, y=ys, mode="lines", line=dict(color=EDGE_COLOR, width=0.9),
        hoverinfo="skip", name=name, showlegend=True,
    )


def base_layout(fig: go.Figure, title: str | None = None, height: int = 520) -> go.Figure:
    """Equal axis scales (distances look right), no grid clutter, legend on top."""
    fig.update_layout(
        title=dict(text=title, x=0.01, font=dict(size=15)) if title else None,
        height=height,
        margin=dict(l=10, r=10, t=50 if title else 20, b=10),
        legend=dict(orientation="h", yanchor="top", y=-0.01, xanchor="left", x=0),
        plot_bgcolor="white",
        dragmode="pan",
        clickmode="event+select",
    )
    fig.update_xaxes(showgrid=False, zeroline=False, showticklabels=False)
    fig.update_yaxes(showgrid=False, zeroline=False, showticklabels=False, scaleanchor="x", scaleratio=1)
    return fig


def class_scatter(
    coords: np.ndarray,
    labels: np.ndarray | None,
    class_names: Sequence[str] = (),
    *,
    W: sp.spmatrix | None = None,
    title: str | None = None,
    highlight: np.ndarray | None = None,
    ids: np.ndarray | None = None,
) -> go.Figure:
    """Points coloured by class (one legend entry per class), optionally with graph edges.

    Every trace carries the global point ids in ``customdata[0]``: ``ids`` when the points
    drawn are a subset, else their row numbers.
    """
    coords = np.asarray(coords, dtype=np.float64)
    n = coords.shape[0]
    fig = go.Figure()
    if W is not None:
        fig.add_trace(edge_trace(coords, W))
    cls = _scatter_cls(n)
    size = marker_size(n)
    ids = np.arange(n) if ids is None else np.asarray(ids)
    groups = [(None, np.arange(n))] if labels is None else [
        (c, np.flatnonzero(labels == c)) for c in np.unique(labels)
    ]
    for c, idx in groups:
        custom, template = hover_data(ids[idx], None if labels is None else labels[idx],
                                      class_names)
        name = "points" if c is None else (class_names[c] if c < len(class_names) else f"class {c}")
        fig.add_trace(
            cls(
                x=coords[idx, 0], y=coords[idx, 1], mode="markers", name=name,
                marker=dict(size=size, color="#4c78a8" if c is None else class_color(c),
                            line=dict(width=0)),
                customdata=custom, hovertemplate=template,
            )
        )
    if highlight is not None and len(highlight):
        h = np.asarray(highlight)
        fig.add_trace(query_trace(coords, h, labels, class_names))
    return base_layout(fig, title)


def query_trace(coords, queries, labels=None, class_names=(), name="query") -> go.Scatter:
    """Query points: large red stars, drawn on top."""
    q = np.asarray(queries, dtype=np.int64)
    custom, template = hover_data(q, None if labels is None else labels[q], class_names)
    return go.Scatter(
        x=coords[q, 0], y=coords[q, 1], mode="markers", name=name,
        marker=dict(symbol="star", size=marker_size(coords.shape[0]) + 10, color=QUERY_COLOR,
                    line=dict(color="white", width=1.5)),
        customdata=custom, hovertemplate=template,
    )


def selected_point_ids(event) -> list[int]:
    """Global point ids of a ``st.plotly_chart(on_select=...)`` selection event.

    Reads ``customdata[0]`` of each selected point, so the ids are right whichever trace
    the point belongs to. Accepts the event object or a plain dict.
    """
    if not event:
        return []
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return []
    ids = []
    for p in points:
        custom = p.get("customdata") if isinstance(p, dict) else None
        if custom is None:
            continue
        value = custom[0] if isinstance(custom, (list, tuple)) else custom
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    return sorted(set(ids))


def relative_log_scores(F: np.ndarray, top: float, decades: float = 4.0) -> np.ndarray:
    """``log10(f / top)`` clipped to ``[-decades, 0]``: diffusion spans many orders of magnitude.

    Zero and negative scores (CG iterates can dip below 0) map to the floor.
    """
    top = top if top > 0 else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log10(np.clip(F, 0, None) / top)
    return np.clip(np.nan_to_num(out, nan=-decades, neginf=-decades), -decades, 0.0)


def _top_ranked(f: np.ndarray, k: int, exclude: np.ndarray) -> np.ndarray:
    f = np.asarray(f, dtype=np.float64).copy()
    f[exclude] = -np.inf
    k = min(k, int(np.count_nonzero(f > 0)))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.argsort(-f, kind="stable")[:k]


def diffusion_animation(
    coords: np.ndarray,
    runs: dict[str, np.ndarray],
    queries,
    *,
    top_k: int = 10,
    labels: np.ndarray | None = None,
    class_names: Sequence[str] = (),
    log_scale: bool = True,
    decades: float = 4.0,
    frame_ms: int = 350,
    steps: Sequence[int] | None = None,
    exact: np.ndarray | None = None,
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
    exact : the exact solution ``f*``; when given, a last panel draws each solver's relative
        error ``||f(τ) - f*|| / ||f*||`` (log scale) with a marker that follows the slider.

    The figure opens on the last iteration; play runs from the first. The colour scale is
    fixed across frames and solvers (relative to the largest score of the last iterates), so
    colours compare across iterations and panels.
    """
    from plotly.subplots import make_subplots

    coords = np.asarray(coords, dtype=np.float64)
    q = np.atleast_1d(np.asarray(queries, dtype=np.int64))
    names = list(runs)
    T = min(r.shape[0] for r in runs.values()) - 1
    steps = list(range(T + 1)) if steps is None else [s for s in steps if 0 <= s <= T]
    top = max(float(np.max(r[-1])) for r in runs.values())
    n = coords.shape[0]
    cls = _scatter_cls(n)
    size = marker_size(n)

    def colours(f):
        if log_scale:
            return np.round(relative_log_scores(f, top, decades), 3).astype(np.float32)
        return np.round(np.clip(f / (top or 1.0), 0, 1), 4).astype(np.float32)

    cmin, cmax = (-decades, 0.0) if log_scale else (0.0, 1.0)
    bar_title = "log₁₀(f / max f)" if log_scale else "f / max f"
    titles = names + (["relative error to f* against τ"] if exact is not None else [])
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=titles)
    _place_columns(fig, len(names), with_error_panel=exact is not None)
    custom, template = hover_data(np.arange(n), labels, class_names)
    score_fmt = ":.2f" if log_scale else ":.3f"
    template = template.replace("<extra></extra>",
                                f"<br>{bar_title} %{{marker.color{score_fmt}}}<extra></extra>")
    point_traces, ring_traces = [], []
    for c, name in enumerate(names, start=1):
        f0 = runs[name][steps[-1]]
        fig.add_trace(
            cls(
                x=coords[:, 0], y=coords[:, 1], mode="markers", name=f"{name}: points",
                marker=dict(
                    size=size, color=colours(f0), colorscale=SCORE_SCALE, cmin=cmin, cmax=cmax,
                    showscale=c == len(names),
                    colorbar=dict(title=dict(text=bar_title, side="right"), thickness=12,
                                  x=fig.layout[f"xaxis{'' if c == 1 else c}"].domain[1] + 0.005,
                                  xanchor="left"),
                ),
                customdata=custom, hovertemplate=template, showlegend=False,
            ),
            row=1, col=c,
        )
        point_traces.append(len(fig.data) - 1)
        ring = _top_ranked(f0, top_k, q)
        fig.add_trace(
            go.Scatter(
                x=coords[ring, 0], y=coords[ring, 1], mode="markers",
                name=f"top {top_k}", legendgroup="top", showlegend=c == 1,
                marker=dict(symbol="circle-open", size=size + 9, color=RING_COLOR,
                            line=dict(width=2.5)),
                hoverinfo="skip",
            ),
            row=1, col=c,
        )
        ring_traces.append(len(fig.data) - 1)
        qt = query_trace(coords, q, labels, class_names)
        qt.update(showlegend=c == 1, legendgroup="query")
        fig.add_trace(qt, row=1, col=c)

    errors, error_markers = {}, []
    if exact is not None:
        from mlviz.diffusion import relative_errors

        col = len(names) + 1
        for name in names:
            err = np.maximum(relative_errors(runs[name][steps], exact), 1e-16)
            errors[name] = dict(zip(steps, err))
            colour = SOLVER_COLORS.get(name)
            fig.add_trace(go.Scatter(
                x=steps, y=err, mode="lines", name=name, line=dict(width=2, color=colour),
                hovertemplate=name + "<br>τ = %{x}<br>error %{y:.2e}<extra></extra>",
            ), row=1, col=col)
            fig.add_trace(go.Scatter(
                x=[steps[-1]], y=[err[-1]], mode="markers", showlegend=False, hoverinfo="skip",
                marker=dict(size=11, color=colour, line=dict(width=1.5, color="white")),
            ), row=1, col=col)
            error_markers.append(len(fig.data) - 1)

    frames = []
    for t in steps:
        data, idx = [], []
        for c, name in enumerate(names):
            f = runs[name][t]
            ring = _top_ranked(f, top_k, q)
            data.append(dict(type=fig.data[point_traces[c]].type, marker=dict(color=colours(f))))
            data.append(dict(type="scatter", x=coords[ring, 0], y=coords[ring, 1]))
            idx += [point_traces[c], ring_traces[c]]
        for name, trace in zip(errors, error_markers):
            data.append(dict(type="scatter", x=[t], y=[errors[name][t]]))
            idx.append(trace)
        frames.append(go.Frame(data=data, traces=idx, name=str(t)))
    fig.frames = frames
    redraw = cls is go.Scattergl
    play = dict(frame=dict(duration=frame_ms, redraw=redraw), transition=dict(duration=0),
                fromcurrent=False, mode="immediate")
    fig.update_layout(
        updatemenus=[dict(
            type="buttons", direction="left", x=0.0, y=-0.02, xanchor="left", yanchor="top",
            pad=dict(t=10, r=10), showactive=False,
            buttons=[
                dict(label="▶ play from τ = 0", method="animate", args=[None, play]),
                dict(label="❚❚ pause", method="animate",
                     args=[[None], dict(frame=dict(duration=0, redraw=redraw), mode="immediate",
                                        transition=dict(duration=0))]),
            ],
        )],
        sliders=[dict(
            active=len(steps) - 1, x=0.24, y=-0.02, len=0.76, xanchor="left", yanchor="top",
            pad=dict(t=10), currentvalue=dict(prefix="iteration τ = ", font=dict(size=14),
                                              xanchor="right"),
            steps=[dict(label=str(t), method="animate",
                        args=[[str(t)], dict(frame=dict(duration=0, redraw=redraw),
                                             mode="immediate", transition=dict(duration=0))])
                   for t in steps],
        )],
    )
    base_layout(fig, height=560)
    fig.update_layout(margin=dict(l=10, r=10, t=60, b=90), dragmode="zoom",
                      legend=dict(orientation="h", yanchor="bottom", y=1.06, xanchor="left", x=0))
    for c in range(1, len(names) + 1):
        fig.update_yaxes(scaleanchor=f"x{'' if c == 1 else c}", row=1, col=c)
    if errors:
        col = len(names) + 1
        every = np.concatenate([list(e.values()) for e in errors.values()])
        fig.update_yaxes(**log_axis(every), showgrid=True, gridcolor="#eee",
                         showticklabels=True, row=1, col=col)
        fig.update_xaxes(showgrid=True, gridcolor="#eee", showticklabels=True, row=1, col=col)
    return fig


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def log_axis(values) -> dict:
    """Axis settings for a log scale spanning ``values``: ticks in one notation
    (:func:`_log_ticks`)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return {"type": "log"}
    tickvals, ticktext = _log_ticks(values.min(), values.max())
    return {"type": "log", "tickvals": tickvals, "ticktext": ticktext}


def _log_ticks(low: float, high: float, most: int = 8) -> tuple[list[float], list[str]]:
    """Tick values and labels for a log axis over ``[low, high]``, in one notation.

    Under a decade: 1–9 steps; under two: 1-2-5 steps; above: powers of ten, every other one
    or sparser so that at most ``most`` remain. Labels are plain numbers while every tick lies
    in ``[0.01, 1000]``, else ``m×10ⁿ`` throughout (plotly's own mixes ``0.001`` and ``1×10⁻⁴``).
    """
    low, high = max(float(low), 1e-300), max(float(high), float(low), 1e-300)
    first, last = int(np.floor(np.log10(low))), int(np.ceil(np.log10(high)))
    span = np.log10(high / low)
    mantissas = range(1, 10) if span < 1 else (1, 2, 5) if span < 2 else (1,)
    exps = list(range(first, last + 1))
    if len(mantissas) == 1:
        exps = exps[::-1][:: max(1, int(np.ceil(len(exps) / most)))][::-1]  # keep the top
    values = [m * 10.0**e for e in exps for m in mantissas]
    values = [v for v in values if low / 1.0001 <= v <= high * 1.0001] or values
    plain = all(0.01 <= v <= 1000 for v in values)

    def label(v: float) -> str:
        if plain:
            return f"{v:g}"
        e = int(np.floor(np.log10(v) + 1e-9))
        m = round(v / 10.0**e)
        power = {0: "1", 1: "10"}.get(e, "10" + str(e).translate(_SUPERSCRIPT))
        return power if m == 1 else f"{m}" if e == 0 else f"{m}×{power}"

    return values, [label(v) for v in values]


def _place_columns(fig: go.Figure, n_scatters: int, with_error_panel: bool) -> None:
    """Equal scatter columns side by side, room for the colour bar, then the error panel."""
    gap, bar_room = 0.02, 0.14 if with_error_panel else 0.08
    panel = 0.24 if with_error_panel else 0.0
    width = (1.0 - bar_room - panel - gap * (n_scatters - 1)) / n_scatters
    domains = [[c * (width + gap), c * (width + gap) + width] for c in range(n_scatters)]
    if with_error_panel:
        domains.append([1.0 - panel, 1.0])
    for c, (domain, title) in enumerate(zip(domains, fig.layout.annotations)):
        fig.layout[f"xaxis{'' if c == 0 else c + 1}"].domain = domain
        title.x = sum(domain) / 2


def convergence_figure(errors: dict[str, np.ndarray], tol: float | None = None) -> go.Figure:
    """Relative error to the exact solution against iteration, log scale, one line per solver."""
    fig = go.Figure()
    colours = SOLVER_COLORS
    for name, err in errors.items():
        err = np.asarray(err, dtype=np.float64)
        fig.add_trace(go.Scatter(
            x=np.arange(err.size), y=np.maximum(err, 1e-16), mode="lines", name=name,
            line=dict(width=2.5, color=colours.get(name)),
            hovertemplate=name + "<br>τ = %{x}<br>error %{y:.2e}<extra></extra>",
        ))
    if tol is not None:
        fig.add_hline(y=tol, line=dict(dash="dot", color="gray"),
                      annotation_text=f"tolerance {tol:g}", annotation_position="top right")
    fig.update_layout(
        height=360, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="white",
        title=dict(text="relative error ‖f(τ) − f*‖ / ‖f*‖", x=0.01, font=dict(size=14)),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0.5),
    )
    fig.update_xaxes(title="iteration τ", showgrid=True, gridcolor="#eee")
    every = np.concatenate([np.maximum(np.asarray(e, dtype=np.float64), 1e-16)
                            for e in errors.values()] + ([np.array([tol])] if tol else []))
    fig.update_yaxes(**log_axis(every), showgrid=True, gridcolor="#eee")
    return fig


def _plain_layout(fig: go.Figure, title: str | None, height: int) -> go.Figure:
    """Title at the top of the figure, legend in its own row just above the plot."""
    fig.update_layout(
        title=dict(text=title, x=0.01, y=0.98, yref="container", yanchor="top",
                   font=dict(size=14)) if title else None,
        height=height, margin=dict(l=10, r=10, t=85 if title else 40, b=10),
        plot_bgcolor="white", legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0.0),
    )
    fig.update_xaxes(showgrid=True, gridcolor="#eee", zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor="#eee", zeroline=False)
    return fig


def signals_figure(series: dict[str, np.ndarray], title: str | None = None,
                   styles: dict[str, dict] | None = None, height: int = 320) -> go.Figure:
    """Several 1-D signals over the same positions ``0..n-1``, drawn in the order given (the
    last on top); a style may give its own ``x`` and ``y`` (e.g. every third sample)."""
    fig = go.Figure()
    styles = styles or {}
    for name, values in series.items():
        trace = dict(x=np.arange(len(values)), y=values, name=name, mode="lines")
        trace.update(styles.get(name, {}))
        fig.add_trace(go.Scatter(**trace))
    fig.update_xaxes(title="position i")
    return _plain_layout(fig, title, height)


def impulse_transfer_figure(alpha: float, length: int = 40) -> go.Figure:
    """The moving average's impulse response ``(1-α)α^i`` and gain ``|H(e^iω)|``."""
    from plotly.subplots import make_subplots

    from mlviz.spectral import ema_frequency_response

    i = np.arange(length)
    h = (1 - alpha) * alpha**i
    omega = np.linspace(0, np.pi, 200)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.15,
                        subplot_titles=("impulse response", "gain |H(e^iω)|"))
    fig.add_trace(go.Bar(x=i, y=h, marker_color="#4c78a8", name="h_i", showlegend=False), 1, 1)
    fig.add_trace(go.Scatter(x=omega, y=ema_frequency_response(alpha, omega), mode="lines",
                             line=dict(color="#d62728", width=2.5), showlegend=False), 1, 2)
    fig.update_xaxes(title="i", row=1, col=1)
    fig.update_xaxes(title="frequency ω", tickvals=[0, np.pi / 2, np.pi],
                     ticktext=["0", "π/2", "π"], row=1, col=2)
    fig.update_yaxes(range=[0, 1.05], row=1, col=2)
    return _plain_layout(fig, None, 300)


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
) -> go.Figure:
    """Points coloured by a score (sequential scale; diverging, centred on 0, for signed ones).

    ``color_range`` fixes the sequential scale's ends, so that two scatters compare."""
    coords = np.asarray(coords, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    n = coords.shape[0]
    custom, template = hover_data(np.arange(n), labels, class_names, scores)
    marker = dict(size=marker_size(n), color=scores, showscale=showscale,
                  colorbar=dict(title=dict(text=colorbar_title, side="right"), thickness=12))
    if diverging:
        bound = float(np.max(np.abs(scores))) or 1.0
        marker.update(colorscale="RdBu", cmin=-bound, cmax=bound, reversescale=True)
    else:
        marker.update(colorscale=SCORE_SCALE)
        if color_range is not None:
            marker.update(cmin=color_range[0], cmax=color_range[1])
    fig = go.Figure(_scatter_cls(n)(x=coords[:, 0], y=coords[:, 1], mode="markers", marker=marker,
                                    customdata=custom, hovertemplate=template, showlegend=False))
    if queries is not None and len(queries):
        fig.add_trace(query_trace(coords, queries, labels, class_names))
    base_layout(fig, title, height)
    return fig


def eigenvector_gallery(coords: np.ndarray, vectors: np.ndarray, values: np.ndarray,
                        indices: Sequence[int], cols: int = 4) -> go.Figure:
    """Small scatters of eigenvectors ``u_i`` on the layout, low to high frequency."""
    from plotly.subplots import make_subplots

    indices = [i for i in indices if i < vectors.shape[1]]
    rows = int(np.ceil(len(indices) / cols))
    titles = [f"u<sub>{i + 1}</sub>, λ = {values[i]:.3f}" for i in indices]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles,
                        horizontal_spacing=0.02, vertical_spacing=0.08)
    n = coords.shape[0]
    cls = _scatter_cls(n)
    for pos, i in enumerate(indices):
        u = vectors[:, i]
        bound = float(np.max(np.abs(u))) or 1.0
        fig.add_trace(cls(
            x=coords[:, 0], y=coords[:, 1], mode="markers", showlegend=False,
            marker=dict(size=max(marker_size(n) - 3, 3), color=u, colorscale="RdBu",
                        reversescale=True, cmin=-bound, cmax=bound),
            hovertemplate=f"u{i + 1}: %{{marker.color:.3g}}<extra></extra>",
        ), row=pos // cols + 1, col=pos % cols + 1)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_layout(height=230 * rows + 40, margin=dict(l=5, r=5, t=40, b=5),
                      plot_bgcolor="white")
    return fig


def spectrum_figure(values: np.ndarray, coeffs: np.ndarray, gains: np.ndarray,
                    filter_name: str, other_gains: dict[str, np.ndarray] | None = None,
                    ) -> go.Figure:
    """The query in the eigenbasis ``|Uᵀy|``, the filter ``h(λ)`` and the filtered ``|h(Λ)Uᵀy|``.

    The x axis is the eigenvalue λ: low graph frequencies (smooth signals) on the right at
    λ = 1, high frequencies on the left. Coefficients below ``1e-8`` of the largest (modes
    the query does not touch, e.g. of another connected component) are left out, not drawn
    at an arbitrary floor. ``other_gains`` are drawn as thin, faint curves to compare filters.
    """
    from plotly.subplots import make_subplots

    values = np.asarray(values, dtype=np.float64)
    floor = 1e-8 * max(float(np.max(np.abs(coeffs))), 1e-300)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for name, c, colour, size in (("|Uᵀy|  (query)", np.abs(coeffs), "#7f7f7f", 5),
                                  ("|h(Λ)Uᵀy|  (filtered)", np.abs(gains * coeffs), "#1f77b4", 6)):
        shown = c >= floor
        fig.add_trace(go.Scatter(x=values[shown], y=c[shown], mode="markers", name=name,
                                 marker=dict(color=colour, size=size)), secondary_y=False)
    order = np.argsort(values)
    faint = (("#9467bd", "dot"), ("#8c564b", "dash"), ("#7f7f7f", "dashdot"))
    for (name, other), (colour, dash) in zip((other_gains or {}).items(), faint):
        fig.add_trace(go.Scatter(x=values[order], y=np.asarray(other)[order], mode="lines",
                                 name=f"h(λ): {name}", opacity=0.6,
                                 line=dict(color=colour, width=1.5, dash=dash)),
                      secondary_y=True)
    fig.add_trace(go.Scatter(x=values[order], y=gains[order], mode="lines",
                             name=f"h(λ): {filter_name}", line=dict(color="#d62728", width=2.5)),
                  secondary_y=True)
    fig.update_xaxes(title="eigenvalue λ of 𝒲  (high frequency ← → low frequency)")
    fig.update_yaxes(title="coefficient magnitude", type="log", secondary_y=False,
                     exponentformat="power")
    fig.update_yaxes(title="gain h(λ)", secondary_y=True, showgrid=False, range=[0, 1.05],
                     tickvals=[0, 0.25, 0.5, 0.75, 1.0])
    return _plain_layout(fig, None, 380)


def eigenvalue_figure(values: np.ndarray, n_total: int) -> go.Figure:
    """Eigenvalues of 𝒲 in descending order."""
    fig = go.Figure(go.Scatter(x=np.arange(1, values.size + 1), y=values, mode="markers+lines",
                               marker=dict(size=4, color="#4c78a8"), line=dict(width=1),
                               hovertemplate="λ<sub>%{x}</sub> = %{y:.4f}<extra></extra>"))
    fig.update_xaxes(title=f"index i (top {values.size:,} of {n_total:,})")
    fig.update_yaxes(title="λᵢ", range=[min(-0.05, float(values.min()) - 0.05), 1.05])
    return _plain_layout(fig, "spectrum of 𝒲", 300)


def low_rank_curve_figure(ranks: np.ndarray, errors: np.ndarray, overlaps: np.ndarray,
                          current: int | None, k: int) -> go.Figure:
    """Relative error (log) and top-k overlap of the rank-r approximation against r, in two
    panels side by side (one y axis each)."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("relative error ‖x_r − x‖ / ‖x‖", f"top-{k} overlap"))
    errors = np.asarray(errors, dtype=np.float64)
    floor = 1e-6  # below it, exact to the eye: drawn on the floor as ▼, not 15 decades down
    shown = np.maximum(errors, floor)
    fig.add_trace(go.Scatter(
        x=ranks, y=shown, mode="lines+markers", name="relative error", showlegend=False,
        line=dict(color="#d62728"), customdata=errors,
        marker=dict(symbol=np.where(errors < floor, "triangle-down", "circle"),
                    size=np.where(errors < floor, 10, 6)),
        hovertemplate="r = %{x}<br>relative error %{customdata:.2e}<extra></extra>",
    ), 1, 1)
    fig.add_trace(go.Scatter(x=ranks, y=overlaps, mode="lines+markers", name=f"top-{k} overlap",
                             line=dict(color="#2ca02c"), showlegend=False), 1, 2)
    if current is not None:
        for col in (1, 2):
            fig.add_vline(x=current, line=dict(dash="dot", color="gray"), row=1, col=col)
        fig.add_annotation(x=np.log10(current), y=1.0, xref="x2", yref="y2 domain",
                           text=f"r = {current}", showarrow=False, xanchor="left", xshift=4,
                           yanchor="top", font=dict(color="gray", size=11))
    fig.update_xaxes(title="rank r", type="log")
    fig.update_yaxes(**log_axis(np.append(shown, 1.0)), row=1, col=1)
    fig.update_yaxes(range=[0, 1.05], tickvals=[0, 0.25, 0.5, 0.75, 1.0], tickformat=".0%",
                     row=1, col=2)
    return _plain_layout(fig, None, 320)


def label_scatter(
    coords: np.ndarray,
    predictions: np.ndarray,
    certainty: np.ndarray,
    labelled: np.ndarray,
    class_names: Sequence[str],
    *,
    title: str | None = None,
    certainty_as: str = "opacity",
    height: int = 560,
) -> go.Figure:
    """Propagated labels as colours, certainty ω as opacity (or size), labelled points as triangles.

    ``labelled`` holds the given class per point (``-1`` = unlabelled). Every trace carries the
    global point ids in ``customdata[0]``.
    """
    coords = np.asarray(coords, dtype=np.float64)
    n = coords.shape[0]
    size = marker_size(n)
    cls = _scatter_cls(n)
    fig = go.Figure()
    certainty = np.clip(np.asarray(certainty, dtype=np.float64), 0, 1)
    for c in np.unique(predictions):
        idx = np.flatnonzero((predictions == c) & (labelled < 0))
        if idx.size == 0:
            continue
        custom, template = hover_data(idx, predictions[idx], class_names, certainty[idx])
        template = template.replace("label", "propagated").replace("score", "certainty ω")
        marker = dict(color="#bbbbbb" if c < 0 else class_color(c), line=dict(width=0))
        if certainty_as == "size":
            marker["size"] = 3 + (size + 4) * certainty[idx]
        else:
            marker.update(size=size, opacity=0.12 + 0.88 * certainty[idx])
        name = "no label" if c < 0 else (class_names[c] if c < len(class_names) else f"class {c}")
        fig.add_trace(cls(x=coords[idx, 0], y=coords[idx, 1], mode="markers", name=name,
                          marker=marker, customdata=custom, hovertemplate=template))
    lab = np.flatnonzero(labelled >= 0)
    if lab.size:
        custom, template = hover_data(lab, labelled[lab], class_names)
        fig.add_trace(go.Scatter(
            x=coords[lab, 0], y=coords[lab, 1], mode="markers", name="labelled (▲)",
            marker=dict(symbol="triangle-up", size=size + 9,
                        color=[class_color(c) for c in labelled[lab]],
                        line=dict(color="black", width=1.5)),
            customdata=custom, hovertemplate=template.replace("label", "given label"),
        ))
    base_layout(fig, title, height)
    return fig.update_layout(legend=dict(itemsizing="constant"))


def histogram_figure(values: dict[str, np.ndarray], title: str, xlabel: str, bins: int = 20,
                     x_range=(0, 1), height: int = 280) -> go.Figure:
    """Overlaid histograms (e.g. certainty of correct vs wrong predictions).

    Counted with :func:`numpy.histogram`, whose last bin is closed: a certainty of exactly 1
    (a point only one class reaches) is counted, not dropped at the edge.
    """
    fig = go.Figure()
    palette = ["#2ca02c", "#d62728", "#1f77b4", "#7f7f7f"]
    edges = np.linspace(x_range[0], x_range[1], bins + 1)
    centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
    for (name, v), colour in zip(values.items(), palette):
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
    return _plain_layout(fig, title, height)


def bar_figure(names: Sequence[str], values: np.ndarray, title: str, ylabel: str,
               colours: Sequence[str] | None = None, height: int = 260) -> go.Figure:
    """One bar per named item; the names are categories even when they look like numbers."""
    fig = go.Figure(go.Bar(x=[str(n) for n in names], y=values,
                           marker_color=list(colours) if colours else None))
    fig.update_xaxes(type="category")
    fig.update_yaxes(title=ylabel, tickformat=".3~g")
    return _plain_layout(fig, title, height)


def sweep_figure(x, series: dict[str, np.ndarray], xlabel: str, title: str,
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
    elif x.size and np.all(x == np.round(x)) and x.max() - x.min() <= 12:
        fig.update_xaxes(dtick=1)  # a few epochs: whole numbers, not 1.5
    fig.update_xaxes(title=xlabel)
    if fraction:
        every = np.concatenate([np.asarray(y, dtype=np.float64).ravel() for y in series.values()])
        every = every[np.isfinite(every)]
        low, high = (every.min(), every.max()) if every.size else (0.0, 1.0)
        pad = max(0.02, 0.08 * (high - low))
        fig.update_yaxes(title="accuracy", tickformat=".0%" if high - low + 2 * pad > 0.08 else ".1%",
                         range=[max(0.0, low - pad), min(1.0, high + pad)])
    return _plain_layout(fig, title, height)


MINING_STYLE = {
    "both": ("in E and M", "#9467bd", "circle", 2),
    "positives": ("hard positives S⁺ = M \\ E", "#2ca02c", "diamond", 5),
    "negatives": ("hard negatives S⁻ = E \\ M", "#d62728", "x", 5),
}


def mining_figure(coords: np.ndarray, mined, labels=None, class_names: Sequence[str] = (),
                  title: str | None = None, height: int = 560) -> go.Figure:
    """The anchor, E ∩ M, hard positives and hard negatives in distinct, labelled styles.

    ``mined`` is a :class:`mlviz.mining.Mined`. Other points are drawn light grey; every trace
    carries the global point ids in ``customdata[0]`` so a click picks a new anchor.
    """
    coords = np.asarray(coords, dtype=np.float64)
    n = coords.shape[0]
    size = marker_size(n)
    both = mined.euclidean[np.isin(mined.euclidean, mined.manifold)]
    groups = {"both": both, "positives": mined.positives, "negatives": mined.negatives}
    special = np.concatenate([both, mined.positives, mined.negatives, [mined.anchor]])
    rest = np.setdiff1d(np.arange(n), special)
    fig = go.Figure()
    custom, template = hover_data(rest, None if labels is None else labels[rest], class_names)
    fig.add_trace(_scatter_cls(n)(x=coords[rest, 0], y=coords[rest, 1], mode="markers",
                                  name="other points", marker=dict(size=size, color="#d9d9d9"),
                                  customdata=custom, hovertemplate=template))
    for key, idx in groups.items():
        name, colour, symbol, extra = MINING_STYLE[key]
        custom, template = hover_data(idx, None if labels is None else labels[idx], class_names)
        fig.add_trace(go.Scatter(
            x=coords[idx, 0], y=coords[idx, 1], mode="markers", name=f"{name} ({idx.size})",
            marker=dict(size=size + extra, color=colour, symbol=symbol,
                        line=dict(width=2 if symbol == "x" else 0.5, color=colour if symbol == "x"
                                  else "white")),
            customdata=custom, hovertemplate=template,
        ))
    anchor = query_trace(coords, [mined.anchor], labels, class_names, name="anchor x")
    anchor.marker.color = "black"
    fig.add_trace(anchor)
    return base_layout(fig, title, height)


def recall_table(rows: dict[str, tuple[str, dict]]) -> list[dict]:
    """Rows ``method -> (labels used, evaluate_embedding dict)`` as records for a table,
    in the shape of the talk's CUB-200 table (R@1, 2, 4, 8 and NMI in percent, one decimal,
    as text so that 75.0 does not show as 75 beside 74.1)."""
    out = []
    for method, (labels, scores) in rows.items():
        if scores is None:
            continue
        record = {"method": method, "labels": labels}
        for k in (1, 2, 4, 8):
            record[f"R@{k}"] = f"{100 * scores[f'R@{k}']:.1f}"
        record["NMI"] = f"{100 * scores['NMI']:.1f}"
        out.append(record)
    return out
