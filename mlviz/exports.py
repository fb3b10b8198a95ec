"""Results as files a researcher takes away: the graph, the layout, scores, labels, tuples.

Each function returns the bytes of one file, in a format read without mlviz:

- the graph ``W`` as a SciPy CSR ``.npz`` (``scipy.sparse.load_npz``);
- arrays (descriptors, a fine-tuned embedding) as ``.npy`` (``numpy.load``);
- tables (the 2-D layout, ranking scores, propagated labels with certainty ω, mined tuples)
  as CSV with a header row, one row per point (or per tuple member).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from mlviz.mining import Mined


def graph_npz(W) -> bytes:
    """``W`` (any SciPy sparse matrix) as a compressed CSR ``.npz``."""
    buffer = io.BytesIO()
    sp.save_npz(buffer, sp.csr_matrix(W), compressed=True)
    return buffer.getvalue()


def array_npy(X) -> bytes:
    """A numeric array as ``.npy`` (never pickled)."""
    array = np.asarray(X)
    if array.dtype == object:
        raise ValueError("array_npy writes numeric arrays only, not objects.")
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def table_csv(columns: Mapping[str, Sequence]) -> bytes:
    """Columns of equal length as CSV: a header of their names, then one row per entry.

    Integers are written as integers, floats with 9 significant digits (float32 round-trips
    exactly), text as given (without commas or quotes).
    """
    if not columns:
        raise ValueError("table_csv needs at least one column.")
    arrays = {name: np.asarray(values) for name, values in columns.items()}
    lengths = {name: a.shape[0] for name, a in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"columns must have equal lengths, got {lengths}.")
    cells = []
    for a in arrays.values():
        if np.issubdtype(a.dtype, np.floating):
            cells.append(np.char.mod("%.9g", a))
        else:
            cells.append(a.astype(str))
    rows = np.stack(cells, axis=1) if cells[0].size else np.empty((0, len(cells)), str)
    lines = [",".join(arrays)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def layout_csv(coords, labels=None) -> bytes:
    """The 2-D layout: ``point, x, y`` (and ``label`` where known)."""
    coords = np.asarray(coords, dtype=np.float64)
    columns: dict = {"point": np.arange(coords.shape[0]), "x": coords[:, 0], "y": coords[:, 1]}
    if labels is not None:
        columns["label"] = np.asarray(labels)
    return table_csv(columns)


def tuples_csv(tuples: Sequence[Mined]) -> bytes:
    """Mined tuples in long form: ``anchor, set, rank, point``, one row per member.

    ``set`` is ``E`` (Euclidean neighbours), ``M`` (manifold neighbours), ``S+`` (hard
    positives ``M \\ E``) or ``S-`` (hard negatives ``E \\ M``); ``rank`` counts from 1 in each
    set's own order.
    """
    anchors, names, ranks, points = [], [], [], []
    for t in tuples:
        for name, members in (("E", t.euclidean), ("M", t.manifold), ("S+", t.positives),
                              ("S-", t.negatives)):
            members = np.asarray(members, dtype=np.int64)
            anchors.append(np.full(members.size, t.anchor))
            names.append(np.full(members.size, name))
            ranks.append(np.arange(1, members.size + 1))
            points.append(members)
    if not anchors:
        return b"anchor,set,rank,point\n"
    return table_csv({"anchor": np.concatenate(anchors), "set": np.concatenate(names),
                      "rank": np.concatenate(ranks), "point": np.concatenate(points)})
