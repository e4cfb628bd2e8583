"""Notify stage: decide which emails a check causes (queued in the check's own transaction).

* an **immediate alert** for a relevant change whose score reaches
  ``notifications.alert_min_score``, to everyone following its primary section;
* an **ops alert** when a source fails ``failure_threshold`` times in a row (once), and
  once more when it recovers.

An alert's link to its draft carries :data:`storage.store.DRAFT_ID_TOKEN` where the draft id
goes; the store replaces it with the id when it writes the draft and the message together.

Each message gets an idempotency key and a Message-ID derived from it, so deciding twice (a
retried batch) queues it once, and a resend after a crash carries the same Message-ID.
Digests are built separately, on their schedule (:func:`digest_messages`).

Chat and webhook channels (``notifications.channels``) get the same alerts, ops alerts and
digests as people, by the same rules (sections, immediate, digest, ops), queued in the same
outbox and transaction: recipient ``channel:NAME``, the same key with ``channel:NAME`` in
place of the address, and a short text instead of the email (notifications/channels.py).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from monitor.config import Channel, Config, Recipient, Source
from notifications import channels as chat
from notifications.render import AlertItem, Rendered, render_alert, render_digest, render_ops
from storage.store import DRAFT_ID_TOKEN, CheckRecord, SourceState, Store


def message_id(key: str) -> str:
    """A stable Message-ID for an idempotency key."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@policy-monitor>"


def _message(key: str, kind: str, recipient: str, rendered: Rendered) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "recipient": recipient,
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
        "message_id": message_id(key),
    }


def check_messages(
    config: Config, source: Source, state: SourceState, record: CheckRecord
) -> tuple[dict[str, Any], ...]:
    """Every email this check's outcome calls for."""
    return (*_alerts(config, source, record), *_ops(config, source, state, record))


def _alerts(config: Config, source: Source, record: CheckRecord) -> list[dict[str, Any]]:
    settings = config.notifications
    assessment, draft = record.assessment or {}, record.draft
    if draft is None or float(assessment.get("score", 0)) < settings.alert_min_score:
        return []
    section = (assessment.get("sections") or [None])[0]
    people = [r for r in settings.recipients if r.immediate and r.wants(section)]
    channels = [c for c in settings.channels if c.immediate and c.wants(section)]
    if not people and not channels:
        return []
    item = _item(config, source, record, draft, assessment)
    key = f"alert:{source.id}:{record.content_hash}"
    messages = []
    if people:
        rendered = render_alert(item)
        messages += [_message(f"{key}:{p.email}", "alert", p.email, rendered) for p in people]
    if channels:
        short = chat.render_alert_text(item)
        messages += [_to_channel(key, "alert", c, short) for c in channels]
    return messages


def _to_channel(key: str, kind: str, channel: Channel, rendered: Rendered) -> dict[str, Any]:
    """The outbox row of a message to a channel: recipient and key end in ``channel:NAME``."""
    to = chat.recipient(channel.name)
    return _message(f"{key}:{to}", kind, to, rendered)


def _item(
    config: Config,
    source: Source,
    record: CheckRecord,
    draft: dict[str, Any],
    assessment: dict[str, Any],
) -> AlertItem:
    titles = draft.get("sections") or assessment.get("sections") or ["Policy tracker"]
    return AlertItem(
        source_id=source.id,
        source_name=source.name,
        url=source.url,
        section_title=str(titles[0]),
        event=_event(draft, assessment),
        history_line=str(draft.get("history_line", "")),
        paragraph=str(draft.get("paragraph", "")),
        diff_json=record.change.diff_json if record.change else None,
        score=float(assessment.get("score", 0)),
        # the draft is inserted with this check; storage puts its id in place of the token
        review_url=_review_link(config.notifications.review_url, DRAFT_ID_TOKEN),
        detected_at=record.started_at,
    )


def _review_link(template: str | None, draft_id: int | str) -> str | None:
    """The draft's page in the review app: ``{id}`` in the template becomes ``draft_id``.

    ``draft_id`` is the draft's id, or :data:`DRAFT_ID_TOKEN` while the draft is not written
    yet (an alert is decided before its draft row exists). A template without ``{id}`` is
    used as it is (a link to the review app's queue).
    """
    if not template:
        return None
    return template.replace("{id}", str(draft_id))


def _event(draft: dict[str, Any], assessment: dict[str, Any]) -> str:
    """The event in the subject, taken from the drafted history line ("... following X.")."""
    line = str(draft.get("history_line", ""))
    _, _, event = line.partition(" following ")
    kind = str(assessment.get("kind", "change")).replace("-", " ").capitalize()
    return f"{kind}: {event.rstrip('.')}" if event else kind


def _ops(
    config: Config, source: Source, state: SourceState, record: CheckRecord
) -> list[dict[str, Any]]:
    settings = config.notifications
    threshold = settings.failure_threshold
    before = state.consecutive_failures
    failing = record.status == "error" and before + 1 == threshold
    recovered = record.status != "error" and before >= threshold
    people = [r for r in settings.recipients if r.ops]
    channels = [c for c in settings.channels if c.ops]
    if not (failing or recovered) or not (people or channels):
        return []
    failures = before + 1 if failing else before
    about = (source.name, source.id, source.url, failures, record.error, recovered)
    kind = "recovered" if recovered else "failing"
    key = f"ops:{kind}:{source.id}:{record.started_at.isoformat()}"
    messages = []
    if people:
        rendered = render_ops(*about)
        messages += [_message(f"{key}:{p.email}", "ops", p.email, rendered) for p in people]
    if channels:
        short = chat.render_ops_text(*about)
        messages += [_to_channel(key, "ops", c, short) for c in channels]
    return messages


def digest_messages(config: Config, store: Store, now: datetime | None = None) -> int:
    """Queue today's digest for everyone who takes one; return how many were queued."""
    from monitor.recipients import effective_recipients

    now = now or datetime.now(UTC)
    queued = 0
    takers: list[Recipient | Channel] = [
        *(r for r in effective_recipients(config, store.engine) if r.digest),
        *(c for c in config.notifications.channels if c.digest),
    ]
    for taker in takers:
        message = _digest(config, store, taker, now)
        if message is not None:
            queued += store.enqueue([message])
    return queued


def _digest(
    config: Config, store: Store, taker: Recipient | Channel, now: datetime
) -> dict[str, Any] | None:
    to = taker.email if isinstance(taker, Recipient) else chat.recipient(taker.name)
    since = store.last_digest(to)
    rows = [(d, a) for d, a in store.relevant_since(since) if taker.wants(d.primary_section)]
    review = [_digest_item(config, d, a) for d, a in rows if d.status == "pending"]
    info = [_digest_item(config, d, a) for d, a in rows if d.status != "pending"]
    if not review and not info and not config.notifications.digest_when_empty:
        return None
    render = render_digest if isinstance(taker, Recipient) else chat.render_digest_text
    rendered = render(review, info, since=since or now, until=now)
    return _message(f"digest:{now:%Y-%m-%d}:{to}", "digest", to, rendered)


def _digest_item(config: Config, draft: Any, assessment: Any) -> AlertItem:
    data = json.loads(draft.data_json)
    titles = data.get("sections") or [draft.primary_section or "Policy tracker"]
    review = config.notifications.review_url
    return AlertItem(
        source_id=draft.source_id,
        source_name=draft.source_id,
        url=data.get("url", ""),
        section_title=str(titles[0]),
        event=_event({"history_line": draft.history_line}, {"kind": assessment.kind}),
        history_line=draft.history_line,
        paragraph=draft.paragraph,
        diff_json=None,
        score=draft.score,
        review_url=_review_link(review, draft.id),
        detected_at=draft.created_at,
    )


def test_message(email: str) -> dict[str, Any]:
    """A one-off message to check the SMTP settings (or a channel's, for ``channel:NAME``)."""
    now = datetime.now(UTC)
    if chat.channel_name(email):
        return _message(
            f"test:{now.isoformat()}:{email}", "test", email, chat.render_test_text(now)
        )
    text = f"This is a test message from policy-monitor, sent {now:%d %B %Y %H:%M} UTC."
    html = f"<!doctype html><html><body><p>{text}</p></body></html>"
    return _message(
        f"test:{now.isoformat()}:{email}",
        "test",
        email,
        Rendered(subject="policy-monitor test message", text=text, html=html),
    )
