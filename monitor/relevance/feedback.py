"""Learn from reviewers: rejected patterns count less next time, wrong sections are corrected.

Storage of decisions is not here; the store hands :meth:`Feedback.from_decisions` the decisions
it kept, each carrying the source id and the assessment's ``terms`` and ``sections``.

The adjustment math (all factors are multipliers, never below a floor, so a source or a term
can always come back):

* **"not relevant" per source**: ``net = rejections − approvals / 2`` (never below 0), and the
  source's final raw score is multiplied by ``max(SOURCE_FLOOR, SOURCE_DECAY ** net)``.
* **"not relevant" per term**: the same count, over decisions whose ``terms`` include the term;
  that term's contribution to every section is multiplied by
  ``max(TERM_FLOOR, TERM_DECAY ** net)``.
* **"wrong section"** with a corrected section: for each term the decision counted that the
  wrongly chosen (primary) section's profile has, :data:`MOVE_FRACTION` of its weight moves
  from that section to the corrected one, once per such decision.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from monitor.relevance.profiles import Profiles, SectionProfile

Action = Literal["approve", "edit", "reject"]
Reason = Literal["not-relevant", "wrong-section", "duplicate", "other"]

SOURCE_DECAY = 0.7
SOURCE_FLOOR = 0.3
TERM_DECAY = 0.6
TERM_FLOOR = 0.2
MOVE_FRACTION = 0.6


@dataclass(frozen=True, slots=True)
class Decision:
    """One reviewer decision on one drafted change."""

    action: Action
    source_id: str
    terms: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    reason: Reason | None = None
    corrected_section: str | None = None


@dataclass(frozen=True, slots=True)
class Move:
    """Move part of a term's weight from one section to another."""

    term: str
    from_section: str
    to_section: str
    fraction: float = MOVE_FRACTION


@dataclass(frozen=True, slots=True)
class Feedback:
    """Score multipliers per source and per term, and section weight moves."""

    source_factors: tuple[tuple[str, float], ...] = ()
    term_factors: tuple[tuple[str, float], ...] = ()
    moves: tuple[Move, ...] = ()
    _tables: dict[str, dict[str, float]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @classmethod
    def from_decisions(cls, decisions: Iterable[Decision]) -> Feedback:
        """Turn stored decisions into the adjustments they call for."""
        decided = list(decisions)
        rejected = [d for d in decided if d.action == "reject" and d.reason == "not-relevant"]
        approved = [d for d in decided if d.action in ("approve", "edit")]
        sources = _factors(
            Counter(d.source_id for d in rejected),
            Counter(d.source_id for d in approved),
            SOURCE_DECAY,
            SOURCE_FLOOR,
        )
        terms = _factors(
            Counter(t for d in rejected for t in set(d.terms)),
            Counter(t for d in approved for t in set(d.terms)),
            TERM_DECAY,
            TERM_FLOOR,
        )
        moves = tuple(move for d in decided for move in _moves(d))
        return cls(sources, terms, moves)

    def source_factor(self, source_id: str) -> float:
        """The multiplier for a source's scores (1.0 when nothing was rejected)."""
        return self._lookup("source_factors").get(source_id, 1.0)

    def term_factor(self, term: str) -> float:
        """The multiplier for a term's contribution (1.0 when nothing was rejected)."""
        return self._lookup("term_factors").get(term, 1.0)

    def _lookup(self, name: str) -> dict[str, float]:
        found = self._tables.get(name)
        if found is None:
            found = self._tables[name] = dict(getattr(self, name))
        return found

    def adjust(self, profiles: Profiles) -> Profiles:
        """Profiles with every section move applied, in decision order (made once per
        profiles and feedback: a cycle assesses every change with the same)."""
        if not self.moves:
            return profiles
        return profiles.memo(("adjusted", self), lambda: self._adjusted(profiles))

    def _adjusted(self, profiles: Profiles) -> Profiles:
        weights = {s.id: dict(s.terms) for s in profiles.sections}
        for move in self.moves:
            _apply(weights, move)
        sections = tuple(_with_terms(s, weights.get(s.id, {})) for s in profiles.sections)
        return profiles.with_sections(sections)


def _factors(
    rejected: Counter[str], approved: Counter[str], decay: float, floor: float
) -> tuple[tuple[str, float], ...]:
    found = []
    for key, count in sorted(rejected.items()):
        net = max(0.0, count - approved.get(key, 0) / 2)
        found.append((key, max(floor, decay**net)))
    return tuple(found)


def _moves(decision: Decision) -> list[Move]:
    wrong = decision.sections[0] if decision.sections else None
    target = decision.corrected_section
    if decision.reason != "wrong-section" or not wrong or not target or wrong == target:
        return []
    return [Move(term, wrong, target) for term in dict.fromkeys(decision.terms)]


def _apply(weights: dict[str, dict[str, float]], move: Move) -> None:
    source = weights.get(move.from_section, {})
    weight = source.get(move.term, 0.0)
    if weight <= 0 or move.to_section not in weights:
        return
    moved = weight * move.fraction
    source[move.term] = weight - moved
    target = weights[move.to_section]
    target[move.term] = target.get(move.term, 0.0) + moved


def _with_terms(section: SectionProfile, weights: dict[str, float]) -> SectionProfile:
    return replace(section, terms=tuple(weights.items()))
