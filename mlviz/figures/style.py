"""Every colour, size and threshold of the figures, and the one layout they all share."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go

# ---------------------------------------------------------------- colours, each hex once
BLUE = "#1f77b4"
ORANGE = "#ff7f0e"
GREEN = "#2ca02c"
RED = "#d62728"
PURPLE = "#9467bd"
BROWN = "#8c564b"
PINK = "#e377c2"
NAVY = "#393b79"
OLIVE = "#bcbd22"
CYAN = "#17becf"
GREY = "#7f7f7f"
MOSS = "#637939"
OCHRE = "#8c6d31"
BRICK = "#843c39"
PLUM = "#7b4173"
STEEL = "#4c78a8"
LIGHT_GREY = "#bbbbbb"
PALE_GREY = "#d9d9d9"
WHITE = "white"
BLACK = "black"
GUIDE_COLOR = "gray"
"""Reference lines and their labels (a tolerance, the current rank)."""
GRID_COLOR = "#eee"
EDGE_COLOR = "rgba(90,90,90,0.45)"

CLASS_COLORS = (  # tab10 with navy for class 7: its grey looked like the edges and "no label"
    BLUE, ORANGE, GREEN, RED, PURPLE, BROWN, PINK, NAVY, OLIVE, CYAN,
    GREY, MOSS, OCHRE, BRICK, PLUM,
)
SCORE_SCALE = "Viridis"
"""Sequential colour scale of every score."""
DIVERGING_SCALE = "RdBu"
"""Colour scale of signed values (eigenvectors), reversed so that positive is red."""
POINT_COLOR = STEEL
"""Points without a class, and single-series marks (eigenvalues, impulse response)."""
UNLABELLED_COLOR = LIGHT_GREY
OTHER_POINTS_COLOR = PALE_GREY
"""Points that are in none of the highlighted sets (mining)."""
MARKER_OUTLINE = WHITE
QUERY_COLOR = RED
ANCHOR_COLOR = BLACK
LABELLED_OUTLINE = BLACK
RING_COLOR = ORANGE
SOLVER_COLORS = {"random walk": BLUE, "conjugate gradient": RED}
SPECTRUM_COLORS = {"query": GREY, "filtered": BLUE, "filter": RED}
OTHER_FILTER_STYLES = ((PURPLE, "dot"), (BROWN, "dash"), (GREY, "dashdot"))
"""Colour and dash of the filters drawn faintly, for comparison."""
IMPULSE_COLOR = POINT_COLOR
GAIN_COLOR = RED
LOW_RANK_COLORS = {"error": RED, "overlap": GREEN}
HISTOGRAM_COLORS = (GREEN, RED, BLUE, GREY)
MINING_STYLE = {  # set -> (legend name, colour, symbol, extra marker size)
    "both": ("in E and M", PURPLE, "circle", 2),
    "positives": ("hard positives S⁺ = M \\ E", GREEN, "diamond", 5),
    "negatives": ("hard negatives S⁻ = E \\ M", RED, "x", 5),
}

# ---------------------------------------------------------------- thresholds
WEBGL_POINTS_FROM = 3000
"""Above this many points, scatters use WebGL (``Scattergl``)."""
WEBGL_EDGES_FROM = 5000
"""Above this many edges, the edge trace uses WebGL."""
MAX_EDGES_DRAWN = 60_000
"""At most this many edges are drawn, the heaviest first."""
ERROR_FLOOR = 1e-16
"""Relative errors are drawn no lower than this on log axes (an exact 0 has no logarithm)."""
LOW_RANK_ERROR_FLOOR = 1e-6
"""Low-rank errors below this are exact to the eye: drawn on the floor as ▼."""
SPECTRUM_FLOOR = 1e-8
"""Spectral coefficients below this fraction of the largest are left out."""
FEW_STEPS = 12
"""Integer x values spanning at most this many get a tick at every whole number."""

# ---------------------------------------------------------------- sizes
QUERY_SIZE_EXTRA = 10
"""Query and anchor stars are this much larger than the points."""
RING_SIZE_EXTRA = 9
LABELLED_SIZE_EXTRA = 9
TRACKER_SIZE = 11
"""The dot that follows the animation's slider on an error curve."""
CERTAINTY_MIN_OPACITY = 0.12
"""Opacity of a point of certainty 0 (certainty 1 is opaque)."""
CERTAINTY_MIN_SIZE = 3
"""Size of a point of certainty 0 when certainty is drawn as size."""

PLOTLY_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "modeBarButtonsToRemove": ["autoScale2d"],
}


def class_color(c: int) -> str:
    """The colour of class ``c`` (the palette repeats past its end)."""
    return CLASS_COLORS[int(c) % len(CLASS_COLORS)]


def class_name(c: int, class_names) -> str:
    """The legend name of class ``c``: its name when known, else ``class c``."""
    return class_names[c] if c < len(class_names) else f"class {c}"


def marker_size(n: int) -> float:
    """Points large enough to click, smaller as ``n`` grows."""
    return float(np.clip(14 - 2.2 * np.log10(max(n, 1)), 4, 10))


def scatter_type(count: int, webgl_from: int = WEBGL_POINTS_FROM) -> type[go.Scatter]:
    """``go.Scattergl`` above ``webgl_from`` marks, else ``go.Scatter``."""
    return go.Scattergl if count > webgl_from else go.Scatter


# ---------------------------------------------------------------- the layout
_AXES = {
    "chart": dict(showgrid=True, gridcolor=GRID_COLOR, zeroline=False),
    "map": dict(showgrid=False, zeroline=False, showticklabels=False),
    "panels": dict(showticklabels=False, showgrid=False, zeroline=False),
}
_LEGEND = {
    "chart": dict(orientation="h", yanchor="bottom", y=1.01, x=0.0),
    "map": dict(orientation="h", yanchor="top", y=-0.01, xanchor="left", x=0),
    "panels": None,
}


def apply_layout(
    fig: go.Figure,
    title: str | None = None,
    height: int = 520,
    *,
    kind: Literal["chart", "map", "panels"] = "chart",
    **overrides: Any,
) -> go.Figure:
    """Title, height, margins, legend and axes of every figure.

    Parameters
    ----------
    fig : the figure, changed in place.
    title : drawn at the top left; none leaves the top margin small.
    height : in pixels.
    kind : ``"chart"``: gridded axes, legend in its own row above the plot, title at the top.
        ``"map"``: points on a layout: hidden axes at equal scales (distances look right),
        legend below, pan and select. ``"panels"``: small multiples, hidden axes, no legend.
    overrides : further ``update_layout`` settings, merged over these (e.g. ``margin=dict(t=60)``).

    Returns
    -------
    go.Figure
        ``fig``.
    """
    if kind == "chart":
        title_style = dict(x=0.01, y=0.98, yref="container", yanchor="top", font=dict(size=14))
        top = 85 if title else 40
    else:
        title_style = dict(x=0.01, font=dict(size=15))
        top = 50 if title else 20
    layout = dict(
        title=dict(text=title, **title_style) if title else None,
        height=height,
        margin=dict(l=10, r=10, t=top, b=10),
        plot_bgcolor=WHITE,
    )
    if _LEGEND[kind] is not None:
        layout["legend"] = _LEGEND[kind]
    if kind == "map":
        layout.update(dragmode="pan", clickmode="event+select")
    fig.update_layout(**layout)
    fig.update_xaxes(**_AXES[kind])
    fig.update_yaxes(**_AXES[kind], **(dict(scaleanchor="x", scaleratio=1) if kind == "map" else {}))
    if overrides:
        fig.update_layout(**overrides)
    return fig


# ---------------------------------------------------------------- log axes
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def log_axis(values) -> dict:
    """Axis settings for a log scale spanning the positive finite ``values``, ticks in one
    notation (:func:`log_ticks`)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return {"type": "log"}
    tickvals, ticktext = log_ticks(values.min(), values.max())
    return {"type": "log", "tickvals": tickvals, "ticktext": ticktext}


def log_ticks(low: float, high: float, most: int = 8) -> tuple[list[float], list[str]]:
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
