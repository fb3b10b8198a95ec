"""Mining on manifolds: hard positives and negatives, without labels."""


import numpy as np
import pandas as pd
import streamlit as st

from mlviz import ui
from mlviz.exports import array_npy, tuples_csv
from mlviz.figures import mining_figure
from mlviz.mining import mining_statistics, most_telling_anchor
from mlviz.strips import mining_strips
from mlviz.ui.caches import (
    MINING_ALPHA,
    MINING_ANCHORS,
    RANKED_NEIGHBOURS,
    anchors_of,
    cached_rankings,
)

ALPHAS = [0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999]
K_E_MAX = K_M_MAX = RANKED_NEIGHBOURS  # the sliders' ranges: one ranking serves every setting
K_DEFAULT = 50  # |E| = |M|, as in the authors' code (gtolias/mom: 50 for positives on CUB)


@st.cache_data(max_entries=16, show_spinner=False)
def cached_tuples(data_key, params, k_e: int, k_m: int, alpha: float, metric: str, _X, _W_norm):
    return cached_rankings(data_key, params, alpha, metric, _X, _W_norm).tuples(k_e, k_m)


MARGINS = [0.05, 0.1, 0.2, 0.5]
NEGATIVES = {
    "euclidean": "Euclidean non-neighbours X \\ E",
    "manifold": "hard negatives S⁻ = E \\ M",
}
STARTS = {"transfer": "learned on other classes (the talk's setting)",
          "own": "the data set's own descriptors"}
STATE = ui.PageState(
    "mine",
    ui.point_ids("a"),
    ui.whole("k_e", 1, K_E_MAX, K_DEFAULT),
    ui.whole("k_m", 1, K_M_MAX, K_DEFAULT),
    ui.choice("alpha", ALPHAS, MINING_ALPHA),
    ui.whole("epochs", 1, 40, 10),
    ui.whole("anchors", 100, 3000, 1000),
    ui.choice("margin", MARGINS, 0.2),
    ui.choice("negatives", list(NEGATIVES), "manifold"),
    ui.choice("start", list(STARTS), "transfer"),
)

ui.setup_page("Mining on manifolds", "⛏️")
ws = ui.sidebar()
if ui.guided_steps("mining", ws, STATE):  # the talk, step by step
    st.stop()
STATE.sync()
d, n = ws.dataset, ws.n
metric = ws.graph.neighbors.metric  # E(x) in the graph's own space
SPACE = {"cosine": "by cosine similarity, as the graph (Euclidean on the L2-normalized "
                   "descriptors)",
         "euclidean": "by Euclidean distance, as the graph's Gaussian kernel"}[metric]

st.title("Mining on manifolds")
st.markdown(
    "Training a metric needs positives and negatives. Without labels, the manifold provides them "
    "(Iscen, Tolias, Avrithis, Chum, CVPR 2018): for an **anchor** x, its Euclidean neighbours "
    f"$E(\\mathbf x)$ (nearest {SPACE}) and its manifold neighbours $M(\\mathbf x)$ (top of "
    "the diffusion ranking) disagree exactly where it matters. **Hard positives** $S^+ = M \\setminus E$ are far in "
    "space but close along the manifold; **hard negatives** $S^- = E \\setminus M$ are close in "
    "space but across a gap."
)

anchor_ids = [a for a in STATE["a"] if a < n]
anchor_ids = ui.new_selection("mine_scatter")[:1] or anchor_ids

left, right = st.columns([3, 1], gap="large")
with right:
    st.subheader("Sets")
    k_e = st.slider("|E|: Euclidean neighbours", 1, K_E_MAX, key=STATE.key("k_e"))
    k_m = st.slider("|M|: manifold neighbours", 1, K_M_MAX, key=STATE.key("k_m"))
    alpha = st.select_slider("α of the diffusion", ALPHAS, key=STATE.key("alpha"))
    k_e, k_m = int(min(k_e, n - 1)), int(min(k_m, n - 1))
    with ui.waiting(f"Ranking the Euclidean and manifold neighbours of {anchors_of(n):,} "
                    f"anchors on {n:,} points", ui.anchors_work(n, ws.params.k, anchors_of(n))):
        tuples = cached_tuples(ws.data_key, ws.params, int(k_e), k_m, float(alpha), metric,
                               d.X, ws.graph.W_norm)
    telling = most_telling_anchor(tuples, d.labels)
    anchor = anchor_ids[0] if anchor_ids else telling
    st.subheader("Anchor")
    typed = ui.index_input(f"Anchor by index (0–{n - 1})", n, key="mine_anchor")
    if typed is not None:
        anchor = typed
    if st.button("Random anchor", icon=":material/casino:", width="stretch"):
        anchor = int(np.random.default_rng().integers(n))
    if st.button("Most telling anchor", icon=":material/visibility:", width="stretch",
                 help="An anchor with both hard positives and the most hard negatives."):
        anchor = telling
    STATE.set("a", (int(anchor),))
    st.caption(f"Anchor: point {anchor}" + (f" ({d.class_names[d.labels[anchor]]})"
                                            if d.labels is not None else ""))

with left, ui.guard("mining"):
    m = ui.cached_mined(ws.data_key, ws.params, int(anchor), int(k_e), k_m, float(alpha), metric,
                     d.X, ws.graph.W_norm)
    fig = mining_figure(ws.coords, m, d.labels, d.class_names,
                        title="click a point to make it the anchor")
    ui.show_chart(fig, key="mine_scatter", on_select="rerun", selection_mode=("points",))
    points = lambda count: f"{count} point{'' if count == 1 else 's'}"  # noqa: E731
    st.caption(
        f"E has {points(m.euclidean.size)}, M has {m.manifold.size}"
        + (f" (diffusion reaches only {points(m.manifold.size)} from this anchor)"
           if m.manifold.size < k_m else "")
        + f"; {m.positives.size} hard positive{'' if m.positives.size == 1 else 's'}, "
        f"{m.negatives.size} hard negative{'' if m.negatives.size == 1 else 's'}."
        + (" On two moons or spirals, choose an anchor near the gap: positives run along its "
           "own arc, negatives sit just across." if d.dim == 2 else "")
    )

with right:
    if d.labels is not None:
        same = lambda idx: f"{np.mean(d.labels[idx] == d.labels[anchor]):.0%}" if idx.size else "–"  # noqa: E731
        st.metric("S⁺ with the anchor's class", same(m.positives))
        st.metric("S⁻ with the anchor's class", same(m.negatives))
    ui.download("This anchor's sets (.csv)", lambda: tuples_csv([m]),
                f"mined_anchor_{int(anchor)}.csv", key="mine_dl_anchor",
                help="anchor, set (E, M, S+, S-), rank, point: one row per member.")
    ui.download(f"{len(tuples):,} anchors' sets (.csv)", lambda: tuples_csv(tuples),
                "mined_tuples.csv", key="mine_dl_tuples",
                help=f"The tuples of every sampled anchor at |E| = {k_e}, |M| = {k_m}.")
ui.point_panel(ws, int(anchor), {"|S⁺|": f"{m.positives.size}", "|S⁻|": f"{m.negatives.size}"},
               title="Anchor", mark="query")
if ui.thumbnails_of(ws) is not None:
    st.subheader("The images: the anchor, E, M, S⁺ and S⁻")
    ui.show_strips(ws, mining_strips(d, m))

if d.labels is not None:
    st.subheader("Over many anchors: do the labels agree?")
    with ui.guard("the mining statistics"):
        s = mining_statistics(tuples, d.labels, seed=0)
        share = lambda v: "– (none mined)" if np.isnan(v) else f"{v:.1%}"  # noqa: E731
        mined_count = lambda mean, without: (  # noqa: E731
            f"{mean * s.n_anchors:,.0f} in all, {mean:.3g} per anchor, none for "
            f"{without:.0%} of anchors")
        table = pd.DataFrame({
            "mined": [f"hard positives S⁺ ({mined_count(s.mean_positives, s.without_positives)})",
                      f"hard negatives S⁻ ({mined_count(s.mean_negatives, s.without_negatives)})"],
            "share the anchor's class": [share(s.positives), share(s.negatives)],
            "compared with": ["as many random points outside E", "the rest of E (E ∩ M)"],
            "their share": [share(s.random_non_neighbours), share(s.euclidean_others)],
        })
        st.dataframe(table, hide_index=True, width="stretch")
        bounds = ", ".join(f"{a:,} up to {up_to:,} points" if up_to else f"{a:,} above"
                           for up_to, a in MINING_ANCHORS)
        st.caption(f"Over {s.n_anchors:,} anchors ("
                   + ("all the points" if s.n_anchors == n else "a seeded sample")
                   + f"; {bounds}, to bound the wait), |E| = {k_e}, |M| = {k_m}, E ranked {SPACE}. Good mining: S⁺ share "
                   "the class far more often than random points; S⁻ share it less often than the "
                   "Euclidean neighbours that the manifold keeps. With |M| much larger than |E|, "
                   "M swallows E and S⁻ is nearly empty: the authors take |E| = |M|.")

# ---------------------------------------------------------------- metric learning, in miniature
st.header("Metric learning without labels, in miniature")
st.markdown(
    "The talk's pipeline: start from the given descriptors, build the kNN graph, sample anchors, "
    "mine hard positives and negatives on the manifold, and fine-tune a small network with a "
    "**triplet loss** $\\max(0, m + \\|a-p\\|^2 - \\|a-n\\|^2)$. Beside it, the supervised version "
    "takes positives and negatives from the true classes: the shape of the talk's CUB-200 table "
    "(GoogLeNet trained on ImageNet, used on 100 bird species it never saw: initial descriptors "
    "R@1 35.0, fine-tuned on tuples mined without labels 45.3, the best supervised 49.8)."
)
if d.dim <= 3:
    if ws.data_key[0] == "toy":
        st.info("Fine-tuning needs descriptors: choose digits (or another real data set, or your "
                "file) in the sidebar. On 2-D and 3-D toy data there is nothing to learn.")
    else:
        st.info(f"Fine-tuning needs descriptors: {'your file ' if ws.data_key[0] == 'file' else ''}"
                f"{d.name} has {d.dim} dimension(s), too few for a network to learn a new metric "
                "from. Upload higher-dimensional descriptors, or choose digits (or another real "
                "data set) in the sidebar.")
    st.stop()

from dataclasses import replace  # noqa: E402
from functools import partial  # noqa: E402

from mlviz.deep import (  # noqa: E402  (torch is imported only when this section is used)
    MetricLearningConfig,
    describe_device,
    pick_device,
    train_metric_learning,
)
from mlviz.deep.transfer import (  # noqa: E402
    MINIATURE,
    SourceConfig,
    TransferMiniature,
    split_classes,
)
from mlviz.embedding import layout_2d  # noqa: E402
from mlviz.figures import class_scatter, recall_table, sweep_figure  # noqa: E402
from mlviz.ui.fidelity import RUN_COMMAND, load_fidelity  # noqa: E402

transfer = False
if d.labels is not None and np.unique(d.labels).size >= 4:
    transfer = st.radio(
        "Initial descriptors", list(STARTS), format_func=STARTS.get, key=STATE.key("start"),
        horizontal=True,
        help="The talk fine-tunes a network trained for other classes (GoogLeNet on ImageNet) "
             "on classes it never saw (birds). Here: a small network trained with labels on "
             "some classes, whose features are the initial descriptors of the others. The data "
             "set's own descriptors (digit pixels: R@1 about 99%) leave nothing to gain.",
    ) == "transfer"
if transfer:
    source_classes, target_classes = split_classes(d.labels)
    target = np.isin(d.labels, target_classes)
    names = lambda classes: ", ".join(d.class_names[c] if d.class_names else str(c)  # noqa: E731
                                      for c in classes)
    src = SourceConfig()
    st.markdown(
        f"**The talk's setting, in miniature.** A small MLP is first trained with labels on the "
        f"classes {names(source_classes)} ({src.epochs} epochs, features of {src.embedding_dim} "
        f"dimensions). Its features are the initial descriptors of the classes "
        f"{names(target_classes)}, which it never saw ({int(target.sum()):,} points): weak on "
        "them, as GoogLeNet's are on birds. Each run fine-tunes a copy of that one network on "
        "those points, from the same seed; the labels of the target classes serve only the "
        "supervised run and the evaluation.")
    bench = (load_fidelity() or {}).get("metric_learning")
    on_digits = ws.data_key == ("real", "digits")  # the benchmark's data set
    if on_digits and bench:
        rows = [("initial descriptors", "initial"), ("mined: positives E, negatives X ∖ E",
                                                     "euclidean"),
                ("mined on the manifold: positives S⁺, negatives S⁻", "mined"),
                ("triplets from the labels", "supervised")]
        st.dataframe(pd.DataFrame([
            {"method": label,
             "R@1": f"{100 * bench[key]['R@1']:.1f} ± {100 * bench[key]['R@1_std']:.1f}",
             "NMI": f"{100 * bench[key]['NMI']:.1f} ± {100 * bench[key]['NMI_std']:.1f}"}
            for label, key in rows if key in bench]), hide_index=True, width="stretch")
        st.caption(f"The benchmark of this miniature: mean ± std over {bench.get('seeds', '?')} "
                   f"seeds, in percent (`{RUN_COMMAND}`; {bench.get('settings', 'default settings')}"
                   "). One run below, with one seed, lands within a few points of it.")
    elif on_digits:
        st.caption(f"The benchmark of this miniature over 5 seeds has not been run yet "
                   f"(`{RUN_COMMAND}`): no figures to quote. One run below shows one seed.")

c = st.columns(4)
ml_epochs = c[0].slider("Epochs", 1, 40, key=STATE.key("epochs"))
STATE.limit("anchors", 100, min(3000, n))
ml_anchors = c[1].slider("Anchors", 100, min(3000, n), step=100, key=STATE.key("anchors"))
ml_margin = c[2].select_slider("Margin m", MARGINS, key=STATE.key("margin"))
ml_negatives = c[3].radio(
    "Negatives of the manifold run", list(NEGATIVES), format_func=NEGATIVES.get,
    key=STATE.key("negatives"),
    help="The talk's slides compare S⁺ with the Euclidean neighbours E and S⁻ with the "
         "Euclidean non-neighbours X \\ E. Where S⁻ often shares the anchor's class (see "
         "the table above), training on it pushes same-class points apart.")
graph_k, graph_gamma = ((MINIATURE.k, MINIATURE.gamma) if transfer
                         else (ws.params.k, ws.params.gamma))
ml_config = MetricLearningConfig(epochs=int(ml_epochs), n_anchors=int(ml_anchors),
                                 margin=float(ml_margin), k=graph_k, gamma=graph_gamma,
                                 alpha=float(alpha), k_euclidean=int(k_e), k_manifold=int(k_m),
                                 num_threads=ui.TRAINING_THREADS)
RUN_MANIFOLD = f"positives S⁺, negatives {'S⁻' if ml_negatives == 'manifold' else 'X ∖ E'}"
RUN_EUCLIDEAN = "positives E, negatives X ∖ E"
RUNS = {RUN_MANIFOLD: f"positives S⁺ and negatives {NEGATIVES[ml_negatives]} (manifold, no labels)",
        RUN_EUCLIDEAN: "positives E and negatives X \\ E (Euclidean, no labels)"}
if d.labels is not None:
    RUNS["supervised"] = "positives from the labels (supervised)"
st.caption(f"{('Two', 'Three')[len(RUNS) - 2]} runs, same network and seed: "
           f"{'; '.join(RUNS.values())}. Mining uses this page's |E| = {k_e}, |M| = {k_m}, "
           f"α = {alpha} and "
           + (f"a kNN graph with k = {graph_k} on the initial descriptors. " if transfer else
              f"the sidebar's k = {ws.params.k}. ")
           + "Training on "
           f"**{describe_device(pick_device(), ui.TRAINING_THREADS)}**."
           + ("" if d.labels is not None else
              " Without labels there is no supervised run, and no Recall@k or NMI to report: "
              "download the fine-tuned descriptors once a run finished."))
ml_job: ui.BackgroundJob | None = st.session_state.get("ml_job")
if st.button("Fine-tune", icon=":material/play_arrow:", type="primary",
             disabled=(ml_job is not None and ml_job.running)
             or not ui.server_settings().training,
             help=ui.training_note()):
    configs = {RUN_MANIFOLD: replace(ml_config, positives="manifold", negatives=ml_negatives),
               RUN_EUCLIDEAN: replace(ml_config, positives="euclidean", negatives="euclidean"),
               "supervised": ml_config}
    if transfer:
        mini = TransferMiniature(d.X, d.labels, replace(ml_config, negatives=ml_negatives))
        kinds = {RUN_MANIFOLD: "manifold", RUN_EUCLIDEAN: "euclidean", "supervised": "supervised"}
        steps = [(name, partial(mini.run, kinds[name])) for name in RUNS]
    else:
        steps = [(name, partial(train_metric_learning, d.X, configs[name],
                                d.labels if name == "supervised" else None, y_true=d.labels))
                 for name in RUNS]  # the runs the caption above names, in its order
    ml_job = ui.submit_training(("metric learning", ws.data_key, ws.params, ml_config,
                                 ml_negatives, d.labels is not None, transfer), steps,
                                total_epochs=len(steps) * int(ml_epochs))
    st.session_state["ml_job"] = ml_job
    st.session_state["ml_job_data"] = (ws.data_key, transfer)


def ml_runs(job) -> dict:
    """Each run's result, finished or in progress, by name, in the order they were started."""
    pick = lambda name: job.results.get(name) or job.partial.get(name)  # noqa: E731
    return {name: pick(name) for name in job.names}


def draw_losses(job) -> None:
    series = {name: np.asarray(r.losses) for name, r in ml_runs(job).items()
              if r is not None and r.n_epochs}
    if series:
        x = np.arange(1, max(len(v) for v in series.values()) + 1)
        padded = {k: np.pad(v, (0, x.size - v.size), constant_values=np.nan)
                  for k, v in series.items()}
        fig = sweep_figure(x, padded, "epoch", "mean triplet loss", fraction=False)
        fig.update_yaxes(title="loss")
        ui.show_chart(fig, key="ml_loss")


job_data = st.session_state.get("ml_job_data") or (None, None)
if ml_job is not None and job_data[0] != ws.data_key:
    st.info("The last fine-tuning run was on another data set. Press fine-tune to train on "
            "this one.")
    ml_job = None
elif ml_job is not None and job_data[1] != transfer:
    st.info("The last fine-tuning run started from other initial descriptors. Press fine-tune "
            "to train from these.")
    ml_job = None
if ml_job is not None:
    if ml_job.running:
        ui.job_status(ml_job, "ml", live=lambda: draw_losses(ml_job))
        st.stop()
    if ml_job.error:
        st.error(f"Fine-tuning failed: {ml_job.error}", icon="⚠️")
    runs = ml_runs(ml_job)
    unsup, sup = runs.get(ml_job.names[0]), runs.get("supervised")
    if unsup is not None and unsup.embedding is not None:
        with ui.guard("the fine-tuning results"):
            if unsup.before is not None:
                rows = {"initial descriptors": ("no", unsup.before)}
                if sup is not None:
                    rows["triplets from the labels"] = ("yes", sup.after)
                for name in ml_job.names[1::-1]:
                    if runs.get(name) is not None:
                        rows[f"mined: {name}"] = ("no", runs[name].after)
                st.dataframe(pd.DataFrame(recall_table(rows)), hide_index=True, width="stretch")
                st.caption("Recall@k: share of points whose k nearest neighbours include one of "
                           "their class; NMI of k-means clusters, in percent"
                           + (f", on the {int(target.sum()):,} points of the classes the "
                              "network never saw" if transfer else "")
                           + f". In the manifold run {unsup.n_anchors_used:,} anchors had the "
                           "hard examples it needs.")
            shown_labels = d.labels[target] if transfer else d.labels
            left, right = st.columns(2, gap="large")
            with left:
                start = unsup.initial_embedding if transfer else d.X
                ui.show_chart(class_scatter(layout_2d(start, "pca"), shown_labels, d.class_names,
                                            title="initial descriptors (PCA)"), key="ml_before")
            with right:
                ui.show_chart(class_scatter(layout_2d(unsup.embedding, "pca"), shown_labels,
                                            d.class_names,
                                            title=f"after fine-tuning, {ml_job.names[0]} (PCA)"),
                              key="ml_after")
            draw_losses(ml_job)
            if unsup.before is None:
                st.caption("No labels, so no Recall@k or NMI: the runs' fine-tuned descriptors "
                           "are yours to download and evaluate.")
            for i, (name, run) in enumerate(runs.items()):
                if run is not None and run.embedding is not None:
                    ui.download(f"Download the fine-tuned descriptors ({name}, .npy)",
                                lambda run=run: array_npy(np.asarray(run.embedding, np.float32)),
                                f"fine_tuned_{i}.npy", key=f"ml_download_{i}")
