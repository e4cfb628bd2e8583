"""Decide whether a change matters, to which tracker sections, and what kind of change it is.

The steps, each a small function below:

1. **Read the change** (:mod:`monitor.relevance.changes`): content pieces with their changed
   characters, the publisher's new change note; page-metadata dates are not content.
2. **Cosmetic?** typo, punctuation, dates, a cookie banner, reordered links → ``none``.
3. **Terms**: every section's terms, weighted by where they sit (changed words, block context,
   headings, title, change note; :mod:`monitor.relevance.matching`), minus negative terms,
   scaled by reviewer feedback. A heading that *is* a section title (the tracker's own pages)
   names that section outright; the source's configured sections are a small prior.
4. **Signals**: bill events, document type, whether kinship care is in play at all (anchors).
5. **Vetoes**: outside England, or a hard-negative topic (foster-only, adoption-only, carer's
   leave / Carer's Allowance, a council procedure manual) with kinship care not in play.
6. **Score** = 1 − exp(−raw / 3), where raw is the best section's score plus signal bonuses,
   halved for a small change with nothing material in the changed words, times the source's
   feedback factor. Relevant when no veto, kinship is in play and score ≥ the threshold.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from monitor.document import BlockKind, Document
from monitor.relevance.changes import ChangeView, Piece, cosmetic_reason, view
from monitor.relevance.feedback import Feedback
from monitor.relevance.matching import (
    NEW_PUBLICATION_WEIGHT,
    PLACE_WEIGHT,
    QUESTION_RE,
    Hit,
    Place,
    Texts,
    contribution,
    find,
    occurs_in,
    texts_of,
)
from monitor.relevance.model import Assessment, ChangeInput, Kind
from monitor.relevance.profiles import Profiles, SectionProfile, Topic
from monitor.relevance.signals import (
    ANNOUNCEMENT_TYPES,
    CONSULTATION_TYPES,
    DATA_TYPES,
    PUBLICATION_TYPES,
    BillEvent,
    added_entries,
    bill_events,
    doc_type,
    is_act,
    is_amendment_paper,
    is_consultation,
    is_data,
    outside_england,
)
from monitor.relevance.text import (
    figures,
    fold_term,
    fold_text,
    people_counts,
    table_counts,
    term_pattern,
    words,
)

LISTING_KINDS = frozenset({"govuk-search", "feed"})
HEADING_NAMES_SECTION = 3.0
HINT_PRIOR = (0.8, 0.4)
PUBLISHER_PRIOR = 3.0
GATED = 0.4  # a vetoed change, or one without kinship care in play, keeps 40 % of its score
UMBRELLA_NAME = 3.0  # a term this heavy names the section's own policy
UMBRELLA_STRANDS = 2
UMBRELLA_SHARE = 0.5
CENTRAL_HOSTS = ("gov.uk", "parliament.uk", "legislation.gov.uk")
_ORG_KEYS = ("organisation", "organisations", "publisher", "from")
SECONDARY_SHARE = 0.5
MAX_SECTIONS = 3
SCALE = 3.0
SPECIFIC_WEIGHT = 1.5
ANCHOR_BONUS = 0.8
STATUS_LINES = ("Status: ", "Previous status: ", "Previous statuses: ")
_STOP = frozenset("the a an and or of to in for on at by with is are be this that it as".split())  # noqa: SIM905


@dataclass
class _Change:
    """What assessment works from, gathered once."""

    change: ChangeInput
    view: ChangeView
    texts: Texts
    first_sight: bool
    places: dict[Place, float]
    document_type: str
    reasons: list[str] = field(default_factory=list)


def assess(change: ChangeInput, profiles: Profiles, feedback: Feedback | None = None) -> Assessment:
    """Assess one change against the section profiles (and reviewer feedback, if any)."""
    feedback = feedback or Feedback()
    profiles = feedback.adjust(profiles)
    ctx = _gather(change)
    if reason := _cosmetic(ctx):
        return Assessment(False, 0.0, (), "none", (f"cosmetic: {reason}",))
    events = bill_events(ctx.view) if _reads_events(change) else []
    _events_are_changes(ctx, events)
    hits = find(_all_terms(profiles), ctx.texts)
    scores, used = _section_scores(ctx, profiles, hits, feedback)
    kind = _kind(ctx, events)
    anchored = _anchored(ctx, profiles, events)
    raw = _raw(ctx, scores, hits, events, anchored, profiles)
    raw *= feedback.source_factor(change.source_id)
    score = round(1 - math.exp(-raw / SCALE), 3)
    veto = _veto(ctx, profiles)
    if veto or not anchored:  # the score states the verdict: a gated change scores low
        ctx.reasons.append(f"topic score {score:.2f} before the gate, scaled by {GATED}")
        score = round(score * GATED, 3)
    relevant = veto is None and anchored and score >= profiles.threshold
    sections = _ranked(scores, change.sections) if relevant else ()
    reasons = _explain(ctx, scores, used, anchored, veto, score, profiles)
    return Assessment(relevant, score, sections, kind if relevant else "none", reasons, used)


# -- 1. reading the change -----------------------------------------------------------------------


def _gather(change: ChangeInput) -> _Change:
    changes_view = view(change.changes)
    first_sight = change.old is None
    listing = change.source_kind in LISTING_KINDS
    title = "" if listing else change.new.title
    return _Change(
        change=change,
        view=changes_view,
        texts=texts_of(changes_view, title),
        first_sight=first_sight,
        places=NEW_PUBLICATION_WEIGHT if first_sight and not listing else PLACE_WEIGHT,
        document_type=doc_type(change.new.metadata.document_type),
    )


def _reads_events(change: ChangeInput) -> bool:
    return change.source_kind in ("parliament-bill", "feed", "govuk-search")


def _events_are_changes(ctx: _Change, events: list[BillEvent]) -> None:
    """A bill event's whole line is the change (a decision word changing moves the subject)."""
    lines = {event.line for event in events}
    if not lines:
        return
    stem = _bill_stem(ctx.change.new.title)
    pieces = tuple(
        _whole_event(p, stem) if p.side == "new" and p.text in lines else p
        for p in ctx.texts.pieces
    )
    ctx.texts = replace(ctx.texts, pieces=pieces)


def _bill_stem(title: str) -> str:
    """``"Children's Wellbeing and Schools Bill"`` → ``"Children's Wellbeing and Schools"``."""
    return re.sub(r"\s+(?:Bill|Act)\b.*$", "", title).strip()


def _whole_event(piece: Piece, stem: str) -> Piece:
    """The event line, all of it changed, without the bill's own name (its words are not news)."""
    text = piece.text.replace(stem, " " * len(stem)) if len(stem) > 3 else piece.text
    return replace(piece, text=text, changed=(True,) * len(text))


# -- 2. cosmetic ---------------------------------------------------------------------------------


def _cosmetic(ctx: _Change) -> str | None:
    if ctx.change.changes.is_empty:
        return "no visible change"
    if ctx.first_sight:
        return None if ctx.view.pieces else "nothing to read on the page"
    if ctx.change.source_kind in LISTING_KINDS and not added_entries(ctx.view):
        only_removed = all(h.kind == "removed" for h in ctx.view.content_hunks)
        if only_removed and ctx.view.content_hunks:
            return "entries only dropped out of the listing"
    return cosmetic_reason(ctx.view.content_hunks, ctx.view.change_notes)


# -- 3. terms ------------------------------------------------------------------------------------


def _section_scores(
    ctx: _Change, profiles: Profiles, hits: list[Hit], feedback: Feedback
) -> tuple[dict[str, float], tuple[str, ...]]:
    """Each section's score, and the terms that counted (strongest first)."""
    scores: dict[str, float] = defaultdict(float)
    used: dict[str, float] = defaultdict(float)
    people = min(len(_counts(ctx)), 2)
    named: set[str] = set()
    for section, weights in _section_weights(profiles, _shadowed(ctx, profiles)):
        own = find(weights, ctx.texts, weights)
        for term, gain in _term_gains(ctx, weights, own, feedback):
            scores[section.id] += gain
            used[term] += gain
            if weights[term] >= UMBRELLA_NAME and gain > 0:
                named.add(section.id)
        scores[section.id] += section.counts * people - _negative(ctx.texts, section.negative)
    _umbrella(ctx, profiles, scores, named)
    _named_by_heading(ctx, profiles, scores)
    _publisher_prior(ctx, profiles, scores)
    hints = ctx.change.sections
    if not any(v > 0 for v in scores.values()) and len(hints) > 1:
        hints = _hints_by_page(ctx, profiles, hints)
    _hint_prior(hints, scores)
    ranked_terms = tuple(t for t, g in sorted(used.items(), key=lambda kv: -kv[1]) if g > 0)
    return dict(scores), ranked_terms


def _term_gains(
    ctx: _Change, weights: dict[str, float], hits: list[Hit], feedback: Feedback
) -> list[tuple[str, float]]:
    """What each hit of one section's terms adds, scaled by reviewer feedback."""
    return [
        (
            hit.term,
            contribution(hit, weights[hit.term], ctx.places) * feedback.term_factor(hit.term),
        )
        for hit in hits
        if hit.term in weights and _counts_here(ctx, hit, weights[hit.term])
    ]


def _all_terms(profiles: Profiles) -> tuple[str, ...]:
    """Every section's terms."""
    return profiles.memo(
        "all-terms", lambda: tuple(t for s in profiles.sections for t, _ in s.terms)
    )


def _shadowed(ctx: _Change, profiles: Profiles) -> bool:
    """Section terms that are also a hard-negative topic's ("carer's leave", "fostering
    allowance") count only when the change itself names kinship care: are they left out?"""
    if not _shadowed_terms(profiles):
        return False
    named = {"changed", "removed", "context", "asked", "note"}
    return not any(h.place in named for h in find(profiles.anchors, ctx.texts))


def _shadowed_terms(profiles: Profiles) -> frozenset[str]:
    """The section terms that are also a hard-negative topic's."""

    def make() -> frozenset[str]:
        topical = {fold_term(t) for topic in profiles.topics for t in topic.terms}
        return frozenset(
            t for s in profiles.sections for t, _ in s.terms if fold_term(t) in topical
        )

    return profiles.memo("shadowed-terms", make)


def _section_weights(
    profiles: Profiles, shadowed: bool
) -> tuple[tuple[SectionProfile, dict[str, float]], ...]:
    """Each section with its term weights (without the shadowed terms if ``shadowed``)."""

    def make() -> tuple[tuple[SectionProfile, dict[str, float]], ...]:
        left_out = _shadowed_terms(profiles) if shadowed else frozenset()
        return tuple(
            (section, {t: w for t, w in section.terms if t not in left_out})
            for section in profiles.sections
        )

    return profiles.memo(("section-weights", shadowed), make)


def _counts(ctx: _Change) -> list[str]:
    """Counts of people in the changed words (a figure about kinship families is data), and
    rows of counts in a changed table (official figures are tables more often than prose)."""
    new = [p for p in ctx.texts.pieces if p.side == "new" and any(p.changed)]
    rows = [
        p.text for p in new if (p.hunk.new_text or "").startswith("| ") and table_counts(p.text)
    ]
    return people_counts(" ".join(p.text for p in new)) + rows


def _counts_here(ctx: _Change, hit: Hit, weight: float) -> bool:
    """In an amended page's title or headings only specific terms count ("school" in a bill's
    name does not); on first sight the title is the news."""
    if ctx.first_sight or hit.place not in ("title", "heading"):
        return True
    return weight >= SPECIFIC_WEIGHT


def _negative(texts: Texts, negative: tuple[tuple[str, float], ...]) -> float:
    if not negative:
        return 0.0
    weights = dict(negative)
    return sum(
        contribution(hit, weights[hit.term], PLACE_WEIGHT)
        for hit in find(weights, texts)
        if hit.place in ("changed", "removed")
    )


def _umbrella(ctx: _Change, profiles: Profiles, scores: dict[str, float], named: set[str]) -> None:
    """A change that names an umbrella section's own policy (the national strategy) and
    reaches into two or more other sections is a report on that policy: the umbrella section
    gains half of what the others score."""
    best = max(scores.values(), default=0.0)
    for section in profiles.sections:
        if not section.umbrella or section.id not in named:
            continue
        strands = [
            v for sid, v in scores.items() if sid != section.id and v >= SECONDARY_SHARE * best
        ]
        if len(strands) >= UMBRELLA_STRANDS:
            scores[section.id] += UMBRELLA_SHARE * sum(strands)
            ctx.reasons.append(
                f"names {profiles.title(section.id)} across {len(strands)} other sections"
            )


def _named_by_heading(ctx: _Change, profiles: Profiles, scores: dict[str, float]) -> None:
    """A changed block under a heading that is a section's own title names that section."""
    headings = {fold_text(h).strip(" ?") for h in ctx.texts.headings}
    for section in profiles.sections:
        if any(fold_text(name) in headings for name in section.names()):
            scores[section.id] += HEADING_NAMES_SECTION


def _publisher_prior(ctx: _Change, profiles: Profiles, scores: dict[str, float]) -> None:
    """A publisher whose remit is one section (the Law Commission, the ONS, Ofsted) leans the
    change towards it: its host, its "From:" line or organisation, or a listing entry's."""
    publisher = _publisher_text(ctx)
    for section in profiles.sections:
        named = [p for p in section.publishers if _names_publisher(publisher, p)]
        if named:
            scores[section.id] += PUBLISHER_PRIOR
            ctx.reasons.append(f"publisher: {named[0]} ({profiles.title(section.id)})")


def _publisher_text(ctx: _Change) -> str:
    host = (urlsplit(ctx.change.url).hostname or "").lower()
    if ctx.change.source_kind in LISTING_KINDS:
        stated = [e.parts[1] for e in added_entries(ctx.view) if len(e.parts) >= 2]
        return " | ".join(stated)
    document = ctx.change.new
    stated = [v for k, v in document.metadata.extra if k.lower() in _ORG_KEYS and v]
    for block in document.blocks[:12]:
        if block.text.startswith("From:"):
            stated.append(block.text.removeprefix("From:"))
    return " | ".join([host, *stated])


def _names_publisher(publisher: str, name: str) -> bool:
    if "." in name:  # a host: the host itself or a subdomain
        host = publisher.split(" | ", 1)[0]
        return host == name or host.endswith("." + name)
    return bool(term_pattern(name).search(fold_text(publisher)))


def _hints_by_page(ctx: _Change, profiles: Profiles, hints: tuple[str, ...]) -> tuple[str, ...]:
    """Nothing in the change names a section (a bare bill stage): order the source's configured
    sections by how much the whole page (a bill's long title, its amendments) speaks of each,
    keeping the configured order where the page says nothing."""
    page = Texts((), (), " ".join(b.text for b in ctx.change.new.blocks), ())
    weight: dict[str, float] = {}
    for sid in hints:
        section = profiles.section(sid)
        terms = dict(section.terms) if section else {}
        weight[sid] = sum(terms[h.term] * h.count for h in find(terms, page, terms))
    return tuple(sorted(hints, key=lambda sid: -weight[sid]))


def _hint_prior(hints: tuple[str, ...], scores: dict[str, float]) -> None:
    for position, section in enumerate(hints[: len(HINT_PRIOR)]):
        scores[section] += HINT_PRIOR[position]


def _ranked(scores: dict[str, float], hints: tuple[str, ...]) -> tuple[str, ...]:
    positive = sorted(((s, sid) for sid, s in scores.items() if s > 0), reverse=True)
    if not positive:
        return hints[:1]
    best = positive[0][0]
    return tuple(sid for s, sid in positive if s >= SECONDARY_SHARE * best)[:MAX_SECTIONS]


# -- 4. signals ----------------------------------------------------------------------------------


def _kind(ctx: _Change, events: list[BillEvent]) -> Kind:
    if events:
        return _bill_kind(events)
    if ctx.change.source_kind == "tracker":
        return "content-amended"
    document_type, title = _subject(ctx)
    changed = " ".join(p.changed_text() for p in ctx.view.pieces if p.side == "new")
    if is_consultation(document_type, title, changed if not ctx.first_sight else ""):
        return "consultation"
    if is_data(document_type, title, ctx.change.url):
        return "data-release"
    return "new-publication" if _is_new(ctx) else "content-amended"


def _bill_kind(events: list[BillEvent]) -> Kind:
    kinds = {e.kind for e in events}
    if kinds & {"royal-assent", "stage"} or any(is_act(e) for e in events):
        return "bill-stage"
    if "amendment" in kinds or any(is_amendment_paper(e) for e in events):
        return "bill-amendment"
    return "bill-stage"


def _subject(ctx: _Change) -> tuple[str, str]:
    """The document type and title the change is about (an added entry, or the page)."""
    if ctx.change.source_kind in LISTING_KINDS and (entries := added_entries(ctx.view)):
        return entries[0].document_type, entries[0].title
    return ctx.document_type, ctx.change.new.title


def _is_new(ctx: _Change) -> bool:
    """A first sight, a new listing entry, or a document or attachment added to a page."""
    if ctx.first_sight or ctx.change.source_kind in LISTING_KINDS:
        return True
    hunks = ctx.view.content_hunks
    added = [h for h in hunks if h.kind == "added"]
    return (
        bool(hunks) and len(added) == len(hunks) and any(_names_document(h.new_text) for h in added)
    )


def _names_document(text: str | None) -> bool:
    return bool(text) and (str(text).startswith(("→ ", "Attachment: ")))


def _anchored(ctx: _Change, profiles: Profiles, events: list[BillEvent]) -> bool:
    """Kinship care is in play: in the change, its headings, its title or the page's intro
    (and always on the kinship tracker itself). An answer to a parliamentary question must
    name it itself: the question (and the title Parliament gives it) only frames the answer."""
    if ctx.change.source_kind == "tracker":
        return True
    answered = _answers_a_question(ctx)
    framing: set[Place] = {"asked", "title"} if answered else set()
    if any(hit.count for hit in find(profiles.anchors, ctx.texts) if hit.place not in framing):
        return True
    if (
        _page_intro_anchored(ctx.change.new, profiles, skip_questions=answered)
        and ctx.change.source_kind not in LISTING_KINDS
    ):
        return True
    return bool(ctx.change.sections) and any(e.kind != "amendment" for e in events)


def _answers_a_question(ctx: _Change) -> bool:
    """The change is a parliamentary question with its answer: a new question and other new
    words besides it."""
    new = [p for p in ctx.texts.pieces if p.side == "new" and any(p.changed)]
    asked = [p for p in new if QUESTION_RE.match(p.text)]
    return bool(asked) and len(asked) < len(new)


def _page_intro_anchored(
    document: Document, profiles: Profiles, *, skip_questions: bool = False
) -> bool:
    intro = [
        b.text
        for b in document.blocks[:4]
        if b.kind is not BlockKind.LINK_LIST and not (skip_questions and QUESTION_RE.match(b.text))
    ]
    intro_texts = Texts((), (), " ".join(intro), ())
    return any(hit.count for hit in find(profiles.anchors, intro_texts))


# -- 5. vetoes -----------------------------------------------------------------------------------


def _veto(ctx: _Change, profiles: Profiles) -> str | None:
    scope_text = _scope_text(ctx)
    if place := outside_england(profiles, ctx.change.url, scope_text):
        return f"about {place}, not England"
    return _topic_veto(ctx, profiles)


def _scope_text(ctx: _Change) -> str:
    """The title, the changed blocks (new side, or the old side of removed ones), the notes."""
    pieces = " ".join(
        p.text for p in ctx.view.pieces if p.side == "new" or p.hunk.kind == "removed"
    )
    return f"{ctx.texts.title} {pieces} {' '.join(ctx.texts.notes)}"


def _topic_veto(ctx: _Change, profiles: Profiles) -> str | None:
    """A hard-negative topic in the change (or the page's title) with kinship not in play."""
    in_change: set[Place] = {"changed", "removed", "context", "asked", "note"}
    if ctx.first_sight:
        in_change |= {"title", "heading"}
    anchors = find(profiles.anchors, ctx.texts)
    change_anchors = {h.term for h in anchors if h.place in in_change}
    title_anchors = {h.term for h in anchors if h.place == "title"}
    for topic in profiles.topics:
        places = {h.place for h in find(topic.terms, ctx.texts)}
        hosted = any(host in ctx.change.url.lower() for host in topic.hosts)
        if topic.page:  # judged on the whole page, by _page_is alone
            if hosted or _page_is(topic, ctx):
                return topic.label
            continue
        if hosted or places & in_change:
            relevant_anchors = change_anchors
        elif "title" in places:
            relevant_anchors = change_anchors | title_anchors
        else:
            continue
        if not _excused(topic.unless, relevant_anchors):
            return topic.label if topic.unless == "never" else f"{topic.label}, kinship not in play"
    return None


def _page_is(topic: Topic, ctx: _Change) -> bool:
    """A page-wide topic (a council's procedure manual): its terms anywhere on the page, or
    two different stand-alone marker labels. Central government and Parliament pages never
    are (their guidance has chapters too)."""
    host = urlsplit(ctx.change.url).hostname or ""
    if host.endswith(CENTRAL_HOSTS):
        return False
    blocks = [b.text for b in ctx.change.new.blocks]
    if occurs_in(topic.terms, f"{ctx.change.new.title} " + " ".join(blocks)):
        return True
    labels = {" ".join(fold_text(b).strip(" :.").split()) for b in blocks if len(b) < 40}
    return len(labels & {fold_term(m) for m in topic.markers}) >= 2


def _excused(unless: str, anchors: set[str]) -> bool:
    if unless == "anchor":
        return bool(anchors)
    if unless == "kinship":
        return any("kinship" in anchor for anchor in anchors)
    return False


# -- 6. score ------------------------------------------------------------------------------------


def _raw(
    ctx: _Change,
    scores: dict[str, float],
    hits: list[Hit],
    events: list[BillEvent],
    anchored: bool,
    profiles: Profiles,
) -> float:
    best = max(scores.values(), default=0.0)
    raw = max(best, 0.0) + _event_bonus(ctx, events, anchored, profiles) + _type_bonus(ctx)
    raw += _anchor_bonus(ctx, profiles)
    if not ctx.first_sight and not events and _small_and_immaterial(ctx, hits):
        ctx.reasons.append("small change with nothing material in the changed words")
        raw *= 0.5
    return raw


def _event_bonus(
    ctx: _Change, events: list[BillEvent], anchored: bool, profiles: Profiles
) -> float:
    bonus = 0.0
    for event in events:
        if event.kind == "royal-assent" or (event.kind == "publication" and is_act(event)):
            bonus = max(bonus, 3.5 if anchored else 0.0)
        elif event.kind == "stage":
            bonus = max(bonus, 2.5 if anchored else 0.0)
        elif event.kind == "amendment" and _line_anchored(event, profiles):
            bonus = max(bonus, 1.5)
    if bonus:
        labels = dict.fromkeys(_event_label(e) for e in events)
        ctx.reasons.append("bill event: " + "; ".join(list(labels)[:3]))
    return bonus


def _line_anchored(event: BillEvent, profiles: Profiles) -> bool:
    return any(hit.count for hit in find(profiles.anchors, Texts((), (), event.line, ())))


def _event_label(event: BillEvent) -> str:
    decision = f" — {event.decision}" if event.decision else ""
    return f"{event.label}{decision}"


def _anchor_bonus(ctx: _Change, profiles: Profiles) -> float:
    """Kinship care named in the changed words themselves, not only around them."""
    changed = any(h.place in ("changed", "removed") for h in find(profiles.anchors, ctx.texts))
    return ANCHOR_BONUS if changed and not ctx.first_sight else 0.0


def _type_bonus(ctx: _Change) -> float:
    document_type, _ = _subject(ctx)
    known = PUBLICATION_TYPES | ANNOUNCEMENT_TYPES | CONSULTATION_TYPES | DATA_TYPES
    if (ctx.first_sight or ctx.change.source_kind in LISTING_KINDS) and document_type in known:
        ctx.reasons.append(f"document type: {document_type}")
        return 0.5
    return 0.0


def _small_and_immaterial(ctx: _Change, hits: list[Hit]) -> bool:
    """Fewer than six content words changed, no figure among them, and no profile term."""
    changed = " ".join(p.changed_text() for p in ctx.view.pieces)
    content = [w for w in words(changed) if w not in _STOP]
    if figures(changed) or any(ch.isdigit() for ch in changed) or _status_moved(ctx):
        return False
    terms_changed = any(h.place in ("changed", "removed") for h in hits)
    return len(content) < 6 and not terms_changed


def _status_moved(ctx: _Change) -> bool:
    """A tracker section's status line changed: one word, but the whole verdict."""
    return any(p.text.startswith(STATUS_LINES) for p in ctx.view.pieces if any(p.changed))


# -- reasons -------------------------------------------------------------------------------------


def _explain(
    ctx: _Change,
    scores: dict[str, float],
    used: tuple[str, ...],
    anchored: bool,
    veto: str | None,
    score: float,
    profiles: Profiles,
) -> tuple[str, ...]:
    lines = []
    if veto:
        lines.append(f"not relevant: {veto}")
    if not anchored:
        lines.append("kinship care is not in play (no kinship term in the change or its page)")
    top = sorted(((s, sid) for sid, s in scores.items() if s > 0), reverse=True)[:3]
    if top:
        lines.append("sections: " + ", ".join(f"{profiles.title(sid)} {s:.1f}" for s, sid in top))
    if used:
        lines.append("terms: " + ", ".join(f"'{t}'" for t in used[:6]))
    lines += ctx.reasons
    lines.append(f"score {score:.2f} (threshold {profiles.threshold:.2f})")
    host = urlsplit(ctx.change.url).hostname
    if host:
        lines.append(f"source: {ctx.change.source_id} ({host})")
    return tuple(lines)
