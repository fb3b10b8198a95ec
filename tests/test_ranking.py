import numpy as np

from mlviz.ranking import top_k


def test_top_k_excludes_queries_and_breaks_ties_by_index():
    scores = np.array([0.5, 0.9, 0.5, 0.1])
    np.testing.assert_array_equal(top_k(scores, 4, exclude=[1]), [0, 2, 3])
    np.testing.assert_array_equal(top_k(scores, 2), [1, 0])
    np.testing.assert_array_equal(top_k(np.array([0.0, 2.0, -1.0]), 3, positive_only=True), [1])


def test_top_k_row_wise_is_a_prefix_of_a_longer_top_k():
    rng = np.random.default_rng(0)
    F = rng.integers(0, 3, size=(5, 30)).astype(float)
    long = top_k(F, 12, exclude=np.arange(5))
    np.testing.assert_array_equal(top_k(F, 4, exclude=np.arange(5)), long[:, :4])
    for row in range(5):
        order = np.lexsort((np.arange(30), -F[row]))
        np.testing.assert_array_equal(long[row], order[order != row][:12])


def test_cosine_scores_of_a_float32_zero_row_are_finite():
    from mlviz.ranking import similarity_scores

    X = np.array([[1.0, 0.0], [0.0, 0.0], [0.6, 0.8]], dtype=np.float32)
    scores = similarity_scores(X, [0], metric="cosine")
    assert np.isfinite(scores).all()
    np.testing.assert_allclose(scores[:, 0], [1.0, 0.0, 0.6], atol=1e-6)
