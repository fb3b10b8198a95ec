"""Pages that train networks in the background: deep label propagation, metric learning."""

import io

import numpy as np
import pytest
from conftest import app_test, assert_clean, decode, figures, npy_bytes, strip_ids, upload, visit

pytestmark = pytest.mark.slow

DEEP = "pages/5_Deep_label_propagation.py"
MINING = "pages/3_Mining_on_manifolds.py"


def train(at, label: str, job_key: str, timeout: float = 300):
    next(b for b in at.button if b.label.startswith(label)).click().run()
    job = at.session_state[job_key]
    job.wait(timeout)
    assert not job.running and job.error is None, job.error
    return at.run(), job


def test_deep_lp_trains_beats_the_baseline_and_round_trips_the_model():
    at = app_test(DEEP, data="real", real="digits", timeout=300).run()
    assert_clean(at)
    assert "dlp_start" in figures(at)
    at.slider(key="dlp_epochs").set_value(6).run()
    at.slider(key="dlp_warmup").set_value(2).run()
    at, job = train(at, "Train", "dlp_job")
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    deep = float(metrics["deep LP classifier, epoch 6"].rstrip("%"))
    base = float(metrics["supervised only, epoch 6"].rstrip("%"))
    assert metrics["epochs done"] == "6 / 6"
    assert deep > base, (deep, base)
    figs = figures(at)
    assert {"dlp_curves", "dlp_features", "dlp_hist"} <= set(figs)
    at.select_slider(key="dlp_epoch").set_value(3).run()
    assert_clean(at)
    record = next(e for e in job.results["deep label propagation"].epochs if e.epoch == 3)
    unlabelled = ~job.results["deep label propagation"].labelled
    least = np.argsort(np.where(unlabelled, record.certainty, np.inf), kind="stable")[:10]
    strips = strip_ids(at)
    assert strips[0] == [int(i) for i in least]  # the 10 least certain pseudo-labels
    assert len(strips) == 1  # epoch 3 is the first propagation: nothing to have changed
    at.select_slider(key="dlp_epoch").set_value(5).run()
    epochs = {e.epoch: e for e in job.results["deep label propagation"].epochs}
    changed = unlabelled & (epochs[5].pseudo_labels != epochs[4].pseudo_labels)
    shown = strip_ids(at)
    assert set(shown[-1]) <= set(np.flatnonzero(changed))
    assert len(shown[-1]) == min(10, int(changed.sum()))

    from mlviz.deep import save_model

    buf = io.BytesIO()
    save_model(job.results["deep label propagation"].state_dict, buf)
    at.get("file_uploader")[0].set_value(("model.pt", buf.getvalue(), "application/octet-stream"))
    at.run()
    assert_clean(at)
    loaded = {m.label: m.value for m in at.metric}["loaded model: accuracy on the unlabelled points"]
    assert loaded == metrics["deep LP classifier, epoch 6"]
    at.get("file_uploader")[0].set_value(("junk.pt", b"not a model", "application/octet-stream"))
    at.run()
    assert not at.exception
    message = next(e.value for e in at.error if e.value.startswith("junk.pt"))
    assert message.startswith("junk.pt is not a file of network weights (it could not be read "
                              "as one). Load a .pt file downloaded from this page")
    assert "weights_only" not in message and "save_model" not in message
    from mlviz.deep.networks import make_network

    buf = io.BytesIO()
    save_model(make_network("mlp", 4, 3), buf)  # an iris network
    at.get("file_uploader")[0].set_value(("iris.pt", buf.getvalue(), "application/octet-stream"))
    at.run()
    assert not at.exception
    message = next(e.value for e in at.error if e.value.startswith("iris.pt"))
    assert message.startswith("iris.pt holds the weights of an MLP with 4 inputs and 3 classes; "
                              "the current data set needs a small CNN on 8×8 images with 10 "
                              "classes: train here and download the weights, or choose the data "
                              "set they were trained on.")


def test_results_never_outlive_their_data_set_or_their_labels():
    at = app_test(DEEP, data="real", real="digits", timeout=300).run()
    at.slider(key="dlp_epochs").set_value(3).run()
    at.slider(key="dlp_warmup").set_value(1).run()
    at, job = train(at, "Train", "dlp_job")
    run_labelled = job.results["deep label propagation"].labelled
    at.slider(key="dlp_per_class").set_value(9).run()  # other labels, the old run still shown
    assert_clean(at)
    marked = next(t for t in figures(at)["dlp_features"]["data"] if t["name"] == "labelled (▲)")
    assert decode(marked["x"]).size == int(run_labelled.sum()) == 50  # 5 per class, not 9
    at.selectbox(key="real").set_value("iris").run()
    assert_clean(at)
    assert any("another data set" in i.value for i in at.info)
    assert "dlp_features" not in figures(at)

    at = app_test(MINING, data="real", real="digits", timeout=300).run()
    at.slider(key="mine_epochs").set_value(1).run()
    at, _ = train(at, "Fine-tune", "ml_job")
    at.selectbox(key="real").set_value("wine").run()
    assert_clean(at)
    assert any("another data set" in i.value for i in at.info)
    assert "ml_after" not in figures(at)


def test_deep_lp_can_be_stopped():
    at = app_test(DEEP, data="real", real="digits", timeout=300).run()
    at.slider(key="dlp_epochs").set_value(30).run()
    next(b for b in at.button if b.label.startswith("Train")).click().run()
    job = at.session_state["dlp_job"]
    job.stop.set()
    job.wait(120)
    at.run()
    assert not at.exception
    deep = job.results.get("deep label propagation")
    assert deep is not None and deep.stopped and deep.n_epochs < 30


def test_deep_lp_explains_what_it_needs_without_labels():
    at = upload(app_test(DEEP).run(), "x.npy",
                npy_bytes(np.random.default_rng(0).standard_normal((100, 6))))
    assert not at.exception
    assert any("needs ground-truth classes" in i.value for i in at.info)


def test_metric_learning_section_fills_the_talks_table():
    at = app_test(MINING, data="real", real="digits", timeout=300).run()
    at.slider(key="mine_epochs").set_value(3).run()
    at, _ = train(at, "Fine-tune", "ml_job")
    assert_clean(at)
    table = at.dataframe[-1].value
    assert list(table["method"]) == ["initial descriptors", "triplets from the labels",
                                     "mined: positives E, negatives X ∖ E",
                                     "mined: positives S⁺, negatives S⁻"]
    assert {"ml_before", "ml_after", "ml_loss"} <= set(figures(at))
    assert len(figures(at)["ml_loss"]["data"]) == 3

    at.radio(key="mine_negatives").set_value("euclidean").run()
    at, job = train(at, "Fine-tune", "ml_job")
    assert_clean(at)
    assert job.names[0] == "positives S⁺, negatives X ∖ E"
    assert at.dataframe[-1].value["method"].iloc[-1] == "mined: positives S⁺, negatives X ∖ E"


def test_metric_learning_is_not_offered_on_2d_toys():
    at = app_test(MINING).run()
    assert_clean(at)
    assert any("Fine-tuning needs descriptors" in i.value for i in at.info)


def test_deep_lp_settings_survive_a_visit_to_another_page():
    at = app_test(DEEP, data="real", real="digits").run()
    at.slider(key="dlp_epochs").set_value(7).run()
    at.slider(key="dlp_warmup").set_value(2).run()
    visit(visit(at, "app.py"), DEEP)
    assert at.slider(key="dlp_epochs").value == 7
    assert at.slider(key="dlp_warmup").value == 2


def test_deep_lp_weighting_widget_reaches_the_url_the_link_and_the_training():
    from mlviz.deep import DeepLPConfig

    at = app_test(DEEP, data="real", real="digits", timeout=300).run()
    assert_clean(at)
    radio = at.radio(key="dlp_weighting")
    assert radio.value == DeepLPConfig().weighting  # the page's default is the library's
    assert list(radio.options) == ["the talk's", "the authors' code"]
    assert "ahmetius/LP-DeepSSL" in radio.help and "ζ_j = (|L_j|+|U_j|)⁻¹" in radio.help
    other = "talk" if radio.value == "authors" else "authors"
    radio.set_value(other).run()
    assert_clean(at)
    assert at.query_params["weighting"] == other

    at = app_test(DEEP, data="real", real="digits", weighting=other, timeout=300).run()
    assert at.radio(key="dlp_weighting").value == other  # a link reopens it
    at.slider(key="dlp_epochs").set_value(3).run()
    at.slider(key="dlp_warmup").set_value(1).run()
    at, job = train(at, "Train", "dlp_job")
    assert_clean(at)
    deep = job.results["deep label propagation"]
    assert deep.config.weighting == other
    shown = float({m.label: m.value for m in at.metric}["pseudo-label weight per step, labels = 1"])
    assert shown == pytest.approx(deep.epochs[-1].weight_ratio, abs=0.005)
    # measured on digits, 5 per class: about 0.15-0.2 under the talk's, 0.8-0.9 the authors'
    assert (shown > 0.4) == (other == "authors"), shown


def test_deep_lp_page_shows_the_saved_error_table_or_says_it_is_missing(monkeypatch):
    import mlviz.ui.fidelity

    monkeypatch.setattr(mlviz.ui.fidelity, "load_fidelity", lambda: None)
    at = app_test(DEEP, data="real", real="digits").run()
    assert_clean(at)
    assert any("benchmark has not been run" in i.value and "bench_fidelity.py" in i.value
               for i in at.info)

    cell = {"supervised_error": 0.2, "supervised_error_std": 0.01, "lp_error": 0.1,
            "lp_error_std": 0.02, "deep_lp_error": 0.05, "deep_lp_error_std": 0.005,
            "deep_lp_over_supervised": 0.25}
    saved = {"deep_lp": {"2": cell, "5": cell, "10": cell, "seeds": 5,
                         "settings": {"epochs": 20, "warmup_epochs": 5, "k": 20,
                                      "weighting": "authors"}}}
    monkeypatch.setattr(mlviz.ui.fidelity, "load_fidelity", lambda: saved)
    at = app_test(DEEP, data="real", real="digits").run()
    assert_clean(at)
    (table,) = [df.value for df in at.dataframe]
    assert list(table.columns) == ["method", "2 per class", "5 per class", "10 per class"]
    assert list(table["method"]) == ["Supervised only (the labelled points)",
                                     "Label propagation on the pixels", "Deep label propagation",
                                     "deep LP error / supervised error"]
    assert list(table["2 per class"]) == ["20.00 ± 1.00", "10.00 ± 2.00", "5.00 ± 0.50", "0.25"]
    assert any("5 seeds" in c.value and "the authors' code weighting" in c.value
               for c in at.caption)
