"""Label propagation, step by step, in the order of the talk's slides.

Labelled and unlabelled points → propagated labels → their certainty → deep label
propagation's loop (Zhou et al. NIPS 2003; Iscen, Tolias, Avrithis, Chum, CVPR 2019). On a data
set without labels (an uploaded file) and none clicked on the page, the steps fall back to two
moons and say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlviz.figures import label_scatter
from mlviz.metrics import accuracy
from mlviz.propagation import UNLABELLED, sample_labelled
from mlviz.ui.caches import cached_propagation
from mlviz.ui.sidebar import Workspace
from mlviz.ui.steps_common import Shown, Step, StepContext, moons_workspace, plural

DEEP_PAGE = "pages/5_Deep_label_propagation.py"


@dataclass(frozen=True)
class Setup:
    """The data set, its labelled points and how they were chosen."""

    ws: Workspace
    given: np.ndarray
    n_classes: int
    names: list[str]
    origin: str

    @property
    def key(self) -> tuple:
        return tuple((int(i), int(self.given[i])) for i in np.flatnonzero(self.given >= 0))


def setup(ctx: StepContext) -> Setup:
    """The page's labelled points if it has some, else random ones as the page draws them
    (its labels per class and seed); two moons where the data set has no labels at all."""
    ws, truth = ctx.ws, ctx.ws.dataset.labels
    clicked = {i: c for i, c in ctx.setting("L", {}).items() if i < ws.n}
    if truth is None and clicked:
        n_classes = int(ctx.setting("n_classes", 2))
        clicked = {i: c for i, c in clicked.items() if c < n_classes}
        given = np.full(ws.n, UNLABELLED)
        given[list(clicked)] = list(clicked.values())
        return Setup(ws, given, n_classes, [f"class {c}" for c in range(n_classes)],
                     f"the {plural(len(clicked), 'point')} you labelled on the page")
    origin = "the page's labelled points"
    if truth is None:
        ws = moons_workspace()
        truth = ws.dataset.labels
        origin = (f"**two moons instead of {ctx.ws.dataset.name}, which has no labels** "
                  "(label points on the full page to use it)")
        clicked = {}
    if clicked:
        given = np.full(ws.n, UNLABELLED)
        given[list(clicked)] = list(clicked.values())
    else:
        per_class = int(ctx.setting("per_class", 5))
        given = sample_labelled(truth, per_class, int(ctx.setting("label_seed", 0)))
        if origin.startswith("the page"):
            origin = f"{per_class} random labels per class"
    return Setup(ws, given, ws.dataset.n_classes, list(ws.dataset.class_names), origin)


def _propagate(ctx: StepContext, s: Setup):
    return cached_propagation(s.ws.data_key, s.ws.params, s.key, s.n_classes,
                              float(ctx.setting("alpha", 0.99)), "class_mass", s.ws.graph)


def labelled_points(ctx: StepContext) -> Shown:
    s = setup(ctx)
    n, m = s.ws.n, int(np.sum(s.given >= 0))
    fig = label_scatter(s.ws.coords, np.full(n, UNLABELLED), np.ones(n), s.given, s.names,
                        title=f"{m} labelled points (▲) among {n:,}")
    return Shown(
        f"**Labelled and unlabelled points** of {s.ws.dataset.name}: {m} carry a label (▲, "
        f"{s.origin}), the other {n - m:,} (grey) do not, and the task is to label them from "
        "the few labels and the graph.", fig)


def propagated(ctx: StepContext) -> Shown:
    s = setup(ctx)
    result = _propagate(ctx, s)
    truth = s.ws.dataset.labels
    unl = s.given == UNLABELLED
    fig = label_scatter(s.ws.coords, result.predictions, np.ones(s.ws.n), s.given, s.names,
                        title="propagated labels")
    right = (f": {accuracy(truth, result.predictions, unl):.1%} of the unlabelled points get "
             "their true class" if truth is not None else "")
    return Shown(
        "**Propagated labels**: Z = (I − α𝒲)⁻¹Y spreads each class's labels along the graph "
        f"(conjugate gradient, {result.n_iter} iterations) and each point takes the class "
        f"of its largest score ŷᵢ = argmaxⱼ zᵢⱼ{right}.", fig)


def certainty(ctx: StepContext) -> Shown:
    s = setup(ctx)
    result = _propagate(ctx, s)
    truth = s.ws.dataset.labels
    unl = s.given == UNLABELLED
    fig = label_scatter(s.ws.coords, result.predictions, result.certainty, s.given, s.names,
                        title="certainty ω as opacity: faint = unsure")
    omega = result.certainty[unl]
    found = f"mean ω {omega.mean():.2f} over the unlabelled points" if omega.size else ""
    if truth is not None and omega.size:
        wrong = unl & (result.predictions != truth)
        if wrong.any() and (unl & ~wrong).any():
            found = (f"median ω {np.median(result.certainty[wrong]):.2f} for the "
                     f"{int(wrong.sum()):,} wrong predictions against "
                     f"{np.median(result.certainty[unl & ~wrong]):.2f} for the right ones")
    return Shown(
        "**Certainty** ωᵢ = 1 − H(ẑᵢ)/log c (opacity) is high where one class's labels "
        "dominate a point's scores and low where classes compete or the labels barely reach"
        + (f": {found}." if found else "."), fig)


DEEP_LOOP = """digraph {
  layout=circo; mindist=0.15; node [shape=box, style="rounded,filled", fillcolor="#f4f6fb", fontname="sans",
                      fontsize=20, margin="0.25,0.12"]; edge [fontname="sans", fontsize=16];
  F [label="features φθ(x)"]; G [label="kNN graph on the features"];
  P [label="label propagation\\nZ = (I − α𝒲)⁻¹Y", fillcolor="#e6f2e6"];
  Y [label="pseudo-labels ŷ,\\ncertainty ω, class weight ζ"];
  T [label="one epoch on\\nL_s + Σ ωᵢ ζ_ŷᵢ CE(fθ(xᵢ), ŷᵢ)", fillcolor="#fdecea"];
  F -> G -> P -> Y -> T; T -> F [style=dashed, label="new features"];
}"""


def deep_loop(ctx: StepContext) -> Shown:
    return Shown(
        "**Deep label propagation** closes a loop: a network's features give a new graph, "
        "propagation on it gives pseudo-labels, and training on them, each loss weighted by "
        "its certainty ωᵢ and its class weight ζ, gives better features for the next epoch.",
        DEEP_LOOP, link=(DEEP_PAGE, "Train this loop: deep label propagation"))


STEPS = (
    Step("Labelled and unlabelled points", labelled_points),
    Step("Propagated labels", propagated),
    Step("Certainty", certainty),
    Step("Deep label propagation's loop", deep_loop),
)
