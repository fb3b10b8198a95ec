"""Downloads in a real browser: files built on click read back, without mlviz, to the app's data.

Uses the server and Chromium of :mod:`test_browser`.
"""

import io

import numpy as np
import pytest
import scipy.sparse as sp
from test_browser import browser, server, wait_idle  # noqa: F401  (fixtures)

from mlviz.datasets import make_toy
from mlviz.graph import build_knn_graph

pytestmark = pytest.mark.browser


def download(page, label: str) -> bytes:
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=label).click()
    with open(info.value.path(), "rb") as f:
        return f.read()


def test_the_home_page_downloads_the_graph_layout_and_descriptors(browser, server):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 2000}, accept_downloads=True)
    page = context.new_page()
    page.goto(server)
    wait_idle(page)
    W = sp.load_npz(io.BytesIO(download(page, "Graph W (.npz)")))
    d = make_toy("two moons", 600, 0.1, 0)
    expected = build_knn_graph(d.X, 15, kernel="gaussian").W
    assert W.shape == (600, 600) and (W != expected).nnz == 0
    X = np.load(io.BytesIO(download(page, "Descriptors (.npy)")))
    np.testing.assert_array_equal(X, d.X)
    lines = download(page, "2-D layout (.csv)").decode().splitlines()
    assert lines[0] == "point,x,y,label" and len(lines) == 601
    assert page.url.startswith(server)  # a click builds the file without leaving or rerunning
    context.close()
