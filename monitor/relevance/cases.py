"""Labelled before/after cases: the development set of ``tests/relevance_cases/``.

One YAML file per case (the format is in ``tests/relevance_cases/README.md``). A side is given
inline (``before:`` / ``after:``), as a file (``before_file:`` / ``after_file:``, relative to
the case file or to ``tests/fixtures``), or derived from the other side's raw text with
``after_replace:`` (a list of ``[old, new]`` pairs applied in order). ``format`` says how a side
becomes a :class:`~monitor.document.Document`:

* ``html``: :func:`~monitor.extract.extract_html` (GOV.UK profile for ``govuk`` sources);
* ``govuk-json``: :func:`~monitor.extract.extract_govuk_content` on a Content API item;
* ``lines``: one block per line in the notation of :meth:`Document.lines` (``# Title`` first,
  ``## heading``, ``- item``, ``| row |``, ``→ link``, anything else a paragraph), which is
  how the parliament-bill, govuk-search, feed and tracker kinds' documents read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.document import Block, BlockKind, Document, Metadata
from monitor.errors import ConfigError
from monitor.extract import Profile, extract_govuk_content, extract_html
from monitor.normalise import normalise_document
from monitor.relevance.model import Assessment, ChangeInput, Kind

Format = Literal["html", "govuk-json", "lines"]
Split = Literal["dev", "held-out", "blind", "blind2", "blind3", "blind4"]
_HEADING = re.compile(r"^(#{1,6}) (.*)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceModel(_Strict):
    """The source the change came from."""

    kind: str
    id: str
    name: str = ""
    url: str = ""
    sections: list[str] = Field(default_factory=list)


class ExpectModel(_Strict):
    """The labels."""

    relevant: bool
    sections: list[str] = Field(default_factory=list)
    kind: Kind
    facts: list[str] = Field(default_factory=list)


class MetadataModel(_Strict):
    """Metadata of a ``lines`` side."""

    published: str | None = None
    updated: str | None = None
    change_note: str | None = None
    document_type: str | None = None
    withdrawn: str | None = None
    extra: list[tuple[str, str]] = Field(default_factory=list)


class CaseModel(_Strict):
    """One case file."""

    id: str
    split: Split = "dev"
    origin: str = Field(min_length=10)
    source: SourceModel
    format: Format
    before: str | dict[str, Any] | None = None
    before_file: str | None = None
    after: str | dict[str, Any] | None = None
    after_file: str | None = None
    after_replace: list[tuple[str, str]] = Field(default_factory=list)
    before_replace: list[tuple[str, str]] = Field(default_factory=list)
    before_metadata: MetadataModel | None = None
    after_metadata: MetadataModel | None = None
    first_sight: bool = False
    expect: ExpectModel
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Expected:
    """What a case is labelled with."""

    relevant: bool
    sections: tuple[str, ...]
    kind: Kind
    facts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Case:
    """A labelled change, ready to assess."""

    id: str
    split: Split
    origin: str
    change: ChangeInput
    expected: Expected


def load_cases(directory: Path, fixtures: Path | None = None) -> list[Case]:
    """Every ``*.yaml`` case under ``directory``, sorted by id."""
    fixtures = fixtures or directory.parent / "fixtures"
    cases = [load_case(path, fixtures) for path in sorted(directory.glob("*.yaml"))]
    return sorted(cases, key=lambda c: c.id)


def load_case(path: Path, fixtures: Path) -> Case:
    """Read and build one case; :class:`ConfigError` names the file and the problem."""
    try:
        model = CaseModel.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        lines = [f"{path.name}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(lines) from None
    before_raw, after_raw = _raw_sides(model, path.parent, fixtures)
    before = None
    if not model.first_sight and before_raw is not None:
        before = _document(model, before_raw, model.before_metadata)
    after = _document(model, after_raw, model.after_metadata)
    return Case(
        model.id, model.split, model.origin, _change(model, before, after), _expected(model)
    )


def _raw_sides(model: CaseModel, here: Path, fixtures: Path) -> tuple[Any, Any]:
    """Both raw sides; ``before_replace`` and ``after_replace`` both apply to the before file."""
    original = _side(model.before, model.before_file, here, fixtures)
    before = _replaced(original, model.before_replace) if original is not None else None
    after = _side(model.after, model.after_file, here, fixtures)
    if after is None:
        if original is None:
            raise ConfigError([f"{model.id}: no after side (after, after_file or a before side)"])
        after = _replaced(original, model.after_replace)
    return before, after


def _side(inline: Any, file: str | None, here: Path, fixtures: Path) -> Any:
    if inline is not None:
        return inline
    if file is None:
        return None
    for base in (here, fixtures):
        if (base / file).is_file():
            return (base / file).read_text(encoding="utf-8")
    raise ConfigError([f"{file}: not found next to the case or under {fixtures}"])


def _replaced(raw: Any, pairs: list[tuple[str, str]]) -> Any:
    if not pairs:
        return raw
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
    for old, new in pairs:
        if old not in text:
            raise ConfigError([f"replacement text not found: {old[:60]!r}"])
        text = text.replace(old, new)
    return text if isinstance(raw, str) else json.loads(text)


def _document(model: CaseModel, raw: Any, metadata: MetadataModel | None) -> Document:
    if model.format == "govuk-json":
        data = json.loads(raw) if isinstance(raw, str) else raw
        return extract_govuk_content(data)
    if model.format == "html":
        profile: Profile = "govuk" if model.source.kind == "govuk" else "generic"
        return extract_html(str(raw).encode(), url=model.source.url, profile=profile)
    return document_from_lines(str(raw), _metadata(metadata))


def document_from_lines(text: str, metadata: Metadata | None = None) -> Document:
    """Build a document from lines in :meth:`Document.lines` notation."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    title = ""
    if lines and lines[0].startswith("# "):
        title = lines.pop(0)[2:]
    blocks = tuple(_block(line) for line in lines)
    return normalise_document(Document(title, blocks, metadata or Metadata()))


def _block(line: str) -> Block:
    if match := _HEADING.match(line):
        return Block(BlockKind.HEADING, match[2], len(match[1]))
    if line.startswith("- "):
        return Block(BlockKind.LIST_ITEM, line[2:])
    if line.startswith("→ "):
        return Block(BlockKind.LINK_LIST, line[2:])
    if line.startswith("| ") and line.endswith(" |"):
        return Block(BlockKind.TABLE_ROW, line[2:-2])
    return Block(BlockKind.PARAGRAPH, line)


def _metadata(model: MetadataModel | None) -> Metadata:
    if model is None:
        return Metadata()
    data = model.model_dump()
    data["extra"] = tuple(tuple(pair) for pair in data["extra"])
    return Metadata(**data)


def _change(model: CaseModel, before: Document | None, after: Document) -> ChangeInput:
    source = model.source
    return ChangeInput.of(
        before,
        after,
        source_id=source.id,
        source_kind=source.kind,
        source_name=source.name,
        url=source.url,
        sections=tuple(source.sections),
    )


def _expected(model: CaseModel) -> Expected:
    e = model.expect
    return Expected(e.relevant, tuple(e.sections), e.kind, tuple(e.facts))


def iter_mismatches(case: Case, assessment: Assessment) -> Iterator[str]:
    """Human-readable differences between a case's labels and an assessment."""
    want = case.expected
    if assessment.relevant != want.relevant:
        yield f"relevant: expected {want.relevant}, got {assessment.relevant}"
    if want.relevant and assessment.primary != (want.sections[0] if want.sections else None):
        yield f"primary section: expected {want.sections[:1]}, got {assessment.sections[:1]}"
    if assessment.kind != want.kind:
        yield f"kind: expected {want.kind}, got {assessment.kind}"
