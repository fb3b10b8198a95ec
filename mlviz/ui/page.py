"""The page frame: page config, the menu and the tour, error guards and charts."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from mlviz import datasets as ds
from mlviz.figures import PLOTLY_CONFIG, selected_point_ids
from mlviz.ui import state
from mlviz.ui.live_chart import live_chart, selection_serial

log = logging.getLogger("mlviz")

HOME = ("app.py", "Home", ":material/home:", "what the app teaches; the data set and its graph")
PAGES = (
    ("pages/1_Ranking_on_manifolds.py", "Ranking on manifolds", ":material/explore:",
     "random walk vs conjugate gradient, for the queries you click"),
    ("pages/2_Ranking_as_smoothing.py", "Ranking as smoothing", ":material/graphic_eq:",
     "the graph's Fourier modes and spectral low-pass filtering"),
    ("pages/3_Mining_on_manifolds.py", "Mining on manifolds", ":material/hardware:",
     "hard positives and negatives, metric learning without labels"),
    ("pages/4_Label_propagation.py", "Label propagation", ":material/label:",
     "propagated labels and their certainty"),
    ("pages/5_Deep_label_propagation.py", "Deep label propagation", ":material/neurology:",
     "a small network trained with propagated pseudo-labels"),
)


def setup_page(title: str, icon: str = "🌀") -> None:
    """Page config; the first streamlit call of every page. Notes for the state whether this
    run opens a session, arrives from another page or reruns this one."""
    st.set_page_config(page_title=f"{title} · mlviz", page_icon=icon, layout="wide")
    state.start_run(_page_id())


def _page_id() -> str:
    """The running page's id (its script hash)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.page_script_hash if ctx is not None else ""


@contextmanager
def guard(what: str = "this view") -> Iterator[None]:
    """Show an error message instead of a traceback; the rest of the page still renders."""
    try:
        yield
    except ds.DataError as exc:
        st.error(f"{exc}", icon="⚠️")
    except ValueError as exc:
        st.error(f"Could not compute {what}: {exc}", icon="⚠️")
    except MemoryError:
        st.error(f"Not enough memory for {what}: use fewer points or a smaller k.", icon="⚠️")
    except Exception as exc:  # never show a traceback to the user
        log.error("error in %s:\n%s", what, traceback.format_exc())
        st.error(
            f"Something went wrong while computing {what} ({type(exc).__name__}: {exc}). "
            "Try other settings; the details are in the server log.",
            icon="⚠️",
        )


def show_chart(fig, key: str, **kwargs):
    """A figure with the shared toolbar config (PNG download).

    Drawn by :func:`mlviz.ui.live_chart.live_chart`, which redraws it in place when the next
    run's figure differs. ``on_select="rerun"`` with ``selection_mode`` (as for
    ``st.plotly_chart``) lets the user select points; :func:`new_selection` reads them.
    """
    modes: tuple[str, ...] = ()
    if kwargs.pop("on_select", None) == "rerun":
        modes = tuple(kwargs.pop("selection_mode", ("points", "box", "lasso")))
    if kwargs:
        raise TypeError(f"show_chart takes no {sorted(kwargs)}")
    return live_chart(fig, key, PLOTLY_CONFIG, modes)


def new_selection(chart_key: str) -> list[int]:
    """Point ids the user just selected in the chart ``chart_key`` (``on_select="rerun"``).

    A selection stays in the chart's state across reruns; this returns it only on the run
    where it changed, so a button or URL can override it afterwards. Each selection the user
    makes is new, even of the same points as the one before (its ``serial`` differs): after a
    button changed the queries, a click on the old query point selects it again.
    """
    event = st.session_state.get(chart_key)
    picked = selected_point_ids(event)
    memory = f"mlviz_selection_{chart_key}"
    if not picked:
        st.session_state.pop(memory, None)
        return []
    serial = selection_serial(event)
    if (serial, picked) != st.session_state.get(memory):
        st.session_state[memory] = (serial, picked)
        return picked
    return []


def index_input(label: str, n: int, key: str, container=st) -> int | None:
    """A box for a point index that takes effect each time one is entered, even the same
    index as before: the index entered on this run (``None`` on other runs). The box is
    cleared once it is read, so a button may change the point in between."""
    queued = f"{key}_entered"

    def take() -> None:
        if st.session_state.get(key) is not None:
            st.session_state[queued] = int(st.session_state[key])
            st.session_state[key] = None

    container.number_input(label, 0, n - 1, value=None, placeholder="point index", key=key,
                           on_change=take)
    entered = st.session_state.pop(queued, None)
    return entered if entered is not None and 0 <= entered < n else None


def _present_pages() -> list[tuple[str, str, str, str]]:
    root = Path(__file__).resolve().parents[2]
    return [p for p in (HOME, *PAGES) if (root / p[0]).exists()]


def navigation(container) -> None:
    """The app's menu: one link per page in the talk's order (Streamlit's own is hidden,
    ``client.showSidebarNavigation = false``, to name the home page and order the tour)."""
    for path, label, icon, _ in _present_pages():
        container.page_link(path, label=label, icon=icon)


def page_links() -> None:
    """The tour on the home page: each method page with a line on what it shows."""
    for path, label, icon, blurb in _present_pages()[1:]:
        st.page_link(path, label=f"**{label}**", icon=icon)
        st.caption(blurb)
