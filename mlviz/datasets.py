"""Data sets: toy manifolds, small real sets shipped with scikit-learn, and descriptor files.

Every loader returns a :class:`Dataset`. Toy manifolds are seeded; descriptor files are
validated with messages that say what is wrong and what to do.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field, replace

import numpy as np

from mlviz._validation import check_positive_int

MAX_POINTS = 20_000
"""The app's limit on points in one data set (graph, layout and animation stay interactive)."""
MAX_FEATURES = 4096
MAX_FILE_MB = 50


class DataError(ValueError):
    """A data set cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Dataset:
    """Points to explore.

    Attributes
    ----------
    name : str
    X : ndarray of shape (n, d), float64
        Features: the graph is always built on these.
    labels : ndarray of shape (n,), int64, or None
        Ground-truth classes ``0..c-1`` where known.
    coords : ndarray of shape (n, 2) or None
        2-D coordinates to draw with (given by the file, or ``X`` itself when ``d == 2``).
    class_names : tuple of str
    images : ndarray of shape (n, h, w) or (n, h, w, 3), or None
        Pixels for image data sets (digits, rotation orbits, a file's ``images``): the
        thumbnails, and the small CNN's input when one-channel.
    description : str
    default_kernel : str
    default_k : int or None
        The k its graph is best drawn with, where it differs from the sidebar's default.
    extras : dict of str to ndarray of shape (n,)
        More numbers per point, shown with it (e.g. rotation orbits' ``angle``).
    warnings : tuple of str
        What was left out while loading (e.g. a file's unusable ``images``), for the user.
    """

    name: str
    X: np.ndarray
    labels: np.ndarray | None = None
    coords: np.ndarray | None = None
    class_names: tuple[str, ...] = ()
    images: np.ndarray | None = None
    description: str = ""
    default_kernel: str = field(default="gaussian")
    default_k: int | None = None
    extras: dict = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def dim(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        return 0 if self.labels is None else int(self.labels.max()) + 1


TOY = ("two moons", "circles", "two spirals", "swiss roll", "S-curve", "blobs")
REAL = ("digits", "rotation orbits", "iris", "wine", "breast cancer")


def make_toy(name: str, n: int = 600, noise: float = 0.06, seed: int = 0) -> Dataset:
    """A seeded toy manifold.

    ``"two moons"``, ``"circles"``, ``"two spirals"`` (2-D), ``"swiss roll"``, ``"S-curve"``
    (3-D, coloured by position along the roll), ``"blobs"`` (2-D, 3 classes).
    ``noise`` is the standard deviation of added Gaussian noise relative to the manifold's
    scale (for the spirals, to the spacing of their arms).
    """
    from sklearn import datasets as skd

    n = check_positive_int(n, "n", minimum=10)
    if n > MAX_POINTS:
        raise DataError(f"n must be at most {MAX_POINTS:,}, got {n:,}.")
    if not 0 <= noise <= 1:
        raise DataError(f"noise must be in [0, 1], got {noise}.")
    rng = np.random.default_rng(seed)
    rs = int(rng.integers(2**31 - 1))
    if name == "two moons":
        X, y = skd.make_moons(n, noise=noise, random_state=rs)
        desc = "Two interleaving half circles: close in space, far along the manifold."
    elif name == "circles":
        X, y = skd.make_circles(n, noise=noise, factor=0.5, random_state=rs)
        desc = "Two concentric circles."
    elif name == "two spirals":
        X, y = _two_spirals(n, noise, rng)
        desc = "Two interleaved spirals, the classic case where Euclidean neighbours mislead."
    elif name == "swiss roll":
        X, t = skd.make_swiss_roll(n, noise=noise * 10, random_state=rs)
        X = X / 10.0
        y = np.digitize(t, np.quantile(t, [0.25, 0.5, 0.75]))
        desc = "A 2-D sheet rolled up in 3-D; classes are quarters along the roll."
    elif name == "S-curve":
        X, t = skd.make_s_curve(n, noise=noise, random_state=rs)
        y = np.digitize(t, np.quantile(t, [0.25, 0.5, 0.75]))
        desc = "A 2-D sheet bent into an S in 3-D; classes are quarters along the curve."
    elif name == "blobs":
        X, y = skd.make_blobs(n, centers=3, cluster_std=1.0 + 10 * noise, random_state=rs)
        desc = "Three Gaussian blobs."
    else:
        raise DataError(f"unknown toy data set {name!r}; choose one of {', '.join(TOY)}.")
    X = np.asarray(X, dtype=np.float64)
    coords = X if X.shape[1] == 2 else None
    classes = tuple(f"class {c}" for c in range(int(y.max()) + 1))
    return Dataset(name, X, y.astype(np.int64), coords, classes, None, desc, "gaussian")


def _two_spirals(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    half = n // 2
    sizes = (half, n - half)
    pts, labels = [], []
    for c, m in enumerate(sizes):
        t = np.sqrt(rng.uniform(0.05, 1.0, m)) * 3 * np.pi
        xy = np.stack([t * np.cos(t), t * np.sin(t)], 1) / (3 * np.pi)
        if c == 1:
            xy = -xy
        pts.append(xy + 0.3 * noise * rng.standard_normal((m, 2)))
        labels.append(np.full(m, c))
    return np.concatenate(pts), np.concatenate(labels)


def load_real(name: str) -> Dataset:
    """A small real data set that ships with scikit-learn (no download)."""
    from sklearn import datasets as skd

    if name == "rotation orbits":
        from mlviz.image_sets import rotation_orbits

        return rotation_orbits()
    if name == "digits":
        d = skd.load_digits()
        return Dataset(
            "digits", d.data.astype(np.float64), d.target.astype(np.int64), None,
            tuple(str(c) for c in d.target_names), d.images.astype(np.float32),
            "1,797 handwritten digits, 8×8 pixels (64 features), 10 classes.", "cosine",
        )
    loaders = {
        "iris": (skd.load_iris, "150 iris flowers, 4 measurements, 3 species."),
        "wine": (skd.load_wine, "178 wines, 13 chemical measurements, 3 cultivars."),
        "breast cancer": (
            skd.load_breast_cancer, "569 tumours, 30 features, malignant or benign.",
        ),
    }
    if name not in loaders:
        raise DataError(f"unknown data set {name!r}; choose one of {', '.join(REAL)}.")
    loader, desc = loaders[name]
    d = loader()
    X = d.data.astype(np.float64)
    X = (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1.0)
    return Dataset(
        name, X, d.target.astype(np.int64), None, tuple(str(c) for c in d.target_names),
        None, desc + " Features standardized.", "gaussian",
    )


def load_descriptors(data: bytes, filename: str, max_points: int = MAX_POINTS,
                     max_file_mb: float = MAX_FILE_MB) -> Dataset:
    """Read the user's descriptors from ``.npy``, ``.npz`` or ``.csv`` bytes.

    - ``.npy``: an ``n × d`` float array.
    - ``.npz``: arrays ``X`` (required, ``n × d``), ``labels`` (optional: the ground-truth
      class of every row, ``n`` integers), ``coords`` (optional, ``n × 2``), ``images``
      (optional, ``n × h × w`` or ``n × h × w × 3``, uint8 or float in [0, 1]; unusable ones
      are left out with a warning, :func:`mlviz.images.check_images`).
    - ``.csv``: ``n`` rows of ``d`` numbers; an optional header row; a column named
      ``label`` holds labels, columns ``x2d``/``y2d`` hold 2-D coordinates.

    Pickled (object) arrays are refused. Raises :class:`DataError` with a message for the
    user on anything that cannot be used.
    """
    name = filename.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if len(data) > max_file_mb * 2**20:
        raise DataError(
            f"{name} is {len(data) / 2**20:.0f} MB; the limit is {max_file_mb:g} MB. "
            "Subsample the rows or reduce the dimension (e.g. PCA) first."
        )
    images = None
    if ext == "npy":
        X, labels, coords = _read_npy(data, name), None, None
    elif ext == "npz":
        X, labels, coords, images = _read_npz(data, name)
    elif ext == "csv":
        X, labels, coords = _read_csv(data, name)
    else:
        raise DataError(f"{name}: unsupported file type; upload a .npy, .npz or .csv file.")
    d = _checked_dataset(name, X, labels, coords, max_points, csv=ext == "csv")
    from mlviz.images import check_images

    images, problem = check_images(images, d.n, name)
    return replace(d, images=images, warnings=(problem,) if problem else ())


def _read_npy(data: bytes, name: str) -> np.ndarray:
    if not data.startswith(b"\x93NUMPY"):
        raise DataError(f"{name} is not a .npy file (it lacks NumPy's header). Save the array "
                        "with np.save(path, X), or upload a .csv.")
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise DataError(
                f"{name} holds a pickled (object) array, which is not loaded for safety. "
                "Save a plain float array: np.save(path, X.astype('float32'))."
            ) from None
        raise DataError(f"{name} is not a valid .npy file: {exc}") from None
    except Exception as exc:
        raise DataError(f"{name} is not a valid .npy file ({type(exc).__name__}).") from None


def _read_npz(data: bytes, name: str):
    if not data.startswith(b"PK"):
        raise DataError(f"{name} is not a .npz file (not a zip archive). Save the arrays with "
                        "np.savez(path, X=X, labels=labels), or upload a .csv.")
    try:
        archive = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError):
        raise DataError(f"{name} could not be read as a .npz archive of plain arrays; save it "
                        "again with np.savez(path, X=X, labels=labels).") from None
    with archive:
        keys = list(archive.keys())
        # 'arr_0': what np.savez(path, X) calls a lone array passed without a name
        key = "X" if "X" in keys else ("arr_0" if keys == ["arr_0"] else None)
        if key is None:
            raise DataError(
                f"{name} has arrays {keys}, none named 'X'. The app reads 'X' (the n × d "
                "descriptors), 'labels' (optional, n class ids) and 'coords' (optional, n × 2): "
                "np.savez(path, X=X, labels=labels, coords=coords)."
            )
        try:
            X = archive[key]
            labels = archive["labels"] if "labels" in keys else None
            coords = archive["coords"] if "coords" in keys else None
        except ValueError:
            raise DataError(
                f"{name} holds a pickled (object) array, which is not loaded for safety. "
                "Save plain numeric arrays."
            ) from None
        try:  # unusable images leave the descriptors loaded (check_images says why)
            images = archive["images"] if "images" in keys else None
        except ValueError:
            images = np.empty(0, dtype=object)  # pickled: refused for its dtype
    return X, labels, coords, images


def _read_csv(data: bytes, name: str):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{name} is not UTF-8 text; save it as a plain UTF-8 CSV.") from None
    try:
        delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","  # one column, or nothing to tell: commas
    try:
        rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
                if any(cell.strip() for cell in r)]
    except csv.Error as exc:
        raise DataError(f"{name} is not a readable CSV file ({exc}); save it as plain "
                        "comma-separated text, one point per line.") from None
    if not rows:
        raise DataError(f"{name} is empty.")
    header = None
    if not _all_numeric(rows[0]):
        header = [h.strip().lower() for h in rows[0]]
        rows = rows[1:]
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        raise DataError(f"{name}: rows have different numbers of columns ({sorted(widths)}).")
    try:
        table = np.array([[float(c) if c.strip() else np.nan for c in r] for r in rows])
    except ValueError:
        row, col, bad = next((i, j, c) for i, r in enumerate(rows) for j, c in enumerate(r)
                             if c.strip() and not _is_number(c))
        where = f"row {row + 1 + (header is not None)}, column {col + 1}"
        if header is not None and header[col] == "label":
            raise DataError(
                f"{name}: the label column holds {bad[:30]!r} ({where}); labels must be "
                "integer class ids (0, 1, 2, ...). Replace each class name by a number."
            ) from None
        hint = ""
        if "," in bad and delimiter != ",":
            hint = " It looks like decimal commas: write numbers with a decimal point."
        elif any(sep in bad for sep in ",;\t"):
            hint = " Separate the columns with commas."
        raise DataError(
            f"{name} has a non-numeric value {bad[:30]!r} ({where}); every cell must be a "
            f"number (a header row is allowed).{hint}"
        ) from None
    if table.size == 0:
        raise DataError(f"{name} has no data rows.")
    labels = coords = None
    if header is not None:
        cols = np.arange(table.shape[1])
        special = {h: i for i, h in enumerate(header)}
        take = np.ones(table.shape[1], dtype=bool)
        if "label" in special:
            labels = table[:, special["label"]]
            take[special["label"]] = False
        if "x2d" in special and "y2d" in special:
            coords = table[:, [special["x2d"], special["y2d"]]]
            take[[special["x2d"], special["y2d"]]] = False
        table = table[:, cols[take]]
    return table, labels, coords


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _all_numeric(row: list[str]) -> bool:
    return all(_is_number(c) for c in row if c.strip())


def _checked_dataset(name, X, labels, coords, max_points, csv: bool = False) -> Dataset:
    X = np.asarray(X)
    if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise DataError(f"{name}: descriptors must be numbers, got dtype {X.dtype}.")
    if np.iscomplexobj(X):
        raise DataError(f"{name}: descriptors must be real numbers, not complex.")
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise DataError(f"{name}: descriptors must be a 2-D array (n × d), got shape {X.shape}.")
    n, d = X.shape
    if n < 3:
        raise DataError(f"{name} has {n} row(s); a graph needs at least 3 points.")
    if n > max_points:
        raise DataError(
            f"{name} has {n:,} points; the app accepts at most {max_points:,}. "
            "Subsample the rows first."
        )
    if d > MAX_FEATURES:
        raise DataError(
            f"{name} has {d:,} dimensions; the app accepts at most {MAX_FEATURES:,}. "
            "Reduce them first (e.g. PCA)."
        )
    X = X.astype(np.float64)
    finite = np.isfinite(X).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise DataError(
            f"{name} has NaN or infinite values in {bad.size} row(s) (first: "
            + (f"data row {bad[0] + 1}, counting from 1, a header row excluded). " if csv else
               f"row {bad[0] + 1} of the array, counting from 1). ")
            + "Remove or impute those rows."
        )
    if np.ptp(X, axis=0).max() == 0:
        raise DataError(f"{name}: all rows are identical; there is no structure to explore.")
    lab = None
    names: tuple[str, ...] = ()
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.shape[0] != n:
            raise DataError(
                f"{name}: labels must have one entry per row ({n}), got shape {labels.shape}."
            )
        if not np.issubdtype(labels.dtype, np.number) or not np.all(np.isfinite(labels)):
            raise DataError(f"{name}: labels must be integers (the class id of every row).")
        if not np.all(labels == np.round(labels)):
            raise DataError(f"{name}: labels must be whole numbers (class ids), not fractions.")
        known = labels >= 0
        if known.any():
            values, codes = np.unique(labels[known].astype(np.int64), return_inverse=True)
            lab = np.full(n, -1, dtype=np.int64)
            lab[known] = codes
            names = tuple(str(v) for v in values)
            if not known.all():
                lab = None if known.sum() == 0 else lab
    if lab is not None and (lab < 0).any():
        raise DataError(
            f"{name}: {int((lab < 0).sum())} row(s) have label -1; ground-truth labels must be "
            "given for every row or for none."
        )
    if lab is not None and len(names) < 2:
        raise DataError(
            f"{name}: every row has the same label ({names[0]}); labels that tell nothing apart "
            "make every accuracy 100 %. Give at least two classes, or leave the labels out to "
            "load the descriptors unlabelled."
        )
    crd = None
    if coords is not None:
        coords = np.asarray(coords, dtype=np.float64)
        if coords.shape != (n, 2) or not np.all(np.isfinite(coords)):
            raise DataError(
                f"{name}: coords must be finite and of shape ({n}, 2), got {coords.shape}."
            )
        crd = coords
    elif d == 2:
        crd = X
    desc = f"Your file: {n:,} points × {d} dimensions" + (
        f", {len(names)} classes." if lab is not None else ", no labels."
    )
    kernel = "gaussian" if d <= 3 else "cosine"
    return Dataset(name, X, lab, crd, names, None, desc, kernel)
