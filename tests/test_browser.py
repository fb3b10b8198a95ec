"""Real-browser tests: start `streamlit run app.py`, open each page in Chromium, check the plots.

Skipped (with the reason) where Chromium or Playwright is missing, unless
MLVIZ_REQUIRE_BROWSER=1 (set by .ci/run), where that is a failure. Screenshots go to
$MLVIZ_ARTIFACTS (default: test-artifacts/).
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from conftest import PAGE_FILES, ROOT

from mlviz.ui.live_chart import CHARTS_SETTLED_JS

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("MLVIZ_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("MLVIZ_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(os.environ.get("MLVIZ_ARTIFACTS", ROOT / "test-artifacts"))
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHARTS = '[data-testid="mlvizChart"]'
"""The app's plotly charts (``mlviz.ui.live_chart``)."""
LIVE_DRAWN = f"() => {CHARTS_SETTLED_JS}"


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    return None


@pytest.fixture(scope="module")
def server():
    reason = _missing()
    if reason:
        if REQUIRED:
            pytest.fail(f"browser tests are required here but cannot run: {reason}")
        pytest.skip(f"BROWSER TESTS SKIPPED: {reason}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(ARTIFACTS.mkdir(parents=True, exist_ok=True) or ARTIFACTS / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 60 s; see test-artifacts/streamlit.log")
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield b
        b.close()


def open_page(browser, url: str, shot: str, height: int = 2400):
    page = browser.new_page(viewport={"width": 1400, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"))
    return page, errors


def wait_idle(page, timeout: float = 120_000):
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=timeout
    )
    page.wait_for_timeout(400)
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_function(LIVE_DRAWN, timeout=timeout)


def check_charts(page, errors):
    assert page.locator('[data-testid="stException"]').count() == 0, "an exception box is shown"
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0, page.locator(
        '[data-testid="stAlertContentError"]').all_inner_texts()
    charts = page.locator(CHARTS)
    assert charts.count() > 0, "no plotly chart on the page"
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        chart.locator(".main-svg").first.wait_for(timeout=30_000)
        drawn = chart.locator(".scatterlayer .point, .scatterlayer .trace path, canvas, .bars path")
        assert drawn.count() > 0, f"chart {i} rendered no marks"
    assert not errors, errors


def url_path(page_file: str) -> str:
    if page_file == "app.py":
        return "/"
    name = Path(page_file).stem.split("_", 1)[1]
    return f"/{name}"


@pytest.mark.parametrize("page_file", PAGE_FILES)
def test_page_renders_its_charts(browser, server, page_file):
    page, errors = open_page(browser, server + url_path(page_file), Path(page_file).stem)
    try:
        check_charts(page, errors)
    finally:
        page.close()


def test_the_graph_edges_are_drawn_under_the_points_and_hide_from_the_legend(browser, server):
    page, errors = open_page(browser, f"{server}/", "home_edges")
    try:
        chart = page.locator(CHARTS).first
        chart.locator(".shapelayer path").first.wait_for(state="attached", timeout=30_000)

        def drawn_edges() -> list[int]:  # the shape's path lengths, where it is shown
            return chart.evaluate("""el => Array.from(el.querySelectorAll('.shapelayer path'))
                .filter(p => p.style.display !== 'none' && (p.getAttribute('d') || '').length)
                .map(p => p.getAttribute('d').split('M').length - 1)""")

        (segments,) = drawn_edges()
        assert segments > 1000  # two moons' reciprocal 15-NN graph: thousands of edges
        chart.locator(".legendtext", has_text="graph edges").click(force=True)
        page.wait_for_timeout(800)
        assert drawn_edges() == [], "a click on the legend entry hides the edges"
        page.screenshot(path=str(ARTIFACTS / "home_edges_hidden.png"))
        assert not errors, errors
    finally:
        page.close()


def test_deep_link_reopens_the_same_view(browser, server):
    page, errors = open_page(
        browser, f"{server}/Ranking_on_manifolds?toy=two+spirals&n=800&k=12&q=3,40", "deep_link"
    )
    try:
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        assert "two spirals: 800 points" in sidebar
        assert "Query points: 3, 40" in page.locator('[data-testid="stMain"]').inner_text()
        href = page.evaluate("location.href")
        assert "k=12" in href and "q=3%2C40" in href.replace(",", "%2C")
        check_charts(page, errors)
    finally:
        page.close()


def test_play_moves_the_animation(browser, server):
    page, errors = open_page(browser, f"{server}/Ranking_on_manifolds?iters=20", "ranking_play")
    try:
        anim = page.locator(CHARTS).nth(1)
        anim.scroll_into_view_if_needed()
        label = anim.locator("text.slider-label").first
        assert label.text_content().strip().endswith("20")
        anim.get_by_text("play from τ = 0").click()
        page.wait_for_timeout(1500)
        moving = label.text_content().strip()
        assert not moving.endswith("= 20"), moving
        page.wait_for_timeout(8000)
        assert label.text_content().strip().endswith("20")
        page.screenshot(path=str(ARTIFACTS / "ranking_after_play.png"))
        assert not errors, errors
    finally:
        page.close()


def test_switching_pages_keeps_the_data_set(browser, server):
    page, errors = open_page(browser, f"{server}/?toy=circles&k=12", "nav_home")
    try:
        page.locator('[data-testid="stSidebar"] a', has_text="Ranking on manifolds").first.click()
        wait_idle(page)
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        assert "circles" in sidebar, sidebar[:300]
        assert "k=12" in page.evaluate("location.href")
    finally:
        page.close()


def test_clicking_a_point_makes_it_the_query(browser, server):
    page, errors = open_page(browser, f"{server}/Ranking_on_manifolds?q=0", "ranking_click",
                             height=1000)
    try:
        picker = page.locator(CHARTS).first
        points = picker.locator(".scatterlayer .trace").first.locator("path.point")
        target = points.nth(points.count() // 2)
        target.scroll_into_view_if_needed()
        target.click(force=True)
        page.wait_for_timeout(800)
        wait_idle(page)
        queries = parse_qs(urlparse(page.evaluate("location.href")).query).get("q", [""])[0]
        assert queries and queries != "0", page.evaluate("location.href")
        page.screenshot(path=str(ARTIFACTS / "ranking_after_click.png"))
        assert not errors, errors
    finally:
        page.close()


def test_page_settings_survive_the_menu_and_a_fresh_context(browser, server):
    link = f"{server}/Ranking_as_smoothing?alpha_1d=0.8&filter=heat+kernel&heat_t=9&rank=30"
    page, errors = open_page(browser, link, "state_smoothing")
    try:
        menu = page.locator('[data-testid="stSidebar"] a')
        menu.filter(has_text="Label propagation").first.click()
        wait_idle(page)
        assert "heat_t" not in page.evaluate("location.href"), "another page's settings linger"
        menu.filter(has_text="Ranking as smoothing").first.click()
        wait_idle(page)
        href = page.evaluate("location.href")
        for part in ("alpha_1d=0.8", "filter=heat+kernel", "heat_t=9", "rank=30"):
            assert part in href, (part, href)
        assert not errors, errors
    finally:
        page.close()
    fresh = browser.new_context(viewport={"width": 1400, "height": 2400})
    try:
        again = fresh.new_page()
        again.goto(href)
        wait_idle(again)
        sliders = again.locator('[data-testid="stSlider"]', has_text="heat kernel t")
        assert "9.00" in sliders.first.inner_text(), sliders.first.inner_text()
        chosen = again.locator('[data-testid="stSelectbox"]').filter(has_text="Filter h").first
        assert "heat kernel" in chosen.inner_html(), "the filter of the link is not chosen"
    finally:
        fresh.close()


def url_param(page, name: str) -> str:
    return parse_qs(urlparse(page.evaluate("location.href")).query).get(name, [""])[0]


def click_nth_point(page, nth: int) -> None:
    picker = page.locator(CHARTS).first
    point = picker.locator(".scatterlayer .trace").first.locator("path.point").nth(nth)
    point.scroll_into_view_if_needed()
    point.click(force=True)
    page.wait_for_timeout(800)
    wait_idle(page)


def press(page, label: str) -> None:
    page.get_by_role("button", name=label).click()
    page.wait_for_timeout(500)
    wait_idle(page)


def test_a_click_on_the_same_point_after_a_button_selects_it(browser, server):
    page, errors = open_page(browser, f"{server}/Ranking_on_manifolds", "click_after_button",
                             height=1000)
    try:
        click_nth_point(page, 40)
        clicked = url_param(page, "q")
        assert clicked not in ("", "0"), clicked
        for button in ("Reset to point 0", "Random query"):
            press(page, button)
            assert url_param(page, "q") != clicked, button
            click_nth_point(page, 40)
            assert url_param(page, "q") == clicked, (button, page.evaluate("location.href"))
        page.screenshot(path=str(ARTIFACTS / "click_after_button.png"))
        assert not errors, errors
    finally:
        page.close()


def test_a_typed_anchor_takes_effect_after_a_button(browser, server):
    page, errors = open_page(browser, f"{server}/Mining_on_manifolds", "typed_anchor",
                             height=1200)
    try:
        box = page.get_by_label("Anchor by index", exact=False)
        for step in ("type", "Random anchor", "type"):
            if step == "type":
                box.fill("7")
                box.press("Enter")
                page.wait_for_timeout(500)
                wait_idle(page)
                assert url_param(page, "a") == "7", page.evaluate("location.href")
            else:
                press(page, step)
                assert url_param(page, "a") != "7"
        page.screenshot(path=str(ARTIFACTS / "typed_anchor.png"))
        assert not errors, errors
    finally:
        page.close()


def test_large_data_shows_the_query_star_and_every_top_k_row(browser, server):
    """n > 3,000: the points are WebGL; the star must be too, or the canvas hides it."""
    page, errors = open_page(
        browser, f"{server}/Ranking_on_manifolds?toy=two+moons&n=5000&q=2500&topk=20",
        "large_star", height=2600)
    try:
        picker = page.locator(CHARTS).first
        picker.scroll_into_view_if_needed()
        box = picker.bounding_box()
        star = page.evaluate(
            """() => {
              const gd = document.querySelector('[data-testid="mlvizChart"]');
              const t = gd._fullData.find(d => d.name === 'query');
              const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
              return {type: t.type, last: gd._fullData.indexOf(t) === gd._fullData.length - 1,
                      x: xa._offset + xa.l2p(t.x[0]), y: ya._offset + ya.l2p(t.y[0])};
            }""")
        assert star["type"] == "scattergl" and star["last"], star
        clip = dict(x=box["x"] + star["x"] - 20, y=box["y"] + star["y"] - 20, width=40, height=40)
        page.screenshot(path=str(ARTIFACTS / "large_star_zoom.png"), clip=clip)
        from PIL import Image

        rgb = np.asarray(Image.open(ARTIFACTS / "large_star_zoom.png").convert("RGB")).astype(int)
        red = int(((rgb[..., 0] > 180) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)).sum())
        assert red > 30, f"no red star at the query ({red} red pixels)"
        table = page.locator('[data-testid="stDataFrame"]').first
        assert table.bounding_box()["height"] >= 35 * 21, table.bounding_box()
        canvases = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="mlvizChart"] canvas.gl-canvas')]
                  .map(c => [c.width, c.getBoundingClientRect().width, window.devicePixelRatio])""")
        assert canvases, "WebGL canvases"
        for pixels, css, ratio in canvases:  # plotly's default ratio 2: four times the pixels
            assert abs(pixels - css * ratio) <= 1, canvases
        assert not errors, errors
    finally:
        page.close()


FIGURES_JS = """() => [...document.querySelectorAll('[data-testid="mlvizChart"]')].map(c => ({
    node: c.dataset.node || null,
    figure: JSON.stringify({data: c.data, frames: (c._transitionData._frames || []).map(
        f => f.data), title: c.layout.title && c.layout.title.text})}))"""


def fresh_load_draws(browser, url: str, shot: str, read, height: int = 2400):
    """What ``read(page)`` finds on a fresh load of ``url`` (its own page, closed after; no
    page error allowed)."""
    fresh, errors = open_page(browser, url, shot, height=height)
    try:
        found = read(fresh)
        assert not errors, errors
        return found
    finally:
        fresh.close()


def test_a_slider_move_redraws_the_live_charts_in_place(browser, server):
    """α moved: the picker, the animation and the convergence plot are the same nodes (Plotly.react, no
    new element or WebGL context), they show the new α's figures, and those are exactly what
    a fresh load of the new α's URL draws."""
    page, errors = open_page(browser, f"{server}/Ranking_on_manifolds?q=0", "live_before")
    try:
        page.evaluate("""() => document.querySelectorAll('[data-testid="mlvizChart"]')
            .forEach((c, i) => { c.dataset.node = String(i) })""")
        before = page.evaluate(FIGURES_JS)
        assert len(before) == 3, "the point picker, the animation and the convergence plot"
        slider = page.get_by_role("slider", name="α").first
        slider.focus()
        page.keyboard.press("ArrowLeft")
        wait_idle(page)
        after = page.evaluate(FIGURES_JS)
        assert [c["node"] for c in after] == [str(i) for i in range(len(before))], \
            "every live chart kept its node"
        changed = [a["figure"] != b["figure"] for a, b in zip(after, before)]
        assert changed == [False, True, True], "the animation and convergence show the new α"
        assert "alpha=0.97" in page.url
        assert fresh_load_draws(browser, page.url, "live_fresh",
                                lambda p: [c["figure"] for c in p.evaluate(FIGURES_JS)]) == \
            [c["figure"] for c in after]
        assert not errors, errors
    finally:
        page.close()


THEME_PROBE = """
import plotly.graph_objects as go
import streamlit as st
from mlviz.figures import PLOTLY_CONFIG
from mlviz.ui.live_chart import live_chart
fig = go.Figure(go.Scatter(x=[1, 2], y=[1, 2]), layout=dict(title="t"))
st.plotly_chart(fig, key="native")
live_chart(fig, "live", PLOTLY_CONFIG)
"""


@contextmanager
def probe_server(tmp_path, source: str):
    """``streamlit run`` of a small probe app (``source``, with this checkout on its path and
    the app's ``.streamlit`` config); yields its URL."""
    import shutil

    (tmp_path / "probe.py").write_text(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
                                       + source)
    shutil.copytree(ROOT / ".streamlit", tmp_path / ".streamlit")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "probe.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                          timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_live_charts_look_like_streamlit_charts(browser, tmp_path):
    """A live chart's template is the one Streamlit's frontend gives an st.plotly_chart in this
    app's theme: mlviz/ui/plotly_theme.json is still true of the Streamlit in use."""
    import json

    with probe_server(tmp_path, THEME_PROBE) as url:
        page, errors = open_page(browser, url, "live_theme", 1200)
        page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot')
        native, live = page.evaluate("""() => [
            document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot'),
            document.querySelector('[data-testid="mlvizChart"]')
        ].map(gd => JSON.stringify([gd.layout.template, gd.layout.title.text]))""")
        assert json.loads(live)[0] == json.loads(native)[0]
        assert json.loads(live)[1] == "<b>t</b>" and "<b>t</b>" in json.loads(native)[1]
        assert not errors, errors
        page.close()


BUNDLE_PROBE = """
import plotly.graph_objects as go
import streamlit as st
from mlviz.figures import PLOTLY_CONFIG
from mlviz.ui.live_chart import live_chart
webgl = st.toggle("WebGL")
top = st.slider("top", 1, 9, 3)
live_chart(go.Figure(go.Scatter(x=[1, 2, 3], y=[1, 2, top], mode="markers")), "svg",
           PLOTLY_CONFIG)
trace = go.Scattergl if webgl else go.Scatter
live_chart(go.Figure(trace(x=[1, 2, 3], y=[3, 1, 2], mode="markers")), "gl", PLOTLY_CONFIG)
"""
BUNDLES_JS = """() => performance.getEntriesByType('resource').map(r => r.name)
    .filter(n => /plotly[^/]*\\.js$/.test(n)).map(n => n.split('/').pop()).sort()"""


def test_charts_take_the_basic_plotly_bundle_until_one_needs_webgl(browser, tmp_path):
    """Scatter figures load only plotly.js's basic bundle; a WebGL figure loads the full one,
    and after that a chart the basic bundle drew is redrawn by the full one, all in place."""
    with probe_server(tmp_path, BUNDLE_PROBE) as url:
        page, errors = open_page(browser, url, "bundles_basic", 1400)
        try:
            assert page.evaluate(BUNDLES_JS) == ["plotly-basic.min.js"]
            types = """() => [...document.querySelectorAll('[data-testid="mlvizChart"]')]
                .map(c => [c._fullData[0].type, c._fullData[0].y.join()])"""
            assert page.evaluate(types) == [["scatter", "1,2,3"], ["scatter", "3,1,2"]]
            page.locator('[data-testid="stCheckbox"] label').first.click()
            page.wait_for_timeout(500)
            wait_idle(page)
            assert page.evaluate(BUNDLES_JS) == ["plotly-basic.min.js", "plotly.min.js"]
            assert page.evaluate(types) == [["scatter", "1,2,3"], ["scattergl", "3,1,2"]]
            assert page.locator(f"{CHARTS} canvas").count() > 0, "the WebGL chart's canvas"
            slider = page.get_by_role("slider", name="top").first
            slider.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(500)
            wait_idle(page)
            assert page.evaluate(types) == [["scatter", "1,2,4"], ["scattergl", "3,1,2"]]
            assert page.locator(f"{CHARTS} .scatterlayer .point").count() == 3
            assert page.evaluate(f"""() => [...document.querySelectorAll('{CHARTS}')]
                .every(c => c.mlvizPlotly === window.Plotly)"""), "both drawn by the full bundle"
            assert not errors, errors
        finally:
            page.close()


def labelled_count(page) -> int:
    text = page.get_by_text("labelled point(s).").first.inner_text()
    return int(text.split()[0].replace(",", ""))


def drag_select(page, chart, mode: str, corners: list[tuple[float, float]]) -> None:
    """Choose ``mode`` (plotly's "select" or "lasso") in the chart's mode bar and drag
    through ``corners``, given as fractions of the plot area."""
    chart.hover()
    chart.locator(f'.modebar-btn[data-attr="dragmode"][data-val="{mode}"]').first.click()
    box = chart.locator(".nsewdrag").first.bounding_box()
    points = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in corners]
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()
    page.wait_for_timeout(800)
    wait_idle(page)


def test_box_and_lasso_selections_label_the_points_inside(browser, server):
    page, errors = open_page(browser, f"{server}/Label_propagation", "lp_before_select",
                             height=1400)
    try:
        press(page, "Clear all labels")
        assert labelled_count(page) == 0
        chart = page.locator(CHARTS).first
        serial = chart.evaluate("c => c.mlvizSerial || 0")
        drag_select(page, chart, "select", [(0.05, 0.05), (0.95, 0.95)])
        boxed = labelled_count(page)
        assert boxed > 20, boxed
        # one selection, one serial: the figure redrawn without the box sends nothing more
        assert chart.evaluate("c => c.mlvizSerial") == serial + 1
        press(page, "Clear all labels")
        drag_select(page, chart, "lasso", [(0.05, 0.05), (0.95, 0.05), (0.95, 0.95), (0.05, 0.95)])
        lassoed = labelled_count(page)
        assert 20 < lassoed, lassoed
        page.screenshot(path=str(ARTIFACTS / "lp_after_lasso.png"))
        assert not errors, errors
    finally:
        page.close()


def modebar_tools(chart) -> list[str | None]:
    chart.hover()
    return chart.locator(".modebar-btn").evaluate_all(
        "bs => bs.map(b => b.getAttribute('data-val') || b.getAttribute('data-attr'))")


def test_only_charts_that_read_a_selection_offer_the_select_tools(browser, server):
    page, errors = open_page(browser, f"{server}/", "home_modebar", height=1400)
    try:
        tools = modebar_tools(page.locator(CHARTS).first)
        assert tools, "no mode bar"
        assert "select" not in tools and "lasso" not in tools, tools
        page.goto(f"{server}/Label_propagation")
        wait_idle(page)
        tools = modebar_tools(page.locator(CHARTS).first)
        assert "select" in tools and "lasso" in tools, tools
        assert not errors, errors
    finally:
        page.close()


def test_charts_follow_their_column_when_the_sidebar_closes(browser, server):
    page, errors = open_page(browser, f"{server}/", "home_sidebar_open", height=1400)
    try:
        chart = page.locator(CHARTS).first
        width = "c => [c.querySelector('.main-svg').getBoundingClientRect().width, c.parentElement.clientWidth]"
        drawn, column = chart.evaluate(width)
        assert abs(drawn - column) <= 2, (drawn, column)
        page.locator('[data-testid="stSidebar"]').hover()
        page.locator('[data-testid="stSidebarCollapseButton"] button').click()
        page.wait_for_timeout(1500)
        drawn_after, column_after = chart.evaluate(width)
        assert column_after > column + 50, (column, column_after)
        assert abs(drawn_after - column_after) <= 2, (drawn_after, column_after)
        assert not errors, errors
    finally:
        page.close()


def test_charts_out_of_view_are_drawn_when_scrolled_to(browser, server):
    """A short window on the smoothing page: the charts far below the fold are not drawn
    (no work for the browser), not even after a slider move; scrolled to, each shows the
    figure of the current settings, the one a fresh load of the page's URL draws."""
    page, errors = open_page(browser, f"{server}/Ranking_as_smoothing", "lazy_top", height=800)
    try:
        exact = page.locator(f".st-key-smooth_exact {CHARTS}")
        assert exact.get_attribute("data-in-view") == "0"
        assert exact.locator(".main-svg").count() == 0, "drawn while out of view"
        slider = page.get_by_role("slider", name="α of h_α on the graph").first
        slider.focus()
        page.keyboard.press("ArrowLeft")
        wait_idle(page)
        assert exact.locator(".main-svg").count() == 0, "drawn while out of view"
        exact.scroll_into_view_if_needed()
        page.wait_for_function(
            "c => c.dataset.inView === '1' && c.dataset.drawn === c.dataset.wanted",
            arg=exact.element_handle(), timeout=60_000)
        figure = exact.evaluate("c => JSON.stringify(c.data)")
        assert fresh_load_draws(browser, page.url, "lazy_fresh", lambda p: p.locator(
            f".st-key-smooth_exact {CHARTS}").evaluate("c => JSON.stringify(c.data)"),
            height=4000) == figure
        assert not errors, errors
    finally:
        page.close()


WAIT_PROBE = """
import time
import streamlit as st
from mlviz.ui.waits import noticed, waiting

@noticed("Counting sheep…")
@st.cache_data(show_spinner=False)
def sheep(n):
    time.sleep(n)
    return n

with waiting("Building the graph", ("graph", 1e11)):
    time.sleep(2.6)
sheep(2.6)
st.write("all done")
"""


def test_waits_show_a_still_notice_with_the_seconds_so_far_never_a_spinner(browser, tmp_path):
    """A spinning ring cost a waiting tab 0.1 core-s of Chromium a second: waits show a still
    box whose seconds the server renews, then remove it."""
    with probe_server(tmp_path, WAIT_PROBE) as url:
        page = browser.new_page(viewport={"width": 1000, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        seen: list[str] = []
        spinners = 0
        deadline = time.time() + 60
        while time.time() < deadline and not page.get_by_text("all done").count():
            spinners += page.locator('[data-testid="stSpinner"]').count()
            seen += page.locator('[data-testid="stAlert"]').all_inner_texts()
            page.wait_for_timeout(150)
        assert page.get_by_text("all done").count(), "the probe did not finish"
        page.wait_for_timeout(500)
        assert spinners == 0
        texts = {t.strip().split("\n")[-1].strip() for t in seen}  # after the icon's name
        assert any(t.startswith("Building the graph: about 3 s on this server · ")
                   and t.endswith("s so far") for t in texts), texts
        assert {"Counting sheep · 1 s so far", "Counting sheep · 2 s so far"} & texts, texts
        assert page.locator('[data-testid="stAlert"]').count() == 0, "the notices are gone"
        assert not errors, errors
        page.close()
