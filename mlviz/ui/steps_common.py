"""What the guided steps share: a step, what it shows, its context and the fall-back data set.

A step is a title and a function ``StepContext -> Shown``: it computes through the library
(cached), builds one figure with :mod:`mlviz.figures` and says in one sentence what the figure
shows. :mod:`mlviz.ui.tour` draws it; the sections' steps live in ``steps_<section>.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from mlviz.ui.caches import cached_graph, cached_layout, cached_toy_dataset
from mlviz.ui.sidebar import DEFAULT_DATA_KEY, SIDEBAR, Workspace, resolve_graph_params
from mlviz.ui.state import PageState


@dataclass(frozen=True)
class Shown:
    """What one step shows.

    Attributes
    ----------
    sentence : str
        One sentence (markdown) on what the figure shows, with the numbers it rests on; it
        says so when the step had to use another data set than the sidebar's.
    figure : go.Figure or str
        A plotly figure, or a diagram in the graphviz DOT language.
    link : tuple of (page path, label), optional
        A page to go on to (deep label propagation after the propagation steps).
    """

    sentence: str
    figure: go.Figure | str
    link: tuple[str, str] | None = None


@dataclass(frozen=True)
class StepContext:
    """The sidebar's workspace and the page's own state (its settings, its queries)."""

    ws: Workspace
    states: tuple[PageState, ...] = ()

    def setting(self, name: str, default):
        """The page's value of setting ``name`` (the first state that has it), else ``default``:
        the steps follow the page's settings where it has them."""
        for state in self.states:
            if name in state.settings:
                return state[name]
        return default

    def keep(self, name: str, value) -> None:
        """Make ``value`` the page's setting ``name`` (a query or an anchor the steps chose),
        so that the full page goes on with what the steps showed."""
        for state in self.states:
            if name in state.settings:
                state.set(name, value)
                return

    @property
    def metric(self) -> str:
        """The space the graph was built in: cosine for the cosine kernel, else Euclidean."""
        return "cosine" if self.ws.params.kernel == "cosine" else "euclidean"


@dataclass(frozen=True)
class Step:
    """One slide of a section: its title and how to compute what it shows."""

    title: str
    show: Callable[[StepContext], Shown]


def moons_workspace() -> Workspace:
    """The app's default data set (two moons, 600 points, noise 0.1) and the sidebar's default
    graph on it: for a step the sidebar's data set cannot show (e.g. no labels)."""
    dataset = cached_toy_dataset(*DEFAULT_DATA_KEY[1:])
    default = {name: s.default for name, s in SIDEBAR.settings.items()}
    params = resolve_graph_params((default["k"], default["edges"], default["kernel"],
                                   default["gamma"]), dataset)
    graph = cached_graph(DEFAULT_DATA_KEY, params, dataset.X)
    coords = dataset.coords
    if coords is None:
        coords = cached_layout(DEFAULT_DATA_KEY, "pca", dataset.X)
    return Workspace(DEFAULT_DATA_KEY, dataset, coords, "auto", params, graph)


def hide_empty_legend(fig: go.Figure) -> go.Figure:
    """No legend entry for a trace without points (a set a later step fills)."""
    for trace in fig.data:
        if trace.x is None or len(trace.x) == 0:
            trace.showlegend = False
    return fig


def rename_trace(fig: go.Figure, starts: str, name: str) -> go.Figure:
    """Rename the trace whose legend name starts with ``starts``."""
    for trace in fig.data:
        if trace.name and trace.name.startswith(starts):
            trace.name = name
    return fig


def plural(count: int, word: str) -> str:
    """``1 point``, ``2 points``."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def share(part: np.ndarray, of: np.ndarray) -> str:
    """``part`` of ``of`` as a percentage (``–`` when ``of`` is empty)."""
    return f"{np.sum(part) / of.size:.0%}" if of.size else "–"
