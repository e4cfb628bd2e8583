"""Derived sources: documents found by other sources and then watched in their own right.

A GOV.UK publication's attachments (HTML publications and PDFs) and, with ``follow: true``,
the new items a search or feed finds, are stored as sources with a parent. They inherit the
parent's defaults, sections and tags; an attachment is checked on its parent's schedule, a
followed item daily. They never discover further documents themselves (no chains).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from monitor.config import Config, Schedule, Source
from monitor.errors import ConfigError
from monitor.sources import get_kind
from monitor.sources.base import Discovery
from storage.store import DerivedSpec

FOLLOW_SCHEDULE = "1d"


def derived_id(parent_id: str, discovery: Discovery) -> str:
    """A stable, readable id: ``<parent>--<name slug>-<url hash>`` (at most 80 characters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", discovery.name.lower()).strip("-")[:24].strip("-")
    digest = hashlib.sha1(discovery.url.encode()).hexdigest()[:8]
    return f"{parent_id[:40]}--{slug or 'document'}-{digest}"


def to_spec(parent: Source, discovery: Discovery) -> DerivedSpec:
    """The storage record of a discovery."""
    return DerivedSpec(
        id=derived_id(parent.id, discovery),
        name=discovery.name[:300] or discovery.url,
        kind=discovery.kind,
        url=discovery.url,
        parent_id=parent.id,
        relation=discovery.relation,
        options_json=json.dumps(discovery.options, sort_keys=True),
    )


def derived_sources(parents: Mapping[str, Source], rows: Iterable[Any]) -> list[Source]:
    """Sources for the stored derived rows whose parent is among ``parents``."""
    found = []
    for row in rows:
        parent = parents.get(row.parent_id)
        if parent is None:
            continue  # the parent left sources.yaml: its attachments rest too
        try:
            found.append(_source(row, parent))
        except ConfigError:
            continue  # a kind or option that this version no longer knows
    return found


def _source(row: Any, parent: Source) -> Source:
    kind = get_kind(row.kind)
    options = kind.Options.model_validate(json.loads(row.options_json or "{}"))
    attachment = row.relation == "attachment"
    return Source(
        id=row.id,
        name=row.name,
        url=row.url,
        kind=row.kind,
        schedule=parent.schedule if attachment else Schedule.parse(FOLLOW_SCHEDULE),
        select=(),
        ignore=(),
        sections=parent.sections,
        tags=(*parent.tags, row.relation),
        options=options,
        defaults=parent.defaults,
        parent=parent.id,
        relation=row.relation,
        parent_name=parent.name,
    )


def event(source: Source, status: str) -> str | None:
    """A readable line for an attachment or followed item: what happened, and to what."""
    if source.parent is None or status not in ("new", "changed"):
        return None
    parent = f"'{source.parent_name or source.parent}'"
    if source.relation == "attachment":
        verb = "added to" if status == "new" else "changed in"
        return f"{source.name} {verb} {parent}"
    return f"New item found by {parent}: {source.name}" if status == "new" else None


def all_sources(config: Config, store: Any) -> list[Source]:
    """The configured sources followed by the derived ones."""
    parents = {source.id: source for source in config.sources}
    return [*config.sources, *derived_sources(parents, store.derived())]


def find(sources: Sequence[Source], source_id: str, config: Config) -> Source:
    """The source with this id among configured and derived sources."""
    for source in sources:
        if source.id == source_id:
            return source
    return config.get(source_id)  # raises UnknownSourceError naming the configured ones
