"""Relevance: which changes matter, to which tracker section, and of what kind.

Public API::

    from monitor.relevance import ChangeInput, assess, default_profiles

    change = ChangeInput.of(old_document, new_document, source_id="...", source_kind="govuk",
                            url="https://www.gov.uk/...", sections=("financial-allowances",))
    assessment = assess(change, default_profiles())

See docs/relevance.md for how assessment works, the profiles file and reviewer feedback.
"""

from __future__ import annotations

from monitor.relevance.assess import assess
from monitor.relevance.feedback import Decision, Feedback, Move
from monitor.relevance.model import KINDS, SOURCE_KINDS, Assessment, ChangeInput, Kind
from monitor.relevance.profiles import (
    Profiles,
    Scope,
    SectionProfile,
    Topic,
    default_profiles,
    load_profiles,
    profiles_from_mapping,
)

__all__ = [
    "KINDS",
    "SOURCE_KINDS",
    "Assessment",
    "ChangeInput",
    "Decision",
    "Feedback",
    "Kind",
    "Move",
    "Profiles",
    "Scope",
    "SectionProfile",
    "Topic",
    "assess",
    "default_profiles",
    "load_profiles",
    "profiles_from_mapping",
]
