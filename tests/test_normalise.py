"""normalise_text / normalise_document canonicalise text; is_content_missing spots error pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.document import Block, BlockKind, Document, Metadata
from monitor.extract import extract_html
from monitor.normalise import (
    NEAR_EMPTY_CHARS,
    PREVIOUS_SUBSTANTIAL_CHARS,
    is_content_missing,
    normalise_document,
    normalise_text,
)

P = BlockKind.PARAGRAPH
FIXTURES = Path(__file__).resolve().parent / "fixtures"  # recorded pages, see FIXTURES.md


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  plain   text \n", "plain text"),
        ("tabs\tand\nnew\r\nlines", "tabs and new lines"),
        ("non\u00a0breaking\u202fspaces", "non breaking spaces"),
        ("zero\u200bwidth\u200c\u200d\u2060\ufeff", "zerowidth"),
        ("soft\u00adhyphen", "softhyphen"),
        ("cafe\u0301", "caf\u00e9"),  # decomposed e + combining acute -> NFC
        ("ideographic\u3000space and\u2028line separator", "ideographic space and line separator"),
        ("children’s “quotes” stay curly", "children’s “quotes” stay curly"),
        ("", ""),
        (" \u00a0\u200b ", ""),
    ],
)
def test_normalise_text(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


def test_normalise_text_is_idempotent() -> None:
    once = normalise_text(" a\u00a0b\u200bc  cafe\u0301 ")
    assert normalise_text(once) == once


def test_normalise_document_normalises_everything_and_drops_empty_blocks() -> None:
    doc = Document(
        title="  Title\u00a0here ",
        blocks=(
            Block(BlockKind.HEADING, " Heading\n", 2),
            Block(P, " \u200b "),
            Block(BlockKind.LIST_ITEM, "item\t one"),
        ),
        metadata=Metadata(
            published=" 2020-04-03 ",
            change_note="  Updated\nguidance ",
            withdrawn="   ",
            extra=(("change_history", " 2021: note "), ("empty", "  ")),
        ),
    )
    result = normalise_document(doc)
    assert result.title == "Title here"
    assert result.blocks == (
        Block(BlockKind.HEADING, "Heading", 2),
        Block(BlockKind.LIST_ITEM, "item one"),
    )
    assert result.metadata == Metadata(
        published="2020-04-03",
        change_note="Updated guidance",
        withdrawn=None,
        extra=(("change_history", "2021: note"),),
    )


def _doc(title: str, *texts: str, heading: str | None = None) -> Document:
    blocks = ((Block(BlockKind.HEADING, heading, 1),) if heading else ()) + tuple(
        Block(P, t) for t in texts
    )
    return Document(title=title, blocks=blocks)


def _page(title: str, h1: str, body: str) -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body><main id='content'>"
        f"<h1>{h1}</h1><p>{body}</p></main></body></html>"
    ).encode()


def test_flags_govuk_problem_page() -> None:
    page = _page(
        "Sorry, there is a problem with the service - GOV.UK",
        "Sorry, there is a problem with the service",
        "Try again later. We saved your answers. They will be available for 30 days.",
    )
    reason = is_content_missing(extract_html(page, profile="govuk"), 25_000)
    assert reason is not None and "problem with the service" in reason


@pytest.mark.parametrize(
    ("title", "heading"),
    [
        ("Page not found - GOV.UK", "Page not found"),
        ("Just a moment...", ""),
        ("502 Bad Gateway", "502 Bad Gateway"),
        ("Service unavailable", "Sorry, the service is unavailable"),
        ("Error", "Access denied"),
        ("GOV.UK", "This service is down for maintenance"),
        ("Too Many Requests", ""),
        ("Internal Server Error", ""),
    ],
)
def test_flags_error_and_maintenance_titles_with_short_bodies(title: str, heading: str) -> None:
    doc = _doc(title, "Please try again later.", heading=heading or None)
    assert is_content_missing(doc, None) is not None


def test_error_words_in_a_long_real_document_are_not_flagged() -> None:
    doc = _doc("Access denied: appeals against refusals", "Real guidance text. " * 100)
    assert is_content_missing(doc, 2000) is None


def test_child_maintenance_is_not_a_maintenance_page() -> None:
    doc = _doc("Child maintenance", "How to arrange child maintenance.", heading="Overview")
    assert is_content_missing(doc, None) is None


def test_flags_near_empty_page_when_previous_was_long() -> None:
    doc = _doc("Guidance", "Loading…")
    reason = is_content_missing(doc, 30_000)
    assert reason is not None and "vanished" in reason and "30000" in reason


@pytest.mark.parametrize(
    "previous",
    [None, 150, PREVIOUS_SUBSTANTIAL_CHARS],  # first sight, or the page was always short
)
def test_short_page_is_fine_when_it_was_short_before(previous: int | None) -> None:
    assert is_content_missing(_doc("Contact us", "Call 0300 123 4567."), previous) is None


def test_shrink_must_be_below_the_ratio_too() -> None:
    # NEAR_EMPTY_CHARS - 1 characters now, 1,200 before: under 200 but above 10% of before.
    doc = _doc("Short", "x" * (NEAR_EMPTY_CHARS - 1))
    assert is_content_missing(doc, 1200) is None
    assert is_content_missing(doc, 20_000) is not None


def test_flags_zero_blocks() -> None:
    assert is_content_missing(Document(title="Anything", blocks=()), None) is not None


def test_passes_a_normal_page() -> None:
    page = next((FIXTURES / "gitgovuk" / "adoption-support-fund-asf").glob("20220711*/*.html"))
    doc = extract_html(page.read_bytes(), profile="govuk")
    assert is_content_missing(doc, doc.text_length()) is None
    assert is_content_missing(doc, None) is None
