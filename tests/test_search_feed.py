"""``govuk-search`` and ``feed`` end to end: sources.yaml → check → store → diff, through the CLI.

Against the local page server, on SQLite and PostgreSQL. The recordings are derived from the
documented response shapes (see tests/fixtures/govuk-search/NOTES.md and
tests/fixtures/feeds/NOTES.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from lxml import etree

from tests.climonitor import Monitor
from tests.pageserver import FIXTURES_DIR, PageServer, RecordedRequest, Route

SEARCH = FIXTURES_DIR / "govuk-search"
FEEDS = FIXTURES_DIR / "feeds"
SEARCH_V1 = SEARCH / "kinship-20250701.json"
SEARCH_V2 = SEARCH / "kinship-20250704.json"  # v1 plus "Kinship allowance pilot: evaluation"
ATOM_V1 = FEEDS / "govuk-search-kinship-20250701.atom"
ATOM_V2 = FEEDS / "govuk-search-kinship-20250704.atom"  # v1 plus the same new publication
RSS_V1 = FEEDS / "parliament-allbills-20250201.rss"
RSS_V2 = FEEDS / "parliament-allbills-20250204.rss"  # + a new bill; others re-dated, reordered
RSS_V3 = FEEDS / "parliament-allbills-20250318.rss"  # bill 3909: Committee stage → 3rd reading
NEW_TITLE = "Kinship allowance pilot: evaluation"
JSON = "application/json; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
API_PATH = "/api/search.json"
FEED_PATH = "/search/all.atom"
ERROR_PAGE = b"""<!DOCTYPE html><html lang="en"><head><title>Sorry, there is a problem with the
service - GOV.UK</title></head><body><main id="content"><h1>Sorry, there is a problem with the
service</h1><p>Try again later.</p></main></body></html>"""


@pytest.fixture
def monitor(tmp_path: Path, page_server: PageServer, database_url: str) -> Monitor:
    return Monitor(tmp_path, page_server, database_url)


def search_source(monitor: Monitor, options: str = "{q: kinship}") -> str:
    url = monitor.server.url(API_PATH)
    return (
        f"{{id: kin, name: Kinship search, url: '{url}', kind: govuk-search, options: {options}}}"
    )


def feed_source(monitor: Monitor, path: str = FEED_PATH, options: str = "{}") -> str:
    url = monitor.server.url(path)
    return f"{{id: feed, name: Kinship feed, url: '{url}', kind: feed, options: {options}}}"


def api_requests(monitor: Monitor) -> list[RecordedRequest]:
    return [r for r in monitor.server.requests if urlsplit(r.path).path == API_PATH]


def serve(monitor: Monitor, path: str, body: bytes, content_type: str) -> None:
    monitor.server.set(path, Route(body, content_type=content_type))


def assert_one_added(monitor: Monitor, source_id: str, outcome: dict, text: str) -> None:
    """The check changed by exactly one added block, and the diff shows only that."""
    assert outcome["status"] == "changed", outcome
    assert outcome["stats"]["added"] == 1, outcome["stats"]
    assert outcome["stats"]["removed"] == outcome["stats"]["modified"] == 0, outcome["stats"]
    diff = monitor.diff(source_id)
    assert diff.count("{+") == 1 and "[-" not in diff, diff
    added = diff[diff.index("{+") : diff.index("+}")]
    assert text in added, diff


def assert_failed_without_version(monitor: Monitor, outcome: dict, reason: str) -> None:
    assert outcome["status"] == "error", outcome
    assert outcome["snapshot"] is None
    assert reason in outcome["error"], outcome["error"]


# -- govuk-search --------------------------------------------------------------------------------


def test_search_query_url_is_built_from_the_options(monitor: Monitor) -> None:
    serve(monitor, API_PATH, SEARCH_V1.read_bytes(), JSON)
    options = (
        "{q: kinship care, filters: {organisations: [department-for-education, "
        "ministry-of-justice], public_timestamp: 'from:2024-01-01'}, "
        "reject: {content_store_document_type: news_story}, count: 100, "
        "fields: [title, link, public_timestamp]}"
    )
    monitor.configure(search_source(monitor, options))
    assert monitor.check()["kin"]["status"] == "new"

    [request] = api_requests(monitor)
    assert parse_qsl(urlsplit(request.path).query) == [
        ("q", "kinship care"),
        ("filter_organisations", "department-for-education"),
        ("filter_organisations", "ministry-of-justice"),
        ("filter_public_timestamp", "from:2024-01-01"),
        ("reject_content_store_document_type", "news_story"),
        ("order", "-public_timestamp"),
        ("count", "100"),
        ("fields", "title"),
        ("fields", "link"),
        ("fields", "public_timestamp"),
    ]
    assert request.header("Accept") == "application/json"
    shown = monitor.run("show", "kin").output
    assert "GOV.UK search: “kinship care”; organisations: department-for-education" in shown


def test_search_keeps_query_parameters_of_the_url_the_options_do_not_set(
    monitor: Monitor,
) -> None:
    serve(monitor, API_PATH, SEARCH_V1.read_bytes(), JSON)
    url = monitor.server.url(API_PATH + "?q=kinship&filter_organisations=department-for-education")
    monitor.configure(f"{{id: kin, name: K, url: '{url}', kind: govuk-search}}")
    assert monitor.check()["kin"]["status"] == "new"
    [request] = api_requests(monitor)
    query = parse_qsl(urlsplit(request.path).query)
    assert ("q", "kinship") in query
    assert ("filter_organisations", "department-for-education") in query
    assert ("order", "-public_timestamp") in query and ("count", "50") in query


def test_search_new_result_is_one_added_block(monitor: Monitor) -> None:
    serve(monitor, API_PATH, SEARCH_V1.read_bytes(), JSON)
    monitor.configure(search_source(monitor))
    first = monitor.check()["kin"]
    assert first["status"] == "new" and first["snapshot"]
    shown = monitor.run("show", "kin").output
    assert (
        "Kinship care: statutory guidance for local authorities — Statutory guidance — "
        "Department for Education — 2024-10-11 (https://www.gov.uk/government/publications/"
        "kinship-care-statutory-guidance-for-local-authorities)"
    ) in shown

    serve(monitor, API_PATH, SEARCH_V2.read_bytes(), JSON)
    changed = monitor.check()["kin"]
    assert_one_added(monitor, "kin", changed, f"{NEW_TITLE} — Research — Department for Education")
    # seen before: the same response again is no news
    serve(monitor, API_PATH, SEARCH_V2.read_bytes() + b"\n", JSON)
    assert monitor.check()["kin"]["status"] == "unchanged"


def test_search_same_results_in_another_order_are_unchanged(monitor: Monitor) -> None:
    serve(monitor, API_PATH, SEARCH_V2.read_bytes(), JSON)
    monitor.configure(search_source(monitor))
    assert monitor.check()["kin"]["status"] == "new"
    data = json.loads(SEARCH_V2.read_bytes())
    data["results"].reverse()  # re-ranked, as relevance ranking does between runs
    for position, result in enumerate(data["results"]):
        result["es_score"] = 10.0 - position
    serve(monitor, API_PATH, json.dumps(data).encode(), JSON)
    assert monitor.check()["kin"]["status"] == "unchanged"
    assert monitor.versions("kin") == 1


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (ERROR_PAGE, "text/html; charset=utf-8", "unexpected content type 'text/html'"),
        (ERROR_PAGE, JSON, "answered with something that is not JSON: '<!DOCTYPE html>"),
        (b'{"error": "Service unavailable"}', JSON, "has no 'results' list"),
        (b'[{"title": "x"}]', JSON, "JSON that is not an object"),
        (
            b'{"results": [], "total": 7, "start": 0}',
            JSON,
            "empty 'results' list although 'total' is 7",
        ),
        (b'{"results": [], "total": 0, "start": 0}', JSON, "found no documents"),
        (
            b'{"results": [{"title": "A", "link": "/a"}, {"title": "B"}], "total": 2}',
            JSON,
            "result 2 has no 'link'",
        ),
        (b'{"results": [{"link": "/a", "title": ""}], "total": 1}', JSON, "has no 'title'"),
    ],
)
def test_search_broken_response_is_a_failed_check_not_a_removal(
    monitor: Monitor, body: bytes, content_type: str, reason: str
) -> None:
    serve(monitor, API_PATH, SEARCH_V1.read_bytes(), JSON)
    monitor.configure(search_source(monitor))
    assert monitor.check()["kin"]["status"] == "new"

    serve(monitor, API_PATH, body, content_type)
    assert_failed_without_version(monitor, monitor.check()["kin"], reason)
    assert monitor.versions("kin") == 1
    # the next good response is compared with the last good one, not with the broken one
    serve(monitor, API_PATH, SEARCH_V2.read_bytes(), JSON)
    assert_one_added(monitor, "kin", monitor.check()["kin"], NEW_TITLE)


def test_search_options_are_validated(monitor: Monitor) -> None:
    monitor.configure(
        search_source(monitor, "{filters: {filter_organisations: dfe}}"),
        search_source(monitor, "{count: 2000}").replace("id: kin", "id: kin2"),
    )
    result = monitor.run("sources", "check")
    assert result.exit_code == 2
    assert "write e.g. organisations, not filter_organisations" in result.output
    assert "(kin2) -> options.count" in result.output


# -- feed: Atom ----------------------------------------------------------------------------------


def test_atom_new_entry_is_one_added_block(monitor: Monitor) -> None:
    serve(monitor, FEED_PATH, ATOM_V1.read_bytes(), ATOM)
    monitor.configure(feed_source(monitor))
    first = monitor.check()["feed"]
    assert first["status"] == "new"
    shown = monitor.run("show", "feed").output
    assert shown.startswith("# Search containing kinship")
    assert (
        "Kinship care guide for England — 2024-10-11 "
        "(https://www.gov.uk/government/publications/kinship-care-guide-for-england)"
    ) in shown

    serve(monitor, FEED_PATH, ATOM_V2.read_bytes(), ATOM)
    assert_one_added(monitor, "feed", monitor.check()["feed"], f"{NEW_TITLE} — 2025-07-03")


def reorder_atom(body: bytes) -> bytes:
    root = etree.fromstring(body)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    for entry in entries:
        root.remove(entry)
    root.extend(reversed(entries))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_atom_same_entries_in_another_order_are_unchanged(monitor: Monitor) -> None:
    serve(monitor, FEED_PATH, ATOM_V2.read_bytes(), ATOM)
    monitor.configure(feed_source(monitor))
    assert monitor.check()["feed"]["status"] == "new"
    serve(monitor, FEED_PATH, reorder_atom(ATOM_V2.read_bytes()), "application/xml")
    assert monitor.check()["feed"]["status"] == "unchanged"


@pytest.mark.parametrize(("dates", "expected"), [("auto", "changed"), ("none", "unchanged")])
def test_atom_updated_date_is_a_change_unless_dates_are_off(
    monitor: Monitor, dates: str, expected: str
) -> None:
    """Atom's <updated> marks a significant revision (GOV.UK: a major update)."""
    serve(monitor, FEED_PATH, ATOM_V1.read_bytes(), ATOM)
    monitor.configure(feed_source(monitor, options=f"{{dates: {dates}}}"))
    assert monitor.check()["feed"]["status"] == "new"
    body = ATOM_V1.read_bytes().replace(
        b"<updated>2024-10-11T09:30:00+01:00</updated>",
        b"<updated>2025-06-30T14:00:00+01:00</updated>",
    )
    serve(monitor, FEED_PATH, body, ATOM)
    outcome = monitor.check()["feed"]
    assert outcome["status"] == expected
    if expected == "changed":
        assert outcome["stats"]["modified"] == 1 and outcome["stats"]["added"] == 0
        assert "[-2024-10-11-]{+2025-06-30+}" in monitor.diff("feed").replace(" ", "")


# -- feed: RSS (Parliament) ------------------------------------------------------------------------


def test_rss_new_item_is_one_added_block_and_date_churn_is_not_a_change(
    monitor: Monitor,
) -> None:
    serve(monitor, "/allbills.rss", RSS_V1.read_bytes(), RSS)
    monitor.configure(feed_source(monitor, "/allbills.rss"))
    assert monitor.check()["feed"]["status"] == "new"
    shown = monitor.run("show", "feed").output
    assert (
        "Children’s Wellbeing and Schools Bill — Government Bill, Commons — Committee stage "
        "(https://bills.parliament.uk/bills/3909)"
    ) in shown

    # v2: one new bill, three others re-dated (a10:updated) and so reordered: one added block
    serve(monitor, "/allbills.rss", RSS_V2.read_bytes(), RSS)
    assert_one_added(monitor, "feed", monitor.check()["feed"], "Kinship Care (Leave and Pay) Bill")

    # v3: the Children's Wellbeing and Schools Bill moves on a stage: one modified block
    serve(monitor, "/allbills.rss", RSS_V3.read_bytes(), RSS)
    outcome = monitor.check()["feed"]
    assert outcome["status"] == "changed"
    assert (outcome["stats"]["added"], outcome["stats"]["removed"]) == (0, 0)
    assert outcome["stats"]["modified"] == 1
    assert (
        "→ Children’s Wellbeing and Schools Bill — Government Bill, Commons — "
        "[-Committee stage-]{+3rd reading+} (https://bills.parliament.uk/bills/3909)"
    ) in monitor.diff("feed")


def test_rss_updated_only_is_not_a_change(monitor: Monitor) -> None:
    serve(monitor, "/allbills.rss", RSS_V1.read_bytes(), RSS)
    monitor.configure(feed_source(monitor, "/allbills.rss"))
    assert monitor.check()["feed"]["status"] == "new"
    churned = re.sub(
        rb"<a10:updated>[^<]+</a10:updated>",
        b"<a10:updated>2025-02-01T09:00:00Z</a10:updated>",
        RSS_V1.read_bytes(),
    )
    serve(monitor, "/allbills.rss", churned, "text/xml")
    assert monitor.check()["feed"]["status"] == "unchanged"


# -- feed: broken responses ----------------------------------------------------------------------


EMPTY_ATOM = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>tag:www.gov.uk,2005:/search/all</id>
<title>Search containing kinship</title><author><name>HM Government</name></author></feed>"""
XHTML_PAGE = b"""<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head>
<title>Maintenance</title></head><body><p>Back soon.</p></body></html>"""


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (ERROR_PAGE, "text/html; charset=utf-8", "unexpected content type 'text/html'"),
        (ERROR_PAGE, "application/xml", "root element is <html>"),
        (b"<!doctype html><html><body><p>Bad gateway<br></body></html>", "text/xml", "not well"),
        (ATOM_V1.read_bytes()[:900], ATOM, "not well-formed XML"),  # a truncated download
        (XHTML_PAGE, "application/xml", "root element is <html>"),
        (EMPTY_ATOM, ATOM, "feed has no entries"),
    ],
)
def test_broken_feed_is_a_failed_check_not_a_removal(
    monitor: Monitor, body: bytes, content_type: str, reason: str
) -> None:
    serve(monitor, FEED_PATH, ATOM_V1.read_bytes(), ATOM)
    monitor.configure(feed_source(monitor))
    assert monitor.check()["feed"]["status"] == "new"

    serve(monitor, FEED_PATH, body, content_type)
    assert_failed_without_version(monitor, monitor.check()["feed"], reason)
    assert monitor.versions("feed") == 1
    serve(monitor, FEED_PATH, ATOM_V2.read_bytes(), ATOM)
    assert_one_added(monitor, "feed", monitor.check()["feed"], NEW_TITLE)


# -- extraction details (no server, no database) -------------------------------------------------


def extract(kind: str, body: bytes, options: dict | None = None, url: str = "https://x.test/f"):
    from monitor.config import Defaults, Schedule, Source
    from monitor.fetch import FetchResult, Validators
    from monitor.sources import get_kind

    implementation = get_kind(kind)
    source = Source(
        id="s",
        name="Fallback name",
        url=url,
        kind=kind,
        schedule=Schedule.parse("6h"),
        select=(),
        ignore=(),
        sections=(),
        tags=(),
        options=implementation.Options.model_validate(options or {}),
        defaults=Defaults(),
    )
    fetched = FetchResult(url, url, 200, body, "application/xml", Validators(), 0.0)
    return implementation.extract(source, fetched)


def test_feed_entry_details() -> None:
    atom = b"""<?xml version="1.0"?>
    <feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://www.gov.uk/">
      <title type="html">Kinship &amp;amp; family networks</title>
      <entry><id>urn:b</id><title type="html">&lt;b&gt;Special&lt;/b&gt; guardianship</title>
        <link rel="self" href="/feed/b"/><link href="government/b"/>
        <category term="guidance" label="Guidance"/><published>2024-01-02T10:00:00Z</published>
        <updated>2024-03-04T10:00:00Z</updated></entry>
      <entry><id>urn:a</id><title>Family network pilot</title></entry>
      <entry><id>urn:a</id><title>Duplicate id: first one wins</title></entry>
      <entry><title>No id, no link: skipped</title></entry>
    </feed>"""
    doc = extract("feed", atom)
    assert doc.title == "Kinship & family networks"
    assert [b.text for b in doc.blocks[1:]] == [
        "Family network pilot (urn:a)",
        "Special guardianship — Guidance — 2024-03-04 (https://www.gov.uk/government/b)",
    ]
    published = extract("feed", atom, {"dates": "published"})
    assert "Guidance — 2024-01-02 (" in published.blocks[2].text
    assert len(extract("feed", atom, {"max_items": 1}).blocks) == 2  # heading + first entry


def test_rss_dates_and_rss_1() -> None:
    rss = b"""<rss version="2.0"><channel><title>DfE</title>
      <item><title>Kinship guide</title><link>https://www.gov.uk/k</link>
        <pubDate>Fri, 11 Oct 2024 08:30:00 GMT</pubDate></item></channel></rss>"""
    assert (
        extract("feed", rss).blocks[1].text == "Kinship guide — 2024-10-11 (https://www.gov.uk/k)"
    )
    rdf = b"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="https://example.org/"><title>Research</title></channel>
      <item rdf:about="https://example.org/r1"><title>Kinship study</title>
        <link>https://example.org/r1</link><dc:date>2025-02-03</dc:date></item></rdf:RDF>"""
    doc = extract("feed", rdf)
    assert doc.title == "Research"
    assert doc.blocks[1].text == "Kinship study — 2025-02-03 (https://example.org/r1)"


def test_search_result_details() -> None:
    body = json.dumps(
        {
            "results": [
                {"title": "B", "link": "https://www.legislation.gov.uk/ukpga/2026/21"},
                {
                    "title": "A",
                    "link": "/a",
                    "format": "detailed_guide",
                    "organisations": ["department-for-education", {"acronym": "MOJ"}, 3],
                    "public_timestamp": "2025-01-01T23:30:00-01:00",
                },
                {"title": "A again", "link": "/a"},
            ],
            "total": 3,
        }
    ).encode()
    doc = extract("govuk-search", body, url="https://www.gov.uk/api/search.json")
    assert doc.title == "GOV.UK search: all documents"
    assert [b.text for b in doc.blocks[1:]] == [
        "A — Detailed guide — department-for-education, MOJ — 2025-01-01 (https://www.gov.uk/a)",
        "B (https://www.legislation.gov.uk/ukpga/2026/21)",
    ]


def test_one_publication_found_by_a_search_and_a_feed_is_drafted_once(monitor: Monitor) -> None:
    serve(monitor, API_PATH, SEARCH_V1.read_bytes(), JSON)
    serve(monitor, FEED_PATH, ATOM_V1.read_bytes(), ATOM)
    monitor.configure(search_source(monitor), feed_source(monitor))
    monitor.check()
    serve(monitor, API_PATH, SEARCH_V2.read_bytes(), JSON)
    serve(monitor, FEED_PATH, ATOM_V2.read_bytes(), ATOM)
    monitor.check("kin")
    monitor.check("feed")  # the same new publication, a check later

    drafts = json.loads(monitor.run("drafts", "list", "--json").output)
    assert [(d["source"], d["publications"]) for d in drafts] == [
        ("kin", ["www.gov.uk/government/publications/kinship-allowance-pilot-evaluation"])
    ]
    changes = json.loads(monitor.run("changes", "list", "--json").output)
    by_source = {c["source"]: c for c in changes}
    assert by_source["feed"]["relevant"] is True  # judged as before, then not drafted again
    assert f"the same publication as draft #{drafts[0]['id']}" in by_source["feed"]["reasons"][-1]
