"""The talk, step by step: a guided sequence at the top of each method page.

A student without a lecturer needs the slides' order. Each method page starts with a bar
"Step by step: N steps"; its link opens step 1. A step shows one sentence and one figure, with
Back / Next buttons, and the last step's "Explore freely" returns to the full page. The step
lives in the URL under a name of its own per page (``?rank_step=3``): a link opens that step,
and a link without it opens the full page, as before.

A page calls :func:`guided_steps` right after the sidebar, before its own state::

    ws = ui.sidebar()
    if ui.guided_steps("ranking", ws, ui.QUERIES, STATE):
        st.stop()

It syncs the page's states itself in step mode (so that a link's page settings survive the
steps) and leaves them to the page otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from mlviz.ui import steps_labels, steps_mining, steps_ranking, steps_smoothing
from mlviz.ui.page import guard, show_chart
from mlviz.ui.sidebar import Workspace
from mlviz.ui.state import PageState, opened_from_link, whole
from mlviz.ui.steps_common import Shown, Step, StepContext

_SEEN = "mlviz_tour_url_{}"
"""Session key: the step's URL text as this session last left it (None: not in the URL)."""


@dataclass(frozen=True)
class Section:
    """One method page's guided sequence.

    Attributes
    ----------
    name : str
        The section's id (``"ranking"``), as :func:`guided_steps` is called with.
    page : str
        The page's script path.
    title : str
    param : str
        The step's URL name, unique per page (so that a stale step of another page is never
        read as this page's).
    steps : tuple of Step
    """

    name: str
    page: str
    title: str
    param: str
    steps: tuple[Step, ...]

    @property
    def state(self) -> PageState:
        return _STATES[self.name]

    @property
    def key(self) -> str:
        """The session key of the current step (0: the full page)."""
        return self.state.key(self.param)


SECTIONS: dict[str, Section] = {s.name: s for s in (
    Section("ranking", "pages/1_Ranking_on_manifolds.py", "Ranking on manifolds", "rank_step",
            steps_ranking.STEPS),
    Section("smoothing", "pages/2_Ranking_as_smoothing.py", "Ranking as smoothing",
            "smooth_step", steps_smoothing.STEPS),
    Section("mining", "pages/3_Mining_on_manifolds.py", "Mining on manifolds", "mine_step",
            steps_mining.STEPS),
    Section("label propagation", "pages/4_Label_propagation.py", "Label propagation",
            "lp_step", steps_labels.STEPS),
)}
"""The guided sequences, in the talk's order."""

_STATES = {s.name: PageState("tour", whole(s.param, 0, len(s.steps), 0))
           for s in SECTIONS.values()}


def _adopt_link(section: Section) -> None:
    """Take the step from the URL when a link changed it (a page link, the browser's history),
    not when it is the URL this session wrote itself. A URL without the step keeps the
    session's step, as every setting of the app does across a page switch."""
    raw = st.query_params.get(section.param)
    if raw is None or opened_from_link() or raw == st.session_state.get(_SEEN.format(section.name)):
        return
    try:
        st.session_state[section.key] = section.state.settings[section.param].parse(raw)
    except ValueError:
        pass
    # A link to the page it is on reruns it with the link's query but leaves the browser's
    # address as it was; written again by the sync, the step reaches the address bar.
    del st.query_params[section.param]


def current_step(section: str) -> int:
    """The step shown on the section's page in this session (0: the full page)."""
    s = SECTIONS[section]
    return int(s.state[s.param])


def guided_steps(section: str, ws: Workspace, *page_states: PageState) -> bool:
    """Draw the section's guided step if one is chosen, else the bar that starts it.

    Parameters
    ----------
    section : str
        A key of :data:`SECTIONS`.
    ws : Workspace
        The sidebar's data set and graph.
    *page_states : PageState
        The page's own states, not yet synced: in step mode they are synced here (the page
        stops after this), and their settings (α, queries, anchor, labels) are the steps'.

    Returns
    -------
    bool
        True when a step was drawn: the page stops. False: the page draws itself in full.
    """
    s = SECTIONS[section]
    _adopt_link(s)
    s.state.sync()
    st.session_state[_SEEN.format(s.name)] = st.query_params.get(s.param)
    step = current_step(section)
    if step == 0:
        _start_bar(s)
        return False
    for state in page_states:
        state.sync()
    _draw_step(s, step, StepContext(ws, page_states))
    return True


def _start_bar(s: Section) -> None:
    with st.container(border=True, key=f"tour_bar_{s.param}"):
        text, start = st.columns([6, 1], vertical_alignment="center")
        text.markdown(f"**Step by step: {len(s.steps)} steps**, in the talk's order: "
                      + " → ".join(step.title for step in s.steps) + ".")
        start.page_link(s.page, label="Start", icon=":material/play_arrow:",
                        query_params={s.param: "1"})


def _go(s: Section, step: int) -> None:
    st.session_state[s.key] = step


def _draw_step(s: Section, step: int, ctx: StepContext) -> None:
    last = len(s.steps)
    current = s.steps[step - 1]
    st.title(f"{s.title}, step by step")
    st.caption(" → ".join(f"**{i}\\. {t.title}**" if i == step else f"{i}\\. {t.title}"
                          for i, t in enumerate(s.steps, start=1)))
    back, forward, leave = st.columns([1, 1, 3], vertical_alignment="center")
    back.button("Back", icon=":material/arrow_back:", key=f"tour_back_{s.param}",
                disabled=step == 1, on_click=_go, args=(s, step - 1), width="stretch")
    if step < last:
        forward.button("Next", icon=":material/arrow_forward:", type="primary",
                       key=f"tour_next_{s.param}", on_click=_go, args=(s, step + 1),
                       width="stretch")
        leave.button("Leave the steps for the full page", type="tertiary",
                     key=f"tour_leave_{s.param}", on_click=_go, args=(s, 0))
    else:
        forward.button("Explore freely", icon=":material/explore:", type="primary",
                       key=f"tour_explore_{s.param}", on_click=_go, args=(s, 0),
                       width="stretch")
    st.subheader(f"{step} / {last} · {current.title}")
    with guard(current.title.lower()):
        shown: Shown = current.show(ctx)
        st.markdown(shown.sentence)
        if isinstance(shown.figure, str):
            st.graphviz_chart(shown.figure, width="content")
        else:
            show_chart(shown.figure, key=f"tour_{s.param}_{step}")
        if shown.link:
            st.page_link(shown.link[0], label=shown.link[1], icon=":material/arrow_forward:")


def tour_links() -> None:
    """On the home page: a link into each page's guided steps (step 1)."""
    for s in SECTIONS.values():
        st.page_link(s.page, label=f"**{s.title}**, step by step ({len(s.steps)} steps)",
                     icon=":material/school:", query_params={s.param: "1"})
