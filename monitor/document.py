"""Plain value objects that flow between pipeline stages.

A page becomes a :class:`Document`: a title, an ordered tuple of :class:`Block` s and a
little metadata. Every later stage (normalise, store, diff) works on these and never on
raw HTML, so a diff can say which heading a change sits under.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum


class BlockKind(StrEnum):
    """What a block of text is on the page."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list-item"
    TABLE_ROW = "table-row"
    LINK_LIST = "link-list"


@dataclass(frozen=True, slots=True)
class Block:
    """One unit of visible text: a heading (with level 1-6), paragraph, list item, ..."""

    kind: BlockKind
    text: str
    level: int = 0  # heading level; 0 for everything that is not a heading

    def as_line(self) -> str:
        """Render as one line of text, the unit the block-level diff aligns on."""
        if self.kind is BlockKind.HEADING:
            return f"{'#' * self.level} {self.text}"
        if self.kind is BlockKind.LIST_ITEM:
            return f"- {self.text}"
        if self.kind is BlockKind.TABLE_ROW:
            return f"| {self.text} |"
        if self.kind is BlockKind.LINK_LIST:
            return f"→ {self.text}"
        return self.text


@dataclass(frozen=True, slots=True)
class Metadata:
    """Facts about the document that the publisher states (dates, change note)."""

    published: str | None = None  # ISO 8601 date or datetime, as the publisher gives it
    updated: str | None = None
    change_note: str | None = None
    document_type: str | None = None
    withdrawn: str | None = None  # the withdrawal explanation, when withdrawn
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Document:
    """A normalised page: the thing we hash, store and diff."""

    title: str
    blocks: tuple[Block, ...]
    metadata: Metadata = field(default_factory=Metadata)

    def lines(self) -> list[str]:
        """The block lines, in page order (title first)."""
        return [f"# {self.title}", *(b.as_line() for b in self.blocks)]

    def text_length(self) -> int:
        """Characters of visible text in the blocks (used to spot near-empty pages)."""
        return sum(len(b.text) for b in self.blocks)

    def to_json(self) -> str:
        """Serialise deterministically (sorted keys) for hashing and display."""
        # Built by hand, not with dataclasses.asdict: asdict deep-copies every value and cost
        # ~1 ms per page, a third of the per-check budget (benchmarks/check_cycle.py).
        meta = self.metadata
        data = {
            "title": self.title,
            "blocks": [
                {"kind": b.kind.value, "text": b.text, "level": b.level} for b in self.blocks
            ],
            "metadata": {
                "published": meta.published,
                "updated": meta.updated,
                "change_note": meta.change_note,
                "document_type": meta.document_type,
                "withdrawn": meta.withdrawn,
                "extra": [list(pair) for pair in meta.extra],
            },
        }
        return json.dumps(data, sort_keys=True, ensure_ascii=False)

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON: equal documents have equal hashes."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    @classmethod
    def from_json(cls, text: str) -> Document:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        meta = data.get("metadata") or {}
        meta["extra"] = tuple(tuple(pair) for pair in meta.get("extra", ()))
        return cls(
            title=data["title"],
            blocks=tuple(
                Block(BlockKind(b["kind"]), b["text"], b.get("level", 0)) for b in data["blocks"]
            ),
            metadata=Metadata(**meta),
        )
