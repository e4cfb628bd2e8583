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
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from monitor.relevance.changes import ChangeView, Piece
from monitor.relevance.text import fold, fold_term, fold_text, term_key, term_pattern

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
    """
    counts: dict[tuple[str, Place], int] = defaultdict(int)
    folded_pieces = [(piece, fold(piece.text)) for piece in texts.pieces]
    plain: list[tuple[Place, str]] = [("heading", fold_text(h)) for h in texts.headings]
    plain.append(("title", fold_text(texts.title)))
    plain += [("note", fold_text(n)) for n in texts.notes]
    ordered = list(dict.fromkeys(terms))
    if weights is not None:
        ordered.sort(key=lambda t: (-len(fold_term(t)), -weights.get(t, 0.0)))
    claimed: dict[int, list[tuple[int, int]]] = defaultdict(list)
    everything = _joined(tuple(f.text for _, f in folded_pieces))
    for term in ordered:
        pattern, key = term_pattern(term), term_key(term)
        for slot, (piece, folded) in enumerate(folded_pieces if key in everything else ()):
            if key not in folded.text:  # a cheap necessary condition before the regex
                continue
            for match in pattern.finditer(folded.text):
                if weights is not None and not _claim(claimed[slot], match.span()):
                    continue
                start, end = folded.source_span(match.start(), match.end())
                place = _place(piece, piece.overlaps(start, end))
                if place is not None:
                    counts[(term, place)] += 1
        for position, (place, text) in enumerate(plain, start=len(folded_pieces)):
            if key in text:
                counts[(term, place)] += sum(
                    1
                    for match in pattern.finditer(text)
                    if weights is None or _claim(claimed[position], match.span())
                )
    return [Hit(term, place, n) for (term, place), n in counts.items() if n]


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


@lru_cache(maxsize=64)
def _joined(texts: tuple[str, ...]) -> str:
    """All piece texts in one string: most terms are absent, and one check says so."""
    return "\n".join(texts)


def occurs_in(terms: Sequence[str], text: str) -> bool:
    """Whether any of ``terms`` occurs in ``text`` (folded); stops at the first."""
    folded = fold_text(text)
    return any(term_key(t) in folded and term_pattern(t).search(folded) for t in terms)
