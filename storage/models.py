"""SQLAlchemy 2 typed models: sources, checks, blobs, snapshots, changes.

* ``sources``   one row per configured source, with its fetch state (validators, last hash)
* ``checks``    every attempt: time, outcome, HTTP status, duration, error
* ``blobs``     raw response bodies, content-addressed (sha256) and zstd-compressed, often as
                a delta against an earlier body (see :mod:`storage.blobs`)
* ``snapshots`` one per distinct normalised document of a source
* ``changes``   one per pair of consecutive snapshots that differ, with the diff
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps the zone; SQLite has no datetime type and hands back naive values, so
    values are stored as naive UTC there and given their zone back when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base with a naming convention (so migrations name constraints)."""

    metadata = MetaData(naming_convention=NAMING)


class SourceRow(Base):
    """A configured source and what we last saw of it."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # "config" (from sources.yaml) or "derived" (found by another source: see parent_id)
    origin: Mapped[str] = mapped_column(String(20), default="config", server_default="config")
    parent_id: Mapped[str | None] = mapped_column(String(80), index=True)
    relation: Mapped[str | None] = mapped_column(String(20))  # "attachment" or "follow"
    options_json: Mapped[str | None] = mapped_column(Text)  # kind options of a derived source
    # fetch state
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    validators_url: Mapped[str | None] = mapped_column(Text)
    last_body_id: Mapped[str | None] = mapped_column(String(64))
    last_snapshot_id: Mapped[int | None] = mapped_column(Integer)
    last_hash: Mapped[str | None] = mapped_column(String(64))
    last_text_length: Mapped[int | None] = mapped_column(Integer)
    # summary for listings and ops
    last_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_status: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # an admin paused the schedule of this source (and of what it found); explicit checks run
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CheckRow(Base):
    """One attempt to check one source."""

    __tablename__ = "checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    duration_ms: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # new/unchanged/not-modified/changed/error
    http_status: Mapped[int | None] = mapped_column(Integer)
    error_reason: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    body_id: Mapped[str | None] = mapped_column(String(64))
    snapshot_id: Mapped[int | None] = mapped_column(Integer)
    change_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_checks_source_started", "source_id", "started_at"),)


class BlobRow(Base):
    """A raw body, stored once per distinct content (sha256 of the raw bytes)."""

    __tablename__ = "blobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    codec: Mapped[str] = mapped_column(String(16))  # "zstd" or "zstd-delta"
    base_id: Mapped[str | None] = mapped_column(String(64))
    depth: Mapped[int] = mapped_column(Integer, default=0)
    group_key: Mapped[str] = mapped_column(String(255))  # host: keyframes are shared per host
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_blobs_group_depth", "group_key", "depth"),)


class SnapshotRow(Base):
    """One version of a source: a distinct normalised document."""

    __tablename__ = "snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime())
    content_hash: Mapped[str] = mapped_column(String(64))
    body_id: Mapped[str] = mapped_column(ForeignKey("blobs.id"))
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    text_length: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_snapshots_source_fetched", "source_id", "fetched_at"),)


class ChangeRow(Base):
    """Two consecutive snapshots of a source that differ, and how."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    from_snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    to_snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime())
    blocks_added: Mapped[int] = mapped_column(Integer)
    blocks_removed: Mapped[int] = mapped_column(Integer)
    blocks_modified: Mapped[int] = mapped_column(Integer)
    words_added: Mapped[int] = mapped_column(Integer)
    words_removed: Mapped[int] = mapped_column(Integer)
    diff_json: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_changes_source_detected", "source_id", "detected_at"),)


class AssessmentRow(Base):
    """Whether a change matters, to which tracker sections, and why."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    change_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id"))
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    from_snapshot_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    relevant: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(40))
    primary_section: Mapped[str | None] = mapped_column(String(80))
    data_json: Mapped[str] = mapped_column(Text)  # sections, reasons, terms

    __table_args__ = (Index("ix_assessments_relevant_created", "relevant", "created_at"),)


class DraftRow(Base):
    """A proposed tracker update for a relevant change; reviewers decide, nothing is applied."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))  # pending / approved / rejected
    score: Mapped[float] = mapped_column(Float)
    primary_section: Mapped[str | None] = mapped_column(String(80))
    history_line: Mapped[str] = mapped_column(Text)
    paragraph: Mapped[str] = mapped_column(Text)
    data_json: Mapped[str] = mapped_column(Text)  # status suggestion, evidence, section titles
    version: Mapped[int] = mapped_column(Integer, default=1)  # for edit conflicts
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_drafts_status_score", "status", "score"),)


class DecisionRow(Base):
    """A reviewer's decision on a draft: approve, edit or reject (with a reason)."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    corrected_section: Mapped[str | None] = mapped_column(String(80))
    reviewer: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # the draft version the reviewer saw, and what they changed: {"field": [before, after]}
    draft_version: Mapped[int | None] = mapped_column(Integer)
    data_json: Mapped[str | None] = mapped_column(Text)


class TrackerSectionRow(Base):
    """A section of a watched policy tracker as last parsed: the targets drafts are for."""

    __tablename__ = "tracker_sections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    section_id: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    status_level: Mapped[str | None] = mapped_column(String(40))
    previous_status: Mapped[str | None] = mapped_column(Text)
    previous_status_date: Mapped[str | None] = mapped_column(Text)
    happening_now: Mapped[str] = mapped_column(Text)
    should_happen_next: Mapped[str] = mapped_column(Text)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_tracker_sections_source_section", "source_id", "section_id", unique=True),
    )


class OutboxRow(Base):
    """An email decided on, waiting to be sent (or sent): the transactional outbox.

    Rows are written in the same transaction as the change, draft or failed check that caused
    them; ``key`` (unique) makes that decision idempotent, and ``message_id`` is fixed when the
    row is written, so a message resent after a crash carries the same Message-ID.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # alert / digest / ops / test
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # queued / sent
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)


class UserRow(Base):
    """A person who can log in to the review app: viewer, reviewer or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))  # viewer / reviewer / admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ApiTokenRow(Base):
    """An API token: only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # first characters, to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SettingRow(Base):
    """Small values the processes share, e.g. the generated session-signing key."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AuditRow(Base):
    """Who did what and when, outside draft decisions (users, tokens, sources)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(400))
    detail: Mapped[str | None] = mapped_column(Text)


class RecipientRow(Base):
    """An email recipient managed in the review app (overrides sources.yaml for that address)."""

    __tablename__ = "recipients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    sections_json: Mapped[str] = mapped_column(Text)  # JSON list of section ids; [] = all
    immediate: Mapped[bool] = mapped_column(Boolean)
    digest: Mapped[bool] = mapped_column(Boolean)
    ops: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean)  # false: no email at all (even if in yaml)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(320))
