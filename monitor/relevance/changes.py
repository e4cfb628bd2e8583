"""Read a :class:`~monitor.diff.ChangeSet` the way a reviewer would: what text really changed.

Each content hunk becomes a :class:`Piece`: the side(s) of the block with a mask of which
characters the diff inserted or deleted, so a term can be counted as *changed* (it overlaps an
inserted or deleted word) or as *context* (it only sits in the same block). Hunks under the
"Page metadata" heading that :func:`monitor.pipeline.diffable` adds are not content: their new
change note is kept, the rest (dates) is noise. GOV.UK's own "updates to this page" list items
("11 July 2022 Added the ASF complaints procedure.") are read as change notes too.

:func:`cosmetic_reason` says why a change is cosmetic (typo, dates, cookies, reordered links),
or ``None`` when it is not.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import compress

from monitor.diff import ChangeSet, Hunk
from monitor.relevance.text import DATE_RE, MONTH_SET, words

METADATA_HEADING = "Page metadata"
_LINE_MARKER = re.compile(r"^(?:#{1,6} |- |→ |\| )")
_HISTORY_ITEM = re.compile(r"^\d{1,2} [A-Z][a-z]+ \d{4} \S")
_META_LINE = re.compile(r"^(?P<name>[\w ]+): (?P<value>.*)$")
_DATE_WORDS = frozenset(
    [
        "published",
        "last",
        "updated",
        "updated",
        "first",
        "release",
        "date",
        "time",
        "see",
        "all",
        "updates",
        "am",
        "pm",
        "on",
        "at",
        "from",
        "to",
        "previous",
        "sitting",
        "sittings",
        "and",
    ]
)
_COOKIE = re.compile(r"\bcookies?\b", re.IGNORECASE)
_COSMETIC_NOTE = re.compile(
    r"\b(?:typo|typographical|spelling|formatting|broken links?|accessib|minor (?:edit|change)s?"
    r"|has not changed|have not changed|converted .* (?:from|to) (?:pdf|html))",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Piece:
    """One side of one changed block: text, which characters changed, and where it sits."""

    text: str
    changed: tuple[bool, ...]  # per character of ``text``
    side: str  # "new" or "old"
    hunk: Hunk

    @property
    def heading_path(self) -> tuple[str, ...]:
        """The headings the block sits under."""
        return self.hunk.heading_path

    def changed_text(self) -> str:
        """Only the inserted (or deleted) characters, joined."""
        return "".join(compress(self.text, self.changed))

    def overlaps(self, start: int, end: int) -> bool:
        """Tell whether any character in [start, end) changed."""
        return any(self.changed[start:end])


@dataclass(frozen=True, slots=True)
class ChangeView:
    """The content pieces of a change, plus the change notes it brought."""

    pieces: tuple[Piece, ...]
    content_hunks: tuple[Hunk, ...]
    change_notes: tuple[str, ...]
    metadata_only: bool


def strip_marker(line: str) -> str:
    """``"- item"`` → ``"item"``; ``"## Heading"`` → ``"Heading"``; a table row loses its bars."""
    text = _LINE_MARKER.sub("", line, count=1)
    return text[:-2] if line.startswith("| ") and text.endswith(" |") else text


def is_metadata(hunk: Hunk) -> bool:
    """Tell whether a hunk is one of the page-metadata lines that ``diffable`` appends."""
    path = hunk.heading_path
    text = hunk.new_text or hunk.old_text or ""
    return (bool(path) and path[-1] == METADATA_HEADING) or text == f"## {METADATA_HEADING}"


def is_history_item(hunk: Hunk) -> bool:
    """Tell whether a hunk is an added item of a GOV.UK "updates to this page" list."""
    return hunk.kind == "added" and bool(_HISTORY_ITEM.match(strip_marker(hunk.new_text or "")))


def view(changes: ChangeSet) -> ChangeView:
    """Split a change set into content pieces and change notes."""
    notes: list[str] = []
    content: list[Hunk] = []
    for hunk in changes.hunks:
        if is_metadata(hunk):
            notes += _metadata_note(hunk)
        elif is_history_item(hunk):
            notes.append(strip_marker(hunk.new_text or "").split(" ", 3)[-1])
        else:
            content.append(hunk)
    pieces = tuple(piece for hunk in content for piece in pieces_of(hunk))
    unique_notes = tuple(dict.fromkeys(n for n in notes if any(c.isalpha() for c in n)))
    return ChangeView(pieces, tuple(content), unique_notes, not content)


def _metadata_note(hunk: Hunk) -> list[str]:
    """The new change note a metadata hunk brings, if it brings one."""
    if hunk.kind == "removed" or not hunk.new_text:
        return []
    match = _META_LINE.match(hunk.new_text)
    if not match:
        return []
    name, value = match["name"].lower(), match["value"]
    if name == "change note":
        return [value]
    if name == "change_history" and hunk.kind == "added":
        return [value.split(": ", 1)[-1]]
    if name == "withdrawn":
        return [f"Withdrawn: {value}"]
    return []


def pieces_of(hunk: Hunk) -> list[Piece]:
    """The new and old sides of a hunk with their changed-character masks."""
    if hunk.kind == "added":
        text = strip_marker(hunk.new_text or "")
        return [Piece(text, (True,) * len(text), "new", hunk)]
    if hunk.kind == "removed":
        text = strip_marker(hunk.old_text or "")
        return [Piece(text, (True,) * len(text), "old", hunk)]
    new_text, new_mask = _side(hunk, "insert")
    old_text, old_mask = _side(hunk, "delete")
    return [Piece(new_text, new_mask, "new", hunk), Piece(old_text, old_mask, "old", hunk)]


def _side(hunk: Hunk, op: str) -> tuple[str, tuple[bool, ...]]:
    """One side of a modified hunk, rebuilt from its word ops, minus the line marker."""
    text: list[str] = []
    mask: list[bool] = []
    for word in hunk.words:
        if word.op in ("equal", op):
            text.append(word.text)
            mask.extend([word.op == op] * len(word.text))
    joined = "".join(text)
    marker = len(joined) - len(strip_marker(joined))
    return joined[marker:], tuple(mask[marker:])


# -- cosmetic changes ------------------------------------------------------------------------------


def cosmetic_reason(content: Sequence[Hunk], notes: Sequence[str]) -> str | None:
    """Why this change is cosmetic, or ``None`` if it is not.

    A new change note from the publisher outweighs cosmetic-looking edits on the page itself
    (GOV.UK notes a change to an attachment on the parent page, where only dates move), unless
    the note itself says the edit was cosmetic.
    """
    substantive_notes = [n for n in notes if not _COSMETIC_NOTE.search(n)]
    if notes and not substantive_notes:
        return f"the publisher's note says so: {notes[0]!r}"
    if not content:
        return None if substantive_notes else "only the page's dates changed"
    if _reordered(content):
        return "links or items reordered, nothing added or removed"
    reasons = [_hunk_cosmetic(hunk) for hunk in content]
    if all(reasons) and not substantive_notes:
        kinds = sorted(set(filter(None, reasons)))
        return "cosmetic edit: " + " and ".join(str(k) for k in kinds)
    return None


def _reordered(content: Sequence[Hunk]) -> bool:
    added = Counter(h.new_text for h in content if h.kind == "added")
    removed = Counter(h.old_text for h in content if h.kind == "removed")
    modified = [h for h in content if h.kind == "modified"]
    return bool(added) and added == removed and not modified


def _hunk_cosmetic(hunk: Hunk) -> str | None:
    text = hunk.new_text or hunk.old_text or ""
    if _COOKIE.search(text) and _mostly_cookies(hunk):
        return "cookie banner"
    if hunk.kind != "modified":
        return "dates only" if is_date_line(text) else None
    if is_date_line(hunk.new_text or ""):
        return "dates only" if _changed_words_are_dates(hunk) else None
    if _is_typo(hunk):
        return "typo or punctuation"
    return "dates only" if _date_only_in_dated_list(hunk) else None


def _mostly_cookies(hunk: Hunk) -> bool:
    text = (hunk.new_text or hunk.old_text or "").lower()
    cues = ("cookie", "analytics", "accept", "reject", "preferences", "consent", "privacy")
    return sum(text.count(c) for c in cues) >= 2 or len(words(text)) <= 25


def is_date_line(text: str) -> bool:
    """Tell whether a block is a date line ("Published 10 July 2018 Last updated ...")."""
    without = DATE_RE.sub(" ", strip_marker(text))
    rest = [w for w in words(without) if not w.isdigit() and w not in _DATE_WORDS]
    return DATE_RE.search(text) is not None and len(rest) <= 3


def _changed_words_are_dates(hunk: Hunk) -> bool:
    changed = " ".join(w.text for w in hunk.words if w.op != "equal")
    rest = [w for w in words(DATE_RE.sub(" ", changed)) if not _date_token(w)]
    return not rest


def _date_token(token: str) -> bool:
    return token.isdigit() or token in _DATE_WORDS or token in MONTH_SET


def _date_only_in_dated_list(hunk: Hunk) -> bool:
    """A stage line gaining a sitting date: only dates changed, nothing else."""
    changed = [w for w in hunk.words if w.op != "equal"]
    inserted = " ".join(w.text for w in changed if w.op == "insert")
    deleted = " ".join(w.text for w in changed if w.op == "delete")
    if not changed or (not DATE_RE.search(inserted) and not DATE_RE.search(deleted)):
        return False
    listed = len(DATE_RE.findall(hunk.new_text or "")) >= 2  # a list of dates, not prose
    return listed and _changed_words_are_dates(hunk)


def _is_typo(hunk: Hunk) -> bool:
    """Small in-word edits, punctuation, case or spacing; never a change of number."""
    ops = [w for w in hunk.words if w.op != "equal"]
    inserted = "".join(w.text for w in ops if w.op == "insert")
    deleted = "".join(w.text for w in ops if w.op == "delete")
    if any(ch.isdigit() for ch in inserted + deleted):
        return False
    new_words, old_words = words(inserted), words(deleted)
    if not new_words and not old_words:
        return True  # punctuation or spacing only
    if len(new_words) > 2 or len(old_words) > 2 or not new_words or not old_words:
        return _same_words(hunk)
    ratio = SequenceMatcher(None, " ".join(old_words), " ".join(new_words)).ratio()
    return ratio >= 0.7


def _same_words(hunk: Hunk) -> bool:
    """The same words in the same order on both sides (case, hyphens, quotes changed)."""
    return words(hunk.old_text or "") == words(hunk.new_text or "")
