"""Tests for notifications.render: alert, digest and ops emails, and the diff excerpt."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime

import lxml.html
import pytest

from monitor.diff import diff_documents
from monitor.document import Block, BlockKind, Document
from monitor.render import changes_to_dict
from notifications.render import (
    MAX_SUBJECT,
    AlertItem,
    Rendered,
    diff_excerpt,
    render_alert,
    render_digest,
    render_ops,
)

URL = "https://www.gov.uk/government/publications/kinship-allowance-trial"
REVIEW = "https://review.example.org/drafts/12"
HISTORY = (
    "28 Nov: Amended 'Financial allowances' section following publication of "
    "'Kinship allowance trial' by the Department for Education."
)
PARAGRAPH = (
    "On 28 November 2026, the Department for Education published details of a kinship "
    "allowance trial in ten local authorities."
)
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
URL_RE = re.compile(r"https?://[^\s\"'<>)]+")


def doc(title: str, *blocks: Block) -> Document:
    return Document(title, blocks)


def heading(text: str, level: int = 2) -> Block:
    return Block(BlockKind.HEADING, text, level)


def para(text: str) -> Block:
    return Block(BlockKind.PARAGRAPH, text)


def stored_diff(old: Document, new: Document) -> str:
    """A diff as the store keeps it: changes_to_dict, as JSON."""
    return json.dumps(changes_to_dict(diff_documents(old, new)), ensure_ascii=False)


LONG_OPENING = (
    "Kinship carers in England who look after a child under a special guardianship order "
    "can ask their local authority for an allowance of "
)
LONG_CLOSING = (
    " a week, depending on where they live, the child's needs and the carer's income and "
    "other circumstances."
)
OLD = doc(
    "Kinship allowance",
    heading("Financial support"),
    heading("Allowances", 3),
    para(LONG_OPENING + "£100" + LONG_CLOSING),
    para("Payments are reviewed every year."),
)
NEW = doc(
    "Kinship allowance",
    heading("Financial support"),
    heading("Allowances", 3),
    para(LONG_OPENING + "£120" + LONG_CLOSING),
    para("Payments are reviewed every year."),
    para("A trial in ten local authorities starts in April 2027."),
)
DIFF = stored_diff(OLD, NEW)


def item(**changes: object) -> AlertItem:
    base = AlertItem(
        source_id="dfe-kinship-allowance",
        source_name="Kinship allowance trial (DfE)",
        url=URL,
        section_title="Financial allowances",
        event="New publication: Kinship allowance trial — DfE",
        history_line=HISTORY,
        paragraph=PARAGRAPH,
        diff_json=DIFF,
        score=0.82,
        review_url=REVIEW,
        detected_at=datetime(2026, 11, 28, 9, 15, tzinfo=UTC),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def parse(rendered: Rendered) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(rendered.html)


def assert_safe_document(rendered: Rendered, allowed_links: set[str]) -> None:
    """A complete HTML document, inline CSS only, no resources, links only to the given URLs."""
    page = rendered.html
    assert page.startswith("<!doctype html>")
    assert "<html" in page and "<body" in page and page.rstrip().endswith("</html>")
    assert "max-width:640px" in page
    # Only escaped text may look like markup: no element that loads or runs anything.
    for tag in ("<img", "<link", "<style", "<script", "<iframe", "<object", "<embed"):
        assert tag not in page.lower()
    assert set(URL_RE.findall(page)) <= allowed_links
    tree = lxml.html.document_fromstring(page)
    assert not tree.xpath("//script | //img | //link | //style | //iframe | //object")
    for element in tree.iter():
        for name in element.attrib:
            assert not name.lower().startswith("on"), (element.tag, name)
            assert name.lower() not in ("src", "srcset", "background"), (element.tag, name)
        style = element.get("style", "").lower()
        assert "url(" not in style and "@import" not in style
    hrefs = {a.get("href") for a in tree.iter("a")}
    assert hrefs <= allowed_links
    assert "\r" not in rendered.subject and "\n" not in rendered.subject
    assert len(rendered.subject) <= MAX_SUBJECT


# --- alert ---------------------------------------------------------------------------------------


def test_alert_subject_names_section_and_event() -> None:
    rendered = render_alert(item())
    assert (
        rendered.subject == "[Financial allowances] New publication: Kinship allowance trial — DfE"
    )


def test_alert_subject_is_one_line_and_truncated() -> None:
    event = "New publication:\r\nBcc: victim@example.org\n" + "very long title " * 30
    rendered = render_alert(item(event=event))
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert rendered.subject.startswith("[Financial allowances] New publication: Bcc: victim@")
    assert len(rendered.subject) == MAX_SUBJECT
    assert rendered.subject.endswith("…")


def test_alert_body_has_draft_excerpt_and_links() -> None:
    rendered = render_alert(item())
    page = parse(rendered)
    body_text = page.text_content()
    assert HISTORY in body_text
    assert PARAGRAPH in body_text
    assert "Financial support › Allowances" in body_text
    assert [del_.text_content() for del_ in page.iter("del")] == ["100"]
    assert "120" in [ins.text_content() for ins in page.iter("ins")]
    assert all(el.get("style") for el in [*page.iter("ins"), *page.iter("del")])
    links = {a.text_content(): a.get("href") for a in page.iter("a")}
    assert links["Review this draft"] == REVIEW
    assert links["Open the source page"] == URL
    assert "subscribed" in body_text and "‘Financial allowances’ section" in body_text
    assert_safe_document(rendered, {URL, REVIEW})


def test_alert_text_part_mirrors_html() -> None:
    rendered = render_alert(item())
    text = rendered.text
    for fact in (
        "Financial allowances",
        "New publication: Kinship allowance trial — DfE",
        HISTORY,
        PARAGRAPH,
        "Financial support › Allowances",
        "£[-100-]{+120+}",
        f"Review this draft: {REVIEW}",
        f"Source page: {URL}",
        "28 Nov 2026, 09:15 UTC",
        "0.82",
        "subscribed",
    ):
        assert fact in text, fact
    assert "<" not in text.replace(f"<{URL}>", "")


def test_alert_without_review_url_or_diff() -> None:
    rendered = render_alert(item(review_url=None, diff_json=None))
    assert "Review this draft" not in rendered.html
    assert "Review this draft" not in rendered.text
    assert "What changed" not in rendered.text
    assert "<ins" not in rendered.html
    assert HISTORY in rendered.text
    assert_safe_document(rendered, {URL})


def test_alert_escapes_page_text() -> None:
    hostile = item(
        source_name=f"DfE {IMG}",
        section_title=f"Financial {SCRIPT}",
        event=f"New publication: {IMG}",
        history_line=f"28 Nov: {SCRIPT}",
        paragraph=f"The page says {SCRIPT} and {IMG}\x1b[31m.",
        diff_json=stored_diff(OLD, doc("Kinship allowance", *OLD.blocks, para(SCRIPT + IMG))),
    )
    rendered = render_alert(hostile)
    assert_safe_document(rendered, {URL, REVIEW})
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered.html
    page = parse(rendered)
    # Shown as text, so the reader still sees what the page said.
    assert SCRIPT in page.text_content() and IMG in page.text_content()
    assert "\x1b" not in rendered.text and "\x1b" not in rendered.html
    assert rendered.subject == "[Financial <script>alert(1)</script>] New publication: " + IMG


def test_alert_does_not_link_non_http_urls() -> None:
    rendered = render_alert(
        item(url="javascript:alert(1)", review_url="data:text/html,<script>alert(1)</script>")
    )
    page = parse(rendered)
    assert not list(page.iter("a"))
    assert "javascript:alert(1)" in page.text_content()  # shown as text, inert
    assert "Review this draft" not in rendered.text
    assert_safe_document(rendered, set())


# --- digest --------------------------------------------------------------------------------------


SINCE = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
UNTIL = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def digest_items() -> tuple[list[AlertItem], list[AlertItem]]:
    review = [
        item(section_title="Kinship care leave", event="Leave A", review_url=REVIEW + "?a"),
        item(section_title="Financial allowances", event="Money B", review_url=REVIEW + "?b"),
        item(section_title="Kinship care leave", event="Leave C", review_url=REVIEW + "?c"),
    ]
    info = [
        item(section_title="Access to legal aid", event="Legal D", review_url=None),
        item(section_title="Financial allowances", event="Money E", review_url=None),
    ]
    return review, info


def test_digest_subject_counts_and_date() -> None:
    review, info = digest_items()
    rendered = render_digest(review, info, since=SINCE, until=UNTIL)
    assert rendered.subject == "policy-monitor digest: 3 to review, 2 for information (28 Nov 2026)"


def test_digest_groups_by_section_in_first_appearance_order() -> None:
    review, info = digest_items()
    rendered = render_digest(review, info, since=SINCE, until=UNTIL)
    page = parse(rendered)
    outline = [
        (el.tag, el.text_content()) for el in page.iter("h2", "h3", "strong") if el.text_content()
    ]
    assert outline == [
        ("h2", "Needs review (3)"),
        ("h3", "Kinship care leave"),
        ("strong", "Leave A"),
        ("strong", "Leave C"),
        ("h3", "Financial allowances"),
        ("strong", "Money B"),
        ("h2", "For information (2)"),
        # Same section order in both parts: first appearance over the whole digest.
        ("h3", "Financial allowances"),
        ("strong", "Money E"),
        ("h3", "Access to legal aid"),
        ("strong", "Legal D"),
    ]
    text = rendered.text
    order = [
        "NEEDS REVIEW (3)",
        "Kinship care leave",
        "* Leave A",
        "* Leave C",
        "Financial allowances",
        "* Money B",
        "FOR INFORMATION (2)",
        "Financial allowances",
        "* Money E",
        "Access to legal aid",
        "* Legal D",
    ]
    positions = []
    start = 0
    for fact in order:
        start = text.index(fact, start)
        positions.append(start)
    assert positions == sorted(positions)


def test_digest_parts_and_links() -> None:
    review, info = digest_items()
    rendered = render_digest(review, info, since=SINCE, until=UNTIL)
    needs, _, information = rendered.text.partition("FOR INFORMATION")
    assert needs.count("Review this draft:") == 3
    assert "Review this draft" not in information
    assert "Legal D" in information and "Legal D" not in needs
    assert "27 Nov 2026, 08:00 UTC to 28 Nov 2026, 08:00 UTC" in rendered.text
    assert HISTORY in rendered.text and PARAGRAPH in rendered.text
    assert PARAGRAPH in parse(rendered).text_content()
    assert "£[-100-]{+120+}" in rendered.text or "{+A trial" in rendered.text
    assert_safe_document(rendered, {URL, REVIEW + "?a", REVIEW + "?b", REVIEW + "?c"})


def test_digest_with_an_empty_part() -> None:
    rendered = render_digest([], [item()], since=SINCE, until=UNTIL)
    assert rendered.subject.startswith("policy-monitor digest: 0 to review, 1 for information")
    assert "Nothing needs review." in rendered.text
    assert "Nothing needs review." in parse(rendered).text_content()


def test_digest_escapes_page_text() -> None:
    hostile = item(section_title=SCRIPT, event=IMG, history_line=SCRIPT, source_name=IMG)
    rendered = render_digest([hostile], [hostile], since=SINCE, until=UNTIL)
    assert_safe_document(rendered, {URL, REVIEW})
    assert SCRIPT in parse(rendered).text_content()


# --- ops -----------------------------------------------------------------------------------------


def test_ops_failing() -> None:
    rendered = render_ops("DfE kinship guidance", "dfe", URL, 3, "cannot resolve host", False)
    assert (
        rendered.subject
        == "[policy-monitor] Source failing: DfE kinship guidance (3 checks in a row)"
    )
    for part in (rendered.text, parse(rendered).text_content()):
        assert "cannot resolve host" in part
        assert "dfe" in part and URL in part
        assert "3 checks in a row" in part
    assert_safe_document(rendered, {URL})


def test_ops_recovered() -> None:
    rendered = render_ops("DfE kinship guidance", "dfe", URL, 4, "HTTP 503", True)
    assert rendered.subject == "[policy-monitor] Source recovered: DfE kinship guidance"
    assert "HTTP 503" in rendered.text and "HTTP 503" in rendered.html
    assert "recover" in rendered.text


def test_ops_escapes_error_and_handles_none() -> None:
    rendered = render_ops(f"Bad\n{IMG}", "bad", "javascript:x", 3, f"500: {SCRIPT}", False)
    assert_safe_document(rendered, set())
    assert "\n" not in rendered.subject
    assert SCRIPT in parse(rendered).text_content()
    assert "No error message" in render_ops("A", "a", URL, 3, None, False).text


# --- diff excerpt --------------------------------------------------------------------------------


def test_diff_excerpt_from_a_stored_diff() -> None:
    text, html = diff_excerpt(DIFF)
    assert text.splitlines() == [
        "Financial support › Allowances",
        # Eight words of context either side of the change, the rest cut.
        "  … their local authority for an allowance of £[-100-]{+120+} a week, depending on"
        " where they live, the …",
        "  {+A trial in ten local authorities starts in April 2027.+}",
    ]
    fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    assert [el.text_content() for el in fragment.iter("ins")] == [
        "120",
        "A trial in ten local authorities starts in April 2027.",
    ]
    assert [el.text_content() for el in fragment.iter("del")] == ["100"]
    assert "Financial support › Allowances" in fragment.text_content()
    assert all("style" in el.attrib for el in fragment.iter("ins", "del"))


def test_diff_excerpt_strips_block_markers_and_names_headings() -> None:
    old = doc("Guidance", heading("Support"), para("Intro."))
    new = doc(
        "Guidance (updated)",
        heading("Support"),
        para("Intro."),
        heading("Complaints", 3),
        Block(BlockKind.LIST_ITEM, "Write to the council."),
    )
    text, _ = diff_excerpt(stored_diff(old, new))
    assert "Page title\n  Guidance{+ (updated)+}" in text
    assert "New heading: {+Complaints+}" in text
    assert "{+Write to the council.+}" in text
    assert "## " not in text and "- Write" not in text


@pytest.mark.parametrize("value", [None, "", "not json", "[1, 2]", '{"hunks": [{"kind": "x"}]}'])
def test_diff_excerpt_missing_or_unreadable(value: str | None) -> None:
    assert diff_excerpt(value) == ("", "")


def test_diff_excerpt_limits_lines_and_prefers_insertions() -> None:
    old = doc(
        "Page", para("Intro."), *(para(f"Obsolete fostering pilot note {i}.") for i in range(5))
    )
    added = [
        para(f"A trial in ten local authorities starts in April {2027 + i}.") for i in range(5)
    ]
    text, html = diff_excerpt(stored_diff(old, doc("Page", para("Intro."), *added)), max_lines=4)
    lines = text.splitlines()
    assert lines == [
        "Top of the page",
        "  {+A trial in ten local authorities starts in April 2027.+}",
        "  {+A trial in ten local authorities starts in April 2028.+}",
        "… and 8 more changes on the page.",
    ]  # removals lose out to additions when space is short
    assert lines[-1] in lxml.html.fragment_fromstring(html, create_parent="div").text_content()
    full, _ = diff_excerpt(stored_diff(old, doc("Page", para("Intro."), *added)), max_lines=50)
    assert full.count("Removed: [-Obsolete") == 5 and "more changes" not in full


def test_diff_excerpt_escapes_page_text() -> None:
    text, html = diff_excerpt(stored_diff(OLD, doc("Kinship allowance", para(SCRIPT + IMG))))
    assert SCRIPT in text
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
