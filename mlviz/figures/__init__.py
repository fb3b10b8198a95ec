"""Plotly figure builders: arrays in, ``go.Figure`` out. No streamlit, and no maths: every
score, error and response is computed by the caller and passed in.

Shared conventions: one sequential colour scale for scores, one categorical palette for
classes, point ids in ``customdata[0]`` (so a selection returns global ids), hover showing
index, label and score, WebGL scatter for large n. Colours, sizes, thresholds and the one
layout helper live in :mod:`mlviz.figures.style`.

Modules: ``style`` (colours, thresholds, layout, log axes), ``scatter`` (points, queries,
edges, hover, selections), ``ranking`` (diffusion animation, convergence), ``smoothing``
(signals, filters, spectrum), ``mining``, ``propagation`` (labels and certainty) and
``charts`` (histograms, bars, sweeps).
"""

# plotly's to_json imports PIL.Image lazily, on first use: two sessions' first figures at once
# could see the module half initialized (an AttributeError seen with 12 sessions), so it is
# imported here, whole, before any script thread serializes a figure.
import PIL.Image  # noqa: F401, I001

from mlviz.figures.charts import bar_figure, histogram_figure, sweep_figure
from mlviz.figures.mining import mining_figure, recall_table
from mlviz.figures.propagation import label_scatter
from mlviz.figures.ranking import convergence_figure, diffusion_animation, relative_log_scores
from mlviz.figures.scatter import (
    class_scatter,
    edge_shape,
    hover_data,
    query_trace,
    selected_point_ids,
)
from mlviz.figures.smoothing import (
    eigenvalue_figure,
    eigenvector_gallery,
    impulse_transfer_figure,
    low_rank_curve_figure,
    score_scatter,
    signals_figure,
    spectrum_figure,
)
from mlviz.figures.style import (
    CLASS_COLORS,
    PLOTLY_CONFIG,
    SOLVER_COLORS,
    apply_layout,
    ceiling_title,
    class_color,
    log_axis,
    marker_size,
    score_ceiling,
)

__all__ = [
    "CLASS_COLORS",
    "PLOTLY_CONFIG",
    "SOLVER_COLORS",
    "apply_layout",
    "bar_figure",
    "ceiling_title",
    "class_color",
    "class_scatter",
    "convergence_figure",
    "diffusion_animation",
    "edge_shape",
    "eigenvalue_figure",
    "eigenvector_gallery",
    "histogram_figure",
    "hover_data",
    "impulse_transfer_figure",
    "label_scatter",
    "log_axis",
    "low_rank_curve_figure",
    "marker_size",
    "mining_figure",
    "query_trace",
    "recall_table",
    "relative_log_scores",
    "score_ceiling",
    "score_scatter",
    "selected_point_ids",
    "signals_figure",
    "spectrum_figure",
    "sweep_figure",
]
