"""The snapshot store: what the pipeline reads before a check and writes after it.

Writes are batched: the pipeline hands over a list of :class:`CheckRecord` and they are written
in one transaction, so a cycle of a thousand checks costs a handful of commits, and a crash
mid-batch leaves the database as it was before the batch (those checks simply run again).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from storage.blobs import BlobStore
from storage.errors import StorageError
from storage.models import ChangeRow, CheckRow, SnapshotRow, SourceRow


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


@dataclass(frozen=True, slots=True)
class Written:
    """The ids a written check produced."""

    source_id: str
    check_id: int
    snapshot_id: int | None
    change_id: int | None


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

    def states(self, ids: Sequence[str]) -> dict[str, SourceState]:
        """The fetch state of each of ``ids`` (missing ids get an empty state)."""
        with self.session() as session:
            rows = session.scalars(select(SourceRow).where(SourceRow.id.in_(ids))).all()
        found = {row.id: _state(row) for row in rows}
        return {i: found.get(i, SourceState(i)) for i in ids}

    def write(self, records: Sequence[CheckRecord]) -> list[Written]:
        """Write a batch of checks in one transaction; return the ids they produced."""
        with self.session() as session, session.begin():
            return [self._write_one(session, record) for record in records]

    def _write_one(self, session: Session, record: CheckRecord) -> Written:
        source = session.get(SourceRow, record.source_id)
        if source is None:
            raise StorageError(f"source {record.source_id!r} is not in the database")
        body_id = self._put_body(session, source, record)
        snapshot_id = self._add_snapshot(session, record, body_id)
        change_id = self._add_change(session, source, record, snapshot_id)
        check_id = session.execute(
            insert(CheckRow).returning(CheckRow.id),
            [_check_values(record, body_id, snapshot_id, change_id)],
        ).scalar_one()
        _update_source(source, record, body_id, snapshot_id)
        return Written(record.source_id, check_id, snapshot_id, change_id)

    def _put_body(self, session: Session, source: SourceRow, record: CheckRecord) -> str | None:
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
        session.flush()  # the blob row must exist before a snapshot refers to it
        row = SnapshotRow(
            source_id=record.source_id,
            fetched_at=record.started_at,
            content_hash=record.content_hash or "",
            body_id=body_id,
            url=record.url or "",
            final_url=record.final_url or record.url or "",
            content_type=record.content_type,
            etag=record.etag,
            last_modified=record.last_modified,
            title=record.title,
            text_length=record.text_length,
        )
        session.add(row)
        session.flush()
        return row.id

    def _add_change(
        self, session: Session, source: SourceRow, record: CheckRecord, snapshot_id: int | None
    ) -> int | None:
        change = record.change
        if change is None or snapshot_id is None or source.last_snapshot_id is None:
            return None
        row = ChangeRow(
            source_id=record.source_id,
            from_snapshot_id=source.last_snapshot_id,
            to_snapshot_id=snapshot_id,
            detected_at=record.started_at,
            blocks_added=change.added,
            blocks_removed=change.removed,
            blocks_modified=change.modified,
            words_added=change.words_added,
            words_removed=change.words_removed,
            diff_json=change.diff_json,
        )
        session.add(row)
        session.flush()
        return row.id

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

    def counts(self) -> dict[str, int]:
        """Row counts per table (for status output and tests)."""
        tables = {"sources": SourceRow, "checks": CheckRow, "snapshots": SnapshotRow}
        tables["changes"] = ChangeRow
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
) -> dict[str, object]:
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


def _update_source(
    source: SourceRow, record: CheckRecord, body_id: str | None, snapshot_id: int | None
) -> None:
    source.last_checked_at = record.started_at
    source.last_status = record.status
    if record.status == "error":
        source.last_error = record.error
        source.consecutive_failures = (source.consecutive_failures or 0) + 1
        return
    source.last_error = None
    source.consecutive_failures = 0
    if record.etag or record.last_modified or record.status != "not-modified":
        source.etag, source.last_modified = record.etag, record.last_modified
        source.validators_url = record.url
    if body_id is not None:
        source.last_body_id = body_id
    if snapshot_id is not None:
        source.last_snapshot_id = snapshot_id
        source.last_hash = record.content_hash
        source.last_text_length = record.text_length
    if record.status == "changed":
        source.last_changed_at = record.started_at


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


