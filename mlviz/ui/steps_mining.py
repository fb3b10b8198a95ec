"""Mining on manifolds, step by step, in the order of the talk's slides.

An anchor → its Euclidean neighbours E → its manifold neighbours M → hard positives
S⁺ = M \\ E → hard negatives S⁻ = E \\ M → fine-tuning with them (Iscen, Tolias, Avrithis,
Chum, CVPR 2018). Each step draws the mining page's figure with the sets found so far.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from mlviz.figures import mining_figure
from mlviz.mining import Mined, most_telling_anchor
from mlviz.ui.caches import cached_mined, cached_rankings
from mlviz.ui.steps_common import Shown, Step, StepContext, hide_empty_legend, plural, rename_trace
from mlviz.ui.waits import noticed

EMPTY = np.array([], dtype=np.int64)


@noticed("Finding a telling anchor…")
@st.cache_data(max_entries=4, show_spinner=False)
def cached_telling(data_key, params, k_e: int, k_m: int, alpha: float, metric: str, _X, _W_norm,
                   _labels) -> int:
    """The mining page's default anchor: :func:`mlviz.mining.most_telling_anchor`, from the
    rankings the page (and the warm-up) computed."""
    rankings = cached_rankings(data_key, params, alpha, metric, _X, _W_norm)
    return int(most_telling_anchor(rankings.tuples(k_e, k_m), _labels))


def _mined(ctx: StepContext) -> Mined:
    ws, d = ctx.ws, ctx.ws.dataset
    k_e = int(min(ctx.setting("k_e", 30), d.n - 1))
    k_m = int(min(ctx.setting("k_m", 100), d.n - 1))
    alpha = float(ctx.setting("alpha", 0.99))
    anchors = [a for a in ctx.setting("a", ()) if a < d.n]
    if anchors:
        anchor = anchors[0]
    else:
        anchor = cached_telling(ws.data_key, ws.params, k_e, k_m, alpha, ctx.metric, d.X,
                                ws.graph.W_norm, d.labels)
        ctx.keep("a", (anchor,))
    return cached_mined(ws.data_key, ws.params, int(anchor), k_e, k_m, alpha, ctx.metric, d.X,
                        ws.graph.W_norm)


def _figure(ctx: StepContext, shown: Mined, title: str, rename: str | None = None):
    ws, d = ctx.ws, ctx.ws.dataset
    fig = mining_figure(ws.coords, shown, d.labels, d.class_names, title=title)
    if rename:
        rename_trace(fig, "in E and M", f"{rename} ({shown.euclidean.size})")
    return hide_empty_legend(fig)


def _classes(ctx: StepContext, m: Mined, ids: np.ndarray) -> str:
    """``, 12 of the anchor's class`` where there are labels."""
    labels = ctx.ws.dataset.labels
    if labels is None or ids.size == 0:
        return ""
    return f", {int(np.sum(labels[ids] == labels[m.anchor]))} of the anchor's class"


def anchor(ctx: StepContext) -> Shown:
    m = _mined(ctx)
    fig = _figure(ctx, Mined(m.anchor, EMPTY, EMPTY, EMPTY, EMPTY),
                  f"the anchor x: point {m.anchor}")
    return Shown(
        f"An **anchor** x (★, point {m.anchor}): to learn a metric without labels we need, "
        "for it, points that should come closer (positives) and points that should move away "
        "(negatives); the full page lets you click any other.", fig)


def euclidean(ctx: StepContext) -> Shown:
    m = _mined(ctx)
    fig = _figure(ctx, Mined(m.anchor, m.euclidean, m.euclidean, EMPTY, EMPTY),
                  f"E(x): the {m.euclidean.size} nearest neighbours in the descriptor space",
                  rename="Euclidean neighbours E(x)")
    return Shown(
        f"**E(x)**: its {plural(m.euclidean.size, 'nearest neighbour')} in the descriptor space "
        f"({'Euclidean' if ctx.metric == 'euclidean' else ctx.metric})"
        f"{_classes(ctx, m, m.euclidean)}; the usual positives, "
        "but they ignore the manifold.", fig)


def manifold(ctx: StepContext) -> Shown:
    m = _mined(ctx)
    fig = _figure(ctx, Mined(m.anchor, m.manifold, m.manifold, EMPTY, EMPTY),
                  f"M(x): the top {m.manifold.size} by manifold ranking",
                  rename="manifold neighbours M(x)")
    return Shown(
        f"**M(x)**: its top {plural(m.manifold.size, 'point')} by diffusion from the anchor, "
        f"the ranking of the previous section{_classes(ctx, m, m.manifold)}; they follow the "
        "manifold, far along it if need be.", fig)


def positives(ctx: StepContext) -> Shown:
    m = _mined(ctx)
    fig = _figure(ctx, Mined(m.anchor, m.euclidean, m.manifold, m.positives, EMPTY),
                  "hard positives S⁺ = M \\ E")
    return Shown(
        f"**Hard positives** S⁺ = M \\ E ({plural(m.positives.size, 'point')}"
        f"{_classes(ctx, m, m.positives)}, green): on the anchor's manifold yet not among its "
        "Euclidean neighbours, they look different and should still come closer.", fig)


def negatives(ctx: StepContext) -> Shown:
    m = _mined(ctx)
    fig = _figure(ctx, m, "hard negatives S⁻ = E \\ M")
    return Shown(
        f"**Hard negatives** S⁻ = E \\ M ({plural(m.negatives.size, 'point')}"
        f"{_classes(ctx, m, m.negatives)}, red ×): close in space but not on the anchor's "
        "manifold, they look alike and should move away.", fig)


FINE_TUNING = """digraph {
  layout=circo; mindist=0.15; node [shape=box, style="rounded,filled", fillcolor="#f4f6fb", fontname="sans",
                      fontsize=20, margin="0.25,0.12"]; edge [fontname="sans", fontsize=16];
  X [label="descriptors x"]; G [label="kNN graph"]; A [label="anchors"];
  S [label="E(x), M(x) → S⁺, S⁻", fillcolor="#e6f2e6"];
  T [label="triplet loss\\nmax(0, m + ‖a−p‖² − ‖a−n‖²)", fillcolor="#fdecea"];
  N [label="fine-tuned network"];
  X -> G -> A -> S -> T -> N; N -> X [style=dashed, label="new descriptors"];
}"""


def fine_tuning(ctx: StepContext) -> Shown:
    d = ctx.ws.dataset
    trains = ("the full page fine-tunes a small network on them" if d.dim > 3 else
              "the full page fine-tunes a small network on descriptors such as digits "
              f"(choose one in the sidebar: {d.name} has {d.dim} dimensions)")
    return Shown(
        "**Fine-tuning**: the anchors with their hard positives and negatives become triplets "
        f"of a metric-learning loss, with no label used anywhere; {trains} and compares it "
        "with Euclidean mining and with the labels.", FINE_TUNING)


STEPS = (
    Step("An anchor", anchor),
    Step("E: its Euclidean neighbours", euclidean),
    Step("M: its manifold neighbours", manifold),
    Step("S⁺: hard positives", positives),
    Step("S⁻: hard negatives", negatives),
    Step("Fine-tuning", fine_tuning),
)
