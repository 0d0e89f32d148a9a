"""The public pages work in a real browser and pass axe-core's WCAG 2.2 AA rules."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import LiveServer, assert_accessible


def test_home_page_is_accessible_and_enhanced_by_govuk_frontend(
    live_server: LiveServer, page: Page
):
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )

    page.goto(live_server.url + "/")

    assert page.title() == "Find a placement in local public service \u2013 GOV.UK"
    # The inline script ran under the CSP nonce, and the module script loaded.
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")
    assert errors == []
    assert_accessible(page)


def test_missing_page_is_accessible(live_server: LiveServer, page: Page):
    response = page.goto(live_server.url + "/no-such-page")

    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert_accessible(page)


def test_skip_link_is_the_first_thing_the_keyboard_reaches(live_server: LiveServer, page: Page):
    page.goto(live_server.url + "/")

    page.keyboard.press("Tab")

    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
