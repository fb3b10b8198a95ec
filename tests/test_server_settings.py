"""The teacher's switches: uploads, training and the number of points, from the environment."""

import pytest
from conftest import app_test, assert_clean

from mlviz.ui.server import ServerSettings


def test_settings_are_read_from_the_environment():
    s = ServerSettings.from_env({"MLVIZ_UPLOADS": "off", "MLVIZ_TRAINING": "0",
                                 "MLVIZ_MAX_POINTS": "5000"})
    assert (s.uploads, s.training, s.max_points, s.max_toy_points) == (False, False, 5000, 5000)
    default = ServerSettings.from_env({})
    assert default.uploads and default.training and default.max_toy_points == 20_000
    assert ServerSettings.from_env({"MLVIZ_MAX_POINTS": "lots"}).max_points == default.max_points
    assert default.warm_up and not ServerSettings.from_env({"MLVIZ_WARM_UP": "off"}).warm_up


def test_uploads_off_removes_the_file_source_even_from_a_link(monkeypatch):
    monkeypatch.setenv("MLVIZ_UPLOADS", "off")
    at = app_test("app.py", data="file").run()
    assert_clean(at)
    source = at.sidebar.radio(key="data")
    assert list(source.options) == ["toy", "real"] and source.value == "toy"
    assert not at.sidebar.get("file_uploader")


def test_a_cap_on_points_caps_the_slider_and_a_link(monkeypatch):
    monkeypatch.setenv("MLVIZ_MAX_POINTS", "1000")
    at = app_test("app.py", n="5000").run()
    assert_clean(at)
    assert at.sidebar.slider(key="n").value == 1000


@pytest.mark.parametrize("page, label", [("pages/5_Deep_label_propagation.py", "Train"),
                                         ("pages/3_Mining_on_manifolds.py", "Fine-tune")])
def test_training_off_turns_the_train_buttons_off(monkeypatch, page, label):
    monkeypatch.setenv("MLVIZ_TRAINING", "off")
    at = app_test(page, data="real", real="digits").run()
    assert_clean(at)
    button = next(b for b in at.button if b.label.startswith(label))
    assert button.disabled and "turned off" in button.help


def test_the_server_watches_no_source_files():
    """Each session's file watcher walked every loaded module after each run that followed a
    new import (0.26-0.31 s each): 12 sessions used 84 s of server CPU with it, 56 s without."""
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"
    assert config["server"]["runOnSave"] is False
