"""Descriptor files named on the app's command line (up to 100,000 points)."""

from pathlib import Path

import numpy as np
import pytest

from mlviz.datasets import DataError
from mlviz.local_data import LOCAL_MAX_POINTS, data_path_from_argv, load_descriptor_path


def test_the_path_comes_from_data_after_the_double_dash():
    assert data_path_from_argv(["app.py", "--data", "/tmp/x.npy"]) == Path("/tmp/x.npy")
    assert data_path_from_argv(["app.py", "--data=/tmp/y.npz", "--other", "1"]) == Path(
        "/tmp/y.npz")
    assert data_path_from_argv(["app.py"]) is None


def test_a_100k_npy_loads_memory_mapped_and_whole(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(LOCAL_MAX_POINTS, 8)).astype(np.float32)
    np.save(tmp_path / "big.npy", X)
    d = load_descriptor_path(tmp_path / "big.npy")
    assert d.n == 100_000 and d.dim == 8 and d.name == "big.npy"
    np.testing.assert_array_equal(d.X, X.astype(np.float64))


def test_npz_with_labels_reads_as_an_upload_would(tmp_path):
    X = np.random.default_rng(1).normal(size=(30_000, 4))
    labels = np.arange(30_000) % 3
    np.savez(tmp_path / "set.npz", X=X, labels=labels)
    d = load_descriptor_path(tmp_path / "set.npz")
    assert d.n == 30_000 and d.n_classes == 3
    np.testing.assert_array_equal(d.labels, labels)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: None, "is not a file on this machine"),
        (lambda p: p.write_text("1,2\n3,4\n"), "unsupported file type"),
        (lambda p: np.save(p, np.array([{"a": 1}] * 5, dtype=object)), "pickled"),
        (lambda p: np.save(p, np.zeros((LOCAL_MAX_POINTS + 1, 2), np.float32)), "at most 100,000"),
    ],
    ids=["missing", "suffix", "pickle", "too-many"],
)
def test_unusable_files_are_refused_with_what_to_do(tmp_path, make, words):
    name = "data.txt" if words == "unsupported file type" else "data.npy"
    path = tmp_path / name
    make(path)
    with pytest.raises(DataError, match=words):
        load_descriptor_path(path)


def test_a_server_file_is_not_described_as_uploaded(tmp_path):
    path = tmp_path / "d.npy"
    np.save(path, np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32))
    assert not load_descriptor_path(path).description.startswith("Uploaded")
