"""The talk's CUB-200 table in miniature (mlviz.deep.transfer): descriptors learned on digits
0–3, fine-tuned on digits 4–9 with tuples mined on their manifold, without labels."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from mlviz.datasets import load_real
from mlviz.deep import MetricLearningConfig, train_metric_learning
from mlviz.deep.networks import FeatureEmbedding, make_network
from mlviz.deep.transfer import (
    MINIATURE,
    SourceConfig,
    TransferMiniature,
    run_miniature,
    split_classes,
)


@pytest.fixture(scope="module")
def digits_data():
    return load_real("digits")


@pytest.mark.slow
def test_mined_tuples_beat_the_initial_descriptors_and_the_labels_beat_both(digits_data):
    """The claim, on one fixed seed (about 10 s of CPU).

    Measured with these settings (one thread), R@1 initial / Euclidean-mined /
    manifold-mined / supervised, seed 0: 0.736 / 0.807 / 0.857 / 0.968; mean of seeds 0–4:
    0.758 / 0.815 / 0.837 / 0.973 (``benchmarks/_fidelity_metric.py``). The mined run beats
    the Euclidean one in 4 seeds of 5 (by 2.2 points on average): not asserted.
    """
    d = digits_data
    runs = run_miniature(d.X, d.labels, replace(MINIATURE, seed=0, num_threads=1, device="cpu"))
    initial = runs["manifold"].before["R@1"]
    mined, euclidean = runs["manifold"].after["R@1"], runs["euclidean"].after["R@1"]
    assert euclidean > initial
    supervised = runs["supervised"].after["R@1"]
    assert initial < 0.8, initial  # weak on classes the network never saw (pixels: 0.99)
    assert mined > initial + 0.08, (initial, mined)
    assert supervised > max(mined, euclidean) + 0.1, (supervised, mined)
    # the three runs started from the same network: the same initial descriptors
    for kind in ("euclidean", "supervised"):
        np.testing.assert_array_equal(runs[kind].initial_embedding,
                                      runs["manifold"].initial_embedding)
        assert runs[kind].before == runs["manifold"].before


def test_split_classes():
    labels = np.repeat(np.arange(10), 3)
    source, target = split_classes(labels)
    np.testing.assert_array_equal(source, [0, 1, 2, 3])
    np.testing.assert_array_equal(target, [4, 5, 6, 7, 8, 9])
    source, target = split_classes(labels, (9, 2))
    np.testing.assert_array_equal(source, [2, 9])
    assert target.size == 8
    with pytest.raises(ValueError, match="at least 4 classes"):
        split_classes(np.repeat(np.arange(3), 5))
    with pytest.raises(ValueError, match="not classes"):
        split_classes(labels, (0, 11))
    with pytest.raises(ValueError, match="at least 2 classes on each side"):
        split_classes(labels, tuple(range(9)))


@pytest.mark.parametrize(("field", "value"), [("epochs", 0), ("embedding_dim", -1),
                                              ("lr", 0.0), ("source_classes", "0,1")])
def test_bad_source_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        SourceConfig(**{field: value}).validate()


def test_the_source_network_is_trained_once_on_the_source_classes_only(digits_data):
    d = digits_data
    mini = TransferMiniature(d.X, d.labels, MetricLearningConfig(epochs=1, num_threads=1),
                             SourceConfig(epochs=1))
    assert mini.network() is mini.network()
    assert set(np.unique(mini.y_target)) == {4, 5, 6, 7, 8, 9}
    assert mini.X_target.shape == (int(np.sum(d.labels >= 4)), 64)
    # its classifier has 4 outputs: it never saw a target class
    assert mini.network().body.classifier.out_features == 4
    with pytest.raises(ValueError, match="kind"):
        mini.run("random")


def test_fine_tuning_a_given_network_leaves_it_untouched_and_starts_from_it():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (60, 10)), rng.normal(1.5, 1, (60, 10))])
    y = np.repeat([0, 1], 60)
    net = FeatureEmbedding(make_network("mlp", 10, 2, seed=0, embedding_dim=8, hidden=16))
    net.body.fit_input_scaling(X)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    cfg = MetricLearningConfig(epochs=2, k=5, k_euclidean=10, k_manifold=10, num_threads=1,
                               device="cpu")
    result = train_metric_learning(X, cfg, y_true=y, network=net)
    for k, v in net.state_dict().items():
        torch.testing.assert_close(v, before[k])
    net.eval()
    with torch.no_grad():
        start = net(torch.as_tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(result.initial_embedding, start, atol=1e-6)
    assert result.embedding.shape == (120, 8)
    assert not np.allclose(result.embedding, start)
    with pytest.raises(ValueError, match="network"):
        train_metric_learning(X, cfg, network="resnet")
