"""Label propagation: propagated labels with their certainty, and the labelled points."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import plotly.graph_objects as go

from mlviz.figures.scatter import hover_data
from mlviz.figures.style import (
    CERTAINTY_MIN_OPACITY,
    CERTAINTY_MIN_SIZE,
    LABELLED_OUTLINE,
    LABELLED_SIZE_EXTRA,
    UNLABELLED_COLOR,
    apply_layout,
    class_color,
    class_name,
    marker_size,
    scatter_type,
)


def label_scatter(
    coords: np.ndarray,
    predictions: np.ndarray,
    certainty: np.ndarray,
    labelled: np.ndarray,
    class_names: Sequence[str],
    *,
    title: str | None = None,
    certainty_as: Literal["opacity", "size"] = "opacity",
    height: int = 560,
) -> go.Figure:
    """Propagated labels as colours, certainty ω as opacity (or size), labelled points as triangles.

    Parameters
    ----------
    coords : (n, 2) drawing coordinates.
    predictions : propagated class per point (``-1``: no label reached it).
    certainty : ω per point, in [0, 1].
    labelled : the given class per point (``-1`` = unlabelled).
    class_names : names of the classes.

    Returns
    -------
    go.Figure
        Every trace carries the global point ids in ``customdata[0]``.
    """
    coords = np.asarray(coords, dtype=np.float64)
    n = coords.shape[0]
    size = marker_size(n)
    trace_type = scatter_type(n)
    fig = go.Figure()
    certainty = np.clip(np.asarray(certainty, dtype=np.float64), 0, 1)
    for c in np.unique(predictions):
        idx = np.flatnonzero((predictions == c) & (labelled < 0))
        if idx.size == 0:
            continue
        custom, template = hover_data(idx, predictions[idx], class_names, certainty[idx],
                                      label_title="propagated", score_title="certainty ω")
        marker = dict(color=UNLABELLED_COLOR if c < 0 else class_color(c), line=dict(width=0))
        if certainty_as == "size":
            marker["size"] = CERTAINTY_MIN_SIZE + (size + 4) * certainty[idx]
        else:
            marker.update(size=size, opacity=CERTAINTY_MIN_OPACITY
                          + (1 - CERTAINTY_MIN_OPACITY) * certainty[idx])
        fig.add_trace(trace_type(
            x=coords[idx, 0], y=coords[idx, 1], mode="markers",
            name="no label" if c < 0 else class_name(c, class_names),
            marker=marker, customdata=custom, hovertemplate=template,
        ))
    given = np.flatnonzero(labelled >= 0)
    if given.size:
        custom, template = hover_data(given, labelled[given], class_names,
                                      label_title="given label")
        fig.add_trace(trace_type(  # the points' renderer: drawn over them
            x=coords[given, 0], y=coords[given, 1], mode="markers", name="labelled (▲)",
            marker=dict(symbol="triangle-up", size=size + LABELLED_SIZE_EXTRA,
                        color=[class_color(c) for c in labelled[given]],
                        line=dict(color=LABELLED_OUTLINE, width=1.5)),
            customdata=custom, hovertemplate=template,
        ))
    return apply_layout(fig, title, height, kind="map", legend=dict(itemsizing="constant"))
