"""The two loss weightings of deep label propagation: the talk's and the authors' code's.

The talk (and the paper) weight a labelled point 1 and an unlabelled one ``ω_i ζ_ŷi`` with
``ζ_j = (|L_j| + |U_j|)^-1``; the authors' code (ahmetius/LP-DeepSSL) divides ``ω`` by its
maximum, scales ``ζ`` by ``N / c``, weights labelled points by ``ζ`` too and averages the
loss over batches half labelled, half not.
"""

import numpy as np
import pytest
import torch

from mlviz.datasets import load_real
from mlviz.deep import DeepLPConfig, train_deep_lp
from mlviz.deep.batches import MixedBatches, weight_ratio
from mlviz.deep.losses import loss_terms, weighted_pseudo_label_loss
from mlviz.propagation import WEIGHTINGS, certainty, pseudo_labels, sample_labelled

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
LABELS = np.array([0, -1, 2, -1, -1, -1])


def test_the_authors_weighting_in_closed_form():
    talk = pseudo_labels(Z, LABELS, "talk")
    authors = pseudo_labels(Z, LABELS, "authors")
    omega = certainty(Z)
    # pseudo-labels 0, 1, 2, 2, 1, -1: 5 points with a label, c = 3 -> N / c = 5 / 3
    zeta = np.array([1 / 1, 1 / 2, 1 / 2]) * 5 / 3
    omega_tilde = omega / omega.max()
    expected = np.array([zeta[0], omega_tilde[1] * zeta[1], zeta[2], omega_tilde[3] * zeta[2],
                         omega_tilde[4] * zeta[1], 0.0])
    np.testing.assert_array_equal(authors.pseudo_labels, talk.pseudo_labels)
    np.testing.assert_allclose(authors.class_weights, zeta, atol=1e-12)
    np.testing.assert_allclose(authors.certainty, omega_tilde, atol=1e-12)
    np.testing.assert_allclose(authors.weights, expected, atol=1e-12)
    # the talk's: labelled points weigh 1, ζ_j = (|L_j| + |U_j|)^-1, ω not rescaled
    np.testing.assert_allclose(talk.class_weights, [1, 1 / 2, 1 / 2], atol=1e-12)
    np.testing.assert_allclose(talk.certainty, omega, atol=1e-12)
    assert talk.weights[0] == talk.weights[2] == 1.0


def test_the_authors_class_weights_average_one_and_certainty_peaks_at_one():
    rng = np.random.default_rng(0)
    n, c = 500, 7
    scores = rng.gamma(0.3, size=(n, c))
    labels = np.full(n, -1)
    labels[:c * 3] = np.repeat(np.arange(c), 3)
    pl = pseudo_labels(scores, labels, "authors")
    assert np.all(pl.pseudo_labels >= 0) and np.bincount(pl.pseudo_labels).size == c
    assert pl.class_weights[pl.pseudo_labels].mean() == pytest.approx(1.0, abs=1e-12)
    assert pl.certainty.max() == pytest.approx(1.0, abs=1e-12)
    talk = pseudo_labels(scores, labels, "talk")
    np.testing.assert_allclose(pl.class_weights, talk.class_weights * n / c, rtol=1e-12)
    assert talk.class_weights[talk.pseudo_labels].mean() == pytest.approx(c / n)


@pytest.mark.parametrize("bad", ["paper", "Authors", None, 1])
def test_a_bad_weighting_is_refused_with_a_clear_message(bad):
    message = r"weighting must be 'talk' .* or 'authors' .*ahmetius/LP-DeepSSL"
    with pytest.raises(ValueError, match=message):
        pseudo_labels(Z, LABELS, bad)
    with pytest.raises(ValueError, match=message):
        DeepLPConfig(weighting=bad).validate()
    with pytest.raises(ValueError, match=message):
        MixedBatches(LABELS, 4, 2, 0, bad)
    assert WEIGHTINGS == ("talk", "authors")


def test_batches_balance_and_normalization():
    assert DeepLPConfig(weighting="talk").labelled_batch() == 16
    assert DeepLPConfig(weighting="authors").labelled_batch() == 32  # half labelled, as 50 + 50
    assert DeepLPConfig(weighting="authors", labelled_per_batch=8).labelled_batch() == 8
    assert DeepLPConfig(weighting="talk", batch_size=8).validate().labelled_batch() == 4
    with pytest.raises(ValueError, match="labelled_per_batch"):
        DeepLPConfig(weighting="authors", labelled_per_batch=64).validate()

    labels = np.full(110, -1)
    labels[:10] = np.arange(10) % 5  # |L| = 10, |U| = 100
    w = np.linspace(0.1, 1.0, 110)
    talk = MixedBatches(labels, 30, 10, seed=0, normalization="talk")
    batches, weights = talk.epoch(w)
    assert len(batches) == 5  # one pass over U, 20 at a time
    for idx, v in zip(batches, weights):
        np.testing.assert_allclose(v[:10], 1 / 10, rtol=1e-6)
        np.testing.assert_allclose(v[10:], 100 / (10 * 20) * w[idx[10:]], rtol=1e-6)
    authors = MixedBatches(labels, 30, 10, seed=0, normalization="authors")
    batches, weights = authors.epoch(w)
    for idx, v in zip(batches, weights):
        assert np.all(labels[idx[:10]] >= 0) and np.all(labels[idx[10:]] < 0)
        np.testing.assert_allclose(v, w[idx] / idx.size, rtol=1e-6)
    # supervised epochs are the same under both: the mean over b_L labelled points
    for sampler in (talk, authors):
        _, weights = sampler.epoch(None)
        assert all(np.allclose(v, 1 / 10) and v.size == 10 for v in weights)
        assert weight_ratio(weights, 10) == 0.0


def test_weight_ratio_in_closed_form():
    steps = [np.array([0.5, 0.5, 0.2, 0.1]), np.array([1.0, 1.0, 1.0, 3.0])]
    # (0.3 / 1.0 + 4.0 / 2.0) / 2
    assert weight_ratio(steps, 2) == pytest.approx((0.3 + 2.0) / 2)
    assert np.isnan(weight_ratio([], 2))


def test_loss_terms_add_up_to_the_loss():
    rng = np.random.default_rng(1)
    logits = torch.tensor(rng.normal(size=(6, 3)))
    targets = torch.tensor([0, 2, 1, 1, -1, 0])
    weights = torch.tensor([0.5, 0.5, 0.2, 0.3, 0.9, 0.1])
    t_s, t_w = loss_terms(logits, targets, weights, 2)
    total = weighted_pseudo_label_loss(logits, targets, weights, normalizer=1.0)
    assert (t_s + t_w).item() == pytest.approx(total.item(), rel=1e-12)
    head = weighted_pseudo_label_loss(logits[:2], targets[:2], weights[:2], normalizer=1.0)
    assert t_s.item() == pytest.approx(head.item(), rel=1e-12)
    with pytest.raises(ValueError, match="n_labelled"):
        loss_terms(logits, targets, weights, 7)


@pytest.mark.slow
def test_the_authors_weighting_gives_the_pseudo_labels_more_weight():
    """Measured on digits, 10 labels per class: the pseudo-label weight per step is 0.07 to
    0.09 of the labelled weight under the talk's weighting, 0.87 to 0.94 under the
    authors' (the issue quotes 0.069 and 0.43); with the cross-entropies, 0.2 against 4.5
    here after two warm-up epochs."""
    digits = load_real("digits")
    labels = sample_labelled(digits.labels, 10, seed=0)
    ratios = {}
    for weighting in WEIGHTINGS:
        config = DeepLPConfig(epochs=3, warmup_epochs=2, k=10, seed=0, num_threads=1,
                              weighting=weighting, record_features=False)
        history = train_deep_lp(digits.images, labels, config)
        lp = history.epochs[-1]
        assert lp.phase == "label propagation"
        assert lp.supervised_term > 0 and lp.pseudo_label_term > 0
        ratios[weighting] = (lp.weight_ratio, lp.pseudo_label_term / lp.supervised_term)
    assert 0.03 < ratios["talk"][0] < 0.15, ratios
    assert 0.3 < ratios["authors"][0] < 1.2, ratios
    assert ratios["authors"][0] > 4 * ratios["talk"][0], ratios
    assert ratios["authors"][1] > 4 * ratios["talk"][1], ratios


def test_cosine_rampdown_of_the_learning_rate():
    config = DeepLPConfig(epochs=12, lr=0.01)
    assert config.learning_rate(0) == pytest.approx(0.01)
    # T = 7/6 E = 14 epochs: at t = 7 (half of T) the rate is halved, at t = E it is
    # 0.5 (1 + cos(6π/7)) = 0.0495 of lr (the authors' 180 of 210)
    assert config.learning_rate(7) == pytest.approx(0.005)
    assert config.learning_rate(12) == pytest.approx(0.01 * 0.5 * (1 + np.cos(6 * np.pi / 7)))
    rates = [config.learning_rate(t) for t in np.linspace(0, 12, 50)]
    assert np.all(np.diff(rates) < 0)
    flat = DeepLPConfig(epochs=12, lr=0.01, lr_rampdown=False)
    assert flat.learning_rate(0) == flat.learning_rate(11.5) == 0.01
    with pytest.raises(ValueError, match="lr_rampdown must be True or False"):
        DeepLPConfig(lr_rampdown=1).validate()
