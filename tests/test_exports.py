"""Files a researcher downloads read back, without mlviz, to what the app computed."""

import io

import numpy as np
import pytest
import scipy.sparse as sp

from mlviz.exports import array_npy, graph_npz, layout_csv, table_csv, tuples_csv
from mlviz.graph import knn_graph
from mlviz.mining import Mined


def read_csv(data: bytes):
    lines = data.decode().splitlines()
    return lines[0].split(","), [line.split(",") for line in lines[1:]]


def test_graph_reads_back_with_scipy_exactly():
    X = np.random.default_rng(0).normal(size=(200, 5))
    W = knn_graph(X, 8)
    back = sp.load_npz(io.BytesIO(graph_npz(W)))
    assert back.format == "csr" and back.shape == W.shape
    assert (back != W).nnz == 0


def test_arrays_read_back_with_numpy_and_objects_are_refused():
    X = np.random.default_rng(1).normal(size=(50, 3)).astype(np.float32)
    np.testing.assert_array_equal(np.load(io.BytesIO(array_npy(X))), X)
    with pytest.raises(ValueError, match="numeric"):
        array_npy(np.array([{}, {}], dtype=object))


def test_float32_values_round_trip_through_csv():
    x = np.random.default_rng(2).normal(size=100).astype(np.float32)
    header, rows = read_csv(table_csv({"point": np.arange(100), "score": x}))
    assert header == ["point", "score"]
    assert [int(r[0]) for r in rows] == list(range(100))
    np.testing.assert_array_equal(np.array([float(r[1]) for r in rows], np.float32), x)


def test_unequal_columns_are_refused():
    with pytest.raises(ValueError, match="equal lengths"):
        table_csv({"a": [1, 2], "b": [1]})


def test_layout_has_a_row_per_point_with_its_label():
    coords = np.array([[0.5, -1.0], [2.0, 3.25]])
    header, rows = read_csv(layout_csv(coords, np.array([1, 0])))
    assert header == ["point", "x", "y", "label"]
    assert rows == [["0", "0.5", "-1", "1"], ["1", "2", "3.25", "0"]]


def test_tuples_list_every_member_of_every_set_in_order():
    t = Mined(7, np.array([3, 1]), np.array([1, 9, 4]), np.array([9, 4]), np.array([3]))
    header, rows = read_csv(tuples_csv([t, Mined(2, np.array([5]), np.array([5]),
                                                 np.array([], int), np.array([], int))]))
    assert header == ["anchor", "set", "rank", "point"]
    assert rows[:8] == [["7", "E", "1", "3"], ["7", "E", "2", "1"], ["7", "M", "1", "1"],
                        ["7", "M", "2", "9"], ["7", "M", "3", "4"], ["7", "S+", "1", "9"],
                        ["7", "S+", "2", "4"], ["7", "S-", "1", "3"]]
    assert rows[8:] == [["2", "E", "1", "5"], ["2", "M", "1", "5"]]
