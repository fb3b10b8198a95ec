"""Deep label propagation and metric learning without labels (mlviz.deep).

The training tests run short CPU trainings on digits with one intra-op thread
(``num_threads=1``): on a busy 2-core machine more threads only wait for each other.
"""

import io
import threading

import numpy as np
import pytest
import torch
from conftest import labels_per_class

from mlviz.datasets import load_real
from mlviz.deep import (
    DeepLPConfig,
    MetricLearningConfig,
    describe_device,
    extract_features,
    load_model,
    make_network,
    pick_device,
    propagate_on_features,
    save_model,
    train_deep_lp,
    train_metric_learning,
    train_supervised,
    triplet_loss,
    weighted_pseudo_label_loss,
)
from mlviz.metrics import evaluate_embedding
from mlviz.propagation import pseudo_labels

# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def digits_data():
    return load_real("digits")


LP_CONFIG = DeepLPConfig(epochs=10, warmup_epochs=4, seed=0, num_threads=1)


@pytest.fixture(scope="module")
def lp_runs(digits_data):
    labels = labels_per_class(digits_data.labels, 5, seed=0)
    deep = train_deep_lp(digits_data.images, labels, LP_CONFIG, y_true=digits_data.labels)
    base = train_supervised(digits_data.images, labels, LP_CONFIG, y_true=digits_data.labels)
    return labels, deep, base


# ----------------------------------------------------------------------------- formulas


def test_pseudo_labels_match_the_formulas():
    Z = np.array(
        [
            [0.9, 0.1, 0.0],  # labelled 0
            [0.2, 0.6, 0.2],  # unlabelled -> 1
            [0.1, 0.1, 0.8],  # labelled 2
            [0.5, 0.5, 1.0],  # unlabelled -> 2
            [0.3, 0.6, 0.1],  # unlabelled -> 1
            [0.0, 0.0, 0.0],  # unlabelled, not reached -> no pseudo-label
        ]
    )
    labels = np.array([0, -1, 2, -1, -1, -1])
    pl = pseudo_labels(Z, labels)

    P = Z / np.where(Z.sum(1, keepdims=True) > 0, Z.sum(1, keepdims=True), 1)
    P[5] = 1 / 3
    with np.errstate(divide="ignore", invalid="ignore"):
        H = -np.where(P > 0, P * np.log(P), 0.0).sum(1)
    omega = 1 - H / np.log(3)
    pseudo = np.array([0, 1, 2, 2, 1, -1])
    # |L_j| + |U_j|: class 0: 1 + 0, class 1: 0 + 2, class 2: 1 + 1
    zeta = np.array([1 / 1, 1 / 2, 1 / 2])
    weights = np.array([1.0, omega[1] * zeta[1], 1.0, omega[3] * zeta[2], omega[4] * zeta[1], 0.0])

    np.testing.assert_array_equal(pl.pseudo_labels, pseudo)
    np.testing.assert_allclose(pl.certainty, omega, atol=1e-12)
    np.testing.assert_allclose(pl.class_weights, zeta, atol=1e-12)
    np.testing.assert_allclose(pl.weights, weights, atol=1e-12)
    assert pl.certainty[5] == pytest.approx(0.0)
    # a named tuple: unpacks as (pseudo_labels, omega, zeta, per_sample_weight)
    y_hat, w_cert, w_class, w = pl
    assert w is pl.weights and y_hat is pl.pseudo_labels


def test_weighted_pseudo_label_loss_is_the_weighted_cross_entropy():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(5, 4))
    targets = np.array([0, 3, 1, -1, 2])
    weights = np.array([1.0, 0.25, 0.5, 0.7, 0.0])
    log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    ce = np.array([-log_softmax[i, t] if t >= 0 else 0.0 for i, t in enumerate(targets)])
    expected_sum = float((weights * ce).sum())

    args = (torch.tensor(logits), torch.tensor(targets), torch.tensor(weights))
    assert weighted_pseudo_label_loss(*args).item() == pytest.approx(expected_sum / 5, rel=1e-12)
    assert weighted_pseudo_label_loss(*args, normalizer=1.0).item() == pytest.approx(
        expected_sum, rel=1e-12
    )


def test_triplet_loss_is_the_hinge_on_squared_distances():
    a = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    p = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    n = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    # d(a,p)^2 = 2, 0; d(a,n)^2 = 0, 2 -> hinge: 2 + m, max(0, m - 2)
    assert triplet_loss(a, p, n, 0.5).item() == pytest.approx((2.5 + 0.0) / 2)


def test_propagation_on_separated_features_gives_certain_correct_pseudo_labels():
    rng = np.random.default_rng(0)
    centres = np.eye(3) * 5
    X = np.concatenate([c + rng.normal(size=(30, 3)) * 0.3 for c in centres])
    truth = np.repeat(np.arange(3), 30)
    labels = np.full(90, -1)
    labels[[0, 30, 60]] = [0, 1, 2]
    Z, pl = propagate_on_features(X, labels, k=8)
    assert Z.shape == (90, 3)
    np.testing.assert_array_equal(pl.pseudo_labels, truth)
    assert pl.certainty[labels < 0].mean() > 0.5
    np.testing.assert_allclose(pl.class_weights, 1 / 30)


# ----------------------------------------------------------------------------- deep LP


def test_deep_lp_beats_the_supervised_baseline_on_digits(lp_runs):
    labels, deep, base = lp_runs
    lp_acc = deep.classifier_accuracies[-1]
    base_acc = base.classifier_accuracies[-1]
    # measured (seeds 0..5 of the labelled set and network): margins +0.025 to +0.051
    assert lp_acc > base_acc + 0.015, (lp_acc, base_acc)
    assert lp_acc > 0.93
    assert deep.pseudo_label_accuracies[-1] > 0.93


def test_pretraining_epochs_are_the_baseline(lp_runs):
    _, deep, base = lp_runs
    w = LP_CONFIG.warmup_epochs
    np.testing.assert_array_equal(deep.losses[:w], base.losses[:w])
    assert [e.phase for e in deep.epochs] == ["supervised"] * w + ["label propagation"] * (
        LP_CONFIG.epochs - w
    )
    assert all(e.phase == "supervised" for e in base.epochs)


def test_history_records_every_epoch(lp_runs, digits_data):
    labels, deep, base = lp_runs
    n = labels.size
    assert deep.n_epochs == LP_CONFIG.epochs and not deep.stopped
    assert deep.network == "cnn" and deep.input_shape == (8, 8) and deep.n_classes == 10
    for e in deep.epochs:
        assert e.features.shape == (n, LP_CONFIG.embedding_dim) and e.features.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(e.features, axis=1), 1.0, atol=1e-4)
        assert e.predictions.shape == (n,) and e.seconds > 0 and np.isfinite(e.loss)
        if e.phase == "supervised":
            assert e.pseudo_labels is None and e.pseudo_label_accuracy is None
        else:
            np.testing.assert_array_equal(e.pseudo_labels[labels >= 0], labels[labels >= 0])
            assert np.all((e.certainty >= 0) & (e.certainty <= 1))
            assert e.class_weights.shape == (10,)
    assert deep.final_features.shape == (n, LP_CONFIG.embedding_dim)
    assert np.all(np.isnan(base.pseudo_label_accuracies))


def test_same_seed_same_run(digits_data):
    X, y = digits_data.X[:300], digits_data.labels[:300]
    labels = labels_per_class(y, 3, seed=1)
    cfg = DeepLPConfig(epochs=2, warmup_epochs=1, k=10, seed=4, num_threads=1)
    a = train_deep_lp(X, labels, cfg)
    b = train_deep_lp(X, labels, cfg)
    assert a.network == "mlp"
    np.testing.assert_array_equal(a.losses, b.losses)
    np.testing.assert_array_equal(a.final_features, b.final_features)


def test_record_features_every_few_epochs(digits_data):
    X, y = digits_data.X[:200], digits_data.labels[:200]
    cfg = DeepLPConfig(epochs=5, warmup_epochs=2, k=10, record_features=2, num_threads=1)
    h = train_deep_lp(X, labels_per_class(y, 2, 0), cfg)
    assert [e.features is not None for e in h.epochs] == [True, False, True, False, True]
    assert h.epochs[-1].pseudo_labels is not None


def test_num_threads_is_restored(digits_data):
    before = torch.get_num_threads()
    X, y = digits_data.X[:200], digits_data.labels[:200]
    train_supervised(X, labels_per_class(y, 2, 0), DeepLPConfig(epochs=1, num_threads=1))
    assert torch.get_num_threads() == before


def test_stop_event_and_progress(digits_data):
    labels = labels_per_class(digits_data.labels, 5, seed=0)
    stop = threading.Event()
    calls = []

    def progress(epoch, history):
        calls.append((epoch, history.n_epochs))
        if epoch == 1:
            stop.set()

    cfg = DeepLPConfig(epochs=6, warmup_epochs=1, seed=0, num_threads=1)
    h = train_deep_lp(
        digits_data.images, labels, cfg, y_true=digits_data.labels, progress=progress, stop=stop
    )
    assert h.n_epochs <= 2 and h.stopped
    assert calls == [(e, e) for e in range(1, h.n_epochs + 1)]
    assert h.state_dict and h.final_features is not None


def test_save_load_round_trip(lp_runs, digits_data, tmp_path):
    _, deep, _ = lp_runs
    model = make_network("cnn", (8, 8), 10, seed=0)
    model.load_state_dict(deep.state_dict)
    buffer = io.BytesIO()
    save_model(deep.state_dict, buffer)
    loaded = load_model("cnn", (8, 8), 10, buffer.getvalue())
    x = torch.from_numpy(digits_data.images[:64])
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))
    # the run used 1 thread, this extraction torch's default: equal up to float round-off
    feats, logits = extract_features(loaded, digits_data.images)
    np.testing.assert_allclose(feats, deep.final_features, atol=1e-5)
    assert np.mean(logits.argmax(1) == deep.final_predictions) > 0.999

    path = tmp_path / "model.pt"
    save_model(model, path)
    again = load_model("cnn", (8, 8), 10, path)
    with torch.no_grad():
        assert torch.equal(model(x), again(x))


def test_load_model_rejects_bad_files(lp_runs, tmp_path):
    from mlviz.deep.checkpoints import WeightsMismatch

    _, deep, _ = lp_runs
    with pytest.raises(ValueError, match="the file is not a file of network weights"):
        load_model("cnn", (8, 8), 10, b"definitely not a torch file")
    with pytest.raises(ValueError, match="the file is not a file of network weights"):
        load_model("cnn", (8, 8), 10, io.BytesIO(b"\x00" * 100))
    with pytest.raises(ValueError, match="there is no file at"):
        load_model("cnn", (8, 8), 10, tmp_path / "missing.pt")
    good = io.BytesIO()
    save_model(deep.state_dict, good)
    with pytest.raises(WeightsMismatch, match="with 10 classes; the current data set needs a "
                                              "small CNN on 8×8 images with 3 classes"):
        load_model("cnn", (8, 8), 3, good.getvalue())
    with pytest.raises(WeightsMismatch, match="weights of a small CNN .* needs an MLP with 64 "
                                              "inputs and 10 classes"):
        load_model("mlp", 64, 10, good.getvalue())


# ----------------------------------------------------------------------------- metric learning


ML_CONFIG = MetricLearningConfig(
    epochs=60, margin=0.2, k_euclidean=10, k_manifold=50, negatives="euclidean",
    seed=0, num_threads=1,
)


def test_metric_learning_without_labels_improves_recall(digits_data):
    """Digits at 4×4 pixels (16-d): the data set's own descriptors, R@1 already 0.928.

    The initial descriptors are the untrained network's embedding (centred, L2-normalized),
    on which the tuples are mined. Measured with this config, seed 0: R@1 0.928 -> 0.930,
    NMI 0.672 -> 0.762. Own descriptors this good leave R@1 little room: the R@1 claim is
    tested on descriptors learned on other classes (tests/test_metric_learning_fidelity.py).
    """
    n = len(digits_data.X)
    X = digits_data.images.reshape(n, 4, 2, 4, 2).mean(axis=(2, 4)).reshape(n, -1)
    result = train_metric_learning(X, ML_CONFIG, y_true=digits_data.labels)
    assert not result.supervised and result.n_epochs == ML_CONFIG.epochs
    assert result.after["R@1"] > result.before["R@1"] - 0.005, (result.before, result.after)
    assert result.after["NMI"] > result.before["NMI"] + 0.05
    assert result.before == evaluate_embedding(result.initial_embedding, digits_data.labels, 0)
    assert result.embedding.shape == (n, ML_CONFIG.embedding_dim)
    assert len(result.recall_at_1) == len(result.losses) == 60
    # mined tuples: hard positives are manifold neighbours outside E, never E itself
    t = result.tuples[0]
    assert not np.isin(t.positives, t.euclidean).any()


def test_supervised_metric_learning_and_stop(digits_data):
    stop = threading.Event()
    calls = []

    def progress(epoch, result):
        calls.append(epoch)
        stop.set()

    cfg = MetricLearningConfig(epochs=5, n_anchors=300, seed=0, num_threads=1)
    r = train_metric_learning(
        digits_data.X, cfg, digits_data.labels, progress=progress, stop=stop
    )
    assert r.supervised and r.stopped and r.n_epochs == 1 and calls == [1]
    assert set(r.before) == {"R@1", "R@2", "R@4", "R@8", "NMI"}
    buffer = io.BytesIO()
    save_model(r.state_dict, buffer)
    model = load_model("embedding", 64, 0, buffer.getvalue())
    emb, _ = extract_features(model, digits_data.X)
    np.testing.assert_allclose(emb, r.embedding, atol=1e-6)


def test_evaluate_embedding_on_perfect_clusters():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 20)
    E = np.eye(3)[labels] * 10 + rng.normal(size=(60, 3)) * 0.01
    out = evaluate_embedding(E, labels)
    assert out["R@1"] == 1.0 and out["NMI"] == pytest.approx(1.0)


# ----------------------------------------------------------------------------- devices, arguments


def test_pick_device():
    assert pick_device("cpu").type == "cpu"
    device = pick_device()
    assert device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    text = describe_device(device)
    assert text.startswith("CUDA (" if device.type == "cuda" else "CPU (")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="prefer"):
            pick_device("cuda")
    with pytest.raises(ValueError, match="prefer"):
        pick_device("tpu")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("epochs", 0),
        ("warmup_epochs", -1),
        ("lr", 0.0),
        ("batch_size", 1),
        ("labelled_per_batch", 64),
        ("k", 0),
        ("alpha", 1.0),
        ("gamma", -1.0),
        ("network", "resnet"),
        ("device", "tpu"),
        ("seed", -3),
        ("num_threads", 0),
        ("record_features", 0),
        ("weighting", "paper"),
        ("lr_rampdown", "yes"),
    ],
)
def test_bad_deep_lp_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        DeepLPConfig(**{field: value}).validate()


@pytest.mark.parametrize(
    ("field", "value"),
    [("margin", -0.1), ("negatives", "random"), ("positives", None), ("n_anchors", 0)],
)
def test_bad_metric_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        MetricLearningConfig(**{field: value}).validate()


def test_bad_arguments_name_the_argument():
    X = np.random.default_rng(0).normal(size=(40, 5))
    labels = np.full(40, -1)
    labels[:4] = [0, 1, 0, 1]
    cfg = DeepLPConfig(epochs=1, k=5)
    with pytest.raises(ValueError, match="labels"):
        train_deep_lp(X, labels[:30], cfg)
    with pytest.raises(ValueError, match="labels"):
        train_deep_lp(X, np.full(40, -1), cfg)
    with pytest.raises(ValueError, match="y_true"):
        train_deep_lp(X, labels, cfg, y_true=np.zeros(40, dtype=int))
    with pytest.raises(ValueError, match="cnn"):
        train_deep_lp(X, labels, DeepLPConfig(network="cnn"))
    with pytest.raises(ValueError, match="inputs"):
        train_deep_lp(np.full((40, 5), np.nan), labels, cfg)
    with pytest.raises(ValueError, match="^k must"):
        train_deep_lp(X, labels, DeepLPConfig(k=40))
    with pytest.raises(ValueError, match="config"):
        train_deep_lp(X, labels, {"epochs": 1})
    with pytest.raises(ValueError, match="progress"):
        train_deep_lp(X, labels, cfg, progress=3)
    with pytest.raises(ValueError, match="kind"):
        make_network("rnn", 5, 2)
    with pytest.raises(ValueError, match="kind"):
        load_model("rnn", 5, 2, b"")
    with pytest.raises(ValueError, match="input_shape"):
        make_network("cnn", 64, 2)
    with pytest.raises(ValueError, match="weights"):
        weighted_pseudo_label_loss(torch.zeros(3, 2), torch.zeros(3), torch.ones(2))
    with pytest.raises(ValueError, match="Z"):
        pseudo_labels(np.ones(4), [0, -1, -1, 1])
    with pytest.raises(ValueError, match="labels"):
        pseudo_labels(np.ones((4, 2)), [0, -1, -1, 5])
    with pytest.raises(ValueError, match="labels"):
        evaluate_embedding(X, np.full(40, -1))
    with pytest.raises(ValueError, match="k_euclidean"):
        train_metric_learning(X, MetricLearningConfig(k_euclidean=40))
    with pytest.raises(ValueError, match="labels_for_supervised"):
        train_metric_learning(X, MetricLearningConfig(k_euclidean=5, k_manifold=5, k=5),
                              np.zeros(40, dtype=int))


def test_propagation_on_features_edges():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4))
    labels = np.full(60, -1)
    labels[:6] = [0, 1, 2, 0, 1, 2]
    Z, pl = propagate_on_features(X, labels, k=5, edges="union")
    assert Z.shape == (60, 3) and np.all(pl.pseudo_labels >= 0)
    with pytest.raises(ValueError, match="edges"):
        propagate_on_features(X, labels, k=5, edges="mutual")
