"""Draft a tracker update for an assessed change, in the tracker's own voice. Offline: templates
filled with facts extracted from the diff, no model.

A :class:`Draft` has

* ``history_line``, like the tracker's update history: ``"22 Nov: Amended 'Financial
  allowances' section following the Autumn Budget 2025."`` (section titles from the profiles;
  the event from a named fiscal event, the bill event, or the document's title and type);
* ``paragraph`` for "What's happening now?": facts only, what was published or changed, by
  whom, when, the figures and the stage or amendment, and the link;
* ``status_suggestion``: a suggested status with its reason, only on hard evidence (Royal
  Assent of a bill carrying what the section asks for); it is never applied;
* ``evidence``: the diff hunks it rests on, quoted with ``[-deleted-]`` / ``{+inserted+}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit

from monitor.diff import ChangeSet, Hunk
from monitor.document import Document
from monitor.relevance.changes import ChangeView, Piece, view
from monitor.relevance.matching import QUESTION_RE
from monitor.relevance.model import Assessment, ChangeInput
from monitor.relevance.profiles import Profiles, default_profiles
from monitor.relevance.signals import (
    ANNOUNCEMENT_TYPES,
    BillEvent,
    Entry,
    added_entries,
    bill_events,
    doc_type,
    entry_of,
    is_act,
)
from monitor.relevance.text import (
    dates,
    figures,
    fold_text,
    sentences,
    table_counts,
    term_key,
    term_pattern,
)
from monitor.render import heading_label, render_terminal

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
GOOD_PROGRESS = "Good progress"
MAX_SENTENCES = 4
MAX_EVIDENCE = 6
MAX_AMENDMENTS_NAMED = 3  # in a history line; the paragraph lists the others
SENTENCE_CHARS = 320
_FISCAL_EVENT = re.compile(
    r"\b(?:(?:Autumn|Spring) (?:Budget|Statement)|Spending Review|King’s Speech|King's Speech"
    r"|Kinship Care Week)(?: \d{4})?",
)
_HOSTS = {
    "www.gov.uk": "the UK Government",
    "gov.uk": "the UK Government",
    "bills.parliament.uk": "UK Parliament",
    "bills-api.parliament.uk": "UK Parliament",
    "commonslibrary.parliament.uk": "the House of Commons Library",
    "questions-statements.parliament.uk": "UK Parliament",
    "hansard.parliament.uk": "UK Parliament",
    "www.legislation.gov.uk": "legislation.gov.uk",
    "www.ons.gov.uk": "the Office for National Statistics",
    "kinship.org.uk": "Kinship",
    "www.gov.scot": "the Scottish Government",
    "www.gov.wales": "the Welsh Government",
    "lawcom.gov.uk": "the Law Commission",
    "www.judiciary.uk": "the Judiciary of England and Wales",
    "www.cafcass.gov.uk": "Cafcass",
    "www.ofsted.gov.uk": "Ofsted",
    "foundations.org.uk": "Foundations",
    "frg.org.uk": "Family Rights Group",
    "www.childrenscommissioner.gov.uk": "the Children's Commissioner for England",
    "explore-education-statistics.service.gov.uk": "the Department for Education",
}
_ORG_KEYS = ("organisation", "organisations", "publisher", "from")
_BOILERPLATE = re.compile(
    r"^(?:From:|Published\b|Last updated\b|Attachment:|Release date:|Question for\b"
    r"|Answered by\b|Answered on\b|Asked by\b)"
)
_ANSWERED = re.compile(r"^Answered (?:by .+? )?on (?P<day>\d{1,2} [A-Z][a-z]+ \d{4})\b")
_OPINION = re.compile(r"^(?:We|I) (?:believe|think|hope|expect|feel|are pleased|am pleased)\b")
_INSTRUMENT = re.compile(
    r"\b(?:Act|Regulations|Order|Rules|Code|Bill|Measure) (?:\(\w+\) )?(?:19|20)\d\d\b"
)
_NAMED = re.compile(r"\b[A-Z][a-z]+(?:\s(?:of\s|for\s|and\s)?[A-Z][a-z]+)+")
_MONTH_WORDS = tuple(m for m in MONTHS) + (
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_TAKES_THE = ("Department", "Ministry", "Office ", "Home Office", "Cabinet Office", "Government")


@dataclass(frozen=True, slots=True)
class Draft:
    """A proposed tracker update, pending review; nothing in it is applied automatically."""

    history_line: str
    paragraph: str
    status_suggestion: tuple[str, str] | None
    evidence: tuple[str, ...]
    sections: tuple[str, ...]  # section titles, primary first
    source_id: str
    url: str
    # the publications this draft announces, as publication_key()s: the new entries of a
    # search or feed, or a followed item seen for the first time; storage drafts the same
    # publication once, however many sources find it (storage.store, DUPLICATE_WINDOW)
    publications: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready data (for storage and ``--json`` output)."""
        status = self.status_suggestion
        return {
            "history_line": self.history_line,
            "paragraph": self.paragraph,
            "status_suggestion": {"status": status[0], "reason": status[1]} if status else None,
            "evidence": list(self.evidence),
            "sections": list(self.sections),
            "source_id": self.source_id,
            "url": self.url,
            "publications": list(self.publications),
        }


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the templates are filled with."""

    title: str
    organisation: str
    when: str
    events: tuple[BillEvent, ...]
    entries: tuple[Entry, ...]
    notes: tuple[str, ...]
    document_type: str
    changed: str = ""  # the new side of every changed block
    headings: tuple[str, ...] = ()  # headings the change added
    status: tuple[str, str] | None = None  # a tracker status moving (old, new)
    assent_day: str = ""  # the "Royal Assent: sitting <day>" stage of a bill, if listed


def draft(
    change: ChangeInput,
    assessment: Assessment,
    *,
    today: date,
    profiles: Profiles | None = None,
) -> Draft:
    """Draft the update for one assessed change (meant for relevant changes)."""
    profiles = profiles or default_profiles()
    changes_view = view(change.changes)
    facts = _facts(change, changes_view)
    titles = tuple(profiles.title(s) for s in assessment.sections)
    return Draft(
        history_line=history_line(today, titles, event_name(change, assessment, facts)),
        paragraph=_paragraph(change, assessment, facts, changes_view, profiles),
        status_suggestion=_status(change, assessment, facts, profiles),
        evidence=_evidence(change.changes, assessment, profiles),
        sections=titles,
        source_id=change.source_id,
        url=_entry_link(facts) or change.url,
        publications=publications(change, assessment.kind, facts),
    )


def _entry_link(facts: _Facts) -> str:
    """The document a search or feed entry announces ("" when it is not one such entry):
    reviewers, exports and the feed link to it rather than to the search API or the feed."""
    links = [e.url for e in facts.entries if e.url.startswith(("https://", "http://"))]
    return links[0] if links and len(facts.entries) == 1 else ""


#: Kinds of change that announce a document, which several sources may find: the same
#: search result in a GOV.UK search and a feed, then the followed item itself. Bill stages
#: and amendments are left out: the same bill moving twice in a week is two pieces of news.
ANNOUNCING_KINDS = frozenset({"new-publication", "consultation", "data-release"})


def publications(change: ChangeInput, kind: str, facts: _Facts) -> tuple[str, ...]:
    """The publications a draft announces (empty: the draft is not about one document)."""
    if kind not in ANNOUNCING_KINDS:
        return ()
    if facts.entries:
        if not all(e.url for e in facts.entries):
            return ()  # an entry without a link cannot be matched: never call it a duplicate
        return tuple(dict.fromkeys(publication_key(e.url) for e in facts.entries))
    if change.old is None:
        return (publication_key(change.url),)
    return ()


def publication_key(url: str) -> str:
    """``https://www.GOV.UK/guidance/x/?utm_source=a#top`` → ``www.gov.uk/guidance/x``.

    The query stays (``news.aspx?id=101`` and ``?id=202`` are two documents), less tracking
    parameters; the scheme, fragment and a trailing slash go.
    """
    parts = urlsplit(url.strip())
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    query = f"?{urlencode(sorted(kept))}" if kept else ""
    return f"{(parts.hostname or '').lower()}{parts.path.rstrip('/')}{query}"


def _tracking(name: str) -> bool:
    return name.lower().startswith("utm_") or name.lower() in ("fbclid", "gclid", "mc_cid")


# -- the history line ----------------------------------------------------------------------------


def history_line(today: date, section_titles: tuple[str, ...], event: str) -> str:
    """``"22 Nov: Amended 'Financial allowances' section following the Autumn Budget 2025."``"""
    named = [f"'{t}'" for t in section_titles[:2]]
    if not named:
        what = "the tracker"
    elif len(named) == 1:
        what = f"{named[0]} section"
    else:
        what = f"{named[0]} and {named[1]} sections"
    return f"{today.day} {MONTHS[today.month - 1]}: Amended {what} following {event}."


def event_name(change: ChangeInput, assessment: Assessment, facts: _Facts) -> str:
    """The event an update follows, named the way the tracker names it."""
    if named := _fiscal_event((facts.title, *facts.notes, *(e.title for e in facts.entries))):
        return named
    if facts.events:
        return _bill_event_name(facts.events, facts.title)
    if typed := _typed_document(change, assessment.kind, facts):
        return typed
    if named := _fiscal_event((facts.changed,), incidental=True):
        return named
    return _document_event(assessment.kind, facts)


def _fiscal_event(texts: tuple[str, ...], *, incidental: bool = False) -> str | None:
    """A budget, statement or review named in the title or notes; in the changed text
    (``incidental``) only where it reads as an event ("at the Autumn Budget 2025"), not as a
    time span ("within this Spending Review period")."""
    for text in texts:
        for match in _FISCAL_EVENT.finditer(text):
            before, after = text[: match.start()], text[match.end() :]
            if incidental and (
                not re.search(r"\b(?:at|in|following|since|after|from) the $", before, re.I)
                or re.match(r"\s+(?:period|years?|settlement|allocations?)\b", after)
            ):
                continue
            return f"the {match.group()}"
    return None


def document_kind(change: ChangeInput) -> str | None:
    """A parliamentary "written answer" or "written statement", from the URL, the GOV.UK
    document type or the page's own wording; ``None`` for anything else."""
    url = change.url.lower()
    document_type = doc_type(change.new.metadata.document_type)
    if re.search(r"written[-_ ]?statements?", url) or document_type == "written_statement":
        return "written statement"
    if re.search(r"written[-_ ]?(?:questions?|answers?)", url) or any(
        QUESTION_RE.match(b.text) for b in change.new.blocks[:8]
    ):
        return "written answer"
    return None


def _typed_document(change: ChangeInput, kind: str, facts: _Facts) -> str | None:
    """The document named by its own type, when it has one the tracker would name."""
    if facts.entries or kind in ("consultation", "data-release"):
        return None
    if named := document_kind(change):
        return f"the {named} '{facts.title}'"
    return None


def _bill_event_name(events: tuple[BillEvent, ...], bill: str) -> str:
    event = _main_event(events)
    if event.kind == "royal-assent" or (event.kind == "publication" and is_act(event)):
        return f"Royal Assent of the {event.detail or bill}"
    if event.kind == "stage":
        return f"the {_stage_words(event.label)} of the {event.subject or bill}"
    if event.kind == "amendment":
        verb = f"being {_decision(event)}" if _decided(event) else "being tabled"
        return f"{_amendment_labels(_alike(event, events))} to the {bill} {verb}"
    return f"publication of '{event.label}' for the {bill}"


def _alike(main: BillEvent, events: tuple[BillEvent, ...]) -> list[BillEvent]:
    """The main amendment and the other amendments of the change in the same state (tabled,
    or the same decision), each once, the main one first."""
    alike = {main.label: main}
    for event in events:
        if event.kind == "amendment" and _state(event) == _state(main):
            alike.setdefault(event.label, event)
    return list(alike.values())


def _state(event: BillEvent) -> str:
    return _decision(event) if _decided(event) else "tabled"


def _amendment_labels(events: list[BillEvent]) -> str:
    """``"Amendment 22"``; ``"Amendments 22 and 39"``; ``"Amendment 4 and New clause 60"``."""
    labels = [e.label for e in events[:MAX_AMENDMENTS_NAMED]]
    more = len(events) - len(labels)
    if len(labels) > 1 and all(label.startswith("Amendment ") for label in labels):
        labels = [label.removeprefix("Amendment ") for label in labels]
        labels[0] = f"Amendments {labels[0]}"
    if more:
        labels.append(f"{more} more")
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _main_event(events: tuple[BillEvent, ...]) -> BillEvent:
    order = {"royal-assent": 0, "stage": 1, "amendment": 2, "publication": 3}
    return min(events, key=lambda e: (order[e.kind], -_kinship_weight(e.line), not e.detail))


def _kinship_weight(text: str) -> int:
    return int("kinship" in text.lower() or "special guardian" in text.lower())


def _decided(event: BillEvent) -> bool:
    return bool(event.decision) and event.decision != "No decision"


def _decision(event: BillEvent) -> str:
    return (event.decision or "").lower()


def _stage_words(label: str) -> str:
    """``"Report stage (House of Lords)"`` → ``"House of Lords Report stage"``."""
    match = re.fullmatch(r"(?P<stage>.*) \((?P<house>House of \w+)\)", label)
    return f"{match['house']} {match['stage']}" if match else label


def _document_event(kind: str, facts: _Facts) -> str:
    title = facts.entries[0].title if facts.entries else facts.title
    document_type = facts.entries[0].document_type if facts.entries else facts.document_type
    if kind == "consultation":
        if "outcome" in document_type or "response" in title.lower():
            return f"the Government's response to the '{title}' consultation"
        return f"the '{title}' consultation"
    if kind == "data-release":
        return f"the release of '{title}'"
    if kind == "new-publication":
        if document_type in ANNOUNCEMENT_TYPES:
            return f"the announcement '{title}'"
        return f"the publication of '{title}'"
    return f"an update to '{title}'"


# -- facts ---------------------------------------------------------------------------------------


def _facts(change: ChangeInput, changes_view: ChangeView) -> _Facts:
    listing = change.source_kind in ("govuk-search", "feed")
    entries = tuple(added_entries(changes_view)) if listing else ()
    reads_events = change.source_kind == "parliament-bill" or _has_bills(entries)
    return _Facts(
        title=change.new.title,
        organisation=_with_article(organisation(change.new, change.url, entries)),
        when=_when(change),
        events=tuple(bill_events(changes_view)) if reads_events else (),
        entries=entries,
        notes=changes_view.change_notes,
        document_type=doc_type(change.new.metadata.document_type),
        changed=" ".join(p.text for p in changes_view.pieces if p.side == "new" and any(p.changed)),
        status=_status_move(changes_view),
        assent_day=_assent_day(change.new) if reads_events else "",
        headings=tuple(
            (h.new_text or "").lstrip("#").strip()
            for h in changes_view.content_hunks
            if h.kind == "added" and (h.new_text or "").startswith("#")
        ),
    )


_ASSENT_STAGE = re.compile(r"^Royal Assent(?: \([^)]*\))?: sittings? (?P<day>\d{1,2} \w+ \d{4})")


def _assent_day(document: Document) -> str:
    """The day a bill's Royal Assent stage lists (``- Royal Assent: sitting 29 April 2026``)."""
    for block in document.blocks:
        if match := _ASSENT_STAGE.match(block.text):
            return match["day"]
    return ""


def _status_move(changes_view: ChangeView) -> tuple[str, str] | None:
    """A tracker section's ``Status: ...`` line changing, as (old, new)."""
    for hunk in changes_view.content_hunks:
        old, new = hunk.old_text or "", hunk.new_text or ""
        if old.startswith("Status: ") and new.startswith("Status: "):
            return (old.removeprefix("Status: "), new.removeprefix("Status: "))
    return None


def _has_bills(entries: tuple[Entry, ...]) -> bool:
    return any(re.search(r"\bBill\b", e.title) for e in entries)


def organisation(document: Document, url: str, entries: tuple[Entry, ...] = ()) -> str:
    """Who published: stated metadata, a GOV.UK "From:" line, a listing entry, else the host."""
    for key, value in document.metadata.extra:
        if key.lower() in _ORG_KEYS and value:
            return value
    if stated := _from_line(document):
        return stated
    if entries and len(entries[0].parts) >= 2 and not _looks_dated(entries[0].parts[1]):
        return entries[0].parts[1]
    host = (urlsplit(url).hostname or "").lower()
    bare = host.removeprefix("www.")
    return _HOSTS.get(host) or _HOSTS.get(bare) or _HOSTS.get(f"www.{bare}") or host or ""


def _with_article(name: str) -> str:
    """``"Department for Education"`` → ``"the Department for Education"``."""
    return f"the {name}" if name.startswith(_TAKES_THE) else name


def _from_line(document: Document) -> str | None:
    blocks = document.blocks[:12]
    for position, block in enumerate(blocks):
        text = block.text.strip()
        if text.startswith("From:") and text != "From:":
            return text.removeprefix("From:").strip()
        if text == "From:" and position + 1 < len(blocks):
            return blocks[position + 1].text.strip()
    return None


def _looks_dated(text: str) -> bool:
    return bool(re.search(r"\b\d{4}\b", text))


def _when(change: ChangeInput) -> str:
    meta = change.new.metadata
    stamp = meta.published if change.old is None else meta.updated
    if found := long_date(stamp) or long_date(meta.updated):
        return found
    answered = (_ANSWERED.match(b.text) for b in change.new.blocks[:10])
    return next((m["day"] for m in answered if m), "")


def long_date(stamp: str | None) -> str | None:
    """``"2023-12-15T09:30:00Z"`` → ``"15 December 2023"``; anything else → ``None``."""
    try:
        day = date.fromisoformat((stamp or "")[:10])
    except ValueError:
        return None
    return f"{day.day} {day:%B} {day.year}"


# -- the paragraph -------------------------------------------------------------------------------


def _paragraph(
    change: ChangeInput,
    assessment: Assessment,
    facts: _Facts,
    changes_view: ChangeView,
    profiles: Profiles,
) -> str:
    parts = [_opening(change, assessment, facts)]
    if facts.events:
        parts += _other_events(facts)
    else:
        parts += _key_sentences(changes_view, assessment, profiles, facts)
        parts += _figures_line(changes_view, " ".join(parts))
    link = _entry_link(facts)
    if not link or link not in " ".join(parts):  # an entry's own link says where it is
        parts.append(f"Source: {change.source_name or facts.title} ({change.url}).")
    text = " ".join(p for p in parts if p)
    return text[:1].upper() + text[1:]


def _opening(change: ChangeInput, assessment: Assessment, facts: _Facts) -> str:
    if facts.events:
        return _event_sentence(_main_event(facts.events), facts)
    if facts.entries:
        return _entries_sentence(facts)
    on = f"On {facts.when}, " if facts.when else ""
    if facts.status and assessment.sections:
        old, new = facts.status
        if _is_host(facts.organisation):  # never a host name as the subject of a sentence
            return f"{on}the status of this section moved from {old} to {new}."
        return f"{on}{facts.organisation} moved the status of this section from {old} to {new}."
    if change.source_kind == "tracker":
        if _is_host(facts.organisation):
            return f"{on}the policy tracker was updated."
        return f"{on}{facts.organisation} updated its policy tracker."
    verb = _verb(assessment.kind, facts.document_type, change.old is None)
    if (typed := document_kind(change)) and assessment.kind == "new-publication":
        verb = f"{verb} the {typed}"
    note = f" ({_note(facts.notes[0])})" if facts.notes else ""
    added = _added_headings(facts)
    adding = f", adding {added}" if added and change.old is not None else ""
    if _is_host(facts.organisation):  # nobody named: say where, without a host as subject
        where = f" on {facts.organisation}" if facts.organisation else ""
        passive = (
            "was published" if verb in ("published", "announced", "released") else ("was updated")
        )
        return f"{on}'{facts.title}' {passive}{where}{note}{adding}."
    return f"{on}{facts.organisation} {verb} '{facts.title}'{note}{adding}."


def _is_host(name: str) -> bool:
    return not name or (" " not in name and "." in name)


def _added_headings(facts: _Facts) -> str:
    """The headings the change added (a new part of the document), quoted."""
    named = [f"'{h}'" for h in facts.headings[:2]]
    if not named:
        return ""
    return (
        f"a new section {named[0]}"
        if len(named) == 1
        else f"new sections {named[0]} and {named[1]}"
    )


def _verb(kind: str, document_type: str, first_sight: bool) -> str:
    if kind == "consultation":
        return "published the consultation document" if first_sight else "updated the consultation"
    if kind == "data-release":
        return "released"
    if document_type in ANNOUNCEMENT_TYPES and first_sight:
        return "announced"
    return "published" if first_sight or kind == "new-publication" else "updated"


def _note(note: str) -> str:
    return note.rstrip(".")[:1].lower() + note.rstrip(".")[1:]


def _event_sentence(event: BillEvent, facts: _Facts) -> str:
    when = f" on {facts.when}" if facts.when else ""
    if event.kind == "royal-assent" or is_act(event):
        if assented := facts.assent_day:  # the day itself, not the API record's last update
            when = f" on {assented}"
        becoming = f", becoming the {event.detail}" if event.detail else ""
        return f"The {facts.title} received Royal Assent{when}{becoming}."
    if event.kind == "stage":
        return _stage_sentence(event, facts, when)
    if event.kind == "amendment":
        subject = f" ({event.subject})" if event.subject else ""
        state = f"was {_decision(event)}" if _decided(event) else "was tabled"
        return f"{event.label}{subject} to the {facts.title} {state}{when}."
    return f"{facts.organisation} published '{event.label}' for the {facts.title}{when}."


def _stage_sentence(event: BillEvent, facts: _Facts, when: str) -> str:
    """``The X Bill reached House of Lords Report stage on ...``; a feed entry adds its
    description (bill type, house) and link."""
    stage = _stage_words(event.label)
    if not event.subject:
        return f"The {facts.title} reached {stage}{when}."
    entry = entry_of(event.line)
    described = f" ({', '.join(entry.parts[:-1])})" if len(entry.parts) > 1 else ""
    link = f" Link: {entry.url}." if entry.url else ""
    return f"The {event.subject}{described} reached {stage}{when}.{link}"


def _other_events(facts: _Facts) -> list[str]:
    """The bill's other events, one short clause each: events of other kinds first, then the
    other amendments (each is news of its own, with its subject)."""
    main = _main_event(facts.events)
    others = [e for e in facts.events if e is not main and e.kind != main.kind]
    if main.kind == "amendment":
        others += [e for e in facts.events if e.kind == "amendment" and e.label != main.label]
    described = dict.fromkeys(_event_clause(e, subject=e.kind == main.kind) for e in others)
    return [f"Also: {'; '.join(list(described)[:4])}."] if described else []


def _event_clause(event: BillEvent, *, subject: bool = False) -> str:
    if event.kind == "publication":
        return f"new publication {event.line}"
    if event.kind == "amendment":
        about = f" ({event.subject})" if subject and event.subject else ""
        decision = f" — {event.decision}" if event.decision else ""
        return f"{event.label}{about}{decision}"
    return event.line


def _entries_sentence(facts: _Facts) -> str:
    shown = [
        f"'{e.title}'" + (f" ({', '.join(_readable(e.parts))})" if e.parts else "")
        for e in facts.entries
    ]
    links = [e.url for e in facts.entries if e.url]
    listed = "; ".join(shown[:3]) + (f" and {len(shown) - 3} more" if len(shown) > 3 else "")
    found = f"New on {facts.title}: {listed}."
    return found + (f" Link: {links[0]}." if links else "")


_ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d(?:T[\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?")


def _readable(parts: tuple[str, ...]) -> list[str]:
    """An entry's parts as a tracker would write them: ``2024-10-11`` → ``11 October 2024``."""
    return [(long_date(p) if _ISO_DAY.fullmatch(p) else None) or p for p in parts]


def _key_sentences(
    changes_view: ChangeView, assessment: Assessment, profiles: Profiles, facts: _Facts
) -> list[str]:
    """Up to three changed sentences that carry the primary section's terms or figures."""
    if facts.entries:
        return []
    candidates = [
        s
        for piece in changes_view.pieces
        for s in _changed_sentences(piece)
        if not _BOILERPLATE.match(s)
    ]
    weights = _sentence_terms(assessment, profiles)
    scored = [(i, s, _sentence_value(s, weights)) for i, s in enumerate(dict.fromkeys(candidates))]
    if len(scored) > MAX_SENTENCES:  # a small change is quoted whole
        scored = [c for c in scored if c[2] > 0]
    best = sorted(scored, key=lambda c: (-c[2], c[0]))[:MAX_SENTENCES]
    return [_clip(s) for _, s, _ in sorted(best) if s.strip(" .") != facts.title]


def _sentence_terms(assessment: Assessment, profiles: Profiles) -> dict[str, float]:
    """Terms that make a sentence worth quoting: the primary section's count double."""
    weights = dict.fromkeys(profiles.anchors, 0.5)
    weights.update(dict.fromkeys(assessment.terms, 1.0))
    primary = profiles.section(assessment.sections[0]) if assessment.sections else None
    if primary is not None:
        weights.update({term: 2.0 for term, _ in primary.terms if term in weights})
    return weights


def _changed_sentences(piece: Piece) -> list[str]:
    heading = (piece.hunk.new_text or "").startswith("#")
    if piece.side != "new" or not any(piece.changed) or heading:
        return []
    found, offset = [], 0
    for sentence in sentences(piece.text):
        start = piece.text.find(sentence, offset)
        offset = start + len(sentence)
        lead_in = sentence.endswith(":")
        if start >= 0 and piece.overlaps(start, offset) and len(sentence.split()) >= 4:
            found += [] if lead_in else [sentence]
    return found


def _sentence_value(sentence: str, terms: dict[str, float]) -> float:
    """What a sentence is worth quoting: section terms, and the facts a reader acts on:
    figures, dates, named bodies and instruments ("the Law Commission", "the Special
    Guardianship Regulations 2005"). A parliamentary question only frames its answer."""
    if _BOILERPLATE.match(sentence):
        return 0.0
    folded = fold_text(sentence)
    matched = sum(w for t, w in terms.items() if term_key(t) in folded and _has(t, folded))
    counted = len(figures(sentence)) + min(len(table_counts(sentence)), 2)  # a row of counts
    value = matched + 2 * counted + 0.5 * bool(re.search(r"\d", sentence))
    value += 1.5 * min(len(dates(sentence)), 1) + 3 * min(len(_INSTRUMENT.findall(sentence)), 1)
    value += 0.75 * min(len(_named_bodies(sentence)), 2)
    if QUESTION_RE.match(sentence):
        return value * 0.3
    return value * 0.5 if _OPINION.match(sentence) else value


def _named_bodies(sentence: str) -> list[str]:
    """Runs of two or more capitalised words after the sentence's first word."""
    body = sentence.split(" ", 1)[1] if " " in sentence else ""
    return [m.group() for m in _NAMED.finditer(body) if not m.group().startswith(_MONTH_WORDS)]


def _clip(sentence: str) -> str:
    """A sentence as quoted: a list item's closing ";" or "," becomes a full stop, and its
    first letter a capital."""
    text = sentence.rstrip(" ;,")
    text = text[:1].upper() + text[1:]
    text = text if text.endswith((".", "!", "?", ":")) else text + "."
    if len(text) <= SENTENCE_CHARS:
        return text
    return text[: SENTENCE_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _figures_line(changes_view: ChangeView, written: str) -> list[str]:
    changed = " ".join(p.text for p in changes_view.pieces if p.side == "new" and any(p.changed))
    missing = [f for f in figures(changed) if f not in written][:6]
    return [f"Figures in the change: {', '.join(missing)}."] if missing else []


# -- status suggestion ---------------------------------------------------------------------------


def _status(
    change: ChangeInput, assessment: Assessment, facts: _Facts, profiles: Profiles
) -> tuple[str, str] | None:
    """Suggest "Good progress" only when a bill carrying the section's ask gets Royal Assent."""
    assented = [e for e in facts.events if e.kind == "royal-assent" or is_act(e)]
    if not assessment.relevant or not assented or not assessment.sections:
        return None
    section = profiles.section(assessment.sections[0])
    if section is None:
        return None
    text = fold_text(" ".join(b.text for b in change.new.blocks))
    carried = [ask for ask in section.asks if term_pattern(ask).search(text)]
    if not carried:
        return None
    act = next((e.detail for e in assented if e.detail), facts.title)
    when = f" on {facts.when}" if facts.when else ""
    reason = f"The {act} received Royal Assent{when}; it includes provisions on {carried[0]}."
    return (GOOD_PROGRESS, reason)


# -- evidence ------------------------------------------------------------------------------------


def _evidence(changes: ChangeSet, assessment: Assessment, profiles: Profiles) -> tuple[str, ...]:
    content = [h for h in changes.hunks if not _is_metadata(h)]
    terms = list(assessment.terms) + list(profiles.anchors)
    ranked = sorted(enumerate(content), key=lambda p: (-_hunk_value(p[1], terms), p[0]))
    chosen = sorted(ranked[:MAX_EVIDENCE], key=lambda p: p[0])
    return tuple(_quote(hunk) for _, hunk in chosen)


def _is_metadata(hunk: Hunk) -> bool:
    return bool(hunk.heading_path) and hunk.heading_path[-1] == "Page metadata"


def _hunk_value(hunk: Hunk, terms: list[str]) -> int:
    folded = fold_text(hunk.new_text or hunk.old_text or "")
    return sum(1 for t in terms if term_key(t) in folded and _has(t, folded))


def _has(term: str, folded: str) -> bool:
    """Whether ``term`` occurs in folded text (its key, tested first, is in every match)."""
    return term_pattern(term).search(folded) is not None


def _quote(hunk: Hunk) -> str:
    body = render_terminal(ChangeSet((hunk,)), color=False).split("\n", 1)[-1]
    return f"{heading_label(hunk)}: {body}"
