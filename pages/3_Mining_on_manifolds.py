"""Mining on manifolds: hard positives and negatives, without labels."""

import numpy as np
import pandas as pd
import streamlit as st

from mlviz import ui
from mlviz.figures import mining_figure, selected_point_ids
from mlviz.mining import mine, mining_statistics, most_telling_anchor, sample_tuples

ALPHAS = [0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999]
MAX_ANCHORS = 1000


@st.cache_data(max_entries=32, show_spinner="Mining…")
def mined_for(data_key, params, anchor: int, k_e: int, k_m: int, alpha: float, _X, _W_norm):
    return mine(_X, _W_norm, anchor, k_e, k_m, alpha)


@st.cache_data(max_entries=8, show_spinner="Mining every anchor…")
def all_tuples(data_key, params, k_e: int, k_m: int, alpha: float, _X, _W_norm):
    return sample_tuples(_X, _W_norm, min(MAX_ANCHORS, _X.shape[0]), k_e, k_m, alpha, seed=0)


ui.setup_page("Mining on manifolds", "⛏️")
ws = ui.sidebar()
d, n = ws.dataset, ws.n

st.title("Mining on manifolds")
st.markdown(
    "Training a metric needs positives and negatives. Without labels, the manifold provides them "
    "(Iscen, Tolias, Avrithis, Chum, CVPR 2018): for an **anchor** x, its Euclidean neighbours "
    "$E(\\mathbf x)$ and its manifold neighbours $M(\\mathbf x)$ (top of the diffusion ranking) "
    "disagree exactly where it matters. **Hard positives** $S^+ = M \\setminus E$ are far in "
    "space but close along the manifold; **hard negatives** $S^- = E \\setminus M$ are close in "
    "space but across a gap."
)

anchor_ids = ui.read_ids("a", n)
picked = selected_point_ids(st.session_state.get("mine_scatter"))
if picked and picked != st.session_state.get("mine_last_pick"):
    st.session_state["mine_last_pick"] = picked
    anchor_ids = picked[:1]

left, right = st.columns([3, 1], gap="large")
with right:
    st.subheader("Sets")
    k_e = st.slider("|E|: Euclidean neighbours", 1, 50, 10, key="kE", bind="query-params")
    k_m = st.slider("|M|: manifold neighbours", 1, 100, 30, key="kM", bind="query-params")
    alpha = st.select_slider("α of the diffusion", ALPHAS, value=0.99, key="alpha",
                             bind="query-params")
    k_m = int(min(k_m, n - 1))
    tuples = all_tuples(ws.data_key, ws.params, int(k_e), k_m, float(alpha), d.X, ws.graph.W_norm)
    telling = most_telling_anchor(tuples)
    anchor = anchor_ids[0] if anchor_ids else telling
    st.subheader("Anchor")
    typed = st.number_input(f"Anchor by index (0–{n - 1})", 0, n - 1, value=None,
                            placeholder="point index", key="mine_anchor")
    if typed is not None and st.session_state.get("mine_typed") != typed:
        st.session_state["mine_typed"] = typed
        anchor = int(typed)
    if st.button("Random anchor", icon=":material/casino:", width="stretch"):
        st.session_state["mine_random"] = st.session_state.get("mine_random", 0) + 1
        anchor = int(np.random.default_rng(st.session_state["mine_random"]).integers(n))
    if st.button("Most telling anchor", icon=":material/visibility:", width="stretch",
                 help="An anchor with both hard positives and the most hard negatives."):
        anchor = telling
    ui.write_ids("a", [anchor])
    st.caption(f"Anchor: point {anchor}" + (f" ({d.class_names[d.labels[anchor]]})"
                                            if d.labels is not None else ""))

with left, ui.guard("mining"):
    m = mined_for(ws.data_key, ws.params, int(anchor), int(k_e), k_m, float(alpha), d.X,
                  ws.graph.W_norm)
    fig = mining_figure(ws.coords, m, d.labels, d.class_names,
                        title="click a point to make it the anchor")
    ui.show_chart(fig, key="mine_scatter", on_select="rerun", selection_mode=("points",))
    st.caption(
        f"E has {m.euclidean.size} points, M has {m.manifold.size}"
        + (f" (diffusion reaches only {m.manifold.size} points from this anchor)"
           if m.manifold.size < k_m else "")
        + f"; {m.positives.size} hard positives, {m.negatives.size} hard negatives. On two moons "
        "or spirals, choose an anchor near the gap: positives run along its own arc, negatives "
        "sit just across."
    )

with right:
    if d.labels is not None:
        same = lambda idx: f"{np.mean(d.labels[idx] == d.labels[anchor]):.0%}" if idx.size else "–"  # noqa: E731
        st.metric("S⁺ with the anchor's class", same(m.positives))
        st.metric("S⁻ with the anchor's class", same(m.negatives))

if d.labels is not None:
    st.subheader("Over many anchors: do the labels agree?")
    with ui.guard("the mining statistics"):
        s = mining_statistics(tuples, d.labels, seed=0)
        table = pd.DataFrame({
            "mined": [f"hard positives S⁺ (avg {s.mean_positives:.1f} per anchor)",
                      f"hard negatives S⁻ (avg {s.mean_negatives:.1f} per anchor)"],
            "share the anchor's class": [s.positives, s.negatives],
            "compared with": ["random points outside E", "the rest of E (E ∩ M)"],
            "their share": [s.random_non_neighbours, s.euclidean_others],
        })
        st.dataframe(table, hide_index=True, width="stretch", column_config={
            "share the anchor's class": st.column_config.NumberColumn(format="percent"),
            "their share": st.column_config.NumberColumn(format="percent"),
        })
        st.caption(f"Over {s.n_anchors:,} anchors (all points up to {MAX_ANCHORS:,}, else a seeded "
                   "sample). Good mining: S⁺ share the class far more often than random points; "
                   "S⁻ share it less often than the Euclidean neighbours that the manifold keeps.")
