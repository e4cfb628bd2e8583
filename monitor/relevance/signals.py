"""Signals beyond terms: bill events, listing entries, document types, scope and hard negatives.

Bill events are read from the lines the ``parliament-bill`` kind writes (see
:mod:`monitor.sources.parliament_bill`): ``Current stage: ...`` and ``Royal Assent: yes — ...``
under "Status", one item per stage under "Stages", ``Amendment 62 (subject) — Negatived —
sponsors`` under "Amendments", ``Title (Type, date)`` under "Publications". Feed and search
entries (``title — type — organisation — date (url)``) are read as listing entries; a feed
entry naming a bill and a stage is a stage event too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from monitor.relevance.changes import ChangeView, Piece, strip_marker
from monitor.relevance.matching import count_in
from monitor.relevance.profiles import Profiles
from monitor.relevance.text import words

EventKind = Literal["royal-assent", "stage", "amendment", "publication"]

STAGE_RE = re.compile(
    r"\b(?:(?:1st|2nd|3rd|first|second|third) reading|committee stage|report stage"
    r"|committee of the whole house|consideration of (?:lords|commons) amendments"
    r"|ping[- ]pong|royal assent|carry[- ]over motion|programme motion|money resolution"
    r"|second reading committee|legislative grand committee|select committee stage"
    r"|ways and means resolution|consequential consideration|reconsideration)\b",
    re.IGNORECASE,
)
_AMENDMENT = re.compile(
    r"^(?P<label>(?:Amendment|New clause|New schedule|Unnumbered amendment) [\w.]+)"
    r"(?: \((?P<subject>.*)\))?$"
)
_PUBLICATION = re.compile(r"^(?P<title>.*?) \((?P<type>[^,()]+)(?:, (?P<date>[^()]+))?\)$")
_ENTRY_URL = re.compile(r"\s\((?P<url>https?://[^\s()]+)\)$")
_AMENDMENT_PAPERS = ("amendment paper", "marshalled list", "selection of amendments",
                     "notices of amendments")  # fmt: skip

CONSULTATION_TYPES = frozenset(
    [
        "open_consultation",
        "closed_consultation",
        "consultation_outcome",
        "consultation",
        "call_for_evidence",
        "open_call_for_evidence",
        "closed_call_for_evidence",
    ]
)
DATA_TYPES = frozenset(
    [
        "official_statistics",
        "national_statistics",
        "statistical_data_set",
        "statistics",
        "official_statistics_announcement",
        "national_statistics_announcement",
        "accredited_official_statistics",
        "statistics_announcement",
    ]
)
ANNOUNCEMENT_TYPES = frozenset(
    [
        "news_story",
        "press_release",
        "speech",
        "written_statement",
        "oral_statement",
        "government_response",
        "authored_article",
        "news_article",
    ]
)
PUBLICATION_TYPES = frozenset(
    [
        "policy_paper",
        "guidance",
        "statutory_guidance",
        "detailed_guide",
        "research",
        "independent_report",
        "corporate_report",
        "impact_assessment",
        "promotional",
        "html_publication",
        "publication",
        "collection",
        "document_collection",
        "decision",
        "notice",
    ]
)
_DATA_HOSTS = ("ons.gov.uk", "explore-education-statistics.service.gov.uk")
_CONSULTATION_PHRASES = (
    "consultation response", "response to the consultation", "consultation outcome",
    "launched a consultation", "launch a consultation", "public consultation on",
    "consultation closes", "consultation is now closed", "call for evidence",
    "we are consulting", "seeking views",
)  # fmt: skip
_DATA_TITLE = re.compile(
    r"\b(?:statistics|statistical|census|data ?set|dashboard|estimates)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class BillEvent:
    """A stage reached, an amendment tabled or decided, or a bill publication."""

    kind: EventKind
    label: str
    line: str
    decision: str | None = None
    subject: str | None = None
    detail: str | None = None  # a publication's type, a stage's house


@dataclass(frozen=True, slots=True)
class Entry:
    """One search or feed entry: ``title — type — organisation — date (url)``."""

    title: str
    parts: tuple[str, ...]
    url: str

    @property
    def document_type(self) -> str:
        """The entry's document type, as a GOV.UK-style identifier ("" if none)."""
        return doc_type(self.parts[0]) if self.parts else ""


def doc_type(value: str | None) -> str:
    """``"Policy paper"`` → ``"policy_paper"``; ``None`` → ``""``."""
    return "_".join(words(value or ""))


# -- bill events ---------------------------------------------------------------------------------


def bill_events(view: ChangeView) -> list[BillEvent]:
    """The bill events a change brings (new-side changed lines only)."""
    events: list[BillEvent] = []
    for piece in view.pieces:
        if piece.side == "new" and any(piece.changed):
            events += _events_in(piece)
    return events


def _events_in(piece: Piece) -> list[BillEvent]:
    path = {h.lower() for h in piece.heading_path}
    text = piece.text
    if text.startswith("Royal Assent: yes") or (
        "royal assent" in text.lower() and "royal assent" in piece.changed_text().lower()
    ):
        return [BillEvent("royal-assent", "Royal Assent", text, detail=text.partition("— ")[2])]
    if "status" in path and text.startswith("Current stage: "):
        return [BillEvent("stage", text.removeprefix("Current stage: "), text)]
    if "amendments" in path and (event := _amendment(piece)):
        return [event]
    if "publications" in path and (event := _publication(piece)):
        return [event]
    if "stages" in path and piece.hunk.kind == "added":
        return [BillEvent("stage", text.split(": sitting", 1)[0], text)]
    return _listed_stage(piece)


def _amendment(piece: Piece) -> BillEvent | None:
    head, *rest = piece.text.split(" — ")
    match = _AMENDMENT.match(head)
    if not match:
        return None
    decision = rest[0] if rest else None
    if piece.hunk.kind == "modified" and decision and decision not in piece.changed_text():
        decision_changed = False
    else:
        decision_changed = True
    label = match["label"]
    return BillEvent(
        "amendment",
        label,
        piece.text,
        decision=decision if decision_changed else None,
        subject=match["subject"],
    )


def _publication(piece: Piece) -> BillEvent | None:
    if piece.hunk.kind != "added":
        return None
    match = _PUBLICATION.match(piece.text)
    if not match:
        return BillEvent("publication", piece.text, piece.text)
    return BillEvent(
        "publication", match["title"], piece.text, subject=match["date"], detail=match["type"]
    )


def _listed_stage(piece: Piece) -> list[BillEvent]:
    """A feed or search entry about a bill that names a stage (new entry or stage moved)."""
    changed = piece.changed_text() if piece.hunk.kind == "modified" else piece.text
    stage = STAGE_RE.search(changed)
    if not stage or not re.search(r"\bbill\b", piece.text, re.IGNORECASE):
        return []
    title = entry_of(piece.text).title
    return [BillEvent("stage", stage.group(), piece.text, subject=title)]


def is_amendment_paper(event: BillEvent) -> bool:
    """Tell whether a publication is an amendment paper (a list of amendments)."""
    named = f"{event.label} {event.detail or ''}".lower()
    return any(p in named for p in _AMENDMENT_PAPERS)


def is_act(event: BillEvent) -> bool:
    """Tell whether a publication is the Act itself."""
    return (event.detail or "").lower().startswith("act of parliament")


# -- listing entries (search results, feed entries) ---------------------------------------------


def entry_of(line: str) -> Entry:
    """Split ``title — type — organisation — date (url)`` into its parts."""
    text = strip_marker(line)
    url = ""
    if match := _ENTRY_URL.search(text):
        url, text = match["url"], text[: match.start()]
    title, *parts = text.split(" — ")
    return Entry(title.strip(), tuple(p.strip() for p in parts), url)


def added_entries(view: ChangeView) -> list[Entry]:
    """Entries added to a listing (link blocks added, or any block for listing kinds)."""
    return [
        entry_of(piece.hunk.new_text or "")
        for piece in view.pieces
        if piece.hunk.kind == "added" and piece.side == "new"
    ]


# -- kinds of document ---------------------------------------------------------------------------


def is_consultation(document_type: str, title: str, changed: str) -> bool:
    """A consultation opened, closed or answered."""
    if document_type in CONSULTATION_TYPES:
        return True
    text = f"{title} {changed}".lower()
    return any(phrase in text for phrase in _CONSULTATION_PHRASES) or (
        "consultation" in title.lower()
    )


def is_data(document_type: str, title: str, url: str) -> bool:
    """A statistics or data release."""
    host = urlsplit(url).hostname or ""
    if document_type in DATA_TYPES or host.endswith(_DATA_HOSTS):
        return True
    return _DATA_TITLE.search(title) is not None


# -- scope and hard negatives --------------------------------------------------------------------


def outside_england(profiles: Profiles, url: str, text: str) -> str | None:
    """The label of the place outside England a text is about, or ``None``."""
    lowered = url.lower()
    england = count_in(profiles.england, text)
    both = count_in(("england and wales",), text)
    for scope in profiles.scopes:
        if any(host in lowered for host in scope.hosts):
            return scope.label
        found = count_in(scope.terms, text) - (both if scope.id == "wales" else 0)
        if found > 0 and (england == 0 or found >= 3 * england):
            return scope.label
    return None


def topic_terms(profiles: Profiles) -> list[str]:
    """Every hard-negative topic term."""
    return [term for topic in profiles.topics for term in topic.terms]
