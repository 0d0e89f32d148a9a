"""A real server on loopback, Debian's Chromium driven by Playwright, and axe-core checks."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

from config import PROJECT_ROOT
from matcher import create_app
from matcher.extensions import db
from tests.conftest import make_settings
from tests.live import LiveServer
from tests.services import unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def live_server(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    """The app on its own migrated SQLite database, listening on a free loopback port."""
    shutil.copy(sqlite_template, tmp_path / "matcher.sqlite3")
    app = create_app(make_settings(tmp_path, BASE_URL="http://127.0.0.1:1"))
    with LiveServer(app) as server:
        yield server
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; absent Chromium skips (or fails under CI=true)."""
    if not CHROMIUM.exists():
        unavailable("Chromium", FileNotFoundError(str(CHROMIUM)))
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


# Photographs cost every run time (a full page takes a few tenths of a second): they are taken
# for `make screenshots`, which sets this, and of the page a test failed on.
SCREENSHOTS = bool(os.environ.get("MATCHER_SCREENSHOTS"))
FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[pytest.TestReport]:
    """Remember on the test whether its call failed, for the ``page`` fixture's screenshot."""
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


def keep_screenshot(page: Page, name: str, *, failed: bool = False) -> None:
    """Keep a full-page PNG of ``page`` as ``name``, when screenshots are asked for or a test
    failed on it."""
    if SCREENSHOTS or failed:
        path = ARTIFACTS / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)


def page_checker(story: str) -> Callable[[Page, str, str], None]:
    """``checked(page, title, shot)`` for one story's pages: wait for the page, check its
    title and accessibility, and keep its screenshot as ``<story>-<shot>.png``."""

    def checked(page: Page, title: str, shot: str) -> None:
        page.wait_for_load_state()
        assert page.title().startswith(title), page.title()
        assert_accessible(page)
        keep_screenshot(page, f"{story}-{shot}")

    return checked


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context and page, photographed at the end if the test failed."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    tab = context.new_page()
    yield tab
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    keep_screenshot(tab, name, failed=request.node.stash.get(FAILED, True))
    context.close()


# Only violations fail a page: axe-core then records one example node of each rule that passed
# or could not decide, instead of every node, and sends back a result a fraction of the size.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}


def assert_accessible(page: Page) -> None:
    """Fail with axe-core's report when the page breaks any WCAG 2.2 A or AA rule."""
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
