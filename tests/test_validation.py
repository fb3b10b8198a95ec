"""Property tests: any bad input is refused with a ValueError that names what is wrong."""

import io
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlviz import query_vector
from mlviz._validation import check_alpha, check_features
from mlviz.datasets import DataError, load_descriptors
from mlviz.diffusion import conjugate_gradient
from mlviz.graph import knn_graph, normalize

FAST = settings(max_examples=60, deadline=None)


@FAST
@given(st.one_of(st.floats(allow_nan=True), st.integers(-3, 3), st.text(max_size=3), st.none()))
def test_alpha_outside_the_unit_interval_is_refused(alpha):
    ok = (
        isinstance(alpha, (int, float))
        and not isinstance(alpha, bool)
        and np.isfinite(alpha)
        and 0 <= alpha < 1
    )
    if ok:
        assert check_alpha(alpha) == float(alpha)
    else:
        with pytest.raises(ValueError, match="alpha"):
            check_alpha(alpha)


@FAST
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
        elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
    )
)
def test_features_are_finite_2d_with_two_rows(X):
    good = X.shape[0] >= 2 and np.all(np.isfinite(X))
    if good:
        assert check_features(X).shape == X.shape
    else:
        with pytest.raises(ValueError, match="X"):
            check_features(X)


@FAST
@given(n=st.integers(3, 40), k=st.integers(-2, 45), seed=st.integers(0, 10))
def test_k_must_be_below_n(n, k, seed):
    X = np.random.default_rng(seed).standard_normal((n, 3))
    if 1 <= k < n:
        W = knn_graph(X, k, kernel="gaussian")
        assert W.shape == (n, n)
        assert np.all(np.isfinite(normalize(W).data))
    else:
        with pytest.raises(ValueError, match="^k must"):
            knn_graph(X, k, kernel="gaussian")


@FAST
@given(st.lists(st.integers(-5, 25), max_size=6))
def test_queries_must_be_valid_indices(queries):
    if queries and min(queries) >= 0 and max(queries) < 20:
        y = query_vector(queries, 20)
        assert y.sum() == len(set(queries))
    else:
        with pytest.raises(ValueError, match="queries"):
            query_vector(queries, 20)


@FAST
@given(length=st.integers(0, 30))
def test_signal_of_the_wrong_length_is_refused(length):
    from scipy.sparse import identity

    W = identity(20, format="csr") * 0.0
    if length == 20:
        conjugate_gradient(W, np.ones(length), 0.5)
    else:
        with pytest.raises(ValueError, match="y"):
            conjugate_gradient(W, np.ones(length), 0.5)


def npy_bytes(arr, allow_pickle=False):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


@FAST
@given(
    hnp.arrays(
        st.sampled_from([np.float32, np.float64, np.int32]),
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=8),
        elements=st.integers(-3, 3),
    )
)
def test_npy_upload_either_loads_or_explains(arr):
    try:
        ds = load_descriptors(npy_bytes(arr), "x.npy")
    except DataError as exc:
        assert str(exc).startswith("x.npy")
    else:
        assert ds.X.ndim == 2 and ds.n >= 3 and np.all(np.isfinite(ds.X))


@FAST
@given(st.binary(max_size=200), st.sampled_from(["a.npy", "a.npz", "a.csv", "a.txt"]))
def test_garbage_bytes_never_escape_as_other_errors(data, name):
    try:
        load_descriptors(data, name)
    except DataError:
        pass


@FAST
@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True).filter(
    lambda s: s not in ("X", "arr_0")))
def test_an_npz_without_X_is_refused_naming_what_it_holds(key):
    buf = io.BytesIO()
    np.savez(buf, **{key: np.random.default_rng(0).random((20, 3))})
    with pytest.raises(DataError, match=re.escape(repr([key]))):
        load_descriptors(buf.getvalue(), "a.npz")


def npz_with_images(images, n: int = 12) -> bytes:
    X = np.random.default_rng(0).random((n, 4))
    buf = io.BytesIO()
    np.savez(buf, X=X, images=images)
    return buf.getvalue()


def image_arrays():
    """Arrays an ``images`` entry may hold: any count, shape, dtype, range."""
    return st.tuples(
        st.sampled_from([12, 12, 12, 11, 13]),  # the count: mostly right
        st.sampled_from([(), (5,), (5, 6), (5, 6, 3), (5, 6, 4), (5, 6, 1), (1, 6), (600, 2)]),
        st.sampled_from([np.uint8, np.float32, np.float64, np.int64, np.bool_, np.float16]),
        st.sampled_from([(0.0, 1.0), (0.0, 255.0), (-0.5, 0.5)]),
    ).map(_image_array)


def _image_array(spec):
    count, shape, dtype, (low, high) = spec
    values = np.random.default_rng(count).uniform(low, high, (count, *shape))
    return values.astype(dtype)


@FAST
@given(image_arrays())
def test_images_in_an_npz_are_kept_or_refused_saying_which_and_the_descriptors_load(images):
    d = load_descriptors(npz_with_images(images), "im.npz")
    assert d.n == 12 and d.X.shape == (12, 4)  # the descriptors always load
    ok_dtype = images.dtype == np.uint8 or np.issubdtype(images.dtype, np.floating)
    ok_shape = images.ndim == 3 or (images.ndim == 4 and images.shape[3] == 3)
    ok_count = images.shape[0] == 12
    ok_side = ok_shape and all(2 <= s <= 512 for s in images.shape[1:3])
    ok_range = images.dtype == np.uint8 or (images.size and images.min() >= 0
                                            and images.max() <= 1)
    if ok_dtype and ok_shape and ok_count and ok_side and ok_range:
        assert d.images is not None and d.images.shape == images.shape and not d.warnings
        return
    assert d.images is None and len(d.warnings) == 1
    message = d.warnings[0]
    assert message.startswith("im.npz: 'images'") and "loaded without images" in message
    if not ok_dtype:
        assert f"dtype {images.dtype}" in message
    elif not ok_shape:
        assert "n×h×w" in message and "×".join(map(str, images.shape)) in message
    elif not ok_count:
        assert f"holds {images.shape[0]} images for 12 descriptor rows" in message
    elif not ok_side:
        assert "pixels a side" in message
    else:
        assert "[0, 1]" in message


def test_a_pickled_images_array_is_refused_and_the_descriptors_load():
    X = np.random.default_rng(0).random((5, 3))
    buf = io.BytesIO()
    np.savez(buf, X=X, images=np.array([{"a": 1}] * 5, dtype=object))
    d = load_descriptors(buf.getvalue(), "p.npz")
    assert d.n == 5 and d.images is None
    assert "dtype object" in d.warnings[0]


def test_nan_images_are_refused():
    images = np.full((12, 4, 4), 0.5)
    images[3, 1, 1] = np.nan
    d = load_descriptors(npz_with_images(images), "nan.npz")
    assert d.images is None and "NaN" in d.warnings[0]
