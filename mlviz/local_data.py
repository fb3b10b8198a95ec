"""A descriptor file on the machine that runs the app, named on its command line.

Researchers who run the app on their own machine can open up to 100,000 descriptors (the
upload box takes 20,000)::

    streamlit run app.py -- --data /path/to/descriptors.npy

The path comes only from the command line of whoever started the server, so a visitor of a
shared server can never make it read a file of the server's. ``.npy`` files are memory-mapped
(read as the rows are used); ``.npz`` and ``.csv`` files are read whole, with the same
arrays, columns and checks as an upload (:func:`mlviz.datasets.load_descriptors`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mlviz.datasets import DataError, Dataset, _checked_dataset, load_descriptors

LOCAL_MAX_POINTS = 100_000
"""The most points a local file may hold (an upload: :data:`mlviz.datasets.MAX_POINTS`)."""

LOCAL_MAX_FILE_MB = 2_048
"""The largest local ``.npz`` or ``.csv`` file (read whole); ``.npy`` is memory-mapped."""

SUFFIXES = ("npy", "npz", "csv")


def data_path_from_argv(argv: Sequence[str]) -> Path | None:
    """The ``--data PATH`` given to the app after ``--`` (``None`` when there is none).

    Other arguments are ignored: the app has no other command-line options.
    """
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--data", default=None)
    known, _ = parser.parse_known_args(list(argv))
    return Path(known.data).expanduser() if known.data else None


def load_descriptor_path(path: str | Path, max_points: int = LOCAL_MAX_POINTS) -> Dataset:
    """Read descriptors from a local ``.npy``, ``.npz`` or ``.csv`` file.

    Parameters
    ----------
    path : str or Path
    max_points : int
        The most rows accepted.

    Returns
    -------
    Dataset
        As :func:`mlviz.datasets.load_descriptors` returns for the same file's bytes.

    Raises
    ------
    DataError
        With a message for the user: a missing file, an unknown suffix, or anything an upload
        of the same file would be refused for.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"{path} is not a file on this machine; check the path given after "
                        "--data on the command line.")
    ext = path.suffix.lower().lstrip(".")
    if ext not in SUFFIXES:
        raise DataError(f"{path.name}: unsupported file type; give a .npy, .npz or .csv file.")
    if ext == "npy":
        try:
            X = np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError as exc:
            reason = ("it holds a pickled (object) array, which is not loaded for safety"
                      if "pickle" in str(exc).lower() or "object" in str(exc).lower()
                      else f"it is not a valid .npy file ({exc})")
            raise DataError(f"{path.name}: {reason}. Save a plain float array: "
                            "np.save(path, X.astype('float32')).") from None
        return _checked_dataset(path.name, X, None, None, max_points)
    return load_descriptors(path.read_bytes(), path.name, max_points,
                            max_file_mb=LOCAL_MAX_FILE_MB)
