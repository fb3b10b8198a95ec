"""A 100,000-point descriptor file named on the command line, through every page."""

import sys

import numpy as np
import pytest
from conftest import PAGE_FILES, app_test, assert_clean, figures


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(10, 8))
    labels = rng.integers(0, 10, 100_000)
    X = (centres[labels] + 0.35 * rng.normal(size=(100_000, 8))).astype(np.float32)
    path = tmp_path_factory.mktemp("local") / "descriptors.npz"
    np.savez(path, X=X, labels=labels)
    return path


def test_without_data_the_sidebar_has_no_server_file(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["app.py"])
    at = app_test("app.py", data="file").run()
    assert_clean(at)
    assert not [t for t in at.sidebar.toggle if t.key == "local"]


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_works_on_the_100k_file(monkeypatch, big_file, page):
    monkeypatch.setattr(sys, "argv", ["app.py", "--data", str(big_file)])
    at = app_test(page, timeout=600, data="file").run()
    assert_clean(at)
    caption = " ".join(c.value for c in at.sidebar.caption)
    assert "descriptors.npz" in caption and "100,000 points" in caption
    assert "recall" in caption  # the approximate search says how good it was
    assert figures(at)
