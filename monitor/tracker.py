"""A Kinship-style policy tracker, parsed into sections, statuses and its update history.

The Kinship policy tracker (DATA-SOURCES.md section 7) has had two layouts:

* **2023, one long page**: an intro, an *Update history* of dated entries ("23 Nov: Amended
  'Financial allowances' and 'Kinship care leave' sections following ..."), a legend, a
  *Jump to* list that carries each section's status as an emoji (💚 good progress, 💛 in the
  right direction, ❤️ significantly lagging), then one block per section: its title, a one-line
  summary, "What's happening now?" and "What should happen next?".
* **2025, one page per section**: the title, a one-line summary, the status in words ("Slow
  progress") with "Previous status: Good progress (September 2023)", then "Current action" (or
  "Current status" / "What's happening now?"), "Our verdict" and "What should happen next".
  An index page lists the sections (with their statuses) and a dated update log.

:func:`parse_tracker_lines` reads either from text lines: a plain-text capture (one paragraph
a line), or :meth:`monitor.document.Document.lines` of an extracted HTML page, whose
``# heading`` and ``- item`` markers it uses when present. :func:`tracker_document` turns the
result back into a normalised :class:`~monitor.document.Document` in which every section is a
heading with its status lines and sub-headings, so the generic block diff reports "status
moved", "section rewritten" and "history entry added" under the right heading path.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from monitor.document import Block, BlockKind, Document, Metadata
from monitor.normalise import normalise_document, normalise_text

Level = Literal[
    "good-progress", "right-direction", "slow-progress", "lagging", "no-progress", "blocked"
]
LEVELS: tuple[Level, ...] = (
    "good-progress", "right-direction", "slow-progress", "lagging", "no-progress", "blocked",
)  # fmt: skip

#: The section ids used across the product (sources.yaml ``sections:``, drafted updates).
DEFAULT_SECTION_IDS: tuple[str, ...] = (
    "recognising-kinship-care", "national-strategy", "defining-kinship-care", "data",
    "early-arrangements", "financial-allowances", "kinship-care-leave", "training-and-support",
    "legal-aid", "support-for-children", "local-authority-practice",
)  # fmt: skip

#: Tracker section titles (and URL slugs, read with hyphens as spaces) → default section id.
SECTION_ALIASES: Mapping[str, str] = {
    "recognising kinship care": "recognising-kinship-care",
    "recognizing kinship care": "recognising-kinship-care",
    "a national kinship care strategy": "national-strategy",
    "national kinship care strategy": "national-strategy",
    "kinship care strategy": "national-strategy",
    "defining kinship care": "defining-kinship-care",
    "data": "data",
    "data and research": "data",
    "prioritising and supporting early kinship arrangements": "early-arrangements",
    "prioritising and supporting earlier kinship arrangements": "early-arrangements",
    "engaging and supporting family networks": "early-arrangements",
    "financial allowances": "financial-allowances",
    "kinship care leave": "kinship-care-leave",
    "training and support for kinship carers": "training-and-support",
    "training and support": "training-and-support",
    "access to legal aid": "legal-aid",
    "legal aid": "legal-aid",
    "family justice and legal aid": "legal-aid",
    "support for kinship children": "support-for-children",
    "support for children in kinship care": "support-for-children",
    "improving local authority practice": "local-authority-practice",
    "local authority practice": "local-authority-practice",
}

DEFAULT_TITLE = "Kinship care policy tracker"
HAPPENING_NOW = "What's happening now?"
VERDICT = "Our verdict"
SHOULD_HAPPEN_NEXT = "What should happen next?"
UPDATE_HISTORY = "Update history"


# --- value objects -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Status:
    """A status as the tracker words it, and where it sits on the scale (None: unknown words)."""

    label: str
    level: Level | None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One dated entry of the update history, and the section ids it names."""

    date: str  # as written: "23 Nov", "30 October 2024"
    text: str
    sections: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TrackerSection:
    """One policy area of the tracker.

    ``summary`` (the one-line headline under the title) and ``verdict`` ("Our verdict", 2025
    pages) come after the fields the rest of the product relies on. Multi-paragraph texts are
    joined with newlines; list items keep their ``- `` marker.
    """

    id: str
    title: str
    status: Status | None
    previous_status: Status | None = None
    previous_status_date: str | None = None
    happening_now: str = ""
    should_happen_next: str = ""
    summary: str = ""
    verdict: str = ""


@dataclass(frozen=True, slots=True)
class Tracker:
    """A parsed tracker page: its sections and update history (newest entry first, as shown)."""

    title: str
    updated: str | None
    history: tuple[HistoryEntry, ...]
    sections: tuple[TrackerSection, ...]

    def section(self, section_id: str) -> TrackerSection | None:
        """The section with id ``section_id``, if the tracker has it."""
        return next((s for s in self.sections if s.id == section_id), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (``dataclasses.asdict``): tuples become lists."""
        return dataclasses.asdict(self)

    def to_json(self, *, indent: int | None = None) -> str:
        """Canonical JSON (sorted keys), the form later storage keeps."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tracker:
        """Inverse of :meth:`to_dict`."""

        def status(value: Any) -> Status | None:
            return Status(value["label"], level_of(value.get("level") or "")) if value else None

        return cls(
            title=data.get("title") or "",
            updated=data.get("updated"),
            history=tuple(
                HistoryEntry(h["date"], h["text"], tuple(h.get("sections") or ()))
                for h in data.get("history") or ()
            ),
            sections=tuple(
                TrackerSection(
                    id=s["id"],
                    title=s["title"],
                    status=status(s.get("status")),
                    previous_status=status(s.get("previous_status")),
                    previous_status_date=s.get("previous_status_date"),
                    happening_now=s.get("happening_now") or "",
                    should_happen_next=s.get("should_happen_next") or "",
                    summary=s.get("summary") or "",
                    verdict=s.get("verdict") or "",
                )
                for s in data.get("sections") or ()
            ),
        )


# --- statuses ------------------------------------------------------------------------------
#: The 2023 emoji scale (the legend: good progress / right direction / significantly lagging).
STATUS_EMOJI: Mapping[str, Level] = {"💚": "good-progress", "💛": "right-direction", "❤": "lagging"}
LEVEL_LABELS: Mapping[Level, str] = {
    "good-progress": "Good progress",
    "right-direction": "In the right direction",
    "slow-progress": "Slow progress",
    "lagging": "Significantly lagging",
    "no-progress": "No progress",
    "blocked": "Blocked - action needed",
}
# Whole-line wordings (2022 labels "Significant progress" / "Missing the mark" included).
_STATUS_PATTERNS: tuple[tuple[str, Level], ...] = (
    (r"(?:good|significant) progress", "good-progress"),
    (r"(?:in the )?right direction", "right-direction"),
    (r"slow progress", "slow-progress"),
    (r"(?:action )?significantly lagging(?: behind)?|missing the mark", "lagging"),
    (r"no progress", "no-progress"),
    (r"blocked(?:\s*[-–—:,]\s*action (?:is )?needed)?", "blocked"),
)
_STATUS_WORDS = tuple((re.compile(p, re.IGNORECASE), level) for p, level in _STATUS_PATTERNS)
_EMOJI_PREFIX = re.compile("^(" + "|".join(map(re.escape, STATUS_EMOJI)) + ")\ufe0f?\\s*")
_STATUS_PREFIX = re.compile(r"^(?:current |our )?(?:status|verdict|rating)\s*[:–—-]\s*", re.I)
_TRAILING = re.compile(r"[\s.…!:;,]+$")
_PREVIOUS = re.compile(r"^previous\s+status(?:es)?\b\s*[:–—-]?\s*(?P<rest>.*)$", re.IGNORECASE)
_MONTHS = {
    m: n
    for n, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")),
        start=1,
    )
    for m in names
}  # fmt: skip
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{_MONTH}\s+\d{{4}}|\d{{4}}"
_DATE_RE = re.compile(rf"^(?:{_DATE})$", re.IGNORECASE)


def _words_status(text: str) -> Status | None:
    """``text`` (emoji, prefix and punctuation already gone) as a status, if it is one."""
    for pattern, level in _STATUS_WORDS:
        if pattern.fullmatch(text):
            return Status(text[:1].upper() + text[1:], level)
    return None


def parse_status(text: str) -> Status | None:
    """A line that is nothing but a status, as a :class:`Status`; otherwise ``None``.

    Accepts the emoji scale ("💚", "💛 ", "❤️"), the words ("Slow progress", "Blocked - action
    needed", "In the right direction…") and a ``Status:`` prefix. A sentence that merely starts
    with status words ("Good progress is being made on ...") is not a status. The label is the
    wording as written (first letter capitalised), or the scale's words for a bare emoji.
    """
    text = normalise_text(text).removeprefix("- ").strip()
    emoji_level: Level | None = None
    if match := _EMOJI_PREFIX.match(text):
        emoji_level = STATUS_EMOJI[match.group(1)]
        text = text[match.end() :]
    text = _TRAILING.sub("", _STATUS_PREFIX.sub("", text))
    if not text:
        return Status(LEVEL_LABELS[emoji_level], emoji_level) if emoji_level else None
    return _words_status(text)


def _loose_status(text: str) -> Status:
    """A status we know is one (it follows "Previous status:"), known wording or not."""
    text = _TRAILING.sub("", normalise_text(text))
    return parse_status(text) or Status(text[:1].upper() + text[1:], None)


def _month_key(date: str | None) -> tuple[int, int] | None:
    """``"September 2023"`` → ``(2023, 9)``; ``None`` when there is no year."""
    if not date or not (year := re.search(r"\b(\d{4})\b", date)):
        return None
    month = re.search(r"[A-Za-z]+", date)
    return int(year.group(1)), _MONTHS.get(month.group(0).lower(), 0) if month else 0


def _status_with_date(part: str) -> tuple[Status, str | None]:
    """``"Good progress (September 2023)"`` / ``"good progress - September 2023"``."""
    part = _TRAILING.sub("", normalise_text(part))
    if match := re.fullmatch(r"(?P<label>.*?)\s*\((?P<date>[^()]*)\)", part):
        return _loose_status(match["label"]), match["date"].strip() or None
    pieces = re.split(r"\s+[-–—]\s+|,\s+", part)
    if len(pieces) > 1 and _DATE_RE.match(pieces[-1]):
        label = part[: part.rindex(pieces[-1])]
        return _loose_status(re.sub(r"[\s,–—-]+$", "", label)), pieces[-1]
    if match := re.fullmatch(rf"(?P<label>.*?)\s+(?:since\s+|in\s+)?(?P<date>{_DATE})", part, re.I):
        return _loose_status(match["label"]), match["date"]
    return _loose_status(part), None


def parse_previous_status(text: str) -> tuple[Status, str | None] | None:
    """The most recent previous status and its date from a "Previous status(es): ..." line.

    ``"Previous statuses: Good progress (October 2024); Slow progress (December 2023)"`` gives
    ``(Status("Good progress", "good-progress"), "October 2024")``: the latest dated one (the
    first listed when no dates can be compared). ``None`` when ``text`` is no such line.
    """
    match = _PREVIOUS.match(normalise_text(text).removeprefix("- "))
    if not match or not match["rest"].strip():
        return None
    parts = [_status_with_date(p) for p in re.split(r"\s*;\s*", match["rest"]) if p.strip()]
    dated = [(key, i) for i, (_, date) in enumerate(parts) if (key := _month_key(date))]
    best = max(dated)[1] if dated else 0
    return parts[best] if parts else None


# --- section ids ---------------------------------------------------------------------------
def _title_key(title: str) -> str:
    """Lower case, emoji, quotes and punctuation gone, hyphens read as spaces."""
    text = _EMOJI_PREFIX.sub("", normalise_text(title)).lower().replace("&", " and ")
    text = re.sub(r"[‘’'“”\"`]", "", text)
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(re.sub(r"\bsections?$", "", text.strip()).split())


def slugify(text: str) -> str:
    """``"Access to legal aid"`` → ``"access-to-legal-aid"``."""
    return "-".join(_title_key(text).replace("_", " ").split())


def section_id(title: str) -> str:
    """The product's id for a tracker section title (or URL slug); a slug of it otherwise."""
    key = _title_key(title)
    return SECTION_ALIASES.get(key) or slugify(key) or "section"


def resolve_section(name: str, known: Mapping[str, str] | None = None) -> str | None:
    """The section id ``name`` refers to, tolerating small typos; ``None`` if it is none.

    ``known`` maps extra titles (say the sections parsed from the page) to their ids; the
    alias table is always consulted. "Training and support or kinship carers" (sic, in an
    update history entry) resolves to ``training-and-support``.
    """
    key = _title_key(name)
    if not key:
        return None
    table = dict(SECTION_ALIASES)
    table.update((_title_key(t), i) for t, i in (known or {}).items())
    table.update((_title_key(i), i) for i in (*DEFAULT_SECTION_IDS, *(known or {}).values()))
    if key in table:
        return table[key]
    close = difflib.get_close_matches(key, list(table), n=1, cutoff=0.88)
    return table[close[0]] if close else None


# --- lines ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Line:
    text: str  # without markers
    heading: int = 0  # heading level when the line came as "## text"
    item: bool = False  # a list item or link list ("- text", "→ text")

    @property
    def content(self) -> str:
        """The line as kept in a section text (list items keep their marker)."""
        return f"- {self.text}" if self.item else self.text


_HEADING_MARK = re.compile(r"^(#{1,6}) (.*)$")
_LABELS: Mapping[str, str] = {
    **dict.fromkeys(
        ("what's happening now", "what is happening now", "what's happening", "current status",
         "current action", "current position"),
        "now",
    ),
    **dict.fromkeys(("our verdict", "our view"), "verdict"),
    **dict.fromkeys(
        ("what should happen next", "what needs to happen next", "what should happen",
         "next steps"),
        "next",
    ),
}  # fmt: skip
_LABEL_ORDER = {"now": 0, "verdict": 1, "next": 2}
_HISTORY_HEADERS = frozenset(
    {"update history", "update log", "updates", "recent updates", "latest updates"}
)
_NAV = re.compile(
    r"^(?:jump to|contents|on this page|in this section|click on the link below\b.*)$",
    re.IGNORECASE,
)
_UPDATED = re.compile(
    rf"^(?:last updated|page updated|updated on|updated:)\s*:?\s*"
    rf"(?P<date>(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{_MONTH}\s+\d{{4}})\.?$",
    re.IGNORECASE,
)
_ENTRY = re.compile(
    rf"^(?P<date>\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:\s+\d{{4}})?|{_MONTH}\s+\d{{4}})"
    r"\s*(?::|\s[–—-])\s*(?P<text>\S.*)$",
    re.IGNORECASE,
)
_ENTRY_SPLIT = re.compile(rf";\s+(?=\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\s*:)", re.IGNORECASE)
_SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+Kinship(?:\s+Care)?$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;,…][’”\"')\]]*$")
_MAX_TITLE_WORDS = 12
_MAX_TITLE_GAP = 3  # content lines allowed between a section title and its first label


def _lines(raw: Iterable[str]) -> list[_Line]:
    """Classify raw lines; blank lines are dropped."""
    out: list[_Line] = []
    for line in raw:
        text = normalise_text(line)
        if not text:
            continue
        if match := _HEADING_MARK.match(text):
            out.append(_Line(match.group(2).strip(), heading=len(match.group(1))))
        elif text.startswith(("- ", "→ ", "• ", "* ")):
            out.append(_Line(text[2:].strip(), item=True))
        else:
            out.append(_Line(text))
    return [line for line in out if line.text]


def _label(text: str) -> str | None:
    """``"now"``, ``"verdict"`` or ``"next"`` for a sub-heading of a section."""
    key = re.sub(r"[\s?:.]+$", "", text.replace("’", "'").lower())
    return _LABELS.get(key)


def _is_history_header(text: str) -> bool:
    return re.sub(r"[\s:]+$", "", text.lower()) in _HISTORY_HEADERS


def _is_special(line: _Line) -> bool:
    """A label, status, previous status, navigation or history line (never a title)."""
    text = line.text
    return bool(
        _label(text)
        or parse_status(text)
        or _PREVIOUS.match(text)
        or _NAV.match(re.sub(r"[\s:]+$", "", text))
        or _is_history_header(text)
        or _ENTRY.match(text)
    )


def _title_like(line: _Line) -> bool:
    """Short, not a sentence, not a special line: could be a section title in plain text."""
    return (
        not line.item
        and len(line.text.split()) <= _MAX_TITLE_WORDS
        and not _SENTENCE_END.search(line.text)
        and not _is_special(line)
    )


def _clean_title(text: str) -> str:
    return _SITE_SUFFIX.sub("", _EMOJI_PREFIX.sub("", text)).strip()


# --- the parser ----------------------------------------------------------------------------
@dataclass
class _Span:
    title: int | None  # index of the title line (None: no title line found)
    anchor: int  # index of the first label line, or of the status line (no labels)
    end: int = 0  # exclusive


def _anchors(lines: Sequence[_Line]) -> list[int]:
    """Indices of the labels that open a section: the first, and each where the order resets."""
    anchors, previous = [], None
    for i, line in enumerate(lines):
        if line.item or (label := _label(line.text)) is None:
            continue  # list items with label words are a page's own "jump to" links
        order = _LABEL_ORDER[label]
        if previous is None or order <= previous:
            anchors.append(i)
        previous = order
    return anchors


def _find_title(lines: Sequence[_Line], anchor: int, floor: int) -> int | None:
    """The title line of the section whose first label is at ``anchor``.

    The nearest heading above it (with at most a few summary lines between); else, in plain
    text, a title-like line one or two content lines above.
    """
    gap = 0
    for i in range(anchor - 1, floor, -1):
        line = lines[i]
        if line.heading and not _is_special(line):
            return i
        if _is_special(line) or line.item:
            continue
        gap += 1
        if gap > _MAX_TITLE_GAP:
            break
    content = [i for i in range(anchor - 1, floor, -1) if not _is_special(lines[i])][:2]
    for i in content:
        if _title_like(lines[i]):
            return i
    return None


def _spans(lines: Sequence[_Line]) -> list[_Span]:
    spans: list[_Span] = []
    floor = -1
    for anchor in _anchors(lines):
        title = _find_title(lines, anchor, floor)
        if title is None and spans:
            continue  # no title: a reset inside the previous section, not a new one
        spans.append(_Span(title, anchor))
        floor = anchor
    for span, following in zip(spans, spans[1:], strict=False):
        span.end = following.title if following.title is not None else following.anchor
    if spans:
        spans[-1].end = len(lines)
    return spans


def _single_span(lines: Sequence[_Line]) -> _Span | None:
    """A per-section page without sub-headings: one section around its status line."""
    for i, line in enumerate(lines):
        if not line.item and not line.heading and parse_status(line.text):
            title = next((j for j in range(i - 1, -1, -1) if lines[j].heading), None)
            return _Span(title, i, len(lines))
    return None


@dataclass
class _Builder:
    title: str
    status: Status | None = None
    previous: Status | None = None
    previous_date: str | None = None
    summary: list[str] = dataclasses.field(default_factory=list)
    buckets: dict[str, list[str]] = dataclasses.field(
        default_factory=lambda: {"now": [], "verdict": [], "next": []}
    )

    def take_status(self, line: _Line) -> bool:
        """Record a status or previous-status line; True if ``line`` was one."""
        if (status := parse_status(line.text)) is not None:
            self.status = self.status or status
            return True
        if (previous := parse_previous_status(line.text)) is not None:
            if self.previous is None:
                self.previous, self.previous_date = previous
            return True
        return False

    def build(self, jump: Sequence[tuple[str, Status]]) -> TrackerSection:
        ident = section_id(self.title) if self.title else "section"
        return TrackerSection(
            id=ident,
            title=self.title,
            status=self.status or _jump_status(ident, self.title, jump),
            previous_status=self.previous,
            previous_status_date=self.previous_date,
            happening_now="\n".join(self.buckets["now"]),
            should_happen_next="\n".join(self.buckets["next"]),
            summary=" ".join(self.summary),
            verdict="\n".join(self.buckets["verdict"]),
        )


def _section(lines: Sequence[_Line], span: _Span, fallback_title: str) -> _Builder:
    """Read one section's lines: title, summary, statuses and the three texts."""
    title_line = lines[span.title] if span.title is not None else None
    builder = _Builder(_clean_title(title_line.text) if title_line else fallback_title)
    if title_line and (emoji := _EMOJI_PREFIX.match(title_line.text)):
        level = STATUS_EMOJI[emoji.group(1)]
        builder.status = Status(LEVEL_LABELS[level], level)
    start = span.title + 1 if span.title is not None else span.anchor
    label_levels = [ln.heading for ln in lines[start : span.end] if ln.heading and _label(ln.text)]
    cut = min(label_levels) if label_levels else (title_line.heading if title_line else 0)
    bucket: str | None = None
    in_nav = False
    for i in range(start, span.end):
        line = lines[i]
        if in_nav and line.item:
            continue
        in_nav = False
        if _NAV.match(re.sub(r"[\s:]+$", "", line.text)):
            in_nav = True
            continue
        if not line.item and (label := _label(line.text)):
            bucket = label
            continue
        if builder.take_status(line):
            continue
        if line.heading and cut and line.heading <= cut and i > span.anchor:
            break  # page furniture after the section ("Related resources", a footer)
        if bucket is not None:
            builder.buckets[bucket].append(line.content)
        elif i < span.anchor and not line.heading:
            builder.summary.append(line.content)
        elif i > span.anchor:  # a page without sub-headings: the body is "happening now"
            builder.buckets["now"].append(line.content)
    if span.title is None and span.anchor > 0:  # no title: the line above the status
        above = lines[span.anchor - 1]
        if not above.heading and not _is_special(above):
            builder.summary = [above.content]
    return builder


def _jump_statuses(lines: Sequence[_Line]) -> list[tuple[str, Status]]:
    """``(title, status)`` from a jump list or index ("💚 Data", "Data - Slow progress")."""
    found: list[tuple[str, Status]] = []
    for line in lines:
        text = line.text
        if (match := _EMOJI_PREFIX.match(text)) and text[match.end() :].strip():
            level = STATUS_EMOJI[match.group(1)]
            title = _clean_title(text[match.end() :])
            if not _is_special(_Line(title)):
                found.append((title, Status(LEVEL_LABELS[level], level)))
        elif line.item and (split := re.match(r"^(?P<t>.+?)\s*(?::|\s[–—-])\s+(?P<s>.+)$", text)):
            status = parse_status(split["s"])
            if status and not _is_special(_Line(split["t"])):
                found.append((_clean_title(split["t"]), status))
    return found


def _jump_status(ident: str, title: str, jump: Sequence[tuple[str, Status]]) -> Status | None:
    """The status the jump list gives a section: same id, else a near-identical title."""
    by_id = {section_id(t): status for t, status in jump}
    if ident in by_id or not title:
        return by_id.get(ident)
    close = resolve_section(title, {t: section_id(t) for t, _ in jump})
    return by_id.get(close) if close else None


def _history(lines: Sequence[_Line]) -> list[tuple[str, str]]:
    """``(date, text)`` of the update history entries, in page order."""
    header = next((i for i, ln in enumerate(lines) if _is_history_header(ln.text)), None)
    candidates = lines[header + 1 :] if header is not None else lines
    entries: list[tuple[str, str]] = []
    for line in candidates:
        parts = _ENTRY_SPLIT.split(line.text)
        matches = [m for p in parts if (m := _ENTRY.match(p))]
        if len(matches) != len(parts):
            if header is not None and entries:
                break  # the end of the history block
            continue
        entries += [(m["date"], m["text"].strip()) for m in matches]
    return entries


_QUOTED = re.compile(r"‘([^‘’]+)’|“([^“”]+)”|(?<!\w)'([^']+)'(?!\w)|(?<!\w)\"([^\"]+)\"")
_ARROW = re.compile(r"\s*(?:->|→|=>)\s*")


def _named_sections(text: str, known: Mapping[str, str]) -> tuple[str, ...]:
    """Section ids an update history entry names, in the order it names them.

    Quoted names ("Amended 'Financial allowances' and 'Kinship care leave' sections"), the
    index page's arrows ("Autumn Budget -> Financial allowances"), "all sections", and failing
    those, known multi-word section titles written out in the text.
    """
    names = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)]
    arrow = _ARROW.split(text, maxsplit=1)
    if len(arrow) == 2:
        names += re.split(r"\s*(?:,|;|&|\band\b)\s*", arrow[1])
    found = [ident for name in names if (ident := resolve_section(name, known))]
    if re.search(r"\ball (?:the )?sections\b", text, re.IGNORECASE):
        found += list(known.values())
    if not found:
        lowered = _title_key(text)
        hits = [
            (lowered.find(key), ident)
            for key, ident in {
                **SECTION_ALIASES,
                **{_title_key(t): i for t, i in known.items()},
            }.items()
            if len(key.split()) > 1 and re.search(rf"\b{re.escape(key)}\b", lowered)
        ]
        found = [ident for _, ident in sorted(hits)]
    return tuple(dict.fromkeys(found))


def _unique_ids(sections: list[TrackerSection]) -> list[TrackerSection]:
    seen: dict[str, int] = {}
    out = []
    for section in sections:
        count = seen[section.id] = seen.get(section.id, 0) + 1
        out.append(
            section if count == 1 else dataclasses.replace(section, id=f"{section.id}-{count}")
        )
    return out


def parse_tracker_lines(lines: Sequence[str], *, title: str | None = None) -> Tracker:
    """Parse a tracker page given as text lines (either layout; see the module docstring).

    ``title`` names the page when the lines carry no ``# title`` line of their own (a plain
    text capture of a per-section page has no title in it); it is also the section's title
    when a per-section page has no heading. Never raises: a page with no recognisable
    sections gives a :class:`Tracker` with no sections.
    """
    parsed = _lines(lines)
    page_title = title or ""
    if parsed and parsed[0].heading == 1:
        page_title = page_title or _clean_title(parsed[0].text)
    updated = next((m["date"] for ln in parsed if (m := _UPDATED.match(ln.text))), None)

    spans = _spans(parsed)
    if not spans and (single := _single_span(parsed)):
        spans = [single]
    first = min((s.title if s.title is not None else s.anchor) for s in spans) if spans else None
    preamble = parsed[:first] if first is not None else parsed
    jump_list = _jump_statuses(preamble)
    sections = [_section(parsed, span, page_title).build(jump_list) for span in spans]
    if not sections:  # an index page: the sections and statuses of its list
        sections = [TrackerSection(section_id(t), t, s) for t, s in jump_list]
    sections = _unique_ids(sections)

    known = {s.title: s.id for s in sections}
    history = tuple(
        HistoryEntry(date, text, _named_sections(text, known)) for date, text in _history(preamble)
    )
    return Tracker(title=page_title, updated=updated, history=history, sections=tuple(sections))


# --- as a document -------------------------------------------------------------------------
def _paragraphs(text: str) -> list[Block]:
    blocks = []
    for line in text.split("\n"):
        if line.startswith("- "):
            blocks.append(Block(BlockKind.LIST_ITEM, line[2:]))
        elif line.strip():
            blocks.append(Block(BlockKind.PARAGRAPH, line))
    return blocks


def iso_date(date: str | None) -> str | None:
    """``"30 October 2024"`` → ``"2024-10-30"``; anything else is returned as written."""
    if not date:
        return None
    for fmt in ("%d %B %Y", "%d %b %Y"):
        try:
            return (
                datetime.strptime(re.sub(r"(?<=\d)(?:st|nd|rd|th)\b", "", date), fmt)
                .date()
                .isoformat()
            )
        except ValueError:
            continue
    return date


def format_previous(section: TrackerSection) -> str | None:
    """``"Good progress (September 2023)"``, or ``None`` without a previous status."""
    if section.previous_status is None:
        return None
    date = section.previous_status_date
    return section.previous_status.label + (f" ({date})" if date else "")


def tracker_document(tracker: Tracker) -> Document:
    """The tracker as a normalised :class:`Document`, the form that is hashed, stored and diffed.

    The update history is a level-2 heading with one list item per entry; each section is a
    level-2 heading, then its summary, ``Status: ...`` and ``Previous status: ...`` paragraphs,
    then level-3 headings "What's happening now?", "Our verdict" and "What should happen next?"
    with their paragraphs (empty ones are left out).
    """
    blocks: list[Block] = []
    if tracker.history:
        blocks.append(Block(BlockKind.HEADING, UPDATE_HISTORY, 2))
        blocks += [Block(BlockKind.LIST_ITEM, f"{e.date}: {e.text}") for e in tracker.history]
    for section in tracker.sections:
        blocks.append(Block(BlockKind.HEADING, section.title or section.id, 2))
        if section.summary:
            blocks.append(Block(BlockKind.PARAGRAPH, section.summary))
        if section.status is not None:
            blocks.append(Block(BlockKind.PARAGRAPH, f"Status: {section.status.label}"))
        if (previous := format_previous(section)) is not None:
            blocks.append(Block(BlockKind.PARAGRAPH, f"Previous status: {previous}"))
        for heading, text in (
            (HAPPENING_NOW, section.happening_now),
            (VERDICT, section.verdict),
            (SHOULD_HAPPEN_NEXT, section.should_happen_next),
        ):
            if text.strip():
                blocks.append(Block(BlockKind.HEADING, heading, 3))
                blocks += _paragraphs(text)
    metadata = Metadata(updated=iso_date(tracker.updated), document_type="tracker")
    return normalise_document(Document(tracker.title or DEFAULT_TITLE, tuple(blocks), metadata))


def format_tracker(tracker: Tracker) -> str:
    """A terminal listing: sections with statuses, then the update history."""
    out = [tracker.title or DEFAULT_TITLE]
    if tracker.updated:
        out.append(f"Last updated: {tracker.updated}")
    out.append(f"{len(tracker.sections)} sections, {len(tracker.history)} history entries")
    for s in tracker.sections:
        out += ["", f"{s.id}: {s.title}"]
        level = f" ({s.status.level})" if s.status and s.status.level else ""
        out.append(f"  status: {s.status.label if s.status else '-'}{level}")
        if (previous := format_previous(s)) is not None:
            out.append(f"  previous status: {previous}")
        if s.summary:
            out.append(f"  summary: {s.summary}")
        for name, text in (
            ("what's happening now", s.happening_now),
            ("our verdict", s.verdict),
            ("what should happen next", s.should_happen_next),
        ):
            if text:
                out.append(f"  {name}: {len(text.splitlines())} paragraphs")
    if tracker.history:
        out += ["", UPDATE_HISTORY]
        for entry in tracker.history:
            named = f"  [{', '.join(entry.sections)}]" if entry.sections else ""
            out.append(f"  {entry.date}: {entry.text}{named}")
    return "\n".join(out)


def level_of(value: str) -> Level | None:
    """``value`` as a :data:`Level` if it is one (for data read back from JSON)."""
    return cast(Level, value) if value in LEVELS else None


__all__ = [
    "DEFAULT_SECTION_IDS",
    "LEVELS",
    "SECTION_ALIASES",
    "STATUS_EMOJI",
    "HistoryEntry",
    "Level",
    "Status",
    "Tracker",
    "TrackerSection",
    "format_tracker",
    "parse_previous_status",
    "parse_status",
    "parse_tracker_lines",
    "resolve_section",
    "section_id",
    "tracker_document",
]
