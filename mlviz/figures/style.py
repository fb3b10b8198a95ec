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
EDGE_RGB = "90,90,90"

CLASS_COLORS = (  # tab10 with navy for class 7: its grey looked like the edges and "no label"
    BLUE, ORANGE, GREEN, RED, PURPLE, BROWN, PINK, NAVY, OLIVE, CYAN,
    GREY, MOSS, OCHRE, BRICK, PLUM,
    # then plotly's Dark24 and Alphabet, without their near-whites and near-greys
    "#2E91E5", "#E15F99", "#1CA71C", "#FB0D0D", "#DA16FF", "#222A2A", "#B68100", "#750D86",
    "#EB663B", "#511CFB", "#00A08B", "#FB00D1", "#FC0080", "#B2828D", "#6C7C32", "#778AAE",
    "#862A16", "#A777F1", "#620042", "#1616A7", "#DA60CA", "#6C4516", "#0D2A63", "#AF0038",
    "#AA0DFE", "#3283FE", "#85660D", "#782AB6", "#1C8356", "#16FF32", "#1CBE4F", "#C4451C",
    "#DEA0FD", "#FE00FA", "#325A9B", "#FEAF16", "#F8A19F", "#90AD1C", "#F6222E", "#1CFFCE",
    "#2ED9FF", "#B10DA1", "#C075A6", "#FC1CBF", "#B00068", "#FBE426", "#FA0087",
)
"""Distinct up to ``len(CLASS_COLORS)`` classes; past that, legends say the colours repeat."""
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
DRAWN_POINTS_UP_TO = 2000
"""A figure that is not for picking points draws at most this many per panel above (a fixed
random sample, plus the points it must show: queries, the largest values): each point is sent
to the browser (every frame of an animation again), which draws every panel that changed anew
at each rerun. At 20,000 points (``benchmarks/bench_browser_20k.py``) 5,000 cut an α move on
the ranking page from 5.7 s to 2.5 s; 2,000, all in WebGL, cut the browser's share of it from
3.0 to 1.6 s."""
WEBGL_POINTS_FROM = DRAWN_POINTS_UP_TO
"""From this many points, scatters use WebGL (``Scattergl``), so that every sampled figure does:
in Chromium drawing in software, 2,500 points took 2.9 s in SVG against 1.6–1.9 s in WebGL."""
GALLERY_WEBGL_FROM = 5000
"""The eigenvector gallery's panels share one renderer: WebGL from this many marks in all of
them. Eight panels of the default two moons (4,800 marks) in SVG cost Chromium 1.7 core-seconds
for the smoothing page's first view, in WebGL 2.9 (with the 3.6 MB more of plotly.js that WebGL
needs, :mod:`mlviz.ui.live_chart`)."""
KEPT_EXTREMES = 500
"""Of a score or eigenvector drawn from a sample, its this many largest values are always drawn
(an eigenvector concentrated on a few points would otherwise look flat)."""
MAX_EDGES_DRAWN = 60_000
"""At most this many edges are drawn, the heaviest first."""
ERROR_FLOOR = 1e-16
"""Relative errors are drawn no lower than this on log axes (an exact 0 has no logarithm)."""
LOW_RANK_ERROR_FLOOR = 1e-6
"""Low-rank errors below this are exact to the eye: drawn on the floor as ▼."""
SPECTRUM_FLOOR = 1e-8
"""Spectral coefficients below this fraction of the largest are left out."""
MODEBAR_ROOM = 30
"""Pixels kept free above a title for plotly's toolbar, shown on hover, so it never covers it."""
ANIMATION_PANEL_PX = 440
"""About the width of one of two animation panels in the app's wide layout: the panels' row
is this tall for square data, less for wide data (no empty band above and below them)."""
ANIMATION_MIN_ROW_PX = 240
ANIMATION_ERROR_PX = 230
"""Height of the error panel under the animation."""
FEW_STEPS = 12
"""Integer x values spanning at most this many get a tick at every whole number."""

SHOW_EDGES_UP_TO = 6000
"""The home page shows the graph's edges by default up to this many (two moons: ~3,700,
digits: ~5,400 draw readable; swiss roll 3-D and 20k points turn grey)."""
EDGE_OPACITY = (0.45, 0.12)
"""Edge opacity up to ``EDGES_LIGHTER_FROM`` edges, and the floor it falls to as they grow."""
EDGE_WIDTH = (0.9, 0.5)
"""Edge width in pixels, likewise: sparse graphs, and the floor of dense ones."""
EDGES_LIGHTER_FROM = 2000
"""Above this many edges drawn, opacity and width fall like 1/√(edges)."""
SCORE_CEILING_QUANTILE = 99
"""Linear score scales end at this percentile of the scores outside the queries."""

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
    "displayModeBar": "hover",
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "modeBarButtonsToRemove": ["autoScale2d"],
}


def class_color(c: int) -> str:
    """The colour of class ``c`` (the palette repeats past its end)."""
    return CLASS_COLORS[int(c) % len(CLASS_COLORS)]


def class_name(c: int, class_names) -> str:
    """The legend name of class ``c``: its name when known, else ``class c``; past the
    palette, with the class whose colour it repeats."""
    name = class_names[c] if c < len(class_names) else f"class {c}"
    if c >= len(CLASS_COLORS):
        name += f" (colour of {class_name(c % len(CLASS_COLORS), class_names)})"
    return name


def edge_style(count: int) -> dict:
    """Opacity, colour and width of ``count`` edges: lighter and thinner as they get denser,
    so that the points stay visible."""
    fall = min(1.0, float(np.sqrt(EDGES_LIGHTER_FROM / max(count, 1))))
    opacity = max(EDGE_OPACITY[1], EDGE_OPACITY[0] * fall)
    width = max(EDGE_WIDTH[1], EDGE_WIDTH[0] * fall)
    return {"opacity": opacity, "width": width, "color": f"rgba({EDGE_RGB},{opacity:.3f})"}


def score_ceiling(*scores: np.ndarray, exclude=(), quantile: float = SCORE_CEILING_QUANTILE
                  ) -> float:
    """The top of a linear score scale: the ``quantile`` percentile of the scores outside
    ``exclude`` (the queries, whose own scores would make every other point the darkest
    colour), over all ``scores`` together; 1 when none is positive."""
    keep = [np.delete(np.asarray(s, dtype=np.float64), np.asarray(exclude, dtype=np.int64))
            for s in scores]
    values = np.concatenate(keep) if keep else np.zeros(0)
    values = values[np.isfinite(values)]
    top = float(np.percentile(values, quantile)) if values.size else 0.0
    return top if top > 0 else (float(values.max()) if values.size and values.max() > 0 else 1.0)


def ceiling_title(what: str, quantile: float = SCORE_CEILING_QUANTILE) -> str:
    """Colour bar title of a scale ending at :func:`score_ceiling`."""
    return f"{what} (top: {quantile:g}th pct.<br>without the queries)"


def marker_size(n: int) -> float:
    """Points large enough to click, smaller as ``n`` grows."""
    return float(np.clip(14 - 2.2 * np.log10(max(n, 1)), 4, 10))


def drawn_points(n: int, up_to: int | None = DRAWN_POINTS_UP_TO, keep=(),
                 seed: int = 0) -> np.ndarray:
    """The ids of the points a figure draws: all ``n`` up to ``up_to``, else a fixed random
    sample of ``up_to`` of them (the same on every rerun) with ``keep`` added; sorted.
    ``up_to=None``: all of them."""
    if up_to is None or n <= up_to:
        return np.arange(n)
    sample = np.random.default_rng(seed).choice(n, up_to, replace=False)
    return np.union1d(sample, np.asarray(keep, dtype=np.int64))


def largest(values: np.ndarray, count: int = KEPT_EXTREMES) -> np.ndarray:
    """Ids of the ``count`` largest ``|values|``, for :func:`drawn_points`' ``keep``."""
    magnitude = np.abs(np.asarray(values, dtype=np.float64))
    count = min(count, magnitude.size)
    return np.argpartition(-magnitude, count - 1)[:count] if count else np.zeros(0, np.int64)


def scatter_type(count: int, webgl_from: int = WEBGL_POINTS_FROM) -> type[go.Scatter]:
    """``go.Scattergl`` from ``webgl_from`` marks, else ``go.Scatter``."""
    return go.Scattergl if count >= webgl_from else go.Scatter


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
    below_modebar = dict(x=0.01, y=1 - MODEBAR_ROOM / height, yref="container", yanchor="top")
    if kind == "chart":
        title_style = dict(below_modebar, font=dict(size=14))
        top = 85 + MODEBAR_ROOM if title else 40
    else:
        title_style = dict(below_modebar, font=dict(size=15))
        top = 50 + MODEBAR_ROOM if title else 20
    if not title and fig.layout.annotations:  # subplot titles, at the top like a title
        top += MODEBAR_ROOM
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
