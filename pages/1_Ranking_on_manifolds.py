"""Ranking on manifolds: the random walk and conjugate gradient, side by side."""

import numpy as np
import pandas as pd
import streamlit as st

from mlviz import query_vector, ui
from mlviz.diffusion import cg_rate, condition_number, relative_errors
from mlviz.exports import table_csv
from mlviz.figures import class_scatter, convergence_figure, diffusion_animation
from mlviz.figures.style import DRAWN_POINTS_UP_TO
from mlviz.ranking import (
    SOLVERS,
    compare_for_queries,
    compare_solvers,
    map_over_queries,
    nearest_query_scores,
)
from mlviz.ranking import top_k as top_ranked
from mlviz.strips import ranking_strips

ALPHAS = [0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999]
TOLERANCES = [1e-2, 1e-3, 1e-4, 1e-6, 1e-8]
MAP_SAMPLE = 300
MAP_OVER = ("sample", "all")
MAX_FRAME_VALUES = 400_000  # scores sent to the browser for the animation


@ui.noticed("Running both solvers…")
@st.cache_data(max_entries=32, show_spinner=False)
def cached_solvers(data_key, params, queries: tuple, alpha: float, n_frames: int, tol: float, solvers: tuple,
          _W_norm):
    return compare_solvers(_W_norm, query_vector(list(queries), _W_norm.shape[0]), alpha, n_frames,
                           tol=tol, solvers=solvers)


@st.cache_data(max_entries=16, show_spinner=False)
def cached_plain_scores(data_key, queries: tuple, metric: str, _X):
    """Nearest-query scores: the same for every α, computed once per data set and queries."""
    return nearest_query_scores(_X, list(queries), metric)


@st.cache_data(max_entries=16, show_spinner=False)
def cached_map(data_key, params, alpha: float, metric: str, n_queries: int, _X, _W_norm,
                   _labels):
    with ui.timed(*ui.map_work(min(n_queries, _X.shape[0]), _X.shape[0], params.k)):
        return map_over_queries(_X, _W_norm, _labels, alpha, n_queries=n_queries,
                                metric=metric)


STATE = ui.PageState(
    "rank",
    ui.choice("alpha", ALPHAS, 0.99),
    ui.whole("iters", 5, 100, 30),
    ui.subset("solvers", SOLVERS, SOLVERS),
    ui.whole("topk", 1, 50, 10),
    ui.flag("logc", True),
    ui.flag("click_adds", False),
    ui.choice("tol", TOLERANCES, 1e-6),
    ui.choice("map_over", MAP_OVER, "sample"),
)

ui.setup_page("Ranking on manifolds", "🧭")
ws = ui.sidebar()
if ui.guided_steps("ranking", ws, ui.QUERIES, STATE):  # the talk, step by step
    st.stop()
ui.QUERIES.sync()
STATE.sync()
d, n = ws.dataset, ws.n

st.title("Ranking on manifolds")
st.markdown(
    "Choose **query points** by clicking (or box / lasso selecting) in the plot. Diffusion spreads "
    "their score along the graph: the **random walk** one step at a time, **conjugate gradient** "
    "(CG) by solving the same linear system. Both end at the same ranking; CG gets there in far "
    "fewer iterations (Zhou et al. 2003; Iscen et al. 2017)."
)

# ---- queries: URL → clicks / typed index / buttons → URL
queries = [q for q in ui.QUERIES["q"] if q < n] or [0]
picked = ui.new_selection("rank_pick")
newest = picked[-1] if picked else None  # the selected point: the last query chosen
if picked:
    queries = sorted(set(queries) | set(picked)) if STATE["click_adds"] else picked

pick_col, ctrl_col = st.columns([3, 2], gap="large")
with ctrl_col:
    st.subheader("Queries")
    st.toggle("Clicks add to the queries", key=STATE.key("click_adds"),
              help="Off: a click (or a lasso) replaces the queries. On: it adds to them.")
    b1, b2 = st.columns(2)
    if b1.button("Random query", icon=":material/casino:", width="stretch"):
        queries = [int(np.random.default_rng().integers(n))]
        newest = queries[0]
    if b2.button("Reset to point 0", icon=":material/restart_alt:", width="stretch"):
        queries, newest = [0], 0
    typed = ui.index_input(f"Add a query by index (0–{n - 1})", n, key="rank_add")
    if typed is not None:
        queries = sorted(set(queries) | {typed})
        newest = typed
    ui.QUERIES.set("q", tuple(queries))
    st.caption(f"Query point{'s' if len(queries) > 1 else ''}: {', '.join(map(str, queries))}")

    st.subheader("Diffusion")
    alpha = st.select_slider("α", ALPHAS, key=STATE.key("alpha"),
                             help="Weight of the walk against restarting at the queries.")
    n_frames = st.slider("Iterations to animate", 5, 100, key=STATE.key("iters"))
    solvers = st.pills("Solvers", SOLVERS, selection_mode="multi",
                       key=STATE.key("solvers")) or list(SOLVERS)
    top_k = st.slider("Ring the top k", 1, 50, key=STATE.key("topk"))
    log_scale = st.toggle("Logarithmic colour scale", key=STATE.key("logc"),
                          help="Scores span many orders of magnitude; the log scale shows the spread.")

with pick_col:
    with ui.guard("the query picker"):
        fig = class_scatter(ws.coords, d.labels, d.class_names, highlight=queries,
                            title="click a point, or lasso several (toolbar): the queries")
        fig.update_layout(height=430)
        ui.show_chart(fig, key="rank_pick", on_select="rerun",
                      selection_mode=("points", "box", "lasso"))

with pick_col, st.expander("The formulas, with your settings", expanded=True):
    kappa = condition_number(alpha)
    st.latex(rf"\mathbf f^{{(\tau)}} = {alpha:g}\,\mathcal W\mathbf f^{{(\tau-1)}} + {1 - alpha:.3g}\,\mathbf y")
    st.latex(rf"\mathcal L_\alpha \mathbf f=\mathbf y,\quad \mathcal L_\alpha=\frac{{I-{alpha:g}\,\mathcal W}}{{{1 - alpha:.3g}}}")
    st.markdown(
        r"$\mathcal W = D^{-1/2} W D^{-1/2}$ is the graph's normalized adjacency, $\mathbf y$ is "
        r"1 at the queries and 0 elsewhere, and $\mathbf f^* = (1-\alpha)(I-\alpha\mathcal W)^{-1}"
        r"\mathbf y$ is the exact solution both reach. "
        f"The walk's error shrinks like $\\alpha^\\tau = {alpha:g}^\\tau$; CG's like "
        f"$\\left(\\frac{{\\sqrt\\kappa-1}}{{\\sqrt\\kappa+1}}\\right)^\\tau$ with "
        f"$\\kappa = (1+\\alpha)/(1-\\alpha) = {kappa:.4g}$, i.e. $"
        f"{cg_rate(alpha):.3f}^\\tau$, $\\kappa$ being the condition number "
        r"of $\mathcal L_\alpha$: the larger $\alpha$, the wider the gap between them."
    )

with ctrl_col:
    tol = st.select_slider("Tolerance (relative error to f*)", TOLERANCES,
                           key=STATE.key("tol"), format_func=lambda t: f"{t:g}",
                           help="The iterations each solver needs to get this close are printed "
                                "under the convergence plot.")
metric = "cosine" if ws.params.kernel == "cosine" else "euclidean"  # plain ranking's
with ui.guard("the diffusion"):
    result = cached_solvers(ws.data_key, ws.params, tuple(queries), float(alpha), int(n_frames), tol,
                   tuple(s for s in SOLVERS if s in solvers), ws.graph.W_norm)
    steps = list(range(n_frames + 1))
    drawn = min(n, DRAWN_POINTS_UP_TO)
    per_frame = drawn * len(solvers)
    if per_frame * len(steps) > MAX_FRAME_VALUES:
        keep = max(2, MAX_FRAME_VALUES // per_frame)
        steps = sorted(set(np.linspace(0, n_frames, keep).round().astype(int)))
    if drawn < n or len(steps) < n_frames + 1:
        st.info(f"{n:,} points: to stay responsive, the animation draws "
                + (f"a fixed random {drawn:,} of them (and the queries); its rings mark the top "
                   f"{top_k} of all {n:,}, and the scores are computed for all" if drawn < n
                   else "all of them")
                + (f", and shows {len(steps)} of the {n_frames + 1} iterations"
                   if len(steps) < n_frames + 1 else "") + ".")
    isolated = [q for q in queries if ws.graph.W_norm.indptr[q + 1] == ws.graph.W_norm.indptr[q]]
    if isolated and len(isolated) == len(queries):
        st.warning(f"Point{'s' if len(isolated) > 1 else ''} {', '.join(map(str, isolated))} "
                   "has no edge in this graph: the diffusion cannot leave it, every other score "
                   "is 0 and the ranking below means nothing. Choose another query, raise k or "
                   "switch to union edges in the sidebar.", icon="⚠️")
    elif isolated:
        st.info(f"Queries {', '.join(map(str, isolated))} have no edge in this graph and "
                "spread nothing; the others do.", icon="ℹ️")
    st.subheader("Watch the scores spread")
    anim = diffusion_animation(ws.coords, result.iterates, queries, top_k=top_k, labels=d.labels,
                               class_names=d.class_names, log_scale=log_scale, steps=steps,
                               errors={name: relative_errors(iterates, result.exact)
                                       for name, iterates in result.iterates.items()})
    ui.show_chart(anim, key="rank_anim")
    st.caption("Press ▶ play or drag the slider: every panel shows the same iteration τ. "
               + ("Colour: score relative to the largest score of the last animated iteration. "
                  if log_scale else "Colour: score relative to the 99th percentile of the "
                  "non-query scores of the last animated iteration (the queries' own would "
                  "darken the rest). ")
               + f"Orange rings: the current top {top_k} (queries excluded). Stars: the queries. "
               "Below: each solver's distance to the exact ranking f*, the dot at τ.")

    conv_col, rank_col = st.columns([3, 2], gap="large")
    with conv_col:
        st.subheader("Convergence to the tolerance")
        ui.show_chart(convergence_figure(result.errors, tol), key="rank_conv")
        cols = st.columns(len(result.reached))
        for col, (name, hit) in zip(cols, result.reached.items()):
            col.metric(f"{name}: iterations to {tol:g}",
                       f"{hit:,}" if hit is not None else "> 3,000")
    with rank_col:
        st.subheader(f"Top {top_k}")
        order = top_ranked(result.exact, top_k, exclude=queries)
        table = pd.DataFrame({"point": order, "score f*": result.exact[order]})
        if d.labels is not None:
            table["class"] = [d.class_names[c] for c in d.labels[order]]
            query_classes = set(d.labels[queries])
            table["same class as a query"] = [c in query_classes for c in d.labels[order]]
        st.dataframe(table, hide_index=True, width="stretch",
                     height=35 * (len(table) + 1) + 3,  # every row shown, no inner scroll
                     column_config={"score f*": st.column_config.NumberColumn(format="%.3e")})
        ui.download("Download all scores (CSV)",
                    lambda: table_csv({"point": np.arange(n), "score": result.exact}),
                    "manifold_ranking.csv", key="rank_dl_scores",
                    help="point, score f*: the exact manifold ranking of every point.")

    if ui.thumbnails_of(ws) is not None:
        st.subheader(f"The images: the queries and their top {top_k}")
        ui.show_strips(ws, ranking_strips(d, result.exact, queries, top_k, metric,
                                          cached_plain_scores(ws.data_key, tuple(queries),
                                                              metric, d.X)))
    selected = ui.selected_point("query", newest, queries)
    ui.point_panel(ws, selected, {
        "edges in the graph": f"{np.diff(ws.graph.W_norm.indptr)[selected]:,}",
        "its score f*": f"{result.exact[selected]:.3g}"}, title="Selected query", mark="query",
        note="The query last clicked, typed or drawn at random (shared with the smoothing "
             "page).")

if d.labels is not None:
    st.subheader("Does diffusion help here?")
    with ui.guard("average precision"):
        cmp = compare_for_queries(d.X, result.exact, d.labels, queries, metric,
                                  cached_plain_scores(ws.data_key, tuple(queries), metric, d.X))
        a, b, c = st.columns(3)
        gap = cmp.manifold - cmp.euclidean
        tie = abs(gap) < 0.0005  # equal at the three decimals shown: no arrow, no colour
        a.metric("AP, manifold ranking", f"{cmp.manifold:.3f}",
                 delta=None if tie else f"{gap:+.3f} vs {metric}")
        b.metric(f"AP, {metric} ranking", f"{cmp.euclidean:.3f}")
        verdict = (f"A tie here: both rankings reach AP {cmp.manifold:.3f} for these queries."
                   if tie else
                   f"Diffusion wins here, by {gap:.3f}." if gap > 0 else
                   f"Diffusion loses here, by {-gap:.3f}: the {metric} ranking is better for "
                   "these queries.")
        c.caption(f"{verdict} Relevant points: those of a query's class; the queries themselves "
                  "are not counted. On data whose classes follow the manifold (moons, spirals) "
                  "diffusion usually wins; where classes overlap in space it may not.")
        if n <= MAP_SAMPLE:
            STATE.set("map_over", "all")
        map_over = st.radio("mAP over", MAP_OVER if n > MAP_SAMPLE else ["all"], horizontal=True,
                            key=STATE.key("map_over"),
                            format_func=lambda m: f"all {n:,} points" if m == "all"
                            else f"{MAP_SAMPLE} random points",
                            help="Every point as a query, in turn; all points take longer on "
                                 "large data (one diffusion per point).")
        n_map = n if map_over == "all" else MAP_SAMPLE
        now = (ws.data_key, ws.params, float(alpha), metric, int(n_map))
        if st.button("Compute mAP"):
            st.session_state["rank_map"] = now
        asked = st.session_state.get("rank_map")
        if asked is not None and asked[:2] == now[:2]:  # same data and graph
            with ui.waiting(f"Ranking with each of {asked[4]:,} points as the query",
                            ui.map_work(asked[4], n, ws.params.k)):
                m = cached_map(*asked, d.X, ws.graph.W_norm, d.labels)
            st.write(f"mAP over {m.n_queries:,} queries: **manifold {m.manifold:.3f}** vs "
                     f"**{metric} {m.euclidean:.3f}**"
                     + (f" (at α = {asked[2]:g}; press Compute mAP for the current settings)."
                        if asked != now else "."))
