"""Mining on manifolds: an anchor's Euclidean and manifold neighbours, and recall tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from mlviz.figures.scatter import hover_data, query_trace
from mlviz.figures.style import (
    ANCHOR_COLOR,
    MARKER_OUTLINE,
    MINING_STYLE,
    OTHER_POINTS_COLOR,
    apply_layout,
    marker_size,
    scatter_type,
)


def mining_figure(coords: np.ndarray, mined, labels: np.ndarray | None = None,
                  class_names: Sequence[str] = (), title: str | None = None,
                  height: int = 560) -> go.Figure:
    """The anchor, E ∩ M, hard positives and hard negatives in distinct, labelled styles.

    ``mined`` is a :class:`mlviz.mining.Mined`. Other points are drawn light grey; every trace
    carries the global point ids in ``customdata[0]`` so a click picks a new anchor.
    """
    coords = np.asarray(coords, dtype=np.float64)
    n = coords.shape[0]
    size = marker_size(n)
    both = mined.euclidean[np.isin(mined.euclidean, mined.manifold)]  # E ∩ M, in E's order
    groups = {"both": both, "positives": mined.positives, "negatives": mined.negatives}
    special = np.concatenate([both, mined.positives, mined.negatives, [mined.anchor]])
    rest = np.setdiff1d(np.arange(n), special)
    fig = go.Figure()
    custom, template = hover_data(rest, None if labels is None else labels[rest], class_names)
    fig.add_trace(scatter_type(n)(
        x=coords[rest, 0], y=coords[rest, 1], mode="markers", name="other points",
        marker=dict(size=size, color=OTHER_POINTS_COLOR), customdata=custom,
        hovertemplate=template,
    ))
    for key, idx in groups.items():
        name, colour, symbol, extra = MINING_STYLE[key]
        custom, template = hover_data(idx, None if labels is None else labels[idx], class_names)
        crossed = symbol == "x"  # a line-only symbol: its outline is the mark
        fig.add_trace(scatter_type(n)(  # the points' renderer: drawn over them
            x=coords[idx, 0], y=coords[idx, 1], mode="markers", name=f"{name} ({idx.size})",
            marker=dict(size=size + extra, color=colour, symbol=symbol,
                        line=dict(width=2 if crossed else 0.5,
                                  color=colour if crossed else MARKER_OUTLINE)),
            customdata=custom, hovertemplate=template,
        ))
    fig.add_trace(query_trace(coords, [mined.anchor], labels, class_names, name="anchor x",
                              color=ANCHOR_COLOR))
    return apply_layout(fig, title, height, kind="map")


RECALL_AT = (1, 2, 4, 8)


def recall_table(rows: Mapping[str, tuple[str, dict | None]]) -> list[dict]:
    """Rows ``method -> (labels used, evaluate_embedding dict)`` as records for a table.

    In the shape of the talk's CUB-200 table: R@1, 2, 4, 8 and NMI in percent, one decimal,
    as text so that 75.0 does not show as 75 beside 74.1. Methods without scores are left out.
    """
    out = []
    for method, (labels, scores) in rows.items():
        if scores is None:
            continue
        record = {"method": method, "labels": labels}
        for k in RECALL_AT:
            record[f"R@{k}"] = f"{100 * scores[f'R@{k}']:.1f}"
        record["NMI"] = f"{100 * scores['NMI']:.1f}"
        out.append(record)
    return out
