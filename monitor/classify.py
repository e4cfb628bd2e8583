"""Classify and draft stage: assess a detected change and, if it matters, draft the update.

Wires :mod:`monitor.relevance` and :mod:`monitor.drafting` into the pipeline. The section
profiles come from the built-in defaults, or the file named by ``relevance.profiles`` in
sources.yaml; reviewers' stored decisions adjust scores and sections (see docs/relevance.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, cast

from monitor.config import Config, Source
from monitor.diff import ChangeSet
from monitor.document import Document
from monitor.drafting import draft
from monitor.relevance import (
    ChangeInput,
    Decision,
    Feedback,
    Profiles,
    assess,
    default_profiles,
    load_profiles,
)
from monitor.relevance.feedback import Action, Reason
from storage.store import Store


@dataclass(frozen=True)
class Relevance:
    """What classification needs for one cycle: profiles and reviewer feedback."""

    profiles: Profiles
    feedback: Feedback | None

    @classmethod
    def load(cls, config: Config, store: Store) -> Relevance:
        """Profiles from sources.yaml (or the defaults) and feedback from stored decisions."""
        path = config.relevance.profiles
        profiles = load_profiles(config.path.parent / Path(path)) if path else default_profiles()
        profiles = with_tracker_titles(profiles, store.tracker_sections())
        decisions = [_decision(row, source_id, data) for row, source_id, data in store.decisions()]
        return cls(profiles, Feedback.from_decisions(decisions) if decisions else None)


def with_tracker_titles(profiles: Profiles, rows: list[Any]) -> Profiles:
    """Refresh section titles from the parsed tracker, so drafts name sections as it does."""
    titles = {row.section_id: row.title for row in rows if row.title}
    if not titles:
        return profiles
    sections = tuple(
        replace(s, title=titles[s.id], aliases=(*s.aliases, s.title)) if s.id in titles else s
        for s in profiles.sections
    )
    return profiles.with_sections(sections)


def _decision(row: Any, source_id: str, assessment_json: str) -> Decision:
    data = json.loads(assessment_json)
    return Decision(
        action=cast(Action, row.action),
        source_id=source_id,
        terms=tuple(data.get("terms") or ()),
        sections=tuple(data.get("sections") or ()),
        reason=cast(Reason | None, row.reason),
        corrected_section=row.corrected_section,
    )


def classify(
    relevance: Relevance,
    source: Source,
    old: Document | None,
    new: Document,
    changes: ChangeSet,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The assessment of one change, and a draft when it is relevant (both as plain data)."""
    change = ChangeInput(
        source_id=source.id,
        source_kind=source.kind,
        source_name=_name(source),
        url=source.url,
        sections=source.sections,
        old=old,
        new=new,
        changes=changes,
    )
    assessment = assess(change, relevance.profiles, relevance.feedback)
    if not assessment.relevant:
        return assessment.to_dict(), None
    drafted = draft(change, assessment, today=date.today(), profiles=relevance.profiles)
    return assessment.to_dict(), drafted.to_dict()


def _name(source: Source) -> str:
    """The source's name; an attachment is named with its publication."""
    if source.relation == "attachment" and source.parent_name:
        return f"{source.name} ({source.parent_name})"
    return source.name


def first_sight(relevance: Relevance, source: Source, new: Document) -> tuple[dict, dict | None]:
    """Assess a newly found publication (a followed search or feed item) as all-new."""
    change = ChangeInput.of(
        None,
        new,
        source_id=source.id,
        source_kind=source.kind,
        source_name=source.name,
        url=source.url,
        sections=source.sections,
    )
    return classify(relevance, source, None, new, change.changes)
