"""Points on a layout: classes, queries, graph edges, hover data and selections."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import scipy.sparse as sp

from mlviz.figures.style import (
    MARKER_OUTLINE,
    MAX_EDGES_DRAWN,
    POINT_COLOR,
    QUERY_COLOR,
    QUERY_SIZE_EXTRA,
    apply_layout,
    class_color,
    class_name,
    drawn_points,
    edge_style,
    marker_size,
    scatter_type,
)


def hover_data(
    ids: np.ndarray,
    labels: np.ndarray | None,
    class_names: Sequence[str],
    scores: np.ndarray | None = None,
    *,
    label_title: str = "label",
    score_title: str = "score",
    extra_rows: Sequence[str] = (),
) -> tuple[np.ndarray, str]:
    """``customdata`` (id, label name[, score]) and its hover template.

    Parameters
    ----------
    ids : global point ids, ``customdata[0]``.
    labels : class per point (``-1`` or unknown: ``?``); none shows ``–``.
    class_names : names of the classes.
    scores : shown under the label when given.
    label_title, score_title : what the label and score rows are called.
    extra_rows : further hover rows (plotly template text), last.

    Returns
    -------
    customdata : ndarray of object, shape (n, 2 or 3)
    template : str
    """
    ids = np.asarray(ids)
    label_text = (
        np.array([class_names[c] if 0 <= c < len(class_names) else "?" for c in labels],
                 dtype=object)
        if labels is not None
        else np.full(ids.size, "–", dtype=object)
    )
    columns = [ids.astype(object), label_text]
    rows = ["point %{customdata[0]}", f"{label_title} %{{customdata[1]}}"]
    if scores is not None:
        columns.append(np.asarray(scores, dtype=float).astype(object))
        rows.append(f"{score_title} %{{customdata[2]:.4g}}")
    rows += list(extra_rows)
    return np.stack(columns, axis=1), "<br>".join(rows) + "<extra></extra>"


EDGE_GROUP = "graph edges"


def edge_shape(coords: np.ndarray, W: sp.spmatrix, max_edges: int = MAX_EDGES_DRAWN
               ) -> tuple[dict, go.Scatter]:
    """The graph's edges (at least one) as one SVG path (``M x y L x y`` per edge): a layout
    shape in the layer below every trace (SVG or WebGL), and an empty line trace that is its
    legend entry (one legend group: a click on it hides both).

    One path is what plotly's renderer draws fastest: as a line trace with gaps between the
    segments, 4,700 edges on 600 points took 218 ms to plot in Chromium, 21,000 on 1,797
    points 1.0 s and 60,000 in WebGL 3.4 s; as this path 46 ms, 145 ms and 0.47 s.

    Draws at most ``max_edges`` edges, the heaviest first, and says so in the legend; the
    more edges, the lighter and thinner (:func:`~mlviz.figures.style.edge_style`).
    """
    upper = sp.triu(W, k=1).tocoo()
    order = np.argsort(-upper.data)[:max_edges]
    i, j = upper.row[order], upper.col[order]
    ends = np.stack([coords[i, 0], coords[i, 1], coords[j, 0], coords[j, 1]], axis=1)
    path = "".join(f"M{a:.6g},{b:.6g}L{c:.6g},{d:.6g}" for a, b, c, d in ends.tolist())
    name = ("graph edges" if upper.nnz <= max_edges
            else f"graph edges ({max_edges:,} of {upper.nnz:,})")
    style = edge_style(i.size)
    line = dict(color=style["color"], width=style["width"])
    shape = dict(type="path", path=path, layer="below", xref="x", yref="y", line=line,
                 name=name, legendgroup=EDGE_GROUP, showlegend=False)
    legend = scatter_type(coords.shape[0])(x=[None], y=[None], mode="lines", line=line, name=name,
                                            legendgroup=EDGE_GROUP, hoverinfo="skip")
    return shape, legend


def query_trace(
    coords: np.ndarray,
    queries,
    labels: np.ndarray | None = None,
    class_names: Sequence[str] = (),
    name: str = "query",
    color: str = QUERY_COLOR,
    drawn: int | None = None,
) -> go.Scatter:
    """Query points (or an anchor): large stars, to be added last, in the points' renderer so
    that they are drawn on top (a WebGL canvas covers every SVG trace). ``drawn``: how many
    points the figure draws, when a sample of them (sets the renderer and the size)."""
    q = np.asarray(queries, dtype=np.int64)
    count = coords.shape[0] if drawn is None else drawn
    custom, template = hover_data(q, None if labels is None else labels[q], class_names)
    return scatter_type(count)(
        x=coords[q, 0], y=coords[q, 1], mode="markers", name=name,
        marker=dict(symbol="star", size=marker_size(count) + QUERY_SIZE_EXTRA,
                    color=color, line=dict(color=MARKER_OUTLINE, width=1.5)),
        customdata=custom, hovertemplate=template,
    )


def class_scatter(
    coords: np.ndarray,
    labels: np.ndarray | None,
    class_names: Sequence[str] = (),
    *,
    W: sp.spmatrix | None = None,
    title: str | None = None,
    highlight: np.ndarray | None = None,
    ids: np.ndarray | None = None,
    max_points: int | None = None,
) -> go.Figure:
    """Points coloured by class (one legend entry per class), optionally with graph edges.

    Every trace carries the global point ids in ``customdata[0]``: ``ids`` when the points
    drawn are a subset, else their row numbers. ``highlight`` points are drawn as queries.
    Above ``max_points`` points, a fixed sample of them is drawn (not for a figure to pick
    points in: the others could not be clicked).
    """
    coords = np.asarray(coords, dtype=np.float64)
    n = coords.shape[0]
    fig = go.Figure()
    if W is not None and W.nnz:  # zero diagonal: any entry is an edge
        shape, legend = edge_shape(coords, W)
        fig.add_shape(**shape)
        fig.add_trace(legend)
    drawn = drawn_points(n, max_points, keep=() if highlight is None else highlight)
    trace_type = scatter_type(drawn.size)
    size = marker_size(drawn.size)
    ids = np.arange(n) if ids is None else np.asarray(ids)
    groups = [(None, drawn)] if labels is None else [
        (c, drawn[labels[drawn] == c]) for c in np.unique(labels)
    ]
    for c, idx in groups:
        custom, template = hover_data(ids[idx], None if labels is None else labels[idx],
                                      class_names)
        fig.add_trace(trace_type(
            x=coords[idx, 0].astype(np.float32), y=coords[idx, 1].astype(np.float32),
            mode="markers", name="points" if c is None else class_name(c, class_names),
            marker=dict(size=size, color=POINT_COLOR if c is None else class_color(c),
                        line=dict(width=0)),
            customdata=custom, hovertemplate=template,
        ))
    if highlight is not None and len(highlight):
        fig.add_trace(query_trace(coords, np.asarray(highlight), labels, class_names,
                                  drawn=drawn.size))
    return apply_layout(fig, title, kind="map")


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
