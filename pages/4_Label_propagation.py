"""Label propagation: propagated labels with certainty, against scikit-learn's LabelSpreading."""

import warnings

import numpy as np
import streamlit as st

from mlviz import ui
from mlviz.exports import table_csv
from mlviz.figures import (
    bar_figure,
    class_color,
    histogram_figure,
    label_scatter,
    sweep_figure,
)
from mlviz.label_spreading import accuracy_vs_alpha, accuracy_vs_k, accuracy_vs_labels
from mlviz.metrics import accuracy
from mlviz.propagation import UNLABELLED, normalized_rows, sample_labelled
from mlviz.strips import propagation_strips

ALPHAS = [0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999]
NORMS = {"class mass": "class_mass", "plain argmax": None}
LABEL_DRAWS = 5  # random draws of the labelled points averaged per labels-per-class value
CERTAINTY_AS = ("opacity", "size")


SKLEARN_LIMIT = 20_000  # scikit-learn's fit beside ours, up to this many points
SKLEARN_AUTO_UP_TO = 5_000  # above, on a button: its fit takes seconds at every setting


@st.cache_data(max_entries=16, show_spinner=False)
def cached_sklearn_accuracy(data_key, params, labelled: tuple, alpha: float, _X, _y):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.semi_supervised import LabelSpreading

    labels = np.full(_X.shape[0], UNLABELLED)
    for i, c in labelled:
        labels[i] = c
    model = LabelSpreading(kernel="knn", n_neighbors=params.k, alpha=alpha, max_iter=1000)
    with warnings.catch_warnings(), ui.timed(*ui.sklearn_work(*_X.shape)):
        warnings.simplefilter("ignore", ConvergenceWarning)  # its own business, not the page's
        model.fit(_X, labels)
    return accuracy(_y, model.transduction_, labels == UNLABELLED)


SWEEP_KS = (3, 5, 7, 10, 15, 20, 30, 50)
SWEEP_PER_CLASS = (1, 2, 3, 5, 10, 20, 50)


@st.cache_data(max_entries=8, show_spinner=False)
def cached_sweeps(data_key, params, labelled: tuple, alpha: float, norm, seed: int, _X, _y, _graph):
    labels = np.full(_X.shape[0], UNLABELLED)
    for i, c in labelled:
        labels[i] = c
    kw = dict(normalization=norm, neighbors_idx=_graph.neighbors.indices,
              neighbor_weights=_graph.weights)
    alphas = np.array(ALPHAS)
    ks = np.array([k for k in SWEEP_KS if k < _X.shape[0]])
    per_class = np.array(SWEEP_PER_CLASS)
    with ui.timed(*ui.sweep_work(*_X.shape)):
        by_alpha = accuracy_vs_alpha(_graph.W_norm, labels, _y, alphas, **kw)
        by_k = accuracy_vs_k(_X, _y, labels, ks, alpha, edges=params.edges, kernel=params.kernel,
                             gamma=params.gamma, normalization=norm)
        by_labels = accuracy_vs_labels(_graph.W_norm, _y, per_class, alpha, seed=seed,
                                       draws=LABEL_DRAWS, **kw)
    return {"alpha": (alphas, by_alpha), "k": (ks, by_k), "labels": (per_class, by_labels)}


def certainty_finding(right: np.ndarray, wrong: np.ndarray) -> str:
    """What the certainty histogram shows about the wrong predictions, read off the data."""
    mr, mw = float(np.median(right)) if right.size else np.nan, float(np.median(wrong))
    medians = (f"median ω {mw:.2f} for the {wrong.size:,} wrong, against "
               + (f"{mr:.2f} for the {right.size:,} right" if right.size else "no right one at all"))
    if right.size and mw < mr - 0.1:
        return (f"Wrong predictions gather at low certainty ({medians}): that is why deep label "
                "propagation weights each pseudo-label by ω.")
    if mw >= 0.9:
        return (f"The {wrong.size:,} wrong predictions are mostly certain ({medians}): ω measures "
                "how one-sided a point's scores are, not whether they are right. A part of the "
                "graph that only one class's labels reach (a component, or a class without a "
                "label) gets that class with ω ≈ 1, so weighting by ω would not discount them.")
    return (f"Wrong predictions are about as certain as the right ones here ({medians}): "
            "weighting the pseudo-labels by ω would discount them little.")


def weights_finding(names, zeta: np.ndarray, counts: np.ndarray) -> str:
    """What the class weights ζ say: which classes are rare, which got no point at all."""
    empty = [names[j] for j in np.flatnonzero(counts == 0)]
    text = (f"{', '.join(empty)} got no point (labelled or predicted), so its weight is 0. "
            if empty else "")
    has = np.flatnonzero(counts > 0)
    if has.size < 2:
        return text + "Only one class holds points: there is nothing to balance."
    lo, hi = has[np.argmin(counts[has])], has[np.argmax(counts[has])]
    if counts[hi] <= 1.2 * counts[lo]:
        return text + (f"The classes are about equally large here ({counts[lo]:,}–{counts[hi]:,} "
                       "points), so they weigh about the same.")
    return text + (f"Rare classes weigh more: {names[lo]} ({counts[lo]:,} points) weighs "
                   f"{zeta[lo] / zeta[hi]:.1f}× as much as {names[hi]} ({counts[hi]:,}), so each "
                   "class contributes equally to a loss.")


STATE = ui.PageState(
    "lp",
    ui.point_classes("L"),
    ui.whole("n_classes", 2, 10, 2),
    ui.whole("per_class", 1, 50, 5),
    ui.whole("label_seed", 0, 9999, 0),
    ui.whole("click_class", 0, 9, 0),
    ui.choice("alpha", ALPHAS, 0.99),
    ui.choice("norm", list(NORMS), list(NORMS)[0]),
    ui.choice("cert_as", CERTAINTY_AS, "opacity"),
)

ui.setup_page("Label propagation", "🏷️")
ws = ui.sidebar()
if ui.guided_steps("label propagation", ws, STATE):  # the talk, step by step
    st.stop()
STATE.sync()
d, n = ws.dataset, ws.n
truth = d.labels

st.title("Label propagation")
st.markdown(
    "A few points are **labelled** (▲); the labels spread along the graph to the others: "
    "$Y_{ij}=1$ if point $i$ is labelled $j$, $Z=(I-\\alpha\\mathcal W)^{-1}Y$ by block conjugate gradient (all class columns in one Krylov space), "
    "$\\hat y_i=\\arg\\max_j z_{ij}$ (Zhou et al. 2003). The **certainty** "
    "$\\omega_i = 1 - H(\\hat{\\mathbf z}_i)/\\log c$ (Iscen et al. 2019) is drawn as opacity: "
    "faint points are those the labels barely reach, or where classes compete."
)

n_classes = d.n_classes if truth is not None else 0
left, right = st.columns([3, 2], gap="large")
with right:
    st.subheader("Labels")
    if truth is None:
        n_classes = int(st.number_input("Number of classes", 2, 10, key=STATE.key("n_classes")))
        st.caption("This data set has no ground truth: click points to label them.")
    names = list(d.class_names) if truth is not None else [f"class {c}" for c in range(n_classes)]
    data_changed = st.session_state.get("lp_data") not in (None, ws.data_key)
    st.session_state["lp_data"] = ws.data_key
    labelled = {i: c for i, c in STATE["L"].items() if i < n and c < n_classes}
    if data_changed:  # labels belong to the data set they were given on
        labelled = {}
        st.session_state.pop("lp_sampling", None)
    if truth is not None:
        per_class = st.slider("Labels per class", 1, 50, key=STATE.key("per_class"))
        seed = int(st.number_input("Seed of the random labels", 0, 9999, key=STATE.key("label_seed")))
        draw = st.button("Draw labels at random", icon=":material/casino:", width="stretch")
        previous = st.session_state.get("lp_sampling")
        st.session_state["lp_sampling"] = (per_class, seed)
        moved = previous is not None and previous != (per_class, seed)
        first_visit = previous is None and (not labelled or data_changed)
        if draw or moved or first_visit:
            labelled = {int(i): int(truth[i]) for i in np.flatnonzero(
                sample_labelled(truth, per_class, seed) >= 0)}
    STATE.limit("click_class", 0, n_classes - 1)
    click_class = st.selectbox("Clicked points get class", range(n_classes),
                               format_func=lambda c: names[c], key=STATE.key("click_class"))
    clicked = ui.new_selection("lp_scatter")
    labelled.update({i: int(click_class) for i in clicked})
    if st.button("Clear all labels", icon=":material/delete:", width="stretch"):
        labelled = {}
    STATE.set("L", labelled)
    st.caption(f"{len(labelled)} labelled point(s).")

    st.subheader("Propagation")
    alpha = st.select_slider("α", ALPHAS, key=STATE.key("alpha"))
    norm_name = st.radio("Prediction", list(NORMS), key=STATE.key("norm"), horizontal=True,
                         help="class mass: each column of Z scaled to its class's share of the labels "
                              "before the argmax (Zhu et al. 2003); it helps most when the classes "
                              "overlap or their labels are unbalanced, and can cost a little on "
                              "well-separated data. plain argmax: the talk's formula as it is. The "
                              "certainty ω is computed on the scores that make the prediction.")
    cert_as = st.radio("Certainty shown as", CERTAINTY_AS, key=STATE.key("cert_as"),
                       horizontal=True)

if not labelled:
    with left:
        st.info("Label at least one point: click points in the plot"
                + (", or draw labels at random." if truth is not None else "."))
        fig = label_scatter(ws.coords, np.full(n, UNLABELLED), np.zeros(n), np.full(n, UNLABELLED),
                            names, title="click points to label them")
        ui.show_chart(fig, key="lp_scatter", on_select="rerun", selection_mode=("points", "box", "lasso"))
    st.stop()

key = tuple(sorted(labelled.items()))
given = np.full(n, UNLABELLED)
for i, c in labelled.items():
    given[i] = c

with left, ui.guard("label propagation"):
    result = ui.cached_propagation(ws.data_key, ws.params, key, n_classes, float(alpha), NORMS[norm_name], ws.graph)
    fig = label_scatter(ws.coords, result.predictions, result.certainty, given, names,
                        certainty_as=cert_as, title="propagated labels; click or lasso to label points")
    ui.show_chart(fig, key="lp_scatter", on_select="rerun", selection_mode=("points", "box", "lasso"))
    unreached = result.unreached & (given == UNLABELLED)
    if unreached.any():
        left_out = int(np.sum(unreached & (result.predictions == UNLABELLED)))
        st.caption(
            f"{int(unreached.sum()):,} point(s) got no score from the diffusion: isolated in the "
            "graph, in a component without a label, or more hops from every label than CG took "
            "to reach its tolerance. They took the weighted vote of their k nearest neighbours, "
            "hop by hop"
            + (f"; {left_out:,} had no neighbour chain to a label and stay grey." if left_out
               else "."))

with right, ui.guard("the scores"):
    unl = given == UNLABELLED
    cols = st.columns(2)
    if truth is not None and not unl.any():
        cols[0].metric("accuracy (unlabelled)", "–",
                       help="Every point has a given label: none is left to predict. Clear "
                            "some labels (or draw labels at random) to measure the propagation.")
    elif truth is not None:
        acc = accuracy(truth, result.predictions, unl)
        cols[0].metric("accuracy (unlabelled)", f"{acc:.1%}",
                       help="Share of the points without a given label that get their true "
                            "class; points left with no label (grey) count as wrong.")
        sklearn_now = (ws.data_key, ws.params, key, float(alpha))
        if SKLEARN_AUTO_UP_TO < n <= SKLEARN_LIMIT and st.session_state.get(
                "lp_sklearn") != sklearn_now:
            eta = ui.duration(ui.work_times().estimate(*ui.sklearn_work(n, d.dim)))
            cols[1].caption(f"scikit-learn's LabelSpreading beside ours: {eta} here.")
            if cols[1].button("Run scikit-learn", key="lp_sklearn_run", width="stretch",
                              help=f"Above {SKLEARN_AUTO_UP_TO:,} points scikit-learn's "
                                   "LabelSpreading, with its own kNN search, takes seconds for "
                                   "every setting: it runs when asked, for the current ones."):
                st.session_state["lp_sklearn"] = sklearn_now
        if n <= SKLEARN_AUTO_UP_TO or (n <= SKLEARN_LIMIT
                                       and st.session_state.get("lp_sklearn") == sklearn_now):
            with ui.waiting(f"scikit-learn's LabelSpreading on {n:,} points",
                            ui.sklearn_work(n, d.dim)):
                ref = cached_sklearn_accuracy(*sklearn_now, d.X, truth)
            cols[1].metric("scikit-learn", f"{ref:.1%}", delta=f"{acc - ref:+.1%} ours",
                           delta_color="off",
                           help="scikit-learn's LabelSpreading(kernel='knn'). It builds its own "
                                "graph (symmetric kNN on the raw features, same k and α), so the "
                                "difference mixes the graph and the solver.")
        elif n > SKLEARN_LIMIT:
            cols[1].metric("scikit-learn", "–", help=f"Not run above {SKLEARN_LIMIT:,} points: "
                           "its kNN search and 1,000 power iterations would take minutes here "
                           "(python benchmarks/bench_fit_100k.py compares them at 100,000).")
    cols[0].metric("Block-CG iterations", f"{result.n_iter}")
    cols[1].metric("mean certainty ω", f"{result.certainty[unl].mean():.2f}" if unl.any() else "–")

with ui.guard("the images"):
    strips = propagation_strips(d, given, result.predictions, result.certainty, names)
    if ui.thumbnails_of(ws) is not None:
        st.subheader("The images: labelled, most and least certain, wrong")
        ui.show_strips(ws, strips)
    least = strips[2].indices[0] if strips[2].indices else None
    selected = ui.selected_point("lp", clicked[-1] if clicked else None, range(n), least)
    z_hat = normalized_rows(result.scores[[selected]])[0]
    best = np.argsort(-z_hat, kind="stable")[:2]
    ui.point_panel(ws, selected, {
        "given label": names[given[selected]] if given[selected] >= 0 else "none",
        "predicted": names[result.predictions[selected]] if result.predictions[selected] >= 0
        else "none",
        "certainty ω": f"{result.certainty[selected]:.3f}",
        "ẑ": ", ".join(f"{names[j]}: {z_hat[j]:.2f}" for j in best)},
        note="The point last clicked; until a click, the least certain prediction.")

with ui.guard("the certainty plots"):
    h1, h2 = st.columns(2, gap="large")
    with h1:
        unlabelled_left = unl & (result.predictions == UNLABELLED)
        if truth is not None:
            right_pred = result.predictions == truth
            hist = {"correct": result.certainty[unl & right_pred],
                    "wrong": result.certainty[unl & ~right_pred & ~unlabelled_left]}
        else:
            hist = {"unlabelled": result.certainty[unl & ~unlabelled_left]}
        if unlabelled_left.any():
            hist["no label (grey)"] = result.certainty[unlabelled_left]
        ui.show_chart(histogram_figure(hist, "certainty ω of the unlabelled points", "ω"),
                      key="lp_hist")
        if truth is not None and len(hist["wrong"]):
            st.caption(certainty_finding(hist["correct"], hist["wrong"]))
        elif truth is not None:
            st.caption("No propagated label is wrong here"
                       + ("; the grey points got none at all (certainty 0)."
                          if unlabelled_left.any() else "."))
        else:
            st.caption("Deep label propagation weights each pseudo-label by its certainty ω: "
                       "the faint points count least.")
    with h2:
        ui.show_chart(bar_figure(names, result.class_weights, "class weights ζⱼ = (|Lⱼ| + |Uⱼ|)⁻¹",
                                 "ζ", [class_color(c) for c in range(n_classes)]), key="lp_zeta")
        zeta = result.class_weights
        st.caption(weights_finding(names, zeta, np.divide(1.0, zeta, out=np.zeros_like(zeta),
                                                          where=zeta > 0).round().astype(int)))
    ui.download("Download predictions (CSV)",
                lambda: table_csv({"point": np.arange(n), "given": given,
                                   "predicted": result.predictions, "certainty": result.certainty}),
                "label_propagation.csv", key="lp_dl_predictions",
                help="point, given label (-1: none), propagated label ŷ, certainty ω.")

if truth is not None:
    st.subheader("Sweeps")
    if st.button("Compute accuracy against α, k and labels per class"):
        st.session_state["lp_sweep"] = True
    if st.session_state.get("lp_sweep"):
        with ui.guard("the sweeps"):
            with ui.waiting(f"Sweeping α, k and the labels per class on {n:,} points",
                            ui.sweep_work(n, d.dim)):
                s = cached_sweeps(ws.data_key, ws.params, key, float(alpha), NORMS[norm_name],
                                  seed, d.X, truth, ws.graph)
            c1, c2, c3 = st.columns(3)
            with c1:
                ui.show_chart(sweep_figure(1 - s["alpha"][0], {"accuracy": s["alpha"][1]},
                                           "1 − α (log)", "against α", log_x=True), key="lp_sweep_alpha")
            with c2:
                ui.show_chart(sweep_figure(s["k"][0], {"accuracy": s["k"][1]}, "k", "against k"),
                              key="lp_sweep_k")
            with c3:
                ui.show_chart(sweep_figure(s["labels"][0], {"accuracy": s["labels"][1]},
                                           "labels per class", "against labels per class",
                                           log_x=True), key="lp_sweep_labels")
            st.caption("α and labels per class on the current graph; k rebuilds the graph for each "
                       "value (same edges and weights). Each labels-per-class point is the mean "
                       f"over {LABEL_DRAWS} random draws of the labelled points (seeds {seed}–"
                       f"{seed + LABEL_DRAWS - 1}).")
