"""Score assessment and drafting against labelled cases.

* **precision / recall / F1** of ``relevant``;
* **section accuracy**: on cases labelled relevant, the primary section is the labelled one;
* **kind accuracy**: on every case (a case labelled not relevant has kind ``none``);
* **key-fact coverage**: on cases labelled relevant, the share of labelled key facts found
  (case-insensitively, quotes and spacing folded) in the draft's history line and paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from monitor.drafting import Draft, draft
from monitor.relevance.assess import assess
from monitor.relevance.cases import Case
from monitor.relevance.feedback import Feedback
from monitor.relevance.model import Assessment
from monitor.relevance.profiles import Profiles


@dataclass(frozen=True, slots=True)
class Outcome:
    """One case, its assessment and (for cases labelled relevant) its draft."""

    case: Case
    assessment: Assessment
    draft: Draft | None
    facts_found: int


@dataclass(frozen=True, slots=True)
class Metrics:
    """The figures the benchmark prints."""

    cases: int
    labelled_relevant: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    section_accuracy: float
    kind_accuracy: float
    fact_coverage: float


def run(
    cases: Sequence[Case], profiles: Profiles, *, today: date, feedback: Feedback | None = None
) -> list[Outcome]:
    """Assess every case, and draft the ones labelled relevant."""
    return [_outcome(case, profiles, today, feedback) for case in cases]


def _outcome(case: Case, profiles: Profiles, today: date, feedback: Feedback | None) -> Outcome:
    assessment = assess(case.change, profiles, feedback)
    if not case.expected.relevant:
        return Outcome(case, assessment, None, 0)
    drafted = draft(case.change, assessment, today=today, profiles=profiles)
    found = sum(1 for fact in case.expected.facts if has_fact(drafted, fact))
    return Outcome(case, assessment, drafted, found)


def has_fact(drafted: Draft, fact: str) -> bool:
    """Tell whether a key fact is stated in the history line or the paragraph."""
    return _fold(fact) in _fold(f"{drafted.history_line} {drafted.paragraph}")


def _fold(text: str) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text)


def metrics(outcomes: Sequence[Outcome]) -> Metrics:
    """Compute the benchmark figures."""
    tp = sum(1 for o in outcomes if o.case.expected.relevant and o.assessment.relevant)
    fp = sum(1 for o in outcomes if not o.case.expected.relevant and o.assessment.relevant)
    fn = sum(1 for o in outcomes if o.case.expected.relevant and not o.assessment.relevant)
    relevant = [o for o in outcomes if o.case.expected.relevant]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    sections_right = sum(1 for o in relevant if _primary_right(o))
    kinds_right = sum(1 for o in outcomes if o.assessment.kind == o.case.expected.kind)
    facts = sum(len(o.case.expected.facts) for o in relevant)
    found = sum(o.facts_found for o in relevant)
    return Metrics(
        cases=len(outcomes),
        labelled_relevant=len(relevant),
        tp=tp,
        fp=fp,
        fn=fn,
        precision=precision,
        recall=recall,
        f1=f1,
        section_accuracy=sections_right / len(relevant) if relevant else 1.0,
        kind_accuracy=kinds_right / len(outcomes) if outcomes else 1.0,
        fact_coverage=found / facts if facts else 1.0,
    )


def _primary_right(outcome: Outcome) -> bool:
    expected = outcome.case.expected.sections
    return bool(expected) and outcome.assessment.primary == expected[0]
