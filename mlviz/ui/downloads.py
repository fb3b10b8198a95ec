"""Download buttons whose files are built only when clicked.

``st.download_button`` with bytes keeps the file in the server's memory for as long as the
session lives and rebuilds it on every rerun; with a callable (``data=make``) the file is
built when the user clicks, and the click does not rerun the page (``on_click="ignore"``).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from mlviz import exports

MIME = {"csv": "text/csv", "npy": "application/octet-stream", "npz": "application/octet-stream",
        "pt": "application/octet-stream", "json": "application/json"}


def download(label: str, make: Callable[[], bytes | str], file_name: str, *, key: str,
             help: str | None = None, container=None) -> None:
    """A button that downloads ``make()`` as ``file_name``, built on click."""
    where = container if container is not None else st
    mime = MIME.get(file_name.rsplit(".", 1)[-1], "application/octet-stream")
    where.download_button(label, data=make, file_name=file_name, mime=mime, key=key,
                          help=help, on_click="ignore")


def workspace_downloads(ws, container=None) -> None:
    """The graph ``W`` (CSR ``.npz``), the 2-D layout (CSV) and the descriptors (``.npy``)."""
    where = container if container is not None else st
    d = ws.dataset
    stem = "".join(c if c.isalnum() else "_" for c in d.name).strip("_") or "data"
    row = where.container(horizontal=True)  # buttons side by side, wrapping: labels never cut
    download("Graph W (.npz)", lambda: exports.graph_npz(ws.graph.W), f"{stem}_graph.npz",
             key="dl_graph", container=row,
             help="The kNN graph's adjacency as SciPy CSR: scipy.sparse.load_npz(path).")
    download("2-D layout (.csv)", lambda: exports.layout_csv(ws.coords, d.labels),
             f"{stem}_layout_{ws.layout}.csv", key="dl_layout", container=row,
             help="point, x, y (and label): the coordinates every chart draws with.")
    download("Descriptors (.npy)", lambda: exports.array_npy(d.X), f"{stem}_descriptors.npy",
             key="dl_descriptors", container=row,
             help="The n × d features the graph is built on: numpy.load(path).")
