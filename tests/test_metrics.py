import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from mlviz.metrics import accuracy, average_precision, mean_average_precision, nmi, recall_at_k


def test_average_precision_matches_sklearn():
    rng = np.random.default_rng(0)
    for _ in range(20):
        scores = rng.random(50)
        relevant = rng.random(50) < 0.3
        if relevant.any():
            assert average_precision(scores, relevant) == pytest.approx(
                average_precision_score(relevant, scores)
            )


def test_average_precision_excludes_the_query():
    scores = np.array([1.0, 0.9, 0.8, 0.7])
    relevant = np.array([True, False, True, False])
    assert average_precision(scores, relevant, exclude=[0]) == pytest.approx(0.5)
    assert np.isnan(average_precision(scores, np.zeros(4, bool)))


def test_mean_average_precision_of_a_perfect_ranking():
    labels = np.array([0, 0, 1, 1])
    S = np.array([[1.0, 0.9, 0.1, 0.2], [0.9, 1.0, 0.2, 0.1]]).T
    assert mean_average_precision(S, labels, [0, 1]) == pytest.approx(1.0)


def test_recall_at_k():
    E = np.array([[0.0], [0.1], [1.0], [1.1], [5.0]])
    labels = np.array([0, 0, 1, 1, 0])
    r = recall_at_k(E, labels, ks=(1, 2))
    assert r[1] == pytest.approx(4 / 5)
    assert r[2] == pytest.approx(4 / 5)


def test_nmi_and_accuracy():
    E = np.concatenate([np.zeros((20, 2)), np.ones((20, 2)) * 10])
    labels = np.repeat([0, 1], 20)
    assert nmi(E, labels) == pytest.approx(1.0)
    assert accuracy([0, 1, 1], [0, 1, 0]) == pytest.approx(2 / 3)
    assert accuracy([0, 1, 1], [0, 1, 0], mask=[False, True, True]) == pytest.approx(0.5)


def test_top_k_overlap():
    from mlviz.metrics import top_k_overlap

    a = np.array([5.0, 4, 3, 2, 1])
    b = np.array([5.0, 1, 3, 2, 4])
    assert top_k_overlap(a, b, 2) == pytest.approx(0.5)
    assert top_k_overlap(a, b, 2, exclude=[0]) == pytest.approx(0.5)
    assert top_k_overlap(a, a, 3) == 1.0
