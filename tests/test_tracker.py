"""The policy tracker: parsing both layouts, the ``tracker`` kind end to end, ``tracker show``.

The tracker text is not openly licensed, so the two captures are read from ../shared/seeds at
test time (never copied here), and the HTML-layout tests use small made-up pages that only
mimic the tracker's structure.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.config import load_config
from monitor.document import BlockKind
from monitor.errors import ContentMissing
from monitor.fetch import FetchResult, Validators
from monitor.sources import get_kind
from monitor.sources.tracker import parse_tracker_body
from monitor.tracker import (
    DEFAULT_SECTION_IDS,
    HistoryEntry,
    Status,
    Tracker,
    TrackerSection,
    parse_previous_status,
    parse_status,
    parse_tracker_lines,
    resolve_section,
    section_id,
    tracker_document,
)
from tests.pageserver import PageServer, Route


def _find_seeds() -> Path:
    """$POLICY_MONITOR_SEEDS, else the checkout's sibling shared/seeds, else /work/shared/seeds."""
    candidates = [
        os.environ.get("POLICY_MONITOR_SEEDS", ""),
        str(Path(__file__).resolve().parents[2] / "shared" / "seeds"),
        "/work/shared/seeds",
    ]
    for candidate in candidates:
        if candidate and Path(candidate, "000_3dbc5b955badb37f.txt").is_file():
            return Path(candidate)
    return Path(candidates[1])


SEEDS = _find_seeds()
SEED_2023 = SEEDS / "000_3dbc5b955badb37f.txt"
SEED_2025 = SEEDS / "004_3a23ba30081b9e40.txt"
needs_seeds = pytest.mark.skipif(
    not (SEED_2023.is_file() and SEED_2025.is_file()),
    reason=f"tracker captures not found in {SEEDS}",
)


def seed_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


# --- the captures --------------------------------------------------------------------------


@needs_seeds
def test_2023_single_page_sections_and_statuses() -> None:
    tracker = parse_tracker_lines(seed_lines(SEED_2023))
    ids = [s.id for s in tracker.sections]
    assert len(ids) >= 8
    assert ids == list(DEFAULT_SECTION_IDS)  # all eleven, in page order, with product ids
    statuses = {s.id: s.status for s in tracker.sections}
    # the 2023 page shows status only as emoji in its "Jump to" list
    assert statuses["recognising-kinship-care"] == Status("Good progress", "good-progress")
    assert statuses["training-and-support"] == Status("Good progress", "good-progress")
    assert statuses["financial-allowances"] == Status("In the right direction", "right-direction")
    assert statuses["support-for-children"] == Status("Significantly lagging", "lagging")
    for section in tracker.sections:
        assert section.happening_now and section.should_happen_next, section.id
        assert section.summary and section.previous_status is None
    data = tracker.section("data")
    assert data is not None and data.title == "Data"
    assert "- % of children in care living with their family networks." in (
        data.happening_now.splitlines()
    )
    support = tracker.section("support-for-children")
    assert support is not None and support.title == "Support for children in kinship care"


@needs_seeds
def test_2023_update_history() -> None:
    tracker = parse_tracker_lines(seed_lines(SEED_2023))
    history = tracker.history
    assert len(history) == 14
    assert history[0].date == "23 Nov"
    assert history[0].sections == ("financial-allowances", "kinship-care-leave")
    assert history[0].text.startswith("Amended")
    assert history[-1] == HistoryEntry("13 March", "First published.", ())
    by_date = {entry.date: entry for entry in history}
    # a typo in the entry ("support or kinship carers") still finds the section
    assert by_date["1 Nov"].sections == ("training-and-support",)
    # a quoted status ("'In the right direction...'") is not a section
    assert by_date["27 Sep"].sections == ("defining-kinship-care", "data", "early-arrangements")
    assert set(by_date["21 Sep"].sections) == set(DEFAULT_SECTION_IDS)  # "all sections"
    assert by_date["15 June"].sections == (
        "kinship-care-leave",
        "early-arrangements",
        "support-for-children",
    )


@needs_seeds
def test_2025_section_page() -> None:
    tracker = parse_tracker_lines(seed_lines(SEED_2025))
    assert len(tracker.sections) == 1
    section = tracker.sections[0]
    assert section.status == Status("Slow progress", "slow-progress")
    assert section.previous_status == Status("Good progress", "good-progress")
    assert section.previous_status_date == "September 2023"
    assert section.summary.startswith("There will be a new duty")
    assert "Children’s Wellbeing and Schools Bill" in section.happening_now
    assert "Click on the link below" not in section.happening_now
    assert tracker.history == ()

    # the text capture has no heading: the caller can name the page
    titled = parse_tracker_lines(
        seed_lines(SEED_2025), title="Prioritising and supporting early kinship arrangements"
    )
    assert titled.sections[0].id == "early-arrangements"
    assert titled.sections[0].status == section.status


@needs_seeds
@pytest.mark.parametrize(
    ("path", "title"),
    [(SEED_2023, None), (SEED_2025, "Prioritising and supporting early kinship arrangements")],
    ids=["2023", "2025"],
)
def test_the_tracker_document_parses_back_to_the_same_tracker(
    path: Path, title: str | None
) -> None:
    """What is stored (the tracker document) re-parses to the same sections and history."""
    tracker = parse_tracker_lines(seed_lines(path), title=title)
    again = parse_tracker_lines(tracker_document(tracker).lines())
    assert again.sections == tracker.sections
    assert again.history == tracker.history


# --- wordings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label", "level"),
    [
        ("💚", "Good progress", "good-progress"),
        ("💛", "In the right direction", "right-direction"),
        ("❤️", "Significantly lagging", "lagging"),
        ("❤", "Significantly lagging", "lagging"),
        ("- 💛 ", "In the right direction", "right-direction"),
        ("Good progress", "Good progress", "good-progress"),
        ("In the right direction…", "In the right direction", "right-direction"),
        ("Slow progress", "Slow progress", "slow-progress"),
        ("Significantly lagging", "Significantly lagging", "lagging"),
        ("No progress", "No progress", "no-progress"),
        ("Blocked - action needed", "Blocked - action needed", "blocked"),
        ("Status: slow progress", "Slow progress", "slow-progress"),
        ("Missing the mark", "Missing the mark", "lagging"),
        ("💚 Good progress", "Good progress", "good-progress"),
    ],
)
def test_status_wordings(text: str, label: str, level: str) -> None:
    assert parse_status(text) == Status(label, level)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "Good progress is being made on some things but not others.",
        "In the right direction, but further and faster effort required.",
        "Progress",
        "What's happening now?",
        "",
    ],
)
def test_sentences_are_not_statuses(text: str) -> None:
    assert parse_status(text) is None


@pytest.mark.parametrize(
    ("text", "label", "level", "date"),
    [
        ("Previous status: Good progress (September 2023)", "Good progress", "good-progress",
         "September 2023"),
        ("Previous status: good progress - September 2023", "Good progress", "good-progress",
         "September 2023"),
        ("Previous statuses: Good progress (October 2024); Slow progress (December 2023)",
         "Good progress", "good-progress", "October 2024"),
        ("Previous statuses: Slow progress (December 2023); Good progress (October 2024)",
         "Good progress", "good-progress", "October 2024"),
        ("Previous status: Blocked - action needed (March 2024)", "Blocked - action needed",
         "blocked", "March 2024"),
        ("Previous status: Slow progress", "Slow progress", "slow-progress", None),
        ("Previous status: Under review (May 2024)", "Under review", None, "May 2024"),
    ],
)  # fmt: skip
def test_previous_status_wordings(text: str, label: str, level: str | None, date: str) -> None:
    assert parse_previous_status(text) == (Status(label, level), date)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Recognising kinship care", "recognising-kinship-care"),
        ("A national kinship care strategy", "national-strategy"),
        ("Prioritising and supporting early kinship arrangements", "early-arrangements"),
        ("Engaging and supporting family networks", "early-arrangements"),
        ("engaging-and-supporting-family-networks", "early-arrangements"),
        ("Family justice and legal aid", "legal-aid"),
        ("Access to legal aid", "legal-aid"),
        ("Improving local authority practice", "local-authority-practice"),
        ("Data and research", "data"),
        ("Training and support for kinship carers", "training-and-support"),
        ("Support for kinship children", "support-for-children"),
        ("💚 Financial allowances", "financial-allowances"),
        ("Therapeutic support for kinship families", "therapeutic-support-for-kinship-families"),
    ],
)
def test_section_ids(title: str, expected: str) -> None:
    assert section_id(title) == expected


def test_resolve_section_ignores_non_sections() -> None:
    assert resolve_section("Training and support or kinship carers") == "training-and-support"
    assert resolve_section("In the right direction…") is None
    assert resolve_section("whole family") is None


def test_index_log_with_arrows() -> None:
    tracker = parse_tracker_lines(
        [
            "# Policy tracker",
            "Last updated: 3 March 2031",
            "Update log",
            "3 Mar: Imaginary budget -> Financial allowances; 1 Mar: made-up guidance -> "
            "Local authority practice",
            "- Financial allowances: Slow progress",
            "- Local authority practice - No progress",
        ]
    )
    assert tracker.updated == "3 March 2031"
    assert tracker_document(tracker).metadata.updated == "2031-03-03"
    assert [(e.date, e.sections) for e in tracker.history] == [
        ("3 Mar", ("financial-allowances",)),
        ("1 Mar", ("local-authority-practice",)),
    ]
    assert [(s.id, s.status) for s in tracker.sections] == [
        ("financial-allowances", Status("Slow progress", "slow-progress")),
        ("local-authority-practice", Status("No progress", "no-progress")),
    ]


def test_tracker_document_shape() -> None:
    section = TrackerSection(
        id="kinship-care-leave",
        title="Kinship care leave",
        status=Status("Slow progress", "slow-progress"),
        previous_status=Status("Good progress", "good-progress"),
        previous_status_date="September 2023",
        happening_now="First point.\n- a listed point",
        should_happen_next="Do something.",
        summary="One line.",
    )
    tracker = Tracker("Tracker", None, (HistoryEntry("2 Jan", "Did a thing.", ()),), (section,))
    document = tracker_document(tracker)
    assert document.metadata.document_type == "tracker"
    assert document.lines() == [
        "# Tracker",
        "## Update history",
        "- 2 Jan: Did a thing.",
        "## Kinship care leave",
        "One line.",
        "Status: Slow progress",
        "Previous status: Good progress (September 2023)",
        "### What's happening now?",
        "First point.",
        "- a listed point",
        "### What should happen next?",
        "Do something.",
    ]
    assert document.blocks[-3].kind is BlockKind.LIST_ITEM
    assert Tracker.from_dict(json.loads(tracker.to_json())) == tracker


# --- synthetic pages in both layouts (made-up words, the tracker's structure) ----------------

EMOJI = {"good": "💚", "right": "💛", "lagging": "❤️"}


def single_page(statuses: dict[str, str], history: list[str], leave_next: str = "") -> str:
    """A one-page tracker like the 2023 layout (emoji statuses in a jump list)."""
    jump = "".join(
        f'<li><a href="#{key}">{EMOJI[status]} {title}</a></li>'
        for key, (title, status) in {
            "leave": ("Kinship care leave", statuses["leave"]),
            "money": ("Financial allowances", statuses["money"]),
        }.items()
    )
    entries = "".join(f"<p>{entry}</p>" for entry in history)
    return f"""<!doctype html><html><head><title>Test tracker | Kinship</title></head><body>
<header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
<main><h1>Test tracker</h1>
<p>An invented introduction to a pretend tracker used only by these tests.</p>
<h2>Update history</h2>{entries}
<p>Jump to:</p><ul>{jump}</ul>
<h2 id="leave">Kinship care leave</h2>
<p>A one-line invented summary about time off work.</p>
<h3>What’s happening now?</h3>
<p>Officials are said to be looking at options for leave in this made-up page.</p>
<p>A second invented paragraph so that the section has some body.</p>
<h3>What should happen next?</h3>
<p>{leave_next or "Invented recommendation: a paid entitlement should follow."}</p>
<h2 id="money">Financial allowances</h2>
<p>A one-line invented summary about money.</p>
<h3>What’s happening now?</h3>
<p>Pretend allowances differ from place to place in this test page.</p>
<h3>What should happen next?</h3>
<p>Invented recommendation: one national allowance.</p>
<h2>Related reading</h2><p>An invented promotional card that is not part of any section.</p>
</main><footer><p>Invented footer</p></footer></body></html>"""


def section_page(status: str, previous: str) -> str:
    """A per-section page like the 2025 layout (status in words, previous status)."""
    return f"""<!doctype html><html><head><title>Family justice and legal aid - Kinship</title>
</head><body><main><h1>Family justice and legal aid</h1>
<p>An invented one-line summary of where things stand on legal help.</p>
<p>{status}</p><p>Previous status: {previous}</p>
<p>Click on the link below to take you to the section you'd like to read:</p>
<ul><li><a href="#now">Current action</a></li><li><a href="#verdict">Our verdict</a></li>
<li><a href="#next">What should happen next</a></li></ul>
<h2 id="now">Current action</h2><p>An invented account of a pretend consultation.</p>
<h2 id="verdict">Our verdict</h2><p>An invented view that the pretend plan is too narrow.</p>
<h2 id="next">What should happen next</h2><p>An invented call for wider eligibility.</p>
<h2>Related resources</h2><p>An invented link card about becoming a carer.</p>
</main></body></html>"""


NO_SECTIONS = """<!doctype html><html><head><title>Policy tracker | Kinship</title></head>
<body><main><h1>Our policy work</h1><p>We have moved our tracker to a brand new design. This
invented paragraph is long enough to be real content and not an error page, and it goes on
for a while so that nothing about the page looks empty to the generic checks at all.</p>
<p>Another invented paragraph about campaigns and research reports.</p></main></body></html>"""


class Monitor:
    def __init__(self, tmp_path: Path, server: PageServer, database_url: str) -> None:
        self.server = server
        self.config = tmp_path / "sources.yaml"
        self.database_url = database_url
        self.config.write_text(
            "defaults: {retries: 0, timeout: 2, connect_timeout: 1}\n"
            "hosts: {127.0.0.1: {rate: 0, concurrency: 4}}\n"
            "sources:\n"
            f"  - {{id: tracker, name: Tracker, url: '{server.url('/tracker')}', kind: tracker}}\n"
            f"  - {{id: legal, name: Legal aid, url: '{server.url('/legal')}', kind: tracker}}\n"
        )

    def run(self, *args: str) -> Result:
        base = ["--config", str(self.config), "--database-url", self.database_url]
        return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)

    def check(self, source_id: str) -> dict:
        result = self.run("check", source_id, "--json")
        assert result.exit_code in (0, 1), result.output
        return json.loads(result.output)


@pytest.fixture
def monitor(tmp_path: Path, page_server: PageServer, sqlite_url: str) -> Monitor:
    return Monitor(tmp_path, page_server, sqlite_url)


HISTORY = ["2 Feb: Invented change to the 'Financial allowances' section.", "1 Jan: Made up."]


def test_single_page_layout_end_to_end(monitor: Monitor) -> None:
    monitor.server.set("/tracker", single_page({"leave": "right", "money": "good"}, HISTORY))
    first = monitor.check("tracker")
    assert first["status"] == "new" and first["snapshot"], first

    shown = monitor.run("tracker", "show", "tracker", "--json")
    assert shown.exit_code == 0, shown.output
    parsed = json.loads(shown.output)
    assert [(s["id"], s["status"]["level"]) for s in parsed["sections"]] == [
        ("kinship-care-leave", "right-direction"),
        ("financial-allowances", "good-progress"),
    ]
    assert parsed["history"][0]["sections"] == ["financial-allowances"]
    assert "Related reading" not in json.dumps(parsed) and "promotional" not in json.dumps(parsed)

    # a status moves: reported under the section's heading
    monitor.server.set("/tracker", single_page({"leave": "lagging", "money": "good"}, HISTORY))
    changed = monitor.check("tracker")
    assert changed["status"] == "changed", changed
    assert changed["stats"]["added"] == changed["stats"]["removed"] == 1, changed
    diff = monitor.run("diff", "tracker", "--no-color")
    assert diff.exit_code == 0, diff.output
    assert "@@ Kinship care leave @@" in diff.output
    assert "@@ Kinship care leave @@\n[-Status: In the right direction-]" in diff.output
    assert "@@ Kinship care leave @@\n{+Status: Significantly lagging+}" in diff.output

    # a history entry is added: reported under "Update history"
    entry = "3 Mar: Invented rewrite of the 'Kinship care leave' section."
    monitor.server.set(
        "/tracker", single_page({"leave": "lagging", "money": "good"}, [entry, *HISTORY])
    )
    added = monitor.check("tracker")
    assert added["status"] == "changed" and added["stats"]["added"] == 1, added
    diff = monitor.run("diff", "tracker", "--no-color", "--format", "json")
    hunks = json.loads(diff.output)["hunks"]
    assert [h["heading_path"] for h in hunks] == [["Update history"]]

    # a section is rewritten
    monitor.server.set(
        "/tracker",
        single_page(
            {"leave": "lagging", "money": "good"}, [entry, *HISTORY], "A reworded invented ask."
        ),
    )
    assert monitor.check("tracker")["status"] == "changed"
    diff = monitor.run("diff", "tracker", "--no-color")
    assert "@@ Kinship care leave › What should happen next? @@" in diff.output, diff.output


def test_section_page_layout_end_to_end(monitor: Monitor) -> None:
    monitor.server.set("/legal", section_page("Good progress", "Slow progress (December 2023)"))
    assert monitor.check("legal")["status"] == "new"
    text = monitor.run("tracker", "show", "legal")
    assert text.exit_code == 0, text.output
    assert "legal-aid: Family justice and legal aid" in text.output
    assert "status: Good progress (good-progress)" in text.output
    assert "previous status: Slow progress (December 2023)" in text.output

    monitor.server.set(
        "/legal", section_page("Blocked - action needed", "Good progress - May 2031")
    )
    changed = monitor.check("legal")
    assert changed["status"] == "changed", changed
    diff = monitor.run("diff", "legal", "--no-color")
    assert "@@ Family justice and legal aid @@" in diff.output, diff.output
    assert "{+Status: Blocked - action needed+}" in diff.output
    assert "Previous status: [-Slow-]{+Good+} progress ([-December 2023-]{+May 2031+})" in (
        diff.output
    )
    parsed = json.loads(monitor.run("tracker", "show", "legal", "--json").output)
    section = parsed["sections"][0]
    assert section["status"] == {"label": "Blocked - action needed", "level": "blocked"}
    assert section["previous_status_date"] == "May 2031"
    assert section["verdict"].startswith("An invented view")
    assert "link card" not in json.dumps(parsed)


def test_page_without_sections_is_a_failed_check(monitor: Monitor) -> None:
    monitor.server.set("/tracker", NO_SECTIONS)
    result = monitor.run("check", "tracker", "--json")
    assert result.exit_code == 1
    outcome = json.loads(result.output)
    assert outcome["status"] == "error" and outcome["snapshot"] is None
    assert "no tracker sections found" in outcome["error"]
    assert json.loads(monitor.run("history", "tracker", "--json").output) == []


@needs_seeds
def test_plain_text_capture_through_the_kind(monitor: Monitor) -> None:
    monitor.server.set(
        "/tracker", Route(SEED_2023.read_bytes(), content_type="text/plain; charset=utf-8")
    )
    assert monitor.check("tracker")["status"] == "new"
    shown = monitor.run("tracker", "show", "tracker", "--json")
    assert len(json.loads(shown.output)["sections"]) == 11


def test_show_needs_a_stored_version_and_a_tracker_source(monitor: Monitor) -> None:
    assert monitor.run("init").exit_code == 0
    result = monitor.run("tracker", "show", "tracker")
    assert result.exit_code == 2 and "no versions stored yet" in result.output
    result = monitor.run("tracker", "show")  # two tracker sources: which one?
    assert result.exit_code == 2 and "give a SOURCE_ID" in result.output


def test_kind_extract_matches_the_parser(tmp_path: Path) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text("sources:\n  - {id: t, name: T, url: 'http://x/', kind: tracker}\n")
    source = load_config(config).sources[0]
    body = section_page("Slow progress", "Good progress (September 2023)").encode()
    fetched = FetchResult("http://x/", "http://x/", 200, body, "text/html", Validators(), 0.0)
    document = get_kind("tracker").extract(source, fetched)
    assert document == tracker_document(parse_tracker_body(body, content_type="text/html"))
    assert "Status: Slow progress" in document.lines()
    with pytest.raises(ContentMissing, match="no tracker sections found"):
        get_kind("tracker").extract(source, replace(fetched, body=NO_SECTIONS.encode()))


# --- the CLI on local files --------------------------------------------------------------------


@needs_seeds
def test_show_file_prints_the_2023_sections() -> None:
    result = CliRunner().invoke(cli, ["tracker", "show", "--file", str(SEED_2023)])
    assert result.exit_code == 0, result.output
    assert "11 sections, 14 history entries" in result.output
    assert "support-for-children: Support for children in kinship care" in result.output
    assert "status: Significantly lagging (lagging)" in result.output
    assert "23 Nov: Amended" in result.output


@needs_seeds
def test_show_file_json_is_valid(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["tracker", "show", "--file", str(SEED_2025), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sections"][0]["previous_status"] == {
        "label": "Good progress",
        "level": "good-progress",
    }
    page = tmp_path / "page.html"
    page.write_text(single_page({"leave": "good", "money": "lagging"}, HISTORY), encoding="utf-8")
    result = CliRunner().invoke(cli, ["tracker", "show", "--file", str(page), "--json"])
    tracker = Tracker.from_dict(json.loads(result.output))
    assert [s.status.level if s.status else None for s in tracker.sections] == [
        "good-progress",
        "lagging",
    ]
    assert tracker.title == "Test tracker"  # the <title>, without the site name
