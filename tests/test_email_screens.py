"""A rendered alert and digest opened in a real browser (Debian's chromium) and saved as
screenshots under test-artifacts/, so a person can check that they read well."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from monitor.diff import diff_documents
from monitor.document import Block, BlockKind, Document
from monitor.render import render_json
from notifications.render import AlertItem, render_alert, render_digest

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = os.environ.get("POLICY_MONITOR_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"chromium is required at {CHROMIUM} (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def item(section: str, allowance: str) -> AlertItem:
    old = Document(
        "Kinship care: financial support",
        (
            Block(BlockKind.HEADING, "Allowances", 2),
            Block(BlockKind.PARAGRAPH, "Local authorities decide whether to pay an allowance."),
        ),
    )
    new = Document(
        "Kinship care: financial support",
        (
            Block(BlockKind.HEADING, "Allowances", 2),
            Block(
                BlockKind.PARAGRAPH,
                f"The government will pay a kinship allowance of {allowance} "
                "a week in 10 local authorities from April 2026.",
            ),
        ),
    )
    return AlertItem(
        source_id="dfe-kinship-money",
        source_name="Kinship care: financial support",
        url="https://www.gov.uk/guidance/kinship-care-financial-support",
        section_title=section,
        event="Content amended: the kinship allowance trial",
        history_line=f"28 Nov: Amended '{section}' section following the kinship allowance trial.",
        paragraph=f"The Department for Education will pay {allowance} a week <script>x</script>.",
        diff_json=render_json(diff_documents(old, new)),
        score=0.92,
        review_url="https://monitor.example.org/drafts/7",
        detected_at=datetime.now(UTC),
    )


def shoot(browser: Browser, html: str, name: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 800, "height": 900})
    page.set_content(html)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    text = page.inner_text("body")
    page.close()
    assert path.stat().st_size > 5000
    return text


def test_alert_renders_in_a_browser(browser: Browser) -> None:
    rendered = render_alert(item("Financial allowances", "£200"))
    text = shoot(browser, rendered.html, "email-alert.png")
    assert "28 Nov: Amended 'Financial allowances' section" in text
    assert "£200" in text and "<script>x</script>" in text  # shown as text, not run
    assert "Review this draft" in text


def test_digest_renders_in_a_browser(browser: Browser) -> None:
    rendered = render_digest(
        [item("Financial allowances", "£200"), item("Kinship care leave", "£0")],
        [item("Financial allowances", "£210")],
        since=datetime(2026, 11, 27, 7, 30, tzinfo=UTC),
        until=datetime.now(UTC),
    )
    text = shoot(browser, rendered.html, "email-digest.png")
    assert text.index("Needs review") < text.index("For information")
    assert "Kinship care leave" in text
