"""The app shell through AppTest: every data source, sidebar moves, bad files, URL state."""

import io

import numpy as np
import pytest
from conftest import PAGE_FILES, app_test, assert_clean, figures, npy_bytes, strip_captions, upload

from mlviz import datasets as ds


def sidebar_caption(at) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_runs_with_defaults(page):
    at = app_test(page).run()
    assert_clean(at)
    assert figures(at), "every page draws at least one chart"


SOURCES = {
    "3-D toy": dict(toy="swiss roll", n="400"),
    "digits": dict(data="real", real="digits"),
    "iris": dict(data="real", real="iris"),
    "file": None,
}


def _descriptor_file(labelled: bool) -> bytes:
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(0, 1, (120, 12)), rng.normal(2.5, 1, (120, 12))])
    return npz_bytes(X=X, labels=np.repeat([0, 1], 120)) if labelled else npy_bytes(X)


@pytest.mark.slow
@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_with_every_source_widgets_moved_and_a_bad_file(page, source):
    query = SOURCES[source]
    at = app_test(page, **(query or {}))
    at = upload(at.run(), "mine.npz", _descriptor_file(True)) if query is None else at.run()
    assert_clean(at)
    at.sidebar.slider(key="k").set_value(7).run()
    at.sidebar.radio(key="edges").set_value("union").run()
    at.sidebar.selectbox(key="kernel").set_value("cosine").run()
    assert_clean(at)
    if query is not None and query.get("real") != "iris":  # 2-D toys have no layout choice
        at.sidebar.selectbox(key="layout").set_value("pca").run()
        assert_clean(at)
    before = sidebar_caption(at)
    at.sidebar.radio(key="data").set_value("file").run()
    at.sidebar.get("file_uploader")[0].set_value(("bad.csv", b"a,b\n1,x\n", "text/csv"))
    at.run()
    assert not at.exception
    assert any("previous data set stays" in e.value for e in at.sidebar.error)
    assert sidebar_caption(at) == before


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_with_descriptors_without_labels(page):
    at = upload(app_test(page).run(), "plain.npy", _descriptor_file(False))
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert "**plain.npy**: 240 points" in sidebar_caption(at)


@pytest.mark.parametrize("name", ds.TOY)
def test_home_with_each_toy_manifold(name):
    at = app_test("app.py", toy=name, n="300").run()
    assert_clean(at)
    assert f"**{name}**: 300 points" in sidebar_caption(at)


@pytest.mark.parametrize("name", ds.REAL)
def test_home_with_each_real_data_set(name):
    at = app_test("app.py", data="real", real=name).run()
    assert_clean(at)
    assert f"**{name}**" in sidebar_caption(at)


def test_sidebar_widgets_move():
    at = app_test("app.py").run()
    at.sidebar.slider(key="n").set_value(1000).run()
    at.sidebar.slider(key="noise").set_value(0.12).run()
    at.sidebar.number_input(key="seed").set_value(3).run()
    at.sidebar.slider(key="k").set_value(20).run()
    at.sidebar.radio(key="edges").set_value("union").run()
    at.sidebar.selectbox(key="kernel").set_value("cosine").run()
    at.sidebar.slider(key="gamma").set_value(5.0).run()
    assert_clean(at)
    assert "1,000 points" in sidebar_caption(at)
    at.sidebar.radio(key="data").set_value("real").run()
    at.sidebar.selectbox(key="real").set_value("wine").run()
    at.sidebar.selectbox(key="layout").set_value("pca").run()
    assert_clean(at)
    assert "**wine**" in sidebar_caption(at)


@pytest.mark.slow
def test_umap_layout():
    at = app_test("app.py", data="real", real="iris", layout="umap", timeout=180).run()
    assert_clean(at)
    fig = figures(at)["home_scatter"]
    assert "UMAP" in fig["layout"]["title"]["text"]


def test_url_state_sets_the_widgets():
    at = app_test("app.py", toy="two spirals", n="800", k="15", edges="union").run()
    assert_clean(at)
    assert at.sidebar.slider(key="k").value == 15
    assert at.sidebar.radio(key="edges").value == "union"
    assert "**two spirals**: 800 points" in sidebar_caption(at)


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


@pytest.fixture
def good_file():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (150, 16)), rng.normal(3, 1, (150, 16))])
    return npz_bytes(X=X, labels=np.repeat([0, 1], 150))


def test_upload_a_good_file(good_file):
    at = upload(app_test("app.py").run(), "mine.npz", good_file)
    assert_clean(at)
    assert "**mine.npz**: 300 points × 16 dims" in sidebar_caption(at)


BAD_FILES = {
    "nan.npy": (npy_bytes(np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 5.0]])), "NaN"),
    "obj.npy": (npy_bytes(np.array([{"a": 1}] * 5, dtype=object), allow_pickle=True), "pickled"),
    "one_row.npy": (npy_bytes(np.ones((1, 4))), "at least 3 points"),
    "labels.npz": (npz_bytes(X=np.random.default_rng(0).random((10, 3)), labels=np.arange(7)), "one entry per row"),
    "text.csv": (b"a,b\n1,2\n3,hello\n4,5\n", "non-numeric value 'hello' (row 3, column 2)"),
    "named_labels.csv": (b"label,f1\ncat,1\ndog,2\ncat,3\n", "labels must be integer class ids"),
    "decimal_commas.csv": (b"f1;f2\n0,5;1,5\n2,5;3\n4;5,5\n", "decimal commas"),
    "one_class.npz": (npz_bytes(X=np.random.default_rng(0).random((10, 3)),
                                labels=np.full(10, 7)), "same label (7)"),
    "big.npy": (npy_bytes(np.zeros((ds.MAX_POINTS + 1, 1), dtype=np.float32)), "at most"),
    "broken.npz": (b"PK\x03\x04 not really a zip", "could not be read as a .npz"),
    "renamed.npy": (b"1,2,3\n4,5,6\n", "not a .npy file"),
    "renamed.npz": (npy_bytes(np.ones((5, 2))), "not a .npz file"),
    "partial_labels.npz": (npz_bytes(X=np.random.default_rng(0).random((10, 3)),
                                     labels=np.r_[np.zeros(5), -np.ones(5)].astype(int)),
                           "every row or for none"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_shows_a_message_and_keeps_the_previous_data(name):
    data, words = BAD_FILES[name]
    at = app_test("app.py", toy="circles").run()
    at = upload(at, name, data)
    assert not at.exception
    messages = " ".join(e.value for e in at.sidebar.error)
    assert words in messages and "previous data set stays" in messages
    assert "**circles**" in sidebar_caption(at)


def test_file_whose_graph_falls_apart_is_refused(good_file):
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 100, (60, 5))
    X = np.repeat(centres, 5, axis=0) + rng.normal(0, 0.01, (300, 5))
    at = app_test("app.py", toy="circles", k="3").run()
    at = upload(at, "islands.npy", npy_bytes(X))
    assert not at.exception
    messages = " ".join(e.value for e in at.sidebar.error)
    assert "falls apart" in messages and "Raise k" in messages
    assert "**circles**" in sidebar_caption(at)


def test_file_loader_directly():
    csv = b"label,x2d,y2d,f1,f2,f3\n0,0,0,1,2,3\n1,1,1,4,5,6\n0,2,2,7,8,10\n"
    d = ds.load_descriptors(csv, "t.csv")
    assert d.X.shape == (3, 3) and d.coords.shape == (3, 2)
    np.testing.assert_array_equal(d.labels, [0, 1, 0])
    for separated in (csv.replace(b",", b";"), csv.replace(b",", b"\t")):
        other = ds.load_descriptors(separated, "t.csv")
        np.testing.assert_array_equal(other.X, d.X)
        np.testing.assert_array_equal(other.labels, d.labels)
    single_column = ds.load_descriptors(b"0.5\n1.5\n2.5\n3.5\n", "t.csv")
    assert single_column.X.shape == (4, 1)


def test_the_data_set_follows_the_user_to_another_page():
    at = app_test("app.py", toy="circles", k="12").run()
    at.sidebar.slider(key="n").set_value(900).run()
    at.switch_page("pages/1_Ranking_on_manifolds.py").run()
    assert_clean(at)
    assert "**circles**: 900 points" in sidebar_caption(at)
    assert at.sidebar.slider(key="k").value == 12
    assert at.query_params["toy"] == "circles" and at.query_params["n"] == "900"


def test_invalid_url_values_are_ignored():
    at = app_test("app.py", k="500", toy="torus", noise="abc").run()
    assert_clean(at)
    assert at.sidebar.slider(key="k").value == 15  # the default
    assert "**two moons**" in sidebar_caption(at)


def test_upload_messages_fit_the_format_and_name_the_arrays_found():
    nan = np.array([[1.0, 2.0], [np.nan, 3.0], [4.0, 5.0], [6.0, 8.0]])
    at = upload(app_test("app.py", toy="circles").run(), "nan.npy", npy_bytes(nan))
    npy_message = " ".join(e.value for e in at.sidebar.error)
    assert "row 2" in npy_message and "header" not in npy_message
    at = upload(at, "nan.csv", b"f1,f2\n1,2\n,3\n4,5\n6,8\n")
    assert "header row excluded" in " ".join(e.value for e in at.sidebar.error)
    rng = np.random.default_rng(0)
    at = upload(at, "only_y.npz", npz_bytes(Y=rng.random((50, 4))))
    message = " ".join(e.value for e in at.sidebar.error)
    assert "['Y']" in message and "'X'" in message and "labels" in message
    assert "previous data set stays" in message and "**circles**" in sidebar_caption(at)


@pytest.mark.parametrize("page", PAGE_FILES)
def test_no_stray_string_is_shown_by_streamlit_magic(page):
    """Streamlit draws every bare string of a page script but the module docstring (a
    constant's "docstring" showed above the smoothing page's title)."""
    import ast

    from conftest import ROOT

    body = ast.parse((ROOT / page).read_text()).body
    stray = [node.lineno for node in body[1:]
             if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)]
    assert not stray, f"bare strings at lines {stray} of {page}"


def test_an_upload_with_images_shows_them_and_bad_images_only_warn(good_file):
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (150, 16)), rng.normal(3, 1, (150, 16))])
    images = (rng.random((300, 8, 8)) * 255).astype(np.uint8)
    at = app_test("pages/1_Ranking_on_manifolds.py", q="5").run()
    at = upload(at, "pics.npz", npz_bytes(X=X, labels=np.repeat([0, 1], 150), images=images))
    assert_clean(at)
    assert not at.sidebar.warning
    strips = strip_captions(at)
    assert len(strips) == 3 and strips[0][0][1].startswith("#5 · 0")
    for bad, words in [(images[:10], "holds 10 images for 300 descriptor rows"),
                       (images.astype(np.int64), "dtype int64"),
                       (images[..., None], "n×h×w (grey) or n×h×w×3 (RGB), got shape 300×8×8×1"),
                       (images / 100.0, "must lie in [0, 1]")]:
        at = upload(at, "bad_pics.npz", npz_bytes(X=X, images=bad))
        assert_clean(at)  # a warning, not an error: the descriptors are in use
        assert words in " ".join(w.value for w in at.sidebar.warning)
        assert "**bad_pics.npz**: 300 points × 16 dims" in sidebar_caption(at)
        assert not strip_captions(at)
