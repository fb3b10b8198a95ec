"""mlviz home page: what the app teaches, the current data set and its graph."""

import streamlit as st

from mlviz import ui
from mlviz.figures import class_scatter
from mlviz.figures.style import SHOW_EDGES_UP_TO

STATE = ui.PageState("home", ui.flag("show_edges", True))

ui.setup_page("Learning on manifolds", "🌀")
ws = ui.sidebar()
STATE.sync(show_edges=ws.graph.summary.n_edges <= SHOW_EDGES_UP_TO)  # edges, not points, bury the points

st.title("Learning on manifolds, interactively")
st.markdown(
    """
Data often lie on a curved, low-dimensional **manifold**: two points can be close in space yet far
apart along the data. A **k-nearest-neighbour graph** follows the manifold, and **diffusion** on it
ranks, smooths and labels points the way the manifold does. This app is a hands-on companion to
Y. Avrithis, *Unsupervised and semi-supervised learning on manifolds* (2019).

Pick the data and the graph in the sidebar; every page uses them. Copy the page's URL to share
the exact view.
"""
)

left, right = st.columns([3, 2], gap="large")
with left, ui.guard("the data set view"):
    show_edges = st.toggle("Show the graph's edges", key=STATE.key("show_edges"))
    d = ws.dataset
    fig = class_scatter(
        ws.coords, d.labels, d.class_names, W=ws.graph.W if show_edges else None,
        title=f"{d.name}: {d.n:,} points" + ("" if ws.layout == "auto" else f", drawn with {ws.layout.upper()}"),
    )
    ui.show_chart(fig, key="home_scatter")
with right:
    s = ws.graph.summary
    st.subheader(ws.dataset.name)
    st.caption(ws.dataset.description)
    a, b = st.columns(2)
    a.metric("points", f"{s.n_nodes:,}")
    b.metric("edges", f"{s.n_edges:,}")
    a.metric("connected components", f"{s.n_components:,}")
    b.metric("isolated points", f"{s.n_isolated:,}")
    p = ws.params
    st.markdown(
        f"Graph: **{p.edges}** {p.k}-NN, weights "
        + ("$w_{ij}=\\max(s_{ij},0)^{" + f"{p.gamma:g}" + "}$ on cosine similarity"
           if p.kernel == "cosine" else "$w_{ij}=\\exp(-d_{ij}^2/\\sigma^2)$ on Euclidean distance, "
           "$\\sigma^2$ the mean squared distance to the $k$-th neighbour")
        + ", normalized as $\\mathcal{W}=D^{-1/2}WD^{-1/2}$."
    )
    st.caption("Take them away: the graph as SciPy CSR, the drawing's coordinates, the features.")
    ui.workspace_downloads(ws)
    st.subheader("The talk, step by step")
    st.caption("New here? Each method page as the talk's slides go: one sentence and one "
               "picture per step, then the full page to explore freely.")
    ui.tour_links()
    st.subheader("The tour")
    ui.page_links()
