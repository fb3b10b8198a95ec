"""Charts that stay mounted across reruns and redraw in place (``Plotly.react``).

``st.plotly_chart`` gives a chart an element id that hashes its figure (Streamlit 1.67,
``compute_and_register_element_id(..., plotly_spec=...)``), and its frontend only reads a new
figure when that id changes: every slider move that changes a figure makes a new element,
which React mounts from scratch, with a new WebGL context, and plotly builds anew. At 20,000
points that was 1.0–1.45 s of the browser's main thread per move.

:func:`live_chart` draws the same figure with Streamlit's components v2 instead: a keyed
component keeps its identity (``key_as_main_identity=True``), so its ``<div>`` stays, and the
module ``live_chart.js`` hands each new figure to ``Plotly.react``. plotly.js is served by
Streamlit's component file route and loaded at most once per bundle and browser tab, in one of
two bundles of the version the ``plotly`` package writes its figures for:

* plotly.js's own *basic* partial bundle (``plotly_basic/plotly-basic.min.js``, the npm package
  ``plotly.js-basic-dist-min``, MIT licence beside it): scatter, bar and pie traces, 1.2 MB,
  for every figure made only of those (all of them below
  :data:`~mlviz.figures.style.WEBGL_POINTS_FROM` points);
* the full bundle the ``plotly`` package ships (``package_data/plotly.min.js``, 4.8 MB) for a
  figure with any other trace (``scattergl`` at large n). Once a tab has it, every chart there
  uses it.

The basic bundle cut a new tab's first document by ~0.8 core-seconds of Chromium's CPU (the
home page: 4.15 -> 3.35), and the tour of the class benchmark by 1.5 of 18.9
(``benchmarks/README.md``). Where the ``plotly`` package has moved on to a plotly.js other
than the basic bundle's (:func:`basic_bundle_usable`), every chart takes the full bundle.

The look is Streamlit's: ``plotly_theme.json`` is the template Streamlit's frontend makes of its
``"streamlit"`` plotly template for this app's light theme (``.streamlit/config.toml``), read
from a chart drawn by ``st.plotly_chart``; ``tests/test_browser.py`` checks that both still
agree. Titles are bold, as Streamlit makes them.

A chart is drawn only when it comes within 100 px of the screen (an ``IntersectionObserver``
on Streamlit's scrolling ``stMain``): the charts below the fold, in a closed expander or another
tab wait, marked ``data-in-view="0"``, and draw the newest figure when the student gets there.
The smoothing page at 20,000 points, nine charts, 1,600 px of window: its first visit took
3.1 s of the browser's main thread, 2.3 s so. The margin was 400 px until the smoothing page on
the default two moons drew its eigenvector gallery, 136 px below a 1,600 px window, on every
visit: at 100 px its first view costs Chromium 1.24 core-s instead of 1.57.

A chart the user selects points in (``selection_modes``) keeps its selection as the component's
state value ``selection``, in the shape ``st.plotly_chart`` gives it (``points`` with their
``customdata``, ``point_indices``, ``box``, ``lasso``) plus a ``serial`` that counts the user's
selections, so that selecting the same points again after the figure changed is a new selection
(:func:`mlviz.ui.page.new_selection`).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import plotly
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st
import streamlit.components.v1 as components_v1

HERE = Path(__file__).resolve().parent
PLOTLY_JS_DIR = Path(plotly.__file__).resolve().parent / "package_data"
PLOTLY_JS = "plotly.min.js"
PLOTLY_BASIC_DIR = HERE / "plotly_basic"
PLOTLY_BASIC_JS = "plotly-basic.min.js"
BASIC_TRACES = frozenset({"scatter", "bar", "pie"})
"""The trace types plotly.js's basic bundle draws."""
CHART_CLASS = "mlviz-chart"
TEST_ID = "mlvizChart"
CHARTS_SETTLED_JS = (
    f"[...document.querySelectorAll('.{CHART_CLASS}')].every(c => c.dataset.wanted && "
    "(c.dataset.drawn === c.dataset.wanted || c.dataset.inView === '0'))"
)
"""A JavaScript expression, true when every chart on the page shows its newest figure
(``data-drawn`` equals ``data-wanted``, set by ``live_chart.js``) or waits out of view: what the
browser tests and benchmarks wait for."""

_plotly_files = components_v1.declare_component("plotly_js", path=str(PLOTLY_JS_DIR))
_plotly_basic_files = components_v1.declare_component("plotly_js_basic",
                                                      path=str(PLOTLY_BASIC_DIR))
_renderer = st.components.v2.component(
    "mlviz_live_chart",
    html=f'<div class="{CHART_CLASS}" data-testid="{TEST_ID}" style="width: 100%"></div>',
    js=(HERE / "live_chart.js").read_text(encoding="utf-8"),
    isolate_styles=False,  # plotly.js puts its modebar and hover styles in <head>
)


@cache
def streamlit_template() -> dict[str, Any]:
    """The plotly template ``st.plotly_chart`` draws with in this app's theme."""
    return json.loads((HERE / "plotly_theme.json").read_text(encoding="utf-8"))


def bundle_version(path: Path) -> str:
    """The plotly.js version in a bundle's banner (``plotly.js (basic - minified) v4.1.1``)."""
    with open(path, encoding="utf-8") as f:
        match = re.search(r"plotly\.js\b[^\n]*? v(\d+\.\d+\.\d+)", f.read(400))
    return match.group(1) if match else ""


@cache
def basic_bundle_usable() -> bool:
    """Whether the basic bundle is the plotly.js of the ``plotly`` package in use."""
    basic = bundle_version(PLOTLY_BASIC_DIR / PLOTLY_BASIC_JS)
    return bool(basic) and basic == bundle_version(PLOTLY_JS_DIR / PLOTLY_JS)


def needs_full_bundle(spec: dict[str, Any]) -> bool:
    """Whether a figure (plotly JSON) has a trace, in its data or frames, that the basic
    bundle cannot draw."""
    traces = [*spec.get("data", ()),
              *(t for frame in spec.get("frames", ()) for t in frame.get("data", ()))]
    return any(t.get("type", "scatter") not in BASIC_TRACES for t in traces)


def plotly_js_urls() -> dict[str, str]:
    """Where the browser loads each plotly.js bundle from, below the server's base URL."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    root = ("", *([base] if base else []), "component")
    return {"full": "/".join((*root, _plotly_files.name, PLOTLY_JS)),
            "basic": "/".join((*root, _plotly_basic_files.name, PLOTLY_BASIC_JS))}


def _spec(fig: go.Figure) -> dict[str, Any]:
    """The figure as a plotly JSON dict, with Streamlit's template and bold title."""
    spec = fig.to_plotly_json()
    layout = dict(spec.get("layout", {}))
    layout["template"] = streamlit_template()
    title = layout.get("title")
    if isinstance(title, dict) and isinstance(title.get("text"), str):
        text = title["text"]
        if not text.startswith("<b>"):
            layout["title"] = {**title, "text": f"<b>{text}</b>"}
    spec["layout"] = layout
    return spec


def live_chart(fig: go.Figure, key: str, config: dict[str, Any],
               selection_modes: tuple[str, ...] = ()) -> None:
    """Draw ``fig`` under ``key``; the next run's figure under the same key redraws in place.

    With ``selection_modes`` (of ``"points"``, ``"box"``, ``"lasso"``) a selection reruns the
    app and is read from ``st.session_state[key]["selection"]``.
    """
    figure = _spec(fig)
    spec = pio.to_json(figure, validate=False)
    selecting: dict[str, Any] = {}
    if selection_modes:
        selecting = dict(default={"selection": None}, on_selection_change=_selected)
    _renderer(
        data={
            "figure": spec,
            "digest": hashlib.blake2b(spec.encode(), digest_size=12).hexdigest(),
            "config": {**config, "responsive": True},
            "plotly_urls": plotly_js_urls(),
            "bundle": "full" if needs_full_bundle(figure) or not basic_bundle_usable()
                      else "basic",
            "selection_modes": list(selection_modes),
            "serial": selection_serial(st.session_state.get(key)) if selection_modes else 0,
        },
        key=key,
        width="stretch",
        **selecting,
    )


def selection_serial(event: Any) -> int:
    """The serial of a live chart's state value ``event`` (0 without a selection): a chart
    mounted anew counts on from it, so its next selection is still a new one."""
    try:
        return int(event["selection"]["serial"])
    except (KeyError, TypeError, ValueError):
        return 0


def _selected() -> None:
    """A selection reruns the app; the page reads it from the session state."""
