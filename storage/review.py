"""Review queue storage: pending drafts, edits with conflict detection, decisions, approvals.

Every change to a draft is a compare-and-set on ``drafts.version``: the reviewer's form carries
the version they saw, and the update only applies when it is still current. Otherwise
:class:`DraftConflict` says who changed it, so nobody silently overwrites a colleague.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from storage.errors import StorageError
from storage.models import AssessmentRow, DecisionRow, DraftRow
from storage.store import utcnow

EDITABLE = ("history_line", "paragraph", "primary_section", "status_suggestion")
STATUS_AFTER = {"approve": "approved", "edit": "pending", "reject": "rejected", "reopen": "pending"}
REASONS = ("not-relevant", "wrong-section", "duplicate", "other")


class DraftConflict(StorageError):
    """The draft changed since the reviewer loaded it."""

    def __init__(self, draft: DraftRow, last: DecisionRow | None) -> None:
        who = f" by {last.reviewer} at {last.created_at:%H:%M:%S %d %b}" if last else ""
        super().__init__(f"draft {draft.id} was changed{who} (now version {draft.version})")
        self.draft, self.last = draft, last


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the queue shows: all fields optional."""

    section: str | None = None
    source: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: str = "pending"


@dataclass(frozen=True, slots=True)
class Decision:
    """One reviewer action on a draft."""

    action: str  # approve / edit / reject / reopen
    reviewer: str
    expected_version: int | None = None  # None: no conflict check (the CLI)
    fields: Mapping[str, Any] | None = None  # edited values (see EDITABLE)
    reason: str | None = None
    note: str | None = None


class Reviews:
    """Queries and updates behind the review app, the API and ``drafts decide``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def session(self) -> Session:
        """A new ORM session (objects stay readable after commit)."""
        return Session(self.engine, expire_on_commit=False)

    def queue(self, where: QueueFilter) -> list[tuple[DraftRow, AssessmentRow]]:
        """Drafts with their assessments matching ``where``, highest score first."""
        query = (
            select(DraftRow, AssessmentRow)
            .join(AssessmentRow, AssessmentRow.id == DraftRow.assessment_id)
            .where(DraftRow.status == where.status)
            .order_by(DraftRow.score.desc(), DraftRow.id)
        )
        if where.section:
            query = query.where(DraftRow.primary_section == where.section)
        if where.source:
            query = query.where(DraftRow.source_id == where.source)
        if where.kind:
            query = query.where(AssessmentRow.kind == where.kind)
        if where.since:
            query = query.where(DraftRow.created_at >= where.since)
        if where.until:
            query = query.where(DraftRow.created_at < where.until)
        with self.session() as session:
            return [(d, a) for d, a in session.execute(query)]

    def section_counts(self, status: str = "pending") -> dict[str, int]:
        """Drafts per primary section ("" for none)."""
        query = (
            select(DraftRow.primary_section, func.count())
            .where(DraftRow.status == status)
            .group_by(DraftRow.primary_section)
        )
        with self.session() as session:
            return {str(s or ""): int(n) for s, n in session.execute(query)}

    def get(self, draft_id: int) -> tuple[DraftRow, AssessmentRow] | None:
        """One draft and its assessment."""
        with self.session() as session:
            row = session.get(DraftRow, draft_id)
            if row is None:
                return None
            assessment = session.get(AssessmentRow, row.assessment_id)
            assert assessment is not None  # a foreign key guarantees it
            return row, assessment

    def history(self, draft_id: int) -> list[DecisionRow]:
        """Every decision on a draft, oldest first: its audit trail."""
        query = select(DecisionRow).where(DecisionRow.draft_id == draft_id)
        with self.session() as session:
            return list(session.scalars(query.order_by(DecisionRow.id)))

    def decide(self, draft_id: int, decision: Decision) -> DraftRow:
        """Apply a decision (and any edits) atomically; raise DraftConflict if stale."""
        if decision.action not in STATUS_AFTER:
            raise StorageError(f"unknown action {decision.action!r}")
        if decision.reason is not None and decision.reason not in REASONS:
            raise StorageError(f"unknown reason {decision.reason!r}; use one of {REASONS}")
        with self.session() as session, session.begin():
            row = session.get(DraftRow, draft_id, with_for_update=True)
            if row is None:
                raise StorageError(f"no draft {draft_id}")
            if decision.expected_version is not None and row.version != decision.expected_version:
                last = _last_decision(session, draft_id)
                session.expunge_all()  # keep their values readable after the rollback
                raise DraftConflict(row, last)
            changed = _apply(row, decision.fields or {})
            seen = row.version
            row.status, row.updated_at = STATUS_AFTER[decision.action], utcnow()
            row.version = seen + 1
            session.add(_decision_row(draft_id, decision, seen, changed))
            return row

    def approved(self) -> list[tuple[DraftRow, AssessmentRow, DecisionRow | None]]:
        """Approved drafts with their assessment and the approving decision, oldest first."""
        last_approval = (
            select(func.max(DecisionRow.id))
            .where(DecisionRow.draft_id == DraftRow.id, DecisionRow.action == "approve")
            .correlate(DraftRow)
            .scalar_subquery()
        )
        query = (
            select(DraftRow, AssessmentRow, DecisionRow)
            .join(AssessmentRow, AssessmentRow.id == DraftRow.assessment_id)
            .outerjoin(DecisionRow, DecisionRow.id == last_approval)
            .where(DraftRow.status == "approved")
            .order_by(DraftRow.updated_at, DraftRow.id)
        )
        with self.session() as session:
            return [(d, a, r) for d, a, r in session.execute(query)]


def _apply(row: DraftRow, fields: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set edited fields on the draft; return {field: [before, after]} for what changed."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise StorageError(f"fields that cannot be edited: {', '.join(sorted(unknown))}")
    changed: dict[str, list[Any]] = {}
    data = json.loads(row.data_json or "{}")
    for name, value in fields.items():
        if name == "status_suggestion":
            before = data.get("status_suggestion")
            if value != before:
                data["status_suggestion"] = value
                changed[name] = [before, value]
            continue
        before = getattr(row, name)
        if value != before:
            setattr(row, name, value)
            changed[name] = [before, value]
    row.data_json = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return changed


def _decision_row(
    draft_id: int, decision: Decision, version: int, changed: dict[str, list[Any]]
) -> DecisionRow:
    corrected = changed.get("primary_section", [None, None])[1]
    # moving a draft to another section is what "wrong section" means, whatever the button:
    # it is what teaches the section profiles (see monitor.relevance.feedback)
    reason = decision.reason or ("wrong-section" if corrected else None)
    return DecisionRow(
        draft_id=draft_id,
        action=decision.action,
        reason=reason,
        note=decision.note,
        corrected_section=corrected,
        reviewer=decision.reviewer,
        created_at=utcnow(),
        draft_version=version,
        data_json=json.dumps(changed, ensure_ascii=False, sort_keys=True) if changed else None,
    )


def _last_decision(session: Session, draft_id: int) -> DecisionRow | None:
    query = select(DecisionRow).where(DecisionRow.draft_id == draft_id)
    return session.scalar(query.order_by(DecisionRow.id.desc()).limit(1))
