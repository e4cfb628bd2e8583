"""Discovered documents (attachments, followed results) and the ``pdf`` kind.

``discover()`` is tested on recorded responses: a real Content API publication item, the
gitgovuk HTML pages with attachment sections, the GOV.UK search and feed recordings. Items
marked *derived* are a recorded item with fields added in the test, in the shape of the
publishing-api ``publication`` schema. The PDFs in tests/fixtures/pdf/ are made by
:func:`minimal_pdf` below (``python -m tests.test_discover`` writes them again; see NOTES.md).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from monitor.config import Source
from monitor.document import BlockKind, Document
from monitor.errors import ContentMissing
from monitor.fetch import FetchResult, Validators
from monitor.sources import get_kind
from monitor.sources.base import Discovers, Discovery
from monitor.sources.pdf import NO_TEXT, paragraphs_of
from tests.climonitor import Monitor
from tests.pageserver import FIXTURES_DIR, PageServer, Route, fixture_bytes, versions

PUBLICATION = "publishing-api/content_schemas/examples/publication/frontend/{}.json"
HTML_PUBLICATION = "publishing-api/content_schemas/examples/html_publication/frontend/{}.json"
FEATURED = PUBLICATION.format("publication-with-featured-attachments")
ASSET_PDF = (
    "https://assets.publishing.service.gov.uk/government/uploads/system/uploads/"
    "attachment_data/file/315163/PUBLIC_1392629965.pdf"
)
COVID = versions("coronavirus-covid-19-guidance-for-childrens-social-care-services")
REVIEW = versions("national-review-arthur-labinjo-hughes")
LETTER = "Letter from the Secretary of State for Education to Annie Hudson"
SEARCH_V2 = FIXTURES_DIR / "govuk-search" / "kinship-20250704.json"
ATOM_V2 = FIXTURES_DIR / "feeds" / "govuk-search-kinship-20250704.atom"
RSS_V1 = FIXTURES_DIR / "feeds" / "parliament-allbills-20250201.rss"
PDF_DIR = FIXTURES_DIR / "pdf"
HOST = "http://127.0.0.1:8123"
JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"


# -- helpers -----------------------------------------------------------------------------------


def source(kind: str, url: str = f"{HOST}/page", **options: Any) -> Source:
    """A resolved source of ``kind`` with ``options`` validated by the kind."""
    return Source.model_validate(
        {
            "id": "src",
            "name": "Source",
            "url": url,
            "kind": kind,
            "schedule": {"interval": 86400},
            "select": (),
            "ignore": (),
            "sections": (),
            "tags": (),
            "options": get_kind(kind).Options.model_validate(options),
            "defaults": {},
        }
    )


def fetched(body: bytes, content_type: str, url: str = f"{HOST}/page") -> FetchResult:
    return FetchResult(url, url, 200, body, content_type, Validators(), 0.0)


def discover(src: Source, result: FetchResult) -> list[Discovery]:
    kind = get_kind(src.kind)
    assert isinstance(kind, Discovers)
    return kind.discover(src, result)


API_URL = f"{HOST}/api/content/government/publications/number-of-ex-regular-service-personnel"


def item_discoveries(item: dict[str, Any], **options: Any) -> list[Discovery]:
    body = json.dumps(item).encode()
    return discover(source("govuk", **options), fetched(body, JSON, API_URL))


def featured_item() -> dict[str, Any]:
    return json.loads(fixture_bytes(FEATURED))


def with_attachments(*extra: dict[str, Any], featured: list[str] | None = None) -> dict[str, Any]:
    """Derived: the recorded item with more attachments (and featured ids) added."""
    item = copy.deepcopy(featured_item())
    item["details"]["attachments"] += list(extra)
    if featured is not None:
        item["details"]["featured_attachments"] = featured
    return item


def html_attachment(n: int) -> dict[str, Any]:
    return {
        "attachment_type": "html",
        "id": f"html-{n}",
        "title": f"HTML guidance part {n}",
        "url": f"/government/publications/number-of-ex-regular-service-personnel/part-{n}",
    }


def page_discoveries(page: Path, **options: Any) -> list[Discovery]:
    url = f"{HOST}/government/publications/x"
    return discover(source("govuk", url, **options), fetched(page.read_bytes(), HTML, url))


# -- govuk: Content API items ------------------------------------------------------------------


def test_recorded_publication_pdf_attachment_is_found() -> None:
    found = item_discoveries(featured_item())
    assert found == [
        Discovery(
            url=ASSET_PDF,
            kind="pdf",
            name="Number of ex-regular service personnel now part of FR20",
            relation="attachment",
        )
    ]


def test_html_and_pdf_attachments_featured_first_others_skipped() -> None:
    csv = {"attachment_type": "file", "id": "d.csv", "title": "Data", "url": "/d.csv",
           "content_type": "text/csv"}  # fmt: skip
    external = {"attachment_type": "external", "id": "e", "title": "E", "url": "https://e.org/"}
    untyped_pdf = {"attachment_type": "file", "id": "u", "title": "Annex", "url": "/u/annex.PDF"}
    item = with_attachments(
        csv, external, html_attachment(1), untyped_pdf, featured=["html-1", "PUBLIC_1392629965.pdf"]
    )
    found = item_discoveries(item)
    assert [(d.kind, d.name) for d in found] == [
        ("govuk", "HTML guidance part 1"),
        ("pdf", "Number of ex-regular service personnel now part of FR20"),
        ("pdf", "Annex"),
    ]
    # relative URLs keep the fetched URL's scheme and host; absolute asset URLs stay absolute
    assert (
        found[0].url
        == f"{HOST}/government/publications/number-of-ex-regular-service-personnel/part-1"
    )
    assert found[1].url == ASSET_PDF
    assert found[2].url == f"{HOST}/u/annex.PDF"
    assert {d.relation for d in found} == {"attachment"}


def test_item_without_attachments_discovers_nothing() -> None:
    for name in ("published", "withdrawn"):
        assert item_discoveries(json.loads(fixture_bytes(HTML_PUBLICATION.format(name)))) == []
    assert (
        item_discoveries(json.loads(fixture_bytes(PUBLICATION.format("best-practice-research"))))
        == []
    )


def test_max_attachments_bounds_and_attachments_false_turns_it_off() -> None:
    item = with_attachments(*(html_attachment(n) for n in range(1, 6)))
    assert len(item_discoveries(item)) == 6
    bounded = item_discoveries(item, max_attachments=2)
    assert [d.name for d in bounded] == [
        "Number of ex-regular service personnel now part of FR20",
        "HTML guidance part 1",
    ]
    assert item_discoveries(item, max_attachments=0) == []
    assert item_discoveries(item, attachments=False) == []


def test_duplicate_attachment_urls_are_found_once() -> None:
    twice = dict(html_attachment(1), id="again", title="Same page again")
    found = item_discoveries(with_attachments(html_attachment(1), twice))
    assert [d.name for d in found].count("HTML guidance part 1") == 1
    assert "Same page again" not in [d.name for d in found]


def test_deprecated_documents_html_links() -> None:
    item = copy.deepcopy(featured_item())
    del item["details"]["attachments"]
    item["details"]["documents"] = [
        '<section class="attachment embedded"><h2 class="title"><a href="/government/'
        'publications/fr20/fr20-report">FR20 report</a></h2><p class="metadata">HTML</p>'
        "</section>",
        '<p>See <a href="/government/organisations/ministry-of-defence">MOD</a> and '
        f'<a href="{ASSET_PDF}">the data (PDF)</a>.</p>',
    ]
    found = item_discoveries(item)
    assert [(d.kind, d.url, d.name) for d in found] == [
        ("govuk", f"{HOST}/government/publications/fr20/fr20-report", "FR20 report"),
        ("pdf", ASSET_PDF, "the data (PDF)"),
    ]


# -- govuk: the HTML page (fallback) -----------------------------------------------------------


def test_html_page_links_its_html_publication_on_the_source_host() -> None:
    found = page_discoveries(COVID[-1])
    slug = "coronavirus-covid-19-guidance-for-childrens-social-care-services"
    assert found == [
        Discovery(
            url=f"{HOST}/government/publications/{slug}/covid-19-guidance-for-childrens-social-care-services",
            kind="govuk",
            name="COVID-19: guidance for children's social care services",
            relation="attachment",
        )
    ]
    older = page_discoveries(COVID[0])
    assert [d.name for d in older] == [
        "Coronavirus (COVID-19): guidance for children's social care services",
        "Amendments from 24 September 2020 to existing regulations",
    ]


def test_html_page_pdf_attachments_and_the_added_letter() -> None:
    before, after = page_discoveries(REVIEW[1]), page_discoveries(REVIEW[2])
    assert len(before) == 3 and len(after) == 4  # thumbnail and title links count once
    assert {d.kind for d in after} == {"pdf"}
    assert all(d.url.startswith("https://assets.publishing.service.gov.uk/") for d in after)
    new = [d for d in after if d.url not in {b.url for b in before}]
    assert len(new) == 1 and new[0].name.startswith(LETTER) and new[0] == after[0]
    first = page_discoveries(REVIEW[0])  # read as UTF-8: "Panel’s terms of reference"
    assert "Review Panel’s terms of reference" in first[1].name
    assert page_discoveries(REVIEW[2], max_attachments=1) == after[:1]
    assert page_discoveries(REVIEW[2], attachments=False) == []


def test_page_without_attachments_discovers_nothing() -> None:
    assert page_discoveries(versions("adoption-support-fund-asf")[0]) == []


# -- govuk-search and feed: follow -------------------------------------------------------------

SEARCH_URL = f"{HOST}/api/search.json"


def search_discoveries(**options: Any) -> list[Discovery]:
    src = source("govuk-search", SEARCH_URL, **options)
    return discover(src, fetched(SEARCH_V2.read_bytes(), JSON, f"{SEARCH_URL}?q=kinship"))


def test_search_follow_newest_first_bounded() -> None:
    results = json.loads(SEARCH_V2.read_bytes())["results"]
    found = search_discoveries(follow=True)
    assert len(found) == len(results) == 7
    assert found[0] == Discovery(
        url=f"{HOST}/government/publications/kinship-allowance-pilot-evaluation",
        kind="govuk",
        name="Kinship allowance pilot: evaluation",
        relation="follow",
    )
    # 2024-10-11T09:30:04.000+01:00 is newer than 2024-10-11T09:30:00.000+01:00
    assert [d.name for d in found[4:6]] == [
        "Kinship care: statutory guidance for local authorities",
        "Kinship care guide for England",
    ]
    assert found[-1].name == "Championing kinship care: the national kinship care strategy"
    assert search_discoveries(follow=True, max_follow=2) == found[:2]
    assert search_discoveries() == []  # follow is off by default


def test_search_follow_other_hosts_are_html() -> None:
    data = json.loads(SEARCH_V2.read_bytes())
    data["results"][0]["link"] = "https://www.nhs.uk/conditions/kinship/"
    data["results"][1]["link"] = "https://www.gov.uk/government/x"
    src = source("govuk-search", SEARCH_URL, follow=True)
    found = discover(src, fetched(json.dumps(data).encode(), JSON, SEARCH_URL))
    kinds = {d.url: d.kind for d in found}
    assert kinds["https://www.nhs.uk/conditions/kinship/"] == "html"
    assert kinds["https://www.gov.uk/government/x"] == "govuk"


def feed_discoveries(
    body: bytes, url: str = f"{HOST}/search/all.atom", **options: Any
) -> list[Discovery]:
    return discover(source("feed", url, **options), fetched(body, "application/atom+xml", url))


def test_feed_follow_govuk_atom() -> None:
    found = feed_discoveries(ATOM_V2.read_bytes(), follow=True)
    assert len(found) == 6 and {d.kind for d in found} == {"govuk"}
    assert found[0] == Discovery(
        url="https://www.gov.uk/government/publications/kinship-allowance-pilot-evaluation",
        kind="govuk",
        name="Kinship allowance pilot: evaluation",
        relation="follow",
    )
    assert feed_discoveries(ATOM_V2.read_bytes(), follow=True, max_follow=1) == found[:1]
    assert feed_discoveries(ATOM_V2.read_bytes()) == []


def test_feed_follow_other_hosts_are_html() -> None:
    found = feed_discoveries(RSS_V1.read_bytes(), follow=True, max_follow=200)
    assert found and {d.kind for d in found} == {"html"}
    assert all(d.url.startswith("https://bills.parliament.uk/") for d in found)
    assert len(feed_discoveries(RSS_V1.read_bytes(), follow=True)) == min(len(found), 20)


def test_feed_follow_local_feed_own_host_is_govuk() -> None:
    feed = f"""<feed xmlns="http://www.w3.org/2005/Atom"><title>Local</title>
    <entry><id>a</id><updated>2025-01-01T00:00:00Z</updated><title>Older</title>
      <link href="/government/publications/older"/></entry>
    <entry><id>b</id><updated>2025-02-01T00:00:00Z</updated><title>Newer</title>
      <link href="{HOST}/government/publications/newer#part"/></entry>
    <entry><id>c</id><title>Undated</title><link href="https://example.org/x"/></entry>
    </feed>""".encode()
    found = feed_discoveries(feed, follow=True)
    assert [(d.name, d.kind, d.url) for d in found] == [
        ("Newer", "govuk", f"{HOST}/government/publications/newer"),
        ("Older", "govuk", f"{HOST}/government/publications/older"),
        ("Undated", "html", "https://example.org/x"),
    ]


# -- the pdf kind ------------------------------------------------------------------------------

GUIDE_TITLE = "Kinship allowance pilot: a guide for carers (test document)"
GUIDE_PAGES: list[list[str]] = [
    [
        "Kinship allowance pilot: a guide for carers",
        "This is a test document made for policy-monitor. It is not government guidance\n"
        "and its facts are invented; it is written in the style of a guide for kinship\n"
        "carers so that the tests read text like the text of a real attachment.",
        "Who can get the allowance",
        "You may be able to get the allowance if you are a kinship carer living in a local\n"
        "authority taking part in the pilot, and the child you care for lives with you full-\n"
        "time under a special guardianship or child arrangements order.",
        "\u2022 You must be 18 or over.\n\u2022 The child must be under 18.",
    ],
    [
        "How the allowance is paid",
        "The allowance is paid every week into the carer\u2019s bank account. The weekly\n"
        "rate is \u00a3100 per child \u2013 the same in every local authority in the pilot.",
        "Contact your local authority if your circumstances change.",
    ],
]
CHANGED_SENTENCE = "The allowance is paid every two weeks into the carer\u2019s bank account."
GUIDE_V2_PAGES = [GUIDE_PAGES[0], [GUIDE_PAGES[1][0], GUIDE_PAGES[1][1].replace(
    "The allowance is paid every week into", "The allowance is paid every two weeks into"
), GUIDE_PAGES[1][2]]]  # fmt: skip
RECORDINGS = {
    "kinship-allowance-guide-v1.pdf": (GUIDE_PAGES, GUIDE_TITLE),
    "kinship-allowance-guide-v2.pdf": (GUIDE_V2_PAGES, GUIDE_TITLE),
}


def _pdf_string(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("cp1252") + b")"


def _content_stream(paragraphs: list[str]) -> bytes:
    """Helvetica 11 pt lines 14 pt apart, a blank line between paragraphs."""
    ops = [b"BT", b"/F1 11 Tf", b"14 TL", b"56 780 Td"]
    for paragraph in paragraphs:
        ops += [_pdf_string(line) + b" Tj T*" for line in paragraph.split("\n")]
        ops.append(b"T*")
    return b"\n".join([*ops, b"ET"])


def minimal_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A small, valid PDF 1.4: one text page per list of paragraphs (WinAnsi Helvetica)."""
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", font]
    kids = []
    for paragraphs in pages:
        stream = _content_stream(paragraphs)
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % len(objects)
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    if title is not None:
        objects.append(b"<< /Title %s /Producer (policy-monitor tests) >>" % _pdf_string(title))
    return _assemble(objects, info=len(objects) if title is not None else None)


def _assemble(objects: list[bytes], info: int | None) -> bytes:
    """Header, numbered objects, cross-reference table and trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"<< /Size %d /Root 1 0 R%s >>" % (
        len(objects) + 1,
        b" /Info %d 0 R" % info if info else b"",
    )
    return bytes(out + b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % xref)


def write_recordings() -> None:
    """Write tests/fixtures/pdf/*.pdf from :data:`RECORDINGS`."""
    for name, (pages, title) in RECORDINGS.items():
        (PDF_DIR / name).write_bytes(minimal_pdf(pages, title))


def read_pdf(body: bytes, url: str = f"{HOST}/files/guide.pdf", **options: Any) -> Document:
    return get_kind("pdf").extract(
        source("pdf", url, **options), fetched(body, "application/pdf", url)
    )


def test_recordings_are_small_and_made_by_the_generator() -> None:
    for name, (pages, title) in RECORDINGS.items():
        body = (PDF_DIR / name).read_bytes()
        assert len(body) < 20_000
        assert body == minimal_pdf(pages, title), f"{name}: run python -m tests.test_discover"


def test_pdf_text_under_page_headings() -> None:
    document = read_pdf((PDF_DIR / "kinship-allowance-guide-v1.pdf").read_bytes())
    assert document.title == GUIDE_TITLE
    lines = document.lines()
    assert lines[1] == "## Page 1" and "## Page 2" in lines
    page1 = lines[2 : lines.index("## Page 2")]
    assert page1[0] == "Kinship allowance pilot: a guide for carers"
    assert page1[1].startswith("This is a test document made for policy-monitor. It is not")
    assert page1[1].endswith("like the text of a real attachment.")  # wrapped lines joined
    assert "lives with you full-time under a special guardianship" in page1[3]  # de-hyphenated
    assert page1[4:] == ["\u2022 You must be 18 or over.", "\u2022 The child must be under 18."]
    page2 = lines[lines.index("## Page 2") + 1 :]
    assert "\u00a3100 per child \u2013 the same" in page2[1]  # WinAnsi text decoded
    assert {b.kind for b in document.blocks} == {BlockKind.HEADING, BlockKind.PARAGRAPH}
    changed = read_pdf((PDF_DIR / "kinship-allowance-guide-v2.pdf").read_bytes())
    assert changed.lines()[-2].startswith(CHANGED_SENTENCE)


def test_pdf_title_falls_back_to_the_file_name() -> None:
    body = minimal_pdf([["Some text."]])
    assert read_pdf(body, f"{HOST}/files/Letter%20to%20Annie.pdf").title == "Letter to Annie.pdf"


def test_pdf_max_pages_stops_reading_and_says_so() -> None:
    body = minimal_pdf([[f"Text of page {n}."] for n in range(1, 6)])
    document = read_pdf(body, max_pages=2)
    assert document.lines()[1:] == [
        "## Page 1",
        "Text of page 1.",
        "## Page 2",
        "Text of page 2.",
        "Only the first 2 of 5 pages were read (option max_pages); the other 3 are not watched.",
    ]
    assert len(read_pdf(body).blocks) == 10


def test_pdf_without_text_is_content_missing() -> None:
    with pytest.raises(ContentMissing, match=r"PDF has no extractable text \(a scan\?\)"):
        read_pdf(minimal_pdf([[], []], "Scanned letter"))
    assert str(NO_TEXT) == "PDF has no extractable text (a scan?)"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<!doctype html><title>Sorry</title><h1>Service unavailable</h1>",
        minimal_pdf([["Cut short."]])[:200],
        b"%PDF-1.4\n" + b"\x00" * 64,
    ],
    ids=["empty", "html", "truncated", "garbage"],
)
def test_unreadable_pdf_is_content_missing(body: bytes) -> None:
    with pytest.raises(ContentMissing, match="PDF cannot be read"):
        read_pdf(body)


def test_pdf_options_are_checked() -> None:
    with pytest.raises(ValueError, match="extra"):
        get_kind("pdf").Options.model_validate({"pages": 3})
    with pytest.raises(ValueError, match="max_pages"):
        get_kind("pdf").Options.model_validate({"max_pages": 0})


def test_paragraph_splitting() -> None:
    text = "First line\n  second line\n\n\n• one\n• two\nwrapped\n \nwell-\nknown words"
    assert paragraphs_of(text) == [
        "First line second line",
        "• one",
        "• two wrapped",
        "well-known words",
    ]


# -- pdf end to end ----------------------------------------------------------------------------


@pytest.fixture
def monitor(tmp_path: Path, page_server: PageServer, database_url: str) -> Monitor:
    return Monitor(tmp_path, page_server, database_url)


def serve_pdf(server: PageServer, name: str, content_type: str = "application/pdf") -> None:
    server.set("/files/guide.pdf", Route((PDF_DIR / name).read_bytes(), content_type=content_type))


def test_pdf_kind_end_to_end(monitor: Monitor) -> None:
    serve_pdf(monitor.server, "kinship-allowance-guide-v1.pdf")
    url = monitor.server.url("/files/guide.pdf")
    monitor.configure(f"{{id: guide, name: Guide, url: '{url}', kind: pdf}}")
    first = monitor.check()["guide"]
    assert first["status"] == "new", first
    assert monitor.check()["guide"]["status"] == "not-modified"
    serve_pdf(monitor.server, "kinship-allowance-guide-v2.pdf", "application/octet-stream")
    changed = monitor.check()["guide"]
    assert changed["status"] == "changed", changed
    diff = monitor.run("diff", "guide", "--no-color")
    assert diff.exit_code == 0, diff.output
    assert "two weeks" in diff.output and "Page 2" in diff.output
    shown = monitor.run("show", "guide")
    assert "## Page 1" in shown.output and GUIDE_TITLE in shown.output


def test_pdf_kind_unreadable_body_is_a_failed_check(monitor: Monitor) -> None:
    monitor.server.set(
        "/files/guide.pdf", Route(b"<html>oops</html>", content_type="application/pdf")
    )
    url = monitor.server.url("/files/guide.pdf")
    monitor.configure(f"{{id: guide, name: Guide, url: '{url}', kind: pdf}}")
    failed = monitor.check()["guide"]
    assert failed["status"] == "error" and "PDF cannot be read" in failed["error"]
    assert failed["snapshot"] is None


if __name__ == "__main__":
    write_recordings()
