"""Deep label propagation: a small network trained with propagated pseudo-labels."""

import io
from functools import partial

import numpy as np
import streamlit as st

from mlviz import ui
from mlviz.embedding import layout_2d
from mlviz.figures import histogram_figure, label_scatter, sweep_figure
from mlviz.figures.fidelity import deep_lp_error_table
from mlviz.metrics import accuracy
from mlviz.propagation import UNLABELLED, WEIGHTINGS, sample_labelled
from mlviz.strips import deep_lp_strips
from mlviz.ui.fidelity import RUN_COMMAND, load_fidelity

ALPHAS = [0.9, 0.95, 0.99, 0.995]
WEIGHTING_NAMES = {"talk": "the talk's", "authors": "the authors' code"}
WEIGHTING_HELP = (
    "How much the pseudo-labels weigh against the labels. **The talk's**: L_s + L_w with "
    "ζ_j = (|L_j|+|U_j|)⁻¹ and labelled points weighted 1 (Iscen, Tolias, Avrithis, Chum, "
    "CVPR 2019). **The authors' code** (github.com/ahmetius/LP-DeepSSL): ζ scaled by N/c so "
    "that it averages 1, labelled points weighted by ζ too, ω divided by its maximum, and "
    "batches half labelled, half unlabelled: the pseudo-label term weighs far more."
)
STATE = ui.PageState(
    "dlp",
    ui.whole("per_class", 1, 50, 5),
    ui.whole("epochs", 2, 60, 20),
    ui.whole("warmup", 0, 20, 5),
    ui.whole("feature_k", 5, 50, 20),
    ui.choice("alpha", ALPHAS, 0.99),
    ui.whole("train_seed", 0, 9999, 0),
    ui.choice("weighting", WEIGHTINGS, "authors"),
)

ui.setup_page("Deep label propagation", "🧠")
ws = ui.sidebar()
STATE.sync()
d, n = ws.dataset, ws.n

st.title("Deep label propagation")
st.markdown(
    "Label propagation gives **pseudo-labels** $\\hat y_i$ with a certainty $\\omega_i$; a network "
    "trained on them learns features $\\phi_\\theta$ on which the next graph, and the next "
    "propagation, are better (Iscen, Tolias, Avrithis, Chum, CVPR 2019). Each epoch: extract "
    "$\\phi_\\theta(x)$ → kNN graph → $Z=(I-\\alpha\\mathcal W)^{-1}Y$ → $\\hat y$, $\\omega$, "
    "$\\zeta$ → one epoch on"
)
st.latex(r"L_s + L_w = \sum_{i\in L} \ell_s(f_\theta(x_i), y_i)"
         r" + \sum_{i\in U} \omega_i\,\zeta_{\hat y_i}\,\ell_s(f_\theta(x_i), \hat y_i)")

with st.expander("The paper's error table in miniature: digits, mean ± std over seeds"):
    entry = (load_fidelity() or {}).get("deep_lp")
    if not entry:
        st.info(f"The benchmark has not been run yet: `{RUN_COMMAND}` measures this table "
                "(error on the unlabelled points of digits for 2, 5 and 10 labels per class) "
                "and this page shows it.")
    else:
        st.dataframe(deep_lp_error_table(entry), hide_index=True, key="dlp_fidelity")
        setup = entry.get("settings", {})
        st.caption(
            f"Error (%) against the true classes of the unlabelled points, over "
            f"{entry.get('seeds', '?')} seeds (labelled points and network), from the saved "
            f"run of `{RUN_COMMAND}`"
            + (f": {setup['epochs']} epochs ({setup['warmup_epochs']} supervised warm-up), "
               f"k = {setup['k']}, {WEIGHTING_NAMES.get(setup['weighting'], '?')} weighting"
               if {"epochs", "warmup_epochs", "k", "weighting"} <= set(setup) else "")
            + ". The same network, seed and steps train on the labelled points alone for the "
            "supervised row; label propagation runs once on the 64 pixels. The talk's table "
            "is the same comparison on CIFAR-10 (49.1 → 32.4 % error with 500 labels)."
        )

if d.labels is None:
    st.info("Deep label propagation needs ground-truth classes to draw the labelled points from "
            "and to measure accuracy: choose a labelled data set in the sidebar (digits is the "
            "classic one).")
    st.stop()

from mlviz.deep import (  # noqa: E402  (after the early exit: torch takes a second to import)
    DeepLPConfig,
    WeightsMismatch,
    describe_device,
    extract_features,
    load_model,
    pick_device,
    save_model,
    train_deep_lp,
    train_supervised,
)


def weights_bytes(state_dict) -> bytes:
    buffer = io.BytesIO()
    save_model(state_dict, buffer)
    return buffer.getvalue()


device = pick_device()
images = d.images is not None and d.images.ndim == 3  # one channel: colour goes to the MLP
inputs = d.images if images else d.X
network = (f"a small CNN on the {d.images.shape[1]}×{d.images.shape[2]} images" if images
           else "an MLP on the descriptors")
st.caption(f"Training {network} on **{describe_device(device, ui.TRAINING_THREADS)}**.")

c = st.columns(6)
per_class = c[0].slider("Labels per class", 1, 50, key=STATE.key("per_class"))
epochs = c[1].slider("Epochs", 2, 60, key=STATE.key("epochs"))
warmup = c[2].slider("Supervised warm-up epochs", 0, 20, key=STATE.key("warmup"),
                     help="The paper pre-trains on the labelled points first.")
k = c[3].slider("k of the feature graph", 5, 50, key=STATE.key("feature_k"))
alpha = c[4].select_slider("α", ALPHAS, key=STATE.key("alpha"))
seed = int(c[5].number_input("Seed", 0, 9999, key=STATE.key("train_seed")))
weighting = st.radio("Loss weighting", WEIGHTINGS, key=STATE.key("weighting"), horizontal=True,
                     format_func=WEIGHTING_NAMES.get, help=WEIGHTING_HELP)
if warmup >= epochs:
    st.caption(f"The warm-up is cut to {epochs - 1} epoch(s): at least one epoch must be left "
               "for label propagation.")
warmup = min(warmup, epochs - 1)
labels = sample_labelled(d.labels, per_class, seed)
config = DeepLPConfig(epochs=int(epochs), warmup_epochs=int(warmup), k=int(k), alpha=float(alpha),
                      seed=seed, network="auto", num_threads=ui.TRAINING_THREADS,
                      weighting=weighting)

job: ui.BackgroundJob | None = st.session_state.get("dlp_job")
job_key = (ws.data_key, per_class, epochs, warmup, k, alpha, seed, weighting)
start = st.button("Train deep LP and the supervised baseline", icon=":material/play_arrow:",
                  type="primary", disabled=(job is not None and job.running)
                  or not ui.server_settings().training,
                  help=ui.training_note())
if start:
    steps = [
        ("deep label propagation", partial(train_deep_lp, inputs, labels, config, y_true=d.labels)),
        ("supervised baseline", partial(train_supervised, inputs, labels, config, y_true=d.labels)),
    ]
    job = ui.submit_training(("deep LP", job_key, config), steps, total_epochs=2 * int(epochs))
    st.session_state["dlp_job"] = job
    st.session_state["dlp_job_key"] = job_key

if job is None:
    st.info(f"{int((labels >= 0).sum())} labelled points ({per_class} per class), "
            f"{int((labels < 0).sum()):,} unlabelled. Press train"
            + (": on digits an epoch takes about half a second on one CPU core." if images
               else f": an epoch extracts features, builds the graph and propagates over all "
                    f"{n:,} points, then trains on them."))
    ui.show_chart(label_scatter(ws.coords, np.full(n, UNLABELLED), np.zeros(n), labels,
                                d.class_names, title="the labelled points training starts from"),
                  key="dlp_start")
    st.stop()


def runs(job):
    pick = lambda name: job.results.get(name) or job.partial.get(name)  # noqa: E731
    return pick("deep label propagation"), pick("supervised baseline")


def draw_curves(job) -> None:
    deep, base = runs(job)
    if deep is None or deep.n_epochs == 0:
        return
    x = np.arange(1, deep.n_epochs + 1)
    series = {"deep LP: classifier": deep.classifier_accuracies,
              "deep LP: pseudo-labels": deep.pseudo_label_accuracies}
    if base is not None and base.n_epochs:
        series["supervised only: classifier"] = np.pad(
            base.classifier_accuracies, (0, max(0, deep.n_epochs - base.n_epochs)),
            constant_values=np.nan)[: deep.n_epochs]
    left, right = st.columns([3, 2], gap="large")
    with left:
        fig = sweep_figure(x, series, "epoch", "accuracy on the unlabelled points")
        warm = deep.config.warmup_epochs
        if 0 < warm < deep.config.epochs:
            fig.add_vline(x=warm + 0.5, line=dict(dash="dot", color="gray"),
                          annotation_text="label propagation starts",
                          annotation_position="bottom right")
        ui.show_chart(fig, key="dlp_curves")
        if warm:
            st.caption(f"The first {warm} epoch(s) train both networks on the labelled points "
                       "only (the same seed), so their curves coincide until propagation "
                       "starts. The baseline trains after deep LP; Stop ends both, so a "
                       "stopped baseline has fewer epochs or none.")
    with right:
        last = deep.classifier_accuracies[-1]
        a, b = st.columns(2)
        a.metric(f"deep LP classifier, epoch {deep.n_epochs}", f"{last:.1%}")
        if base is not None and base.n_epochs:
            at = min(base.n_epochs, deep.n_epochs)  # compare at the same epoch
            b.metric(f"supervised only, epoch {at}", f"{base.classifier_accuracies[at - 1]:.1%}",
                     delta=f"{deep.classifier_accuracies[at - 1] - base.classifier_accuracies[at - 1]:+.1%} "
                           "deep LP", delta_color="off")
        a.metric("seconds per epoch", f"{np.mean(deep.epoch_seconds):.2f}")
        if deep.epochs[-1].phase == "label propagation":
            a.metric("pseudo-label weight per step, labels = 1",
                     f"{deep.epochs[-1].weight_ratio:.2f}",
                     help="Σ of the unlabelled points' loss weights over Σ of the labelled "
                          "points', in a step of the last epoch: what the weighting sets.")
        b.metric("epochs done (stopped)" if deep.stopped else "epochs done",
                 f"{deep.n_epochs} / {deep.config.epochs}")


if job.running:
    ui.job_status(job, "dlp", live=lambda: draw_curves(job))
    st.stop()
if job.error:
    st.error(f"Training failed: {job.error}. Try other settings.", icon="⚠️")
run_key = st.session_state.get("dlp_job_key")
if run_key is not None and run_key[0] != ws.data_key:
    st.info("The last training run was on another data set. Press train to train on this one.")
    st.stop()
if run_key != job_key:
    st.caption("The results below are of the last run, with its own labelled points; the "
               "settings have changed since. Press train to run again.")
deep, base = runs(job)
if deep is None or deep.n_epochs == 0:
    st.stop()
labels = np.where(deep.labelled, d.labels, UNLABELLED)  # the run's own labelled points
with ui.guard("the training curves"):
    draw_curves(job)

lp_epochs = [e for e in deep.epochs if e.pseudo_labels is not None]
if lp_epochs:
    st.subheader("Epoch by epoch")
    choice = st.select_slider("Epoch", [e.epoch for e in lp_epochs], value=lp_epochs[-1].epoch,
                              key="dlp_epoch")
    record = next(e for e in lp_epochs if e.epoch == choice)
    with ui.guard("the epoch view"):
        left, right = st.columns([3, 2], gap="large")
        with left:
            if record.features is not None:
                coords = layout_2d(record.features, "pca")
                given = np.where(labels >= 0, labels, UNLABELLED)
                ui.show_chart(label_scatter(coords, record.pseudo_labels, record.certainty, given,
                                            d.class_names, height=480,
                                            title=f"learned features φθ at epoch {choice} (PCA), "
                                                  "pseudo-labels, certainty as opacity"),
                              key="dlp_features")
        with right:
            first = lp_epochs[0]
            unl = labels < 0
            hist = {f"epoch {first.epoch}": first.certainty[unl]}
            if record.epoch != first.epoch:
                hist[f"epoch {record.epoch}"] = record.certainty[unl]
            ui.show_chart(histogram_figure(hist, "certainty weights ω of the unlabelled points", "ω"),
                          key="dlp_hist")
            st.caption("As training goes on, the features separate the classes and the "
                       "propagation grows surer: the certainty distribution moves right (the "
                       "talk's epoch 0 vs epoch 90).")
            if record.pseudo_label_accuracy is not None:
                st.metric("pseudo-label accuracy at this epoch", f"{record.pseudo_label_accuracy:.1%}")
        if ui.thumbnails_of(ws) is not None:
            at = lp_epochs.index(record)
            previous = lp_epochs[at - 1].pseudo_labels if at > 0 else None
            st.subheader(f"The images at epoch {choice}")
            strips = deep_lp_strips(d, deep.labelled, record.pseudo_labels, record.certainty,
                                    previous)
            ui.show_strips(ws, strips)
            if strips[0].indices:
                least = int(strips[0].indices[0])
                ui.point_panel(ws, least, {
                    "pseudo-label ŷ": d.class_names[record.pseudo_labels[least]],
                    "certainty ω": f"{record.certainty[least]:.3f}",
                }, title="The least certain pseudo-label")

if not job.running and deep.state_dict:
    st.subheader("Keep the model")
    s1, s2 = st.columns(2)
    ui.download("Download the trained weights (.pt)", lambda: weights_bytes(deep.state_dict),
                "deep_label_propagation.pt", key="dlp_dl_weights", container=s1)
    uploaded = s2.file_uploader("Load weights saved here (.pt)", type=["pt"], key="dlp_load")
    if uploaded is not None:
        with ui.guard("the loaded model"):
            try:
                model = load_model(deep.network, deep.input_shape, deep.n_classes,
                                   uploaded.getvalue(), name=uploaded.name)
            except ValueError as exc:
                s2.error(f"{str(exc).rstrip('.')}: train here and download the weights, or "
                         "choose the data set they were trained on."
                         if isinstance(exc, WeightsMismatch) else
                         f"{exc} Load a .pt file downloaded from this page.", icon="⚠️")
                st.stop()
            pred = extract_features(model, inputs)[1].argmax(1)
            unl = labels < 0
            s2.metric("loaded model: accuracy on the unlabelled points",
                      f"{accuracy(d.labels, pred, unl):.1%}")
