"""Rotation orbits: digits turned through a full turn, and diffusion's lead over cosine on them."""

import numpy as np
import pytest

from mlviz.datasets import REAL, load_real
from mlviz.graph import build_knn_graph
from mlviz.image_sets import ORBIT_K, orbit_images, rotation_orbits
from mlviz.ranking import map_over_queries


@pytest.fixture(scope="module")
def orbits():
    return rotation_orbits()


def test_the_shipped_set_is_labelled_by_class_and_angle(orbits):
    d = orbits
    assert "rotation orbits" in REAL and d.name == "rotation orbits"
    assert d.X.shape == (1800, 576) and d.images.shape == (1800, 24, 24)
    np.testing.assert_array_equal(np.bincount(d.labels), np.full(10, 180))
    assert d.class_names == tuple("0123456789")
    angle, orbit = d.extras["angle"], d.extras["orbit"]
    np.testing.assert_array_equal(angle[:36], np.arange(36) * 10.0)
    assert np.unique(orbit).size == 50 and np.all(np.bincount(orbit) == 36)
    for o in range(50):  # one digit per orbit: one class
        assert np.unique(d.labels[orbit == o]).size == 1
    np.testing.assert_array_equal(d.X, d.images.reshape(1800, -1))
    assert d.X.min() >= 0 and d.X.max() <= 1
    assert d.default_kernel == "cosine" and d.default_k == ORBIT_K == 5


def test_load_real_ships_it():
    d = load_real("rotation orbits")
    np.testing.assert_array_equal(d.X, rotation_orbits().X)


def test_views_are_the_padded_image_turned():
    rng = np.random.default_rng(0)
    img = rng.random((2, 6, 6))
    views = orbit_images(img, 4, zoom=1, pad=2)
    assert views.shape == (2, 4, 10, 10)
    padded = np.pad(img, ((0, 0), (2, 2), (2, 2)))
    np.testing.assert_allclose(views[:, 0], padded, atol=1e-6)
    # a quarter turn is np.rot90 (counter-clockwise); half a turn, two of them
    np.testing.assert_allclose(views[:, 1], np.rot90(padded, 1, axes=(1, 2)), atol=1e-5)
    np.testing.assert_allclose(views[:, 2], np.rot90(padded, 2, axes=(1, 2)), atol=1e-5)


def test_padding_keeps_the_corners_in_the_frame():
    """With pad ≥ (√2 − 1)/2 · 16 ≈ 3.3, a 16×16 image turned by 45° loses no ink."""
    img = np.ones((1, 8, 8))
    views = orbit_images(img, 8, zoom=2, pad=4)
    mass = views.sum(axis=(2, 3))[0]
    np.testing.assert_allclose(mass, mass[0], rtol=0.02)
    cut = orbit_images(img, 8, zoom=2, pad=0).sum(axis=(2, 3))[0]
    assert cut[1] < 0.9 * cut[0]  # without padding, 45° cuts the corners off


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="shape"):
        orbit_images(np.ones((4, 4)), 4)
    with pytest.raises(ValueError, match="pad"):
        orbit_images(np.ones((1, 4, 4)), 4, pad=-1)
    with pytest.raises(ValueError, match="per_class"):
        rotation_orbits(per_class=1000)


def test_diffusion_walks_the_orbits_where_cosine_does_not(orbits):
    """mAP over 300 queries, class relevance, reciprocal 5-NN cosine graph, α = 0.99.

    Measured (README): cosine 0.257, diffusion 0.625. The margin held here, 0.3, leaves
    room for other kNN back-ends' ties; the issue's 10 × 24 set measured 0.234 against 0.693.
    """
    d = orbits
    g = build_knn_graph(d.X, ORBIT_K, edges="reciprocal", kernel="cosine")
    m = map_over_queries(d.X, g.W_norm, d.labels, 0.99, n_queries=300, metric="cosine")
    assert m.n_queries == 300
    assert m.euclidean == pytest.approx(0.257, abs=0.02)
    assert m.manifold == pytest.approx(0.625, abs=0.03)
    assert m.manifold - m.euclidean > 0.3
