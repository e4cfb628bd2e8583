"""The value objects of relevance assessment: what goes in and what comes out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from monitor.diff import ChangeSet, diff_documents
from monitor.document import Document

Kind = Literal[
    "new-publication",
    "content-amended",
    "bill-stage",
    "bill-amendment",
    "consultation",
    "data-release",
    "none",
]
KINDS: tuple[Kind, ...] = get_args(Kind)

SourceKind = Literal["html", "govuk", "parliament-bill", "govuk-search", "feed", "tracker"]
SOURCE_KINDS: tuple[SourceKind, ...] = get_args(SourceKind)


@dataclass(frozen=True, slots=True)
class ChangeInput:
    """One detected change of one source, with the page versions on either side.

    ``old`` is ``None`` the first time a source is seen (a new publication). ``changes`` is
    ``diff_documents(diffable(old), diffable(new))``; build it with :meth:`of` when you have
    only the two documents. ``sections`` are the section ids configured on the source
    (``sources.yaml`` ``sections:``): hints, not answers.
    """

    source_id: str
    source_kind: str
    source_name: str
    url: str
    sections: tuple[str, ...]
    old: Document | None
    new: Document
    changes: ChangeSet

    @classmethod
    def of(
        cls,
        old: Document | None,
        new: Document,
        *,
        source_id: str = "adhoc",
        source_kind: str = "html",
        source_name: str = "",
        url: str = "",
        sections: tuple[str, ...] = (),
    ) -> ChangeInput:
        """Build an input from two documents, diffing them the way the pipeline does."""
        from monitor.pipeline import diffable  # lazy: the pipeline will import relevance

        before = diffable(old) if old is not None else _empty_like(new)
        changes = diff_documents(before, diffable(new))
        return cls(
            source_id=source_id,
            source_kind=source_kind,
            source_name=source_name or new.title,
            url=url,
            sections=sections,
            old=old,
            new=new,
            changes=changes,
        )


def _empty_like(document: Document) -> Document:
    """An empty document with the same title, so a first sight diffs as all-added blocks."""
    return Document(title=document.title, blocks=())


@dataclass(frozen=True, slots=True)
class Assessment:
    """Whether a change matters, to which tracker sections, and why.

    ``sections`` are section ids, primary first. ``reasons`` are short human-readable lines
    (which terms, which signals). ``terms`` are the profile terms that counted, which reviewer
    feedback refers back to.
    """

    relevant: bool
    score: float
    sections: tuple[str, ...]
    kind: Kind
    reasons: tuple[str, ...]
    terms: tuple[str, ...] = ()

    @property
    def primary(self) -> str | None:
        """The primary section id, if any."""
        return self.sections[0] if self.sections else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (for storage and ``--json`` output)."""
        return {
            "relevant": self.relevant,
            "score": self.score,
            "sections": list(self.sections),
            "kind": self.kind,
            "reasons": list(self.reasons),
            "terms": list(self.terms),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Assessment:
        """Inverse of :meth:`to_dict`; an unknown kind raises ``ValueError``."""
        kind = data["kind"]
        if kind not in KINDS:
            raise ValueError(f"unknown assessment kind {kind!r}")
        return cls(
            relevant=bool(data["relevant"]),
            score=float(data["score"]),
            sections=tuple(str(s) for s in data.get("sections", ())),
            kind=kind,
            reasons=tuple(str(r) for r in data.get("reasons", ())),
            terms=tuple(str(t) for t in data.get("terms", ())),
        )
