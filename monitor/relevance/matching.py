"""Find profile terms in a change, and say where each was found.

Where a term sits decides how much it counts (:data:`PLACE_WEIGHT`): in the inserted or deleted
words themselves it counts fully; in the unchanged rest of a changed block (the context) it
counts a little; in the headings over a changed block, the page title and the publisher's new
change note it counts in between. A term found several times in one place counts
logarithmically more, so a long new publication does not win on length alone.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from monitor.relevance.changes import ChangeView, Piece
from monitor.relevance.text import Folded, fold, fold_term, fold_text, term_key, term_pattern

Place = Literal["changed", "removed", "context", "asked", "heading", "title", "note"]

#: A parliamentary question ("To ask the Secretary of State ..."): it frames the answer, whose
#: words are the news, so its own words count as ``asked``, about half as much as changed ones.
QUESTION_RE = re.compile(r"^(?:- )?To ask (?:the|His|Her|whether|what|how)\b")

#: How much a term counts by where it was found, for an amended page and a first sight.
PLACE_WEIGHT: dict[Place, float] = {
    "changed": 1.0, "removed": 0.8, "context": 0.35, "asked": 0.5, "heading": 0.5, "title": 0.5,
    "note": 0.9,
}  # fmt: skip
NEW_PUBLICATION_WEIGHT: dict[Place, float] = {
    "changed": 0.5, "removed": 0.0, "context": 0.0, "asked": 0.25, "heading": 0.3, "title": 2.0,
    "note": 0.9,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Hit:
    """One term found ``count`` times in one place."""

    term: str
    place: Place
    count: int


@dataclass(frozen=True, slots=True)
class Texts:
    """The texts of a change, by place, ready for matching."""

    pieces: tuple[Piece, ...]
    headings: tuple[str, ...]
    title: str
    notes: tuple[str, ...]
    _ready: _Ready | None = field(default=None, init=False, repr=False, compare=False)

    def ready(self) -> _Ready:
        """The folded texts, made once per :class:`Texts` (an assessment matches it often)."""
        if self._ready is None:
            object.__setattr__(self, "_ready", _Ready.of(self))
        assert self._ready is not None
        return self._ready


@dataclass(slots=True)
class _Ready:
    """A :class:`Texts` folded for matching, with what cheaply rules a term out."""

    pieces: tuple[tuple[Piece, Folded], ...]
    plain: tuple[tuple[Place, str], ...]  # headings, the title and the notes, folded
    joined: str  # every folded piece, one per line
    everything: str  # the pieces and the plain texts, one per line
    words: frozenset[str]  # every word of ``everything``
    found: dict[tuple[object, ...], list[Hit]]  # find()'s answers, by terms and weights

    @classmethod
    def of(cls, texts: Texts) -> _Ready:
        pieces = tuple((piece, fold(piece.text)) for piece in texts.pieces)
        plain: list[tuple[Place, str]] = [("heading", fold_text(h)) for h in texts.headings]
        plain.append(("title", fold_text(texts.title)))
        plain += [("note", fold_text(n)) for n in texts.notes]
        joined = "\n".join(f.text for _, f in pieces)
        everything = "\n".join([joined, *(text for _, text in plain)])
        return cls(pieces, tuple(plain), joined, everything, _words(everything), {})


def texts_of(view: ChangeView, title: str) -> Texts:
    """Collect the texts of a change view (headings over changed blocks, once each)."""
    headings = tuple(dict.fromkeys(h for p in view.pieces for h in p.heading_path))
    return Texts(view.pieces, headings, title, view.change_notes)


def find(
    terms: Iterable[str], texts: Texts, weights: Mapping[str, float] | None = None
) -> list[Hit]:
    """Every term of ``terms`` found in ``texts``, counted per place.

    With ``weights`` (one section's terms), overlapping matches count once: the longest term
    (the most specific; the heavier on a tie) claims its words first, so "legal definition of
    kinship care" counts "definition of kinship care" and not also "legal definition" and
    "definition", and a phrase's words are not counted again as its shorter terms.

    The answer is kept with the texts: an assessment asks for the same terms several times.
    """
    ready = texts.ready()
    names = tuple(terms)
    if weights is None:
        key: tuple[tuple[str, ...], tuple[float, ...] | None] = (names, None)
    elif terms is weights:  # one section's terms: the same key, made in C
        key = (names, tuple(weights.values()))
    else:
        key = (names, tuple(weights.get(t, 0.0) for t in names))
    found = ready.found.get(key)
    if found is None:
        found = ready.found[key] = _find(_plan(*key), ready, weighted=weights is not None)
    return list(found)


def _find(plan: _Plan, ready: _Ready, *, weighted: bool) -> list[Hit]:
    counts: dict[tuple[str, Place], int] = defaultdict(int)
    claimed: dict[int, list[tuple[int, int]]] = defaultdict(list)
    pieces, plain, start = ready.pieces, ready.plain, len(ready.pieces)
    for term in plan.candidates(ready.words):
        if term.key not in ready.everything:
            continue  # nowhere in the texts: the loops below would count nothing
        pattern, key = term.pattern, term.key
        for slot, (piece, folded) in enumerate(pieces if key in ready.joined else ()):
            if key not in folded.text:  # a cheap necessary condition before the regex
                continue
            for match in pattern.finditer(folded.text):
                if weighted and not _claim(claimed[slot], match.span()):
                    continue
                begin, end = folded.source_span(match.start(), match.end())
                place = _place(piece, piece.overlaps(begin, end))
                if place is not None:
                    counts[(term.term, place)] += 1
        for position, (place, text) in enumerate(plain, start=start):
            if key in text:
                counts[(term.term, place)] += sum(
                    1
                    for match in pattern.finditer(text)
                    if not weighted or _claim(claimed[position], match.span())
                )
    return [Hit(term, place, n) for (term, place), n in counts.items() if n]


@dataclass(frozen=True, slots=True)
class _Term:
    """A term ready to look for: its folded key, its pattern, and the words a match needs."""

    term: str
    key: str
    pattern: re.Pattern[str]
    words: frozenset[str] | None  # one of these is a whole word of any text it occurs in


@dataclass(frozen=True, slots=True)
class _Plan:
    """Terms in matching order, indexed by the words their matches need."""

    terms: tuple[_Term, ...]
    by_word: dict[str, tuple[int, ...]]  # a word → the terms (positions) that need it
    always: frozenset[int]  # terms nothing cheap can rule out

    @classmethod
    def of(cls, terms: list[_Term]) -> _Plan:
        by_word: dict[str, list[int]] = defaultdict(list)
        for position, term in enumerate(terms):
            for word in term.words or ():
                by_word[word].append(position)
        always = frozenset(p for p, t in enumerate(terms) if t.words is None)
        return cls(tuple(terms), {w: tuple(p) for w, p in by_word.items()}, always)

    def candidates(self, words: frozenset[str]) -> list[_Term]:
        """The terms that may occur in a text of these words, in matching order."""
        chosen = set(self.always)
        for word in self.by_word.keys() & words:
            chosen.update(self.by_word[word])
        return [self.terms[p] for p in sorted(chosen)]


_WORD = re.compile(r"\w+")


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text))


@lru_cache(maxsize=512)
def _plan(terms: tuple[str, ...], weights: tuple[float, ...] | None) -> _Plan:
    """The terms in matching order (longest and heaviest first when weighted), once each."""
    ordered = list(dict.fromkeys(terms))
    if weights is not None:
        weight = dict(zip(terms, weights, strict=True))
        ordered.sort(key=lambda t: (-len(fold_term(t)), -weight.get(t, 0.0)))
    return _Plan.of([_Term(t, term_key(t), term_pattern(t), _needed_words(t)) for t in ordered])


def _needed_words(term: str) -> frozenset[str] | None:
    """Whole words a match of ``term`` must contain: its first word, or for a one-word term
    the word or its plural (see :func:`term_pattern`); ``None`` when the first word is not all
    word characters (a "£" or a full stop), and nothing can be said cheaply."""
    first, *rest = fold_term(term).split(" ")
    if not _WORD.fullmatch(first):
        return None
    return frozenset({first} if rest else {first, first + "s", first + "es"})


def _claim(spans: list[tuple[int, int]], span: tuple[int, int]) -> bool:
    """Claim ``span`` unless it overlaps a span already claimed."""
    start, end = span
    if any(start < e and s < end for s, e in spans):
        return False
    spans.append(span)
    return True


def _place(piece: Piece, changed: bool) -> Place | None:
    """Where a match in a piece counts; unchanged words of an old side are not counted twice."""
    if changed and piece.side == "new" and QUESTION_RE.match(piece.text):
        return "asked"
    if changed:
        return "changed" if piece.side == "new" else "removed"
    return "context" if piece.side == "new" else None


def contribution(hit: Hit, weight: float, places: dict[Place, float]) -> float:
    """What one hit adds to a score: weight × place × (1 + ½·ln count)."""
    return weight * places[hit.place] * (1 + 0.5 * math.log(hit.count))


def present(terms: Sequence[str], texts: Texts, places: Iterable[Place]) -> list[str]:
    """The terms found in any of the given places."""
    wanted = set(places)
    return sorted({hit.term for hit in find(terms, texts) if hit.place in wanted})


def count_in(terms: Sequence[str], text: str) -> int:
    """How many times any of ``terms`` occurs in ``text`` (folded)."""
    folded = fold_text(text)
    return sum(
        len(term_pattern(t).findall(folded)) for t in dict.fromkeys(terms) if term_key(t) in folded
    )


def folded_terms(terms: Iterable[str]) -> list[str]:
    """Terms in folded form, without repeats."""
    return list(dict.fromkeys(fold_term(t) for t in terms))


def occurs_in(terms: Sequence[str], text: str) -> bool:
    """Whether any of ``terms`` occurs in ``text`` (folded); stops at the first."""
    folded = fold_text(text)
    return any(term_key(t) in folded and term_pattern(t).search(folded) for t in terms)
