"""Who gets email: sources.yaml's recipients merged with those admins manage in the app."""

from __future__ import annotations

from sqlalchemy import Engine

from monitor.config import Config, Recipient
from storage.recipients import Recipients, StoredRecipient


def effective_recipients(config: Config, engine: Engine) -> tuple[Recipient, ...]:
    """sources.yaml's list, with stored rows overriding (or adding, or muting) addresses."""
    stored = {r.email: r for r in Recipients(engine).all()}
    people = [
        _from_stored(stored.pop(p.email.lower())) if p.email.lower() in stored else p
        for p in config.notifications.recipients
    ]
    people += [_from_stored(r) for r in stored.values()]
    return tuple(p for p in people if p is not None)


def with_stored_recipients(config: Config, engine: Engine) -> Config:
    """``config`` with :func:`effective_recipients` in place of the file's recipients."""
    people = effective_recipients(config, engine)
    if people == config.notifications.recipients:
        return config
    notifications = config.notifications.model_copy(update={"recipients": people})
    return config.model_copy(update={"notifications": notifications})


def _from_stored(row: StoredRecipient) -> Recipient | None:
    if not row.active:
        return None
    return Recipient(
        email=row.email,
        sections=row.sections,
        immediate=row.immediate,
        digest=row.digest,
        ops=row.ops,
    )
