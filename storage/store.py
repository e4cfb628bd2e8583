"""The snapshot store: what the pipeline reads before a check and writes after it.

Writes are batched: the pipeline hands over a list of :class:`CheckRecord` and they are written
in one transaction, so a cycle of a thousand checks costs a handful of commits, and a crash
mid-batch leaves the database as it was before the batch (those checks simply run again).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from storage.blobs import BlobStore, blob_id
from storage.errors import StorageError
from storage.models import (
    AssessmentRow,
    ChangeRow,
    CheckRow,
    DecisionRow,
    DraftRow,
    OutboxRow,
    SnapshotRow,
    SourceRow,
    TrackerSectionRow,
)

#: Stands for the id of the draft a check writes, in messages decided before that id exists
#: (an alert's link to the draft in the review app). :func:`enqueue` replaces it, in the same
#: transaction, with the id the draft insert returned. Letters, digits and ``_`` only, so it
#: survives URL checks and HTML escaping unchanged.
DRAFT_ID_TOKEN = "__policy_monitor_draft_id_5f1d0c__"

#: A draft announcing publications drafted within this time already (by any source) is not
#: made again: a GOV.UK search and a feed list the same new publication within hours, and a
#: followed item is first checked the next day. Longer apart (a consultation's response weeks
#: after it opened) is news again.
DUPLICATE_WINDOW = timedelta(days=7)


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """The identity of a configured source, as the store needs it."""

    id: str
    name: str
    kind: str
    url: str


@dataclass(frozen=True, slots=True)
class DerivedSpec:
    """A source found by another one (an attachment, a followed search result)."""

    id: str
    name: str
    kind: str
    url: str
    parent_id: str
    relation: str
    options_json: str = "{}"


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the last checks of a source left behind (validators, hash, body)."""

    source_id: str
    etag: str | None = None
    last_modified: str | None = None
    validators_url: str | None = None
    last_body_id: str | None = None
    last_snapshot_id: int | None = None
    last_hash: str | None = None
    last_text_length: int | None = None
    consecutive_failures: int = 0


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """A diff between the source's previous snapshot and the new one."""

    added: int
    removed: int
    modified: int
    words_added: int
    words_removed: int
    diff_json: str


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """Everything one check produced, ready to be written."""

    source_id: str
    started_at: datetime
    duration_ms: int
    status: str  # new / unchanged / not-modified / changed / error
    url: str | None = None
    final_url: str | None = None
    http_status: int | None = None
    error_reason: str | None = None
    error: str | None = None
    body: bytes | None = None
    group: str = ""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    title: str = ""
    text_length: int = 0
    change: ChangeRecord | None = None
    tracker_sections: tuple[dict[str, Any], ...] | None = None  # parsed, for tracker kinds
    messages: tuple[dict[str, Any], ...] = ()  # outbox rows decided by this check
    assessment: dict[str, Any] | None = None  # Assessment.to_dict() of this version's change
    draft: dict[str, Any] | None = None  # Draft.to_dict() when the change is relevant


@dataclass(frozen=True, slots=True)
class Written:
    """The ids a written check produced."""

    source_id: str
    snapshot_id: int | None
    change_id: int | None


@dataclass(slots=True)
class _Cursor:
    """The columns of a source row a batch reads and advances (plain values, not ORM)."""

    id: str
    last_body_id: str | None
    last_snapshot_id: int | None
    consecutive_failures: int | None


@dataclass(frozen=True, slots=True)
class _Pending:
    check: dict[str, Any]
    source: dict[str, Any]
    ids: Written


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """A stored version, for history listings."""

    id: int
    source_id: str
    fetched_at: datetime
    content_hash: str
    body_id: str
    url: str
    final_url: str
    content_type: str
    title: str
    text_length: int


class Store:
    """Read and write sources, checks, snapshots and changes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.blobs = BlobStore()

    def session(self) -> Session:
        """A new ORM session (use as a context manager)."""
        return Session(self.engine, expire_on_commit=False)

    def sync_sources(self, specs: Iterable[SourceSpec]) -> None:
        """Insert new sources and refresh name/kind/url of known ones."""
        with self.session() as session, session.begin():
            known = {row.id: row for row in session.scalars(select(SourceRow))}
            for spec in specs:
                row = known.get(spec.id)
                if row is None:
                    session.add(_new_source_row(spec))
                else:
                    row.name, row.kind, row.url = spec.name, spec.kind, spec.url

    def add_derived(self, specs: Sequence[DerivedSpec]) -> list[DerivedSpec]:
        """Store derived sources not seen before (by parent and URL); return the new ones."""
        if not specs:
            return []
        parents = {spec.parent_id for spec in specs}
        query = select(SourceRow.parent_id, SourceRow.url, SourceRow.id).where(
            SourceRow.parent_id.in_(parents)
        )
        with self.session() as session, session.begin():
            known = {(p, u) for p, u, _ in session.execute(query)}
            ids = set(
                session.scalars(select(SourceRow.id).where(SourceRow.id.in_([s.id for s in specs])))
            )
            new = [s for s in specs if (s.parent_id, s.url) not in known and s.id not in ids]
            new = list({s.id: s for s in new}.values())
            session.add_all(_derived_row(spec) for spec in new)
        return new

    def derived(self) -> list[SourceRow]:
        """Every derived source (attachments, followed items), oldest first."""
        query = (
            select(SourceRow)
            .where(SourceRow.origin == "derived")
            .order_by(SourceRow.added_at, SourceRow.id)
        )
        with self.session() as session:
            return list(session.scalars(query))

    def states(self, ids: Sequence[str]) -> dict[str, SourceState]:
        """The fetch state of each of ``ids`` (missing ids get an empty state)."""
        with self.session() as session:
            rows = session.scalars(select(SourceRow).where(SourceRow.id.in_(ids))).all()
        found = {row.id: _state(row) for row in rows}
        return {i: found.get(i, SourceState(i)) for i in ids}

    def write(self, records: Sequence[CheckRecord]) -> list[Written]:
        """Write a batch of checks in one transaction; return the ids they produced.

        The common outcomes (not modified, unchanged, error) are written with two
        ``executemany`` statements per batch; only new versions need a row-by-row insert
        because their ids are needed for the change rows.
        """
        if not records:
            return []
        announcing = any((r.draft or {}).get("publications") for r in records)
        try:
            with (
                _PUBLICATIONS if announcing else nullcontext(),
                self.session() as session,
                session.begin(),
            ):
                if announcing:
                    _lock_publications(session)
                sources = self._load_sources(session, records)
                self.blobs.prefetch(session, _blob_ids(records, sources))
                written = [self._write_one(session, sources[r.source_id], r) for r in records]
                session.execute(insert(CheckRow), [w.check for w in written])
                session.execute(update(SourceRow), [w.source for w in written])
        except BaseException:
            self.blobs.rollback()
            raise
        self.blobs.commit()
        return [w.ids for w in written]

    def _load_sources(self, session: Session, records: Sequence[CheckRecord]) -> dict[str, _Cursor]:
        ids = {r.source_id for r in records}
        query = select(
            SourceRow.id,
            SourceRow.last_body_id,
            SourceRow.last_snapshot_id,
            SourceRow.consecutive_failures,
        ).where(SourceRow.id.in_(ids))
        rows = {row[0]: _Cursor(*row) for row in session.execute(query)}
        missing = ids - rows.keys()
        if missing:
            raise StorageError(f"sources not in the database: {', '.join(sorted(missing))}")
        return rows

    def _write_one(self, session: Session, source: _Cursor, record: CheckRecord) -> _Pending:
        body_id = self._put_body(session, source, record)
        snapshot_id = self._add_snapshot(session, record, body_id)
        previous_snapshot = source.last_snapshot_id
        change_id = self._add_change(session, source, record, snapshot_id)
        draft_id = duplicate_of = None
        if snapshot_id is not None and record.assessment is not None:
            duplicate_of = _duplicate_of(session, record)
            draft_id = _add_assessment(
                session, record, snapshot_id, previous_snapshot, change_id, duplicate_of
            )
        if snapshot_id is not None and record.tracker_sections is not None:
            _save_tracker_sections(session, record, snapshot_id)
        messages = record.messages
        if duplicate_of is not None:  # its alert went out with the first draft
            messages = tuple(m for m in messages if m["kind"] != "alert")
        if messages:
            enqueue(session, messages, now=record.started_at, draft_id=draft_id)
        values = _source_values(source, record, body_id, snapshot_id)
        # later records of the same source in this batch must see this one's effect
        source.last_body_id = values.get("last_body_id", source.last_body_id)
        source.last_snapshot_id = values.get("last_snapshot_id", source.last_snapshot_id)
        source.consecutive_failures = values["consecutive_failures"]
        return _Pending(
            check=_check_values(record, body_id, snapshot_id, change_id),
            source=values,
            ids=Written(record.source_id, snapshot_id, change_id),
        )

    def _put_body(self, session: Session, source: _Cursor, record: CheckRecord) -> str | None:
        if record.body is None:
            return None
        stored = self.blobs.put(
            session, record.body, group=record.group, previous=source.last_body_id
        )
        return stored.id

    def _add_snapshot(
        self, session: Session, record: CheckRecord, body_id: str | None
    ) -> int | None:
        if record.status not in ("new", "changed") or body_id is None:
            return None
        values = {
            "source_id": record.source_id,
            "fetched_at": record.started_at,
            "content_hash": record.content_hash or "",
            "body_id": body_id,
            "url": record.url or "",
            "final_url": record.final_url or record.url or "",
            "content_type": record.content_type,
            "etag": record.etag,
            "last_modified": record.last_modified,
            "title": record.title,
            "text_length": record.text_length,
        }
        return session.execute(insert(SnapshotRow).returning(SnapshotRow.id), [values]).scalar_one()

    def _add_change(
        self, session: Session, source: _Cursor, record: CheckRecord, snapshot_id: int | None
    ) -> int | None:
        change = record.change
        if change is None or snapshot_id is None or source.last_snapshot_id is None:
            return None
        values = {
            "source_id": record.source_id,
            "from_snapshot_id": source.last_snapshot_id,
            "to_snapshot_id": snapshot_id,
            "detected_at": record.started_at,
            "blocks_added": change.added,
            "blocks_removed": change.removed,
            "blocks_modified": change.modified,
            "words_added": change.words_added,
            "words_removed": change.words_removed,
            "diff_json": change.diff_json,
        }
        return session.execute(insert(ChangeRow).returning(ChangeRow.id), [values]).scalar_one()

    # -- reading -------------------------------------------------------------------------

    def body(self, blob: str) -> bytes:
        """The raw body stored as ``blob``."""
        with self.session() as session:
            return self.blobs.get(session, blob)

    def snapshots(self, source_id: str) -> list[SnapshotInfo]:
        """Every version of a source, oldest first."""
        query = (
            select(SnapshotRow)
            .where(SnapshotRow.source_id == source_id)
            .order_by(SnapshotRow.fetched_at, SnapshotRow.id)
        )
        with self.session() as session:
            return [_snapshot_info(row) for row in session.scalars(query)]

    def snapshot(self, snapshot_id: int) -> SnapshotInfo | None:
        """One version by id."""
        with self.session() as session:
            row = session.get(SnapshotRow, snapshot_id)
            return _snapshot_info(row) if row else None

    def source_rows(self) -> list[SourceRow]:
        """All source rows (detached), for listings."""
        with self.session() as session:
            return list(session.scalars(select(SourceRow).order_by(SourceRow.id)))

    def paused_ids(self) -> set[str]:
        """Sources whose schedule an admin paused."""
        with self.session() as session:
            return set(session.scalars(select(SourceRow.id).where(SourceRow.paused)))

    def set_paused(self, source_id: str, paused: bool) -> None:
        """Pause or resume a source's scheduled checks."""
        with self.session() as session, session.begin():
            row = session.get(SourceRow, source_id)
            if row is None:
                raise StorageError(f"no source {source_id!r} in the database (check it once first)")
            row.paused = paused

    def checks(self, source_id: str, limit: int = 50) -> list[CheckRow]:
        """The most recent checks of a source, newest first."""
        query = (
            select(CheckRow)
            .where(CheckRow.source_id == source_id)
            .order_by(CheckRow.started_at.desc(), CheckRow.id.desc())
            .limit(limit)
        )
        with self.session() as session:
            return list(session.scalars(query))

    def changes(self, source_id: str) -> list[ChangeRow]:
        """Every change of a source, oldest first."""
        query = select(ChangeRow).where(ChangeRow.source_id == source_id).order_by(ChangeRow.id)
        with self.session() as session:
            return list(session.scalars(query))

    def changes_by_id(self, ids: Sequence[int]) -> list[ChangeRow]:
        """The changes with these ids."""
        with self.session() as session:
            return list(session.scalars(select(ChangeRow).where(ChangeRow.id.in_(ids))))

    def assessments(self, *, relevant: bool | None = None, limit: int = 200) -> list[Any]:
        """Recent assessments with their change and source, newest first."""
        query = select(AssessmentRow).order_by(AssessmentRow.id.desc()).limit(limit)
        if relevant is not None:
            query = query.where(AssessmentRow.relevant == relevant)
        with self.session() as session:
            return list(session.scalars(query))

    def drafts(self, *, status: str | None = None) -> list[DraftRow]:
        """Drafts, highest score first (pending review first when no status is given)."""
        query = select(DraftRow).order_by(DraftRow.score.desc(), DraftRow.id)
        if status is not None:
            query = query.where(DraftRow.status == status)
        with self.session() as session:
            return list(session.scalars(query))

    def draft(self, draft_id: int) -> tuple[DraftRow, AssessmentRow] | None:
        """One draft and its assessment."""
        with self.session() as session:
            row = session.get(DraftRow, draft_id)
            if row is None:
                return None
            assessment = session.get(AssessmentRow, row.assessment_id)
            assert assessment is not None  # a foreign key guarantees it
            return row, assessment

    def decide(
        self,
        draft_id: int,
        *,
        action: str,
        reviewer: str,
        reason: str | None = None,
        note: str | None = None,
        corrected_section: str | None = None,
    ) -> None:
        """Record a reviewer's decision and set the draft's status (no conflict check)."""
        from storage.review import Decision, Reviews

        fields = {"primary_section": corrected_section} if corrected_section else None
        Reviews(self.engine).decide(
            draft_id,
            Decision(action=action, reviewer=reviewer, fields=fields, reason=reason, note=note),
        )

    def decisions(self, *, newest: int | None = None) -> list[tuple[DecisionRow, str, str]]:
        """Decisions with their draft's source id and assessment data (JSON), oldest first.

        ``newest``: only that many of the most recent decisions (still oldest first).
        """
        query = (
            select(DecisionRow, DraftRow.source_id, AssessmentRow.data_json)
            .join(DraftRow, DraftRow.id == DecisionRow.draft_id)
            .join(AssessmentRow, AssessmentRow.id == DraftRow.assessment_id)
            .order_by(DecisionRow.id.desc())
        )
        if newest is not None:
            query = query.limit(newest)
        with self.session() as session:
            return [(d, s, a) for d, s, a in reversed(list(session.execute(query)))]

    def enqueue(self, messages: Sequence[dict[str, Any]]) -> int:
        """Queue messages outside a check (digests, test messages); duplicates by key skipped."""
        with self.session() as session, session.begin():
            return enqueue(session, messages, now=utcnow())

    def outbox(self, status: str | None = None, limit: int = 500) -> list[OutboxRow]:
        """Outbox rows, oldest first."""
        query = select(OutboxRow).order_by(OutboxRow.id).limit(limit)
        if status is not None:
            query = query.where(OutboxRow.status == status)
        with self.session() as session:
            return list(session.scalars(query))

    def outbox_due(
        self, now: datetime, limit: int = 100, keys: Collection[str] | None = None
    ) -> list[OutboxRow]:
        """Queued messages whose next attempt is due (only those with ``keys``, if given)."""
        query = (
            select(OutboxRow)
            .where(OutboxRow.status == "queued", OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        if keys is not None:
            query = query.where(OutboxRow.key.in_(list(keys)))
        with self.session() as session:
            return list(session.scalars(query))

    def outbox_sent(self, message: int) -> None:
        """The server accepted the message: mark it sent (never send it again)."""
        with self.session() as session, session.begin():
            row = session.get(OutboxRow, message)
            if row is not None:
                row.status, row.sent_at, row.last_error = "sent", utcnow(), None

    def outbox_failed(self, message: int, error: str, retry_at: datetime) -> None:
        """A sending attempt failed: keep it queued for ``retry_at``."""
        with self.session() as session, session.begin():
            row = session.get(OutboxRow, message)
            if row is not None:
                row.attempts += 1
                row.last_error, row.next_attempt_at = error[:1000], retry_at

    def outbox_drop(self, key: str) -> None:
        """Remove a message that is still queued: a failed test message, which nobody wants
        delivered hours later by the running service's retries."""
        with self.session() as session, session.begin():
            session.execute(
                delete(OutboxRow).where(OutboxRow.key == key, OutboxRow.status == "queued")
            )

    def last_digest(self, recipient: str) -> datetime | None:
        """When the last digest for ``recipient`` was queued."""
        query = select(func.max(OutboxRow.created_at)).where(
            OutboxRow.kind == "digest", OutboxRow.recipient == recipient
        )
        with self.session() as session:
            return session.scalar(query)

    def relevant_since(self, since: datetime | None) -> list[tuple[DraftRow, AssessmentRow]]:
        """Drafts (with assessments) created since ``since``, for digests."""
        query = select(DraftRow, AssessmentRow).join(
            AssessmentRow, AssessmentRow.id == DraftRow.assessment_id
        )
        if since is not None:
            query = query.where(DraftRow.created_at > since)
        with self.session() as session:
            return [(d, a) for d, a in session.execute(query.order_by(DraftRow.id))]

    def outbox_counts(self) -> dict[str, int]:
        """Emails sent, queued, and queued after at least one failed attempt."""
        by_status = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        failing = select(func.count()).where(OutboxRow.status == "queued", OutboxRow.attempts > 0)
        with self.session() as session:
            counts = {"sent": 0, "queued": 0}
            counts.update({str(row[0]): int(row[1]) for row in session.execute(by_status)})
            counts["failing"] = int(session.scalar(failing) or 0)
            return counts

    def counts_by_status(self) -> dict[str, int]:
        """Drafts per status (pending, approved, rejected)."""
        query = select(DraftRow.status, func.count()).group_by(DraftRow.status)
        with self.session() as session:
            return {str(row[0]): int(row[1]) for row in session.execute(query)}

    def tracker_sections(self) -> list[TrackerSectionRow]:
        """Every stored tracker section, by source and position."""
        query = select(TrackerSectionRow).order_by(
            TrackerSectionRow.source_id, TrackerSectionRow.position
        )
        with self.session() as session:
            return list(session.scalars(query))

    def counts(self) -> dict[str, int]:
        """Row counts per table (for status output and tests)."""
        tables = {"sources": SourceRow, "checks": CheckRow, "snapshots": SnapshotRow}
        tables["changes"] = ChangeRow
        tables["drafts"] = DraftRow
        with self.session() as session:
            return {
                name: session.scalar(select(func.count()).select_from(model)) or 0
                for name, model in tables.items()
            }


def _new_source_row(spec: SourceSpec) -> SourceRow:
    return SourceRow(
        id=spec.id,
        name=spec.name,
        kind=spec.kind,
        url=spec.url,
        added_at=utcnow(),
        consecutive_failures=0,
    )


def _add_assessment(
    session: Session,
    record: CheckRecord,
    snapshot_id: int,
    from_snapshot: int | None,
    change_id: int | None,
    duplicate_of: int | None = None,
) -> int | None:
    """Store the assessment of a new version and, when relevant, its pending draft: unless
    ``duplicate_of`` names a draft of the same publication, which the assessment then records.

    Return the draft's id (None when there is no draft)."""
    data = record.assessment or {}
    if duplicate_of is not None:
        reason = (
            f"the same publication as draft #{duplicate_of}, found by another source or "
            "check: no second draft or alert"
        )
        data = {**data, "duplicate_of": duplicate_of, "reasons": [*data.get("reasons", []), reason]}
    sections = data.get("sections") or []
    assessment_id = session.execute(
        insert(AssessmentRow).returning(AssessmentRow.id),
        [
            {
                "source_id": record.source_id,
                "change_id": change_id,
                "snapshot_id": snapshot_id,
                "from_snapshot_id": from_snapshot if change_id else None,
                "created_at": record.started_at,
                "relevant": bool(data.get("relevant")),
                "score": float(data.get("score", 0.0)),
                "kind": str(data.get("kind", "none")),
                "primary_section": sections[0] if sections else None,
                "data_json": json.dumps(data, ensure_ascii=False, sort_keys=True),
            }
        ],
    ).scalar_one()
    if record.draft is None or duplicate_of is not None:
        return None
    return _add_draft(session, record, assessment_id, data)


#: Writes that may draft a publication take turns, so that two sources finding the same one
#: at the same moment cannot both pass :func:`_duplicate_of` (a read, then an insert): this
#: lock within a process, a transaction-scoped advisory lock across PostgreSQL clients.
_PUBLICATIONS = threading.Lock()
_PUBLICATIONS_KEY = 0x706D_7075_626C  # "pm publ": any constant shared by every process


def _lock_publications(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("select pg_advisory_xact_lock(:key)"), {"key": _PUBLICATIONS_KEY})


def _duplicate_of(session: Session, record: CheckRecord) -> int | None:
    """The earliest draft of the last :data:`DUPLICATE_WINDOW` that announces, with the same
    kind, every publication ``record``'s draft announces (see monitor.drafting.publications).
    """
    wanted = set((record.draft or {}).get("publications") or ())
    if not wanted:
        return None
    kind = str((record.assessment or {}).get("kind", ""))
    query = (
        select(DraftRow.id, DraftRow.data_json)
        .join(AssessmentRow, AssessmentRow.id == DraftRow.assessment_id)
        .where(
            DraftRow.created_at >= record.started_at - DUPLICATE_WINDOW,
            AssessmentRow.kind == kind,
        )
        .order_by(DraftRow.id)
    )
    for draft_id, data_json in session.execute(query):
        if wanted <= set(json.loads(data_json).get("publications") or ()):
            return int(draft_id)
    return None


def enqueue(
    session: Session,
    messages: Sequence[dict[str, Any]],
    *,
    now: datetime,
    draft_id: int | None = None,
) -> int:
    """Queue messages whose key is new (in the caller's transaction); return how many.

    :data:`DRAFT_ID_TOKEN` in a message's subject, text or HTML becomes ``draft_id``, the
    draft written in the same transaction (or nothing when there is none, which leaves a
    ``.../drafts/{id}`` link pointing at the review queue).
    """
    keys = [m["key"] for m in messages]
    known = set(session.scalars(select(OutboxRow.key).where(OutboxRow.key.in_(keys))))
    rows = [
        {
            **with_draft_id(m, draft_id),
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for m in {m["key"]: m for m in messages}.values()
        if m["key"] not in known
    ]
    if rows:
        session.execute(insert(OutboxRow), rows)
    return len(rows)


_FILLED = frozenset({"subject", "text", "html"})  # the message fields DRAFT_ID_TOKEN may be in


def with_draft_id(message: dict[str, Any], draft_id: int | None) -> dict[str, Any]:
    """``message`` with :data:`DRAFT_ID_TOKEN` replaced by ``draft_id`` in its parts."""
    value = "" if draft_id is None else str(draft_id)
    return {
        k: v.replace(DRAFT_ID_TOKEN, value) if k in _FILLED and isinstance(v, str) else v
        for k, v in message.items()
    }


def _save_tracker_sections(session: Session, record: CheckRecord, snapshot_id: int) -> None:
    """Replace a tracker source's stored sections with the newly parsed ones."""
    session.execute(
        delete(TrackerSectionRow).where(TrackerSectionRow.source_id == record.source_id)
    )
    rows = [
        {
            **section,
            "source_id": record.source_id,
            "position": position,
            "snapshot_id": snapshot_id,
            "updated_at": record.started_at,
        }
        for position, section in enumerate(record.tracker_sections or ())
    ]
    if rows:
        session.execute(insert(TrackerSectionRow), rows)


def _add_draft(
    session: Session, record: CheckRecord, assessment_id: int, assessment: dict[str, Any]
) -> int:
    draft = record.draft or {}
    sections = assessment.get("sections") or []
    extra = {k: v for k, v in draft.items() if k not in ("history_line", "paragraph")}
    return session.execute(
        insert(DraftRow).returning(DraftRow.id),
        [
            {
                "assessment_id": assessment_id,
                "source_id": record.source_id,
                "status": "pending",
                "score": float(assessment.get("score", 0.0)),
                "primary_section": sections[0] if sections else None,
                "history_line": draft.get("history_line", ""),
                "paragraph": draft.get("paragraph", ""),
                "data_json": json.dumps(extra, ensure_ascii=False, sort_keys=True),
                "version": 1,
                "created_at": record.started_at,
                "updated_at": record.started_at,
            }
        ],
    ).scalar_one()


def _blob_ids(records: Sequence[CheckRecord], sources: dict[str, _Cursor]) -> list[str]:
    """The bodies a batch may write and the previous bodies they may be deltas against."""
    ids = [blob_id(r.body) for r in records if r.body is not None]
    return ids + [c.last_body_id for c in sources.values() if c.last_body_id]


def _derived_row(spec: DerivedSpec) -> SourceRow:
    return SourceRow(
        id=spec.id,
        name=spec.name,
        kind=spec.kind,
        url=spec.url,
        added_at=utcnow(),
        consecutive_failures=0,
        origin="derived",
        parent_id=spec.parent_id,
        relation=spec.relation,
        options_json=spec.options_json,
    )


def _state(row: SourceRow) -> SourceState:
    return SourceState(
        source_id=row.id,
        etag=row.etag,
        last_modified=row.last_modified,
        validators_url=row.validators_url,
        last_body_id=row.last_body_id,
        last_snapshot_id=row.last_snapshot_id,
        last_hash=row.last_hash,
        last_text_length=row.last_text_length,
        consecutive_failures=row.consecutive_failures or 0,
    )


def _check_values(
    record: CheckRecord, body_id: str | None, snapshot_id: int | None, change_id: int | None
) -> dict[str, Any]:
    return {
        "source_id": record.source_id,
        "started_at": record.started_at,
        "duration_ms": record.duration_ms,
        "status": record.status,
        "http_status": record.http_status,
        "error_reason": record.error_reason,
        "error": record.error,
        "url": record.url,
        "final_url": record.final_url,
        "body_id": body_id,
        "snapshot_id": snapshot_id,
        "change_id": change_id,
    }


def _source_values(
    source: _Cursor, record: CheckRecord, body_id: str | None, snapshot_id: int | None
) -> dict[str, Any]:
    """The new column values of the source row after ``record``."""
    values: dict[str, Any] = {
        "id": source.id,
        "last_checked_at": record.started_at,
        "last_status": record.status,
        "consecutive_failures": 0,
    }
    if record.status == "error":
        values["last_error"] = record.error
        values["consecutive_failures"] = (source.consecutive_failures or 0) + 1
        return values
    values["last_error"] = None
    if record.etag or record.last_modified or record.status != "not-modified":
        values.update(
            etag=record.etag, last_modified=record.last_modified, validators_url=record.url
        )
    if body_id is not None:
        values["last_body_id"] = body_id
    if snapshot_id is not None:
        values.update(
            last_snapshot_id=snapshot_id,
            last_hash=record.content_hash,
            last_text_length=record.text_length,
        )
    if record.status == "changed":
        values["last_changed_at"] = record.started_at
    return values


def _snapshot_info(row: SnapshotRow) -> SnapshotInfo:
    return SnapshotInfo(
        id=row.id,
        source_id=row.source_id,
        fetched_at=row.fetched_at,
        content_hash=row.content_hash,
        body_id=row.body_id,
        url=row.url,
        final_url=row.final_url,
        content_type=row.content_type,
        title=row.title,
        text_length=row.text_length,
    )
