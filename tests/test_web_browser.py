"""End to end in a real browser: Playwright driving Debian's chromium against the review app
served by waitress. A reviewer logs in, opens the queue, edits and approves a draft, rejects
another with a reason, and finds the approved text in the export. Screenshots of the queue and
of a draft page are saved under test-artifacts/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from waitress.server import create_server

from tests.pageserver import PageServer
from tests.test_email_screens import ARTIFACTS, CHROMIUM, FLAGS
from tests.webapp import PASSWORD, USERS, Site, make_site

EDITED = "28 Nov: Amended 'Financial allowances' following the £40 million kinship allowance trial."


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"chromium is required at {CHROMIUM} (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def served(tmp_path: Path, page_server: PageServer, sqlite_url: str) -> Iterator[tuple[Site, str]]:
    """The review app over real drafts, served by waitress on a free loopback port."""
    site = make_site(tmp_path, page_server, sqlite_url)
    server = create_server(site.app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield site, f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(5)
        site.store.engine.dispose()


def log_in(page: Page, base: str) -> None:
    page.goto(base + "/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Email").fill(USERS["reviewer"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()


def open_draft(page: Page, site: Site, base: str, source_id: str) -> None:
    page.goto(base + "/")
    page.locator(f'a[href="/drafts/{site.draft_for(source_id)}"]').click()
    expect(page.get_by_role("heading", name="Why this draft exists")).to_be_visible()


def test_reviewer_edits_approves_rejects_and_exports(
    browser: Browser, served: tuple[Site, str]
) -> None:
    site, base = served
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, base)
    expect(page.locator("table.queue tbody tr")).to_have_count(3)
    page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)

    open_draft(page, site, base, "money")
    expect(page.locator("details .diff-inline ins").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "review-draft.png"), full_page=True)
    page.get_by_label("Update-history line").fill(EDITED)
    page.get_by_role("button", name="Save edit").click()
    expect(page.get_by_text("Saved your edit")).to_be_visible()
    expect(page.get_by_label("Update-history line")).to_have_value(EDITED)
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text(f"Approved draft #{site.draft_for('money')}")).to_be_visible()

    open_draft(page, site, base, "xss")
    expect(page.get_by_text("<script>alert('xss')</script>").first).to_be_visible()  # as text
    page.get_by_label("Reason").select_option("not-relevant")
    page.get_by_label("Note (optional; required with “Other”)").fill("a test page")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_text(f"Rejected draft #{site.draft_for('xss')}")).to_be_visible()
    expect(page.locator("table.queue tbody tr")).to_have_count(1)

    page.get_by_role("link", name="Approved updates").click()
    expect(page.get_by_text(EDITED)).to_be_visible()
    export = page.request.get(base + "/approved/export.md")
    assert export.ok and EDITED in export.text()
    assert (ARTIFACTS / "review-queue.png").stat().st_size > 10_000
    assert (ARTIFACTS / "review-draft.png").stat().st_size > 10_000
    page.close()


def test_a_phone_sized_screen_and_a_keyboard_can_do_everything(
    browser: Browser, served: tuple[Site, str]
) -> None:
    """At 390px nothing is wider than the screen; a keyboard user sees where focus is."""
    site, base = served
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    log_in(page, base)
    wider = "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    assert not page.evaluate(wider), "the queue scrolls sideways"
    page.screenshot(path=str(ARTIFACTS / "review-queue-390.png"), full_page=True)
    for path in (f"/drafts/{site.draft_for('money')}", "/sources/", "/sources/money"):
        page.goto(base + path)
        assert not page.evaluate(wider), f"{path} scrolls sideways"
    page.goto(base + f"/drafts/{site.draft_for('money')}")
    page.screenshot(path=str(ARTIFACTS / "review-draft-390.png"), full_page=True)

    page.keyboard.press("Tab")  # the first stop: the skip link, shown when focused
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.get_by_label("Update-history line").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")  # focus by keyboard, so :focus-visible applies
    ring = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert ring[0] == "solid" and ring[1] >= 3, ring
    page.close()
