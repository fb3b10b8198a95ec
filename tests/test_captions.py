"""Captions that state a finding say what the data on screen show, and the opposite when it is."""

import io
import re

import numpy as np
import pytest
from conftest import app_test, assert_clean, decode, figures, npy_bytes, upload

LP = "pages/4_Label_propagation.py"
SMOOTH = "pages/2_Ranking_as_smoothing.py"
MINING = "pages/3_Mining_on_manifolds.py"
RANK = "pages/1_Ranking_on_manifolds.py"


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


# ---------------------------------------------------------------- label propagation
def test_one_label_makes_every_wrong_prediction_certain_and_the_page_says_so():
    at = app_test(LP, L="0:0").run()  # one label, of the wrong class: its moon is wrong, ω = 1
    assert_clean(at)
    text = captions(at)
    assert "gather at low certainty" not in text
    assert "299 wrong predictions are mostly certain (median ω 1.00" in text
    assert "no point" in text  # class 1 gets no point, so its weight ζ is 0


def test_the_certainty_finding_quotes_the_medians_it_rests_on():
    at = app_test(LP, data="real", real="digits", per_class="2").run()
    assert_clean(at)
    found = re.search(r"median ω ([0-9.]+) .* against ([0-9.]+)", captions(at))
    assert found, captions(at)
    wrong, right = map(float, found.groups())
    if "gather at low certainty" in captions(at):
        assert wrong < right


# ---------------------------------------------------------------- smoothing
def _embedding_points(at) -> int:
    fig = figures(at)["smooth_embedding"]
    return sum(decode(t["x"]).size for t in fig["data"] if t.get("mode") == "markers")


@pytest.mark.parametrize("query", [{}, {"data": "real", "real": "digits"}])
def test_the_spectral_embedding_draws_every_component_or_says_what_it_left_out(query):
    at = app_test(SMOOTH, **query).run()
    assert_clean(at)
    n = 600 if not query else 1797
    drawn = _embedding_points(at)
    text = captions(at)
    assert "its few points" not in text
    if drawn < n:
        assert f"{n - drawn:,} of the {n:,} points" in text, text
    if not query:
        assert drawn >= n - 1  # two moons: both moons drawn (an isolated point may not be)


# ---------------------------------------------------------------- mining
def test_an_uploaded_low_dimensional_file_is_not_called_toy_data():
    X = np.random.default_rng(0).standard_normal((200, 3))
    at = upload(app_test(MINING).run(), "roll.npy", npy_bytes(X))
    assert not at.exception
    text = " ".join(i.value for i in at.info)
    assert "Fine-tuning needs descriptors" in text
    assert "toy" not in text and "or your file" not in text and "roll.npy" in text


@pytest.mark.slow
def test_unlabelled_fine_tuning_says_what_ran_and_offers_the_descriptors():
    rng = np.random.default_rng(5)
    X = np.concatenate([rng.normal(0, 1, (120, 12)), rng.normal(2.5, 1, (120, 12))])
    at = upload(app_test(MINING, timeout=300).run(), "plain.npy", npy_bytes(X))
    at.slider(key="mine_epochs").set_value(1).run()
    text = captions(at)
    assert "Two runs" in text and "Three runs" not in text
    assert "positives from the labels" not in text
    assert "no Recall@k or NMI" in text
    next(b for b in at.button if b.label.startswith("Fine-tune")).click().run()
    job = at.session_state["ml_job"]
    job.wait(300)
    assert not job.running and job.error is None, job.error
    at.run()
    assert_clean(at)
    buttons = at.get("download_button")
    assert buttons, "no download of the fine-tuned descriptors"
    assert any("descriptors" in b.proto.label for b in buttons)
    assert "ml_after" in figures(at)
    emb = job.results[job.names[0]].embedding
    assert np.load(io.BytesIO(npy_bytes(emb))).shape[0] == 240


# ---------------------------------------------------------------- ranking
def test_a_tie_in_average_precision_shows_no_arrow_and_no_winner():
    at = app_test(RANK, q="0,300").run()  # a query in each moon: both rankings are perfect
    assert_clean(at)
    ap = next(m for m in at.metric if m.label == "AP, manifold ranking")
    assert ap.value == "1.000"
    assert not ap.proto.delta or (ap.proto.color == 2 and ap.proto.direction == 2)  # grey, no arrow
    text = captions(at)
    assert "A tie here" in text and "wins" not in text.split("A tie here")[1][:60]


def test_the_ranking_caption_names_the_winner_from_the_numbers():
    at = app_test(RANK, data="real", real="digits", q="3").run()
    assert_clean(at)
    ap = {m.label: float(m.value) for m in at.metric if m.label.startswith("AP")}
    manifold = ap.pop("AP, manifold ranking")
    other = next(iter(ap.values()))
    text = captions(at)
    if manifold - other >= 0.0005:
        assert "Diffusion wins here" in text
    elif other - manifold >= 0.0005:
        assert "Diffusion loses here" in text


# ---------------------------------------------------------------- the UMAP estimate
def test_the_umap_estimate_grows_with_n_and_d_and_counts_compilation():
    from mlviz.embedding import umap_seconds_estimate

    warm = ("umap", "nndescent")
    assert umap_seconds_estimate(1000, 64, warm) < umap_seconds_estimate(5000, 64, warm) \
        < umap_seconds_estimate(20000, 64, warm) < umap_seconds_estimate(20000, 256, warm)
    assert 15 <= umap_seconds_estimate(20000, 256, warm) <= 40  # measured: 22 s on 2 cores
    assert umap_seconds_estimate(1000, 64) > umap_seconds_estimate(1000, 64, warm) + 10
    assert umap_seconds_estimate(20000, 64, ("umap",)) > umap_seconds_estimate(20000, 64, warm)


def test_the_layout_help_quotes_no_fixed_umap_time():
    at = app_test("app.py", data="real", real="digits").run()
    assert_clean(at)
    help_text = at.sidebar.selectbox(key="layout").proto.help
    assert "10–20 s" not in help_text and "grows with" in help_text
