"""Ranking on manifolds, step by step, in the order of the talk's slides.

Data points → a query → its Euclidean neighbours → the random walk, iteration by iteration →
CG reaching the same ranking in far fewer steps → several queries (Zhou et al. 2003; Iscen et
al. 2017). Each step draws with the ranking page's own figures, on the sidebar's data set.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mlviz import query_vector
from mlviz.diffusion import relative_errors
from mlviz.figures import class_scatter, diffusion_animation, mining_figure
from mlviz.figures.style import SHOW_EDGES_UP_TO
from mlviz.mining import (
    Mined,
    euclidean_neighbors,
    hard_examples,
    manifold_neighbors,
    most_telling_anchor,
)
from mlviz.ranking import SOLVERS, compare_solvers, top_k
from mlviz.ui.steps_common import Shown, Step, StepContext, hide_empty_legend, rename_trace
from mlviz.ui.waits import noticed

TOP = 10
"""Neighbours ringed in every step, Euclidean and diffusion alike, so that they compare."""
FRAMES = 30
TOL = 1e-6
MAX_FRAME_VALUES = 3_000_000
"""Scores sent to the browser for an animation (as on the ranking page)."""
EMPTY = np.array([], dtype=np.int64)
CANDIDATES = 16
"""Queries tried for a telling one: one CG solve with this many columns."""


@noticed("Running the solvers…")
@st.cache_data(max_entries=16, show_spinner=False)
def cached_solvers(data_key, params, queries: tuple, alpha: float, solvers: tuple, _W_norm):
    """Both solvers (or some) from ``f(0) = 0``: the page's computation, at its defaults."""
    return compare_solvers(_W_norm, query_vector(list(queries), _W_norm.shape[0]), alpha,
                           FRAMES, tol=TOL, solvers=solvers)


@noticed("Choosing a telling query…")
@st.cache_data(max_entries=8, show_spinner=False)
def cached_telling_query(data_key, params, alpha: float, metric: str, _X, _W_norm, _neighbors,
                         _labels) -> int:
    """A query whose Euclidean and manifold neighbours disagree, the manifold being right.

    Candidates: the points with the most graph neighbours of another class, short of a
    majority (a point inside the other class would mislead both rankings); among them
    :func:`mlviz.mining.most_telling_anchor` with ``|E| = |M| = TOP``.
    """
    other = np.mean(_labels[_neighbors] != _labels[:, None], axis=1)
    other[other >= 0.5] = -1.0
    candidates = np.argsort(-other, kind="stable")[:CANDIDATES]
    E = euclidean_neighbors(_X, candidates, TOP, metric)
    M = manifold_neighbors(_W_norm, candidates, TOP, alpha)
    tuples = []
    for a, e, m in zip(candidates, E, M):
        pos, neg = hard_examples(e, m)
        tuples.append(Mined(int(a), e, m[m >= 0], pos, neg))
    return int(most_telling_anchor(tuples, _labels))


def _metric_name(ctx: StepContext) -> str:
    return {"euclidean": "Euclidean"}.get(ctx.metric, ctx.metric)


def _alpha(ctx: StepContext) -> float:
    return float(ctx.setting("alpha", 0.99))


def _queries(ctx: StepContext) -> list[int]:
    """The page's queries; where it has none but its default (point 0), a telling one on
    labelled data, kept as the page's so that the full page goes on with it."""
    queries = [q for q in ctx.setting("q", ()) if q < ctx.ws.n]
    if queries and queries != [0]:
        return queries
    ws, d = ctx.ws, ctx.ws.dataset
    if d.labels is None or d.n_classes < 2:
        return [0]
    q = cached_telling_query(ws.data_key, ws.params, _alpha(ctx), ctx.metric, d.X,
                             ws.graph.W_norm, ws.graph.neighbors.indices, d.labels)
    ctx.keep("q", (q,))
    return [q]


def _query(ctx: StepContext) -> int:
    return _queries(ctx)[0]


def _frames(n: int, runs: int) -> list[int]:
    """The iterations animated: all of them unless that sends too many scores."""
    keep = max(2, MAX_FRAME_VALUES // max(n * runs, 1))
    return sorted(set(np.linspace(0, FRAMES, min(keep, FRAMES + 1)).round().astype(int)))


def _same_class(labels, q: int, ids: np.ndarray) -> str:
    """``: 7 of the query's class, 3 of another`` where there are labels."""
    if labels is None or ids.size == 0:
        return ""
    same = int(np.sum(labels[ids] == labels[q]))
    return f": {same} of the query's class, {ids.size - same} of another"


def data_points(ctx: StepContext) -> Shown:
    ws, d = ctx.ws, ctx.ws.dataset
    s, p = ws.graph.summary, ws.params
    edges = s.n_edges <= SHOW_EDGES_UP_TO
    fig = class_scatter(ws.coords, d.labels, d.class_names, W=ws.graph.W if edges else None,
                        title=f"{d.name}: {d.n:,} points" + (" and their graph" if edges else ""))
    return Shown(
        f"The data: the sidebar's **{d.name}**, {d.n:,} points joined by its {p.edges} "
        f"{p.k}-nearest-neighbour graph ({s.n_edges:,} edges"
        + ("" if edges else ", too many to draw") + "); the graph follows the manifold the "
        "points lie on, and every step ranks along it.", fig)


def a_query(ctx: StepContext) -> Shown:
    ws, d = ctx.ws, ctx.ws.dataset
    q = _query(ctx)
    fig = class_scatter(ws.coords, d.labels, d.class_names, highlight=[q],
                        title=f"the query: point {q}")
    return Shown(
        f"A **query** (★, point {q}): the vector **y** is 1 there and 0 at every other point, "
        "and ranking means ordering all the other points by how close they are to it.", fig)


def euclidean(ctx: StepContext) -> Shown:
    ws, d = ctx.ws, ctx.ws.dataset
    q = _query(ctx)
    near = euclidean_neighbors(d.X, [q], TOP, ctx.metric)[0]
    name = f"{TOP} nearest by {_metric_name(ctx)} distance"
    fig = mining_figure(ws.coords, Mined(q, near, near, EMPTY, EMPTY), d.labels, d.class_names,
                        title=f"the query's {name}", height=480)
    rename_trace(rename_trace(fig, "in E and M", name), "anchor", "query")
    return Shown(
        f"Its **{TOP} nearest neighbours** by plain {_metric_name(ctx)} distance (purple"
        f"{_same_class(d.labels, q, near)}): distance in space ignores the manifold, so the "
        "nearest points may sit across a gap, on another branch of the data.",
        hide_empty_legend(fig))


def random_walk(ctx: StepContext) -> Shown:
    ws, d = ctx.ws, ctx.ws.dataset
    q, alpha = _query(ctx), _alpha(ctx)
    result = cached_solvers(ws.data_key, ws.params, (q,), alpha, SOLVERS, ws.graph.W_norm)
    walk = result.iterates["random walk"]
    fig = diffusion_animation(ws.coords, {"random walk": walk}, [q], top_k=TOP, labels=d.labels,
                              class_names=d.class_names, steps=_frames(d.n, 1))
    ringed = top_k(walk[-1], TOP, exclude=[q], positive_only=True)
    return Shown(
        f"The **random walk** $\\mathbf f^{{(\\tau)}} = {alpha:g}\\,\\mathcal W\\mathbf "
        f"f^{{(\\tau-1)}} + {1 - alpha:.2g}\\,\\mathbf y$ spreads the "
        f"query's score along the graph's edges, one hop per iteration: press ▶ or drag the "
        f"slider through its first {FRAMES} iterations; orange rings mark the current top "
        f"{TOP} (at τ = {FRAMES}{_same_class(d.labels, q, ringed)}).", fig)


def conjugate_gradient(ctx: StepContext) -> Shown:
    ws, d = ctx.ws, ctx.ws.dataset
    q, alpha = _query(ctx), _alpha(ctx)
    result = cached_solvers(ws.data_key, ws.params, (q,), alpha, SOLVERS, ws.graph.W_norm)
    fig = diffusion_animation(ws.coords, result.iterates, [q], top_k=TOP, labels=d.labels,
                              class_names=d.class_names, steps=_frames(d.n, 2),
                              errors={name: relative_errors(it, result.exact)
                                      for name, it in result.iterates.items()})
    hits = {name: (f"{hit:,}" if hit is not None else "more than 3,000")
            for name, hit in result.reached.items()}
    ranked = top_k(result.exact, TOP, exclude=[q], positive_only=True)
    classes = (f"; the top {TOP} of f*{_same_class(d.labels, q, ranked)}"
               if d.labels is not None else "")
    return Shown(
        "**Conjugate gradient** solves the same linear system $\\mathcal L_\\alpha \\mathbf f = "
        "\\mathbf y$ and reaches "
        f"the same ranking f* in far fewer steps: relative error {TOL:g} after "
        f"{hits['conjugate gradient']} iterations against {hits['random walk']} for the walk "
        f"(bottom panel, log scale){classes}.", fig)


def several_queries(ctx: StepContext) -> Shown:
    ws, d = ctx.ws, ctx.ws.dataset
    alpha = _alpha(ctx)
    queries = _queries(ctx)
    how = "the page's queries"
    if len(queries) == 1:
        q = queries[0]
        if d.labels is not None and d.n_classes > 1:  # one query per class, up to three
            others = [int(np.flatnonzero(d.labels == c)[0]) for c in range(d.n_classes)
                      if c != d.labels[q] and np.any(d.labels == c)]
            queries = sorted({q, *others[:2]})
            how = "the query and the first point of " + ("another class" if len(queries) == 2
                                                         else "two other classes")
        else:  # the point the query's ranking puts last: far along the manifold
            single = cached_solvers(ws.data_key, ws.params, (q,), alpha, (SOLVERS[1],),
                                    ws.graph.W_norm)
            queries = sorted({q, int(np.argmin(single.exact))})
            how = "the query and the point it ranks last"
    result = cached_solvers(ws.data_key, ws.params, tuple(queries), alpha, (SOLVERS[1],),
                            ws.graph.W_norm)
    fig = diffusion_animation(ws.coords, result.iterates, queries, top_k=TOP, labels=d.labels,
                              class_names=d.class_names, steps=_frames(d.n, 1))
    return Shown(
        f"**Several queries** ({how}: points {', '.join(map(str, queries))}): **y** is 1 at each "
        "of them and one diffusion ranks the points close to any of them along the manifold; "
        f"here CG's ranking after {FRAMES} iterations, its top {TOP} ringed.",
        hide_empty_legend(fig))


STEPS = (
    Step("Data points", data_points),
    Step("A query", a_query),
    Step("Its Euclidean neighbours", euclidean),
    Step("The random walk, iteration by iteration", random_walk),
    Step("CG: the same ranking in far fewer steps", conjugate_gradient),
    Step("Several queries", several_queries),
)
