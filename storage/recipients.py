"""Email recipients managed by admins in the review app.

sources.yaml's ``notifications.recipients`` are the base list; a row here overrides the entry
with the same address (or adds a person). ``active: false`` stops all email to an address,
even one listed in sources.yaml. Deleting a row falls back to sources.yaml.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from storage.errors import StorageError
from storage.models import AuditRow, RecipientRow
from storage.store import utcnow


@dataclass(frozen=True, slots=True)
class StoredRecipient:
    """One person's subscriptions as stored."""

    email: str
    sections: tuple[str, ...]
    immediate: bool
    digest: bool
    ops: bool
    active: bool


class Recipients:
    """Read and change the stored recipients."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def all(self) -> list[StoredRecipient]:
        """Every stored recipient, by email."""
        with Session(self.engine) as session:
            rows = session.scalars(select(RecipientRow).order_by(RecipientRow.email))
            return [_value(row) for row in rows]

    def save(self, recipient: StoredRecipient, *, actor: str) -> None:
        """Add or replace the row for ``recipient.email``."""
        email = recipient.email.strip().lower()
        with Session(self.engine) as session, session.begin():
            row = session.scalar(select(RecipientRow).where(RecipientRow.email == email))
            if row is None:
                row = RecipientRow(email=email)
                session.add(row)
            row.sections_json = json.dumps(list(recipient.sections))
            row.immediate, row.digest = recipient.immediate, recipient.digest
            row.ops, row.active = recipient.ops, recipient.active
            row.updated_at, row.updated_by = utcnow(), actor
            _audit(session, actor, "recipient-save", email, recipient)

    def remove(self, email: str, *, actor: str) -> None:
        """Delete the stored row (sources.yaml's entry, if any, applies again)."""
        email = email.strip().lower()
        with Session(self.engine) as session, session.begin():
            gone = session.execute(delete(RecipientRow).where(RecipientRow.email == email))
            if not gone.rowcount:  # type: ignore[attr-defined]
                raise StorageError(f"no stored recipient {email}")
            _audit(session, actor, "recipient-remove", email, None)


def _value(row: RecipientRow) -> StoredRecipient:
    sections: Sequence[str] = json.loads(row.sections_json or "[]")
    return StoredRecipient(
        row.email, tuple(sections), row.immediate, row.digest, row.ops, row.active
    )


def _audit(session: Session, actor: str, action: str, email: str, value: object) -> None:
    detail = None
    if isinstance(value, StoredRecipient):
        detail = json.dumps(
            {
                "sections": list(value.sections),
                "immediate": value.immediate,
                "digest": value.digest,
                "ops": value.ops,
                "active": value.active,
            },
            sort_keys=True,
        )
    session.add(AuditRow(at=utcnow(), actor=actor, action=action, target=email, detail=detail))
