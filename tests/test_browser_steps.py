"""The guided steps in a real browser: a section walked with clicks, links opening their step.

Uses the server and Chromium of :mod:`test_browser` (skipped, with the reason, where Chromium or
Playwright is missing). Screenshots of every step go to $MLVIZ_ARTIFACTS (test-artifacts/).
"""

from urllib.parse import parse_qs, urlparse

import pytest
from test_browser import ARTIFACTS, browser, server, wait_idle  # noqa: F401  (fixtures)

from mlviz.ui.tour import SECTIONS

pytestmark = pytest.mark.browser


def url_param(page, name: str) -> str:
    return parse_qs(urlparse(page.evaluate("location.href")).query).get(name, [""])[0]


def heading(page) -> str:
    return page.locator('[data-testid="stMain"] h3').first.inner_text()


def click(page, locator) -> None:
    locator.click()
    page.wait_for_timeout(400)
    wait_idle(page)


def check_figure(page) -> None:
    """One figure, drawn: a plotly chart with marks, or a graphviz diagram with its nodes."""
    charts = page.locator('[data-testid="mlvizChart"]')
    diagrams = page.locator('[data-testid="stGraphVizChart"]')
    assert charts.count() + diagrams.count() == 1, (charts.count(), diagrams.count())
    if charts.count():
        charts.first.locator(".main-svg").first.wait_for(timeout=30_000)
        marks = charts.first.locator(".scatterlayer .point, .scatterlayer .trace path, canvas")
        assert marks.count() > 0, "the chart rendered no marks"
    else:
        diagrams.first.locator("svg g.node").first.wait_for(timeout=30_000)
        assert diagrams.first.locator("svg g.node").count() >= 4


def new_page(browser, height: int = 1700):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def test_a_section_walked_with_clicks(browser, server):  # noqa: F811
    """Smoothing: at its defaults its URL is empty, the case where a link to the page it is
    on once left the address bar without the step."""
    section = SECTIONS["smoothing"]
    path = "/" + section.page.split("/")[-1].removesuffix(".py").split("_", 1)[1]
    last = len(section.steps)
    page, errors = new_page(browser)
    try:
        page.goto(server + path)
        wait_idle(page)
        assert url_param(page, section.param) == ""
        bar = page.locator('[data-testid="stPageLink"]', has_text="Start").first
        click(page, bar)
        for k in range(1, last + 1):
            assert url_param(page, section.param) == str(k), page.evaluate("location.href")
            assert heading(page).startswith(f"{k} / {last}"), heading(page)
            check_figure(page)
            page.screenshot(path=str(ARTIFACTS / f"steps_smoothing_{k}.png"), full_page=True)
            if k < last:
                click(page, page.get_by_role("button", name="Next"))
        click(page, page.get_by_role("button", name="Back"))
        assert url_param(page, section.param) == str(last - 1)
        click(page, page.get_by_role("button", name="Next"))
        click(page, page.get_by_role("button", name="Explore freely"))
        assert url_param(page, section.param) == "", page.evaluate("location.href")
        main = page.locator('[data-testid="stMain"]')
        assert main.locator("h1").first.inner_text().strip() == section.title
        assert main.get_by_text("The graph's Fourier modes").count() > 0, "the full page"
        assert not errors, errors
    finally:
        page.close()


def test_a_fresh_context_opens_the_step_of_its_url(browser, server):  # noqa: F811
    section = SECTIONS["label propagation"]
    last = len(section.steps)
    context = browser.new_context(viewport={"width": 1400, "height": 1700})
    try:
        page = context.new_page()
        page.goto(f"{server}/Label_propagation?{section.param}={last}")
        wait_idle(page)
        assert heading(page).startswith(f"{last} / {last}"), heading(page)
        assert url_param(page, section.param) == str(last)
        check_figure(page)  # the deep LP loop: a diagram
        page.screenshot(path=str(ARTIFACTS / f"steps_lp_{last}.png"), full_page=True)
    finally:
        context.close()


def test_the_home_page_link_opens_step_1(browser, server):  # noqa: F811
    section = SECTIONS["ranking"]
    page, errors = new_page(browser)
    try:
        page.goto(server)
        wait_idle(page)
        click(page, page.locator('[data-testid="stPageLink"]', has_text="step by step").first)
        assert url_param(page, section.param) == "1", page.evaluate("location.href")
        assert heading(page).startswith(f"1 / {len(section.steps)}"), heading(page)
        assert not errors, errors
    finally:
        page.close()
