"""Streamlit wiring shared by every page; the only part of mlviz that imports streamlit.

- :mod:`mlviz.ui.state`: the one mechanism for state (URL, session, page switches);
- :mod:`mlviz.ui.page`: page frame, menu, tour, error guard, charts, chart selections, index boxes;
- :mod:`mlviz.ui.sidebar`: the shared data / graph / drawing sidebar → :class:`Workspace`;
- :mod:`mlviz.ui.caches`: process-wide caches of data sets, graphs, layouts and thumbnails;
- :mod:`mlviz.ui.images`: image strips and the selected point's side panel;
- :mod:`mlviz.ui.jobs`: training runs in the background;
- :mod:`mlviz.ui.warm_up`: large data's smoothing and mining work, computed in the background;
- :mod:`mlviz.ui.collector`: the libraries' objects frozen out of the collection after each run;
- :mod:`mlviz.ui.downloads`: files built when their button is clicked.
"""

from mlviz.ui.caches import cached_mined, cached_propagation
from mlviz.ui.collector import freeze_libraries
from mlviz.ui.downloads import download, workspace_downloads
from mlviz.ui.images import point_panel, selected_point, show_strips, thumbnails_of
from mlviz.ui.jobs import (
    TRAINING_THREADS,
    BackgroundJob,
    TrainingQueue,
    job_status,
    submit_training,
    training_queue,
)
from mlviz.ui.page import (
    PAGES,
    guard,
    index_input,
    new_selection,
    page_links,
    setup_page,
    show_chart,
)
from mlviz.ui.server import TRAINING_OFF, ServerSettings, server_settings, training_note
from mlviz.ui.sidebar import SIDEBAR, Workspace, sidebar
from mlviz.ui.state import (
    PageState,
    Setting,
    choice,
    flag,
    number,
    point_classes,
    point_ids,
    subset,
    whole,
)
from mlviz.ui.tour import SECTIONS, guided_steps, tour_links
from mlviz.ui.waits import (
    anchors_work,
    duration,
    map_work,
    noticed,
    sklearn_work,
    sweep_work,
    timed,
    waiting,
    work_times,
)

freeze_libraries()  # after every import above

QUERIES = PageState("shared", point_ids("q"))
"""The query points, shared by the ranking and smoothing pages."""

__all__ = [
    "cached_mined", "cached_propagation", "download", "workspace_downloads",
    "PAGES", "QUERIES", "SIDEBAR", "TRAINING_THREADS", "BackgroundJob", "PageState", "Setting",
    "TrainingQueue", "submit_training", "training_queue", "TRAINING_OFF", "ServerSettings",
    "server_settings", "training_note", "point_panel", "selected_point", "show_strips",
    "thumbnails_of",
    "Workspace", "choice", "flag", "guard", "index_input", "job_status", "new_selection", "number",
    "page_links", "point_classes", "point_ids", "setup_page", "show_chart", "sidebar", "subset",
    "whole", "SECTIONS", "guided_steps", "tour_links",
    "anchors_work", "duration", "map_work", "sklearn_work", "sweep_work", "timed", "waiting", "noticed",
    "work_times",
]
