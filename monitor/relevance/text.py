"""Text helpers for relevance: a matching form of text, term patterns, figures and sentences.

Terms are matched on a *folded* form of the text: lower case, curly quotes straightened,
apostrophes dropped (``carer's`` → ``carers``), dashes and hyphens read as spaces
(``decision-making`` → ``decision making``), other punctuation kept. :func:`fold` also returns,
for every folded character, the index of the character it came from, so a match can be traced
back to the words that the diff marked as inserted or deleted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

_APOSTROPHES = frozenset("'’‘`´")
_DASHES = frozenset("-‐‑‒–—―")
_QUOTES = {"“": '"', "”": '"', "„": '"'}
#: Anything fold() must treat specially; text without it folds to text.lower().
_SPECIAL = re.compile(
    "[" + re.escape("".join(_APOSTROPHES | _DASHES | set(_QUOTES))) + r"]|\s\s|[^\S ]"
)

#: Money, percentages and counts worth quoting in a draft: "£126 million", "3.55%", "7 local
#: authorities", "52 weeks", "12,000 children".
FIGURE_RE = re.compile(
    r"£\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:million|billion|bn|m|k)\b)?"
    r"|\b\d[\d,]*(?:\.\d+)?\s?(?:%|per ?cent\b|percent\b)"
    r"|\b(?!(?:19|20)\d\d\b)\d[\d,]*(?:\.\d+)?\s(?:local authorit(?:y|ies)|areas?|children"
    r"|kinship carers|carers|families|households|weeks|hours|days|months|years|councils"
    r"|pilots?|places)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"‘(£0-9])")
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
]
MONTH_SET = frozenset(MONTHS)
#: A day-month-year or month-year date, as written on GOV.UK and Parliament pages.
DATE_RE = re.compile(
    r"\b(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:" + "|".join(MONTHS) + r")\.?,?\s+\d{4}\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Folded:
    """Folded text plus, per folded character, the index of its source character."""

    text: str
    index: tuple[int, ...]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that the folded span [start, end) came from."""
        if not self.index or start >= end:
            return (0, 0)
        return (self.index[start], self.index[end - 1] + 1)


_SPECIAL_CHARS = re.escape("".join(sorted(_APOSTROPHES | _DASHES | set(_QUOTES))))
#: Words with single spaces between them and nothing that fold() treats specially.
_PLAIN_RUN = re.compile(rf"[^\s{_SPECIAL_CHARS}]+(?: [^\s{_SPECIAL_CHARS}]+)*")
_REPLACEMENTS = (
    *((a, "") for a in sorted(_APOSTROPHES)),
    *((d, " ") for d in sorted(_DASHES)),
    *_QUOTES.items(),
)


@lru_cache(maxsize=256)
def fold_text(text: str) -> str:
    """``fold(text).text`` without the index, done in C (for whole pages and headings).

    Characters are replaced one kind at a time and whitespace runs collapsed by split and
    join: an order of magnitude faster on a whole page than ``str.translate`` (a table that
    deletes characters leaves CPython's fast path) and a regex substitution of whitespace.
    """
    for old, new in _REPLACEMENTS:
        if old in text:
            text = text.replace(old, new)
    parts = text.split()  # the same whitespace as the regex \s
    if not parts:
        return " " if text else ""
    joined = " ".join(parts)
    if text[0].isspace():
        joined = " " + joined
    if text[-1].isspace():
        joined += " "
    return joined.lower()


@lru_cache(maxsize=512)  # one assessment folds a few dozen texts; keep memory flat
def fold(text: str) -> Folded:
    """Fold ``text`` for matching, keeping a map back to the original characters.

    Cached: one assessment folds the same changed blocks for every profile it scores.
    """
    if not _SPECIAL.search(text):
        lowered = text.lower()
        if len(lowered) == len(text):  # the common case, done in C
            return Folded(lowered, tuple(range(len(text))))
    out: list[str] = []
    index: list[int] = []
    position = 0
    # Runs of words with single spaces between them fold by lower() alone, in C; the
    # characters between runs go one by one.
    for run in _PLAIN_RUN.finditer(text):
        start, end = run.span()
        if start > position:
            _fold_chars(text, position, start, out, index)
        segment = run.group()
        lowered = segment.lower()
        if len(lowered) == len(segment) and "Σ" not in segment:  # lower() char by char
            out.append(lowered)
            index.extend(range(start, end))
        else:
            _fold_chars(text, start, end, out, index)
        position = end
    if position < len(text):
        _fold_chars(text, position, len(text), out, index)
    return Folded("".join(out), tuple(index))


def _fold_chars(text: str, start: int, end: int, out: list[str], index: list[int]) -> None:
    """Fold ``text[start:end]`` character by character onto ``out`` and ``index``."""
    for position in range(start, end):
        char = text[position]
        if char in _APOSTROPHES:
            continue
        mapped = " " if char in _DASHES or char.isspace() else _QUOTES.get(char, char).lower()
        if mapped == " " and out and out[-1][-1] == " ":
            continue
        out.append(mapped)
        index.extend([position] * len(mapped))


@lru_cache(maxsize=4096)
def fold_term(term: str) -> str:
    """Fold a profile term the same way as text (without the index)."""
    return " ".join(fold(term).text.split())


@lru_cache(maxsize=4096)
def term_key(term: str) -> str:
    """The folded term without a plural ending: every match of the term contains it."""
    return fold_term(term)


@lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    """A whole-word pattern for a folded term; the last word may take a plural ending."""
    words = fold_term(term).split(" ")
    body = r"\s".join(re.escape(word) for word in words)
    plural = r"(?:s|es)?" if words[-1][-1:].isalpha() else ""
    return re.compile(rf"(?<![\w£]){body}{plural}(?!\w)")


def find_term(term: str, folded: str) -> Iterator[tuple[int, int]]:
    """Spans of ``term`` in folded text."""
    for match in term_pattern(term).finditer(folded):
        yield match.start(), match.end()


def is_phrase(term: str) -> bool:
    """Tell whether a term has more than one word."""
    return " " in fold_term(term)


PEOPLE_COUNT_RE = re.compile(
    r"\b(?!(?:19|20)\d\d\b)\d[\d,]*(?:\.\d+)?(?:\s(?:million|thousand))?\s(?:more\s)?"
    r"(?:children|kinship carers|carers|families|households|young people|special guardians)\b",
    re.IGNORECASE,
)


def people_counts(text: str) -> list[str]:
    """Counts of people in ``text`` ("121,000 children", "3,830 special guardians")."""
    return list(dict.fromkeys(" ".join(m.group().split()) for m in PEOPLE_COUNT_RE.finditer(text)))


_COUNT_CELL = re.compile(r"(?!(?:19|20)\d\d$)(?:\d{1,3}(?:,\d{3})+|\d+)")


def table_counts(row: str) -> list[str]:
    """The counts in a table row of figures (``"Public | 5,758 | 5,920"``): cells that are
    whole numbers, not years; none unless the row has at least two."""
    found = [c for c in (cell.strip() for cell in row.split(" | ")) if _COUNT_CELL.fullmatch(c)]
    return found if len(found) >= 2 else []


def figures(text: str) -> list[str]:
    """Money amounts, percentages and counts in ``text``, in order, without repeats."""
    found = (" ".join(m.group().split()) for m in FIGURE_RE.finditer(text))
    return list(dict.fromkeys(found))


def dates(text: str) -> list[str]:
    """Dates written out in ``text`` ("11 October 2024", "March 2025"), without repeats."""
    return list(dict.fromkeys(" ".join(m.group().split()) for m in DATE_RE.finditer(text)))


def sentences(text: str) -> list[str]:
    """Split a block of prose into sentences (good enough for GOV.UK and Parliament text)."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def words(text: str) -> list[str]:
    """Runs of letters and digits, lower-cased."""
    return re.findall(r"\w+", text.lower())
