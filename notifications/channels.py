"""Chat and webhook channels (Slack, Teams, Discord, a webhook ...) through Apprise.

A channel is configured under ``notifications.channels`` in sources.yaml with the *name* of an
environment variable that holds its Apprise URL (``slack://...``, ``msteams://...``,
``jsons://host/path`` ...): the URL carries the channel's secret, so it never lives in the file.

Channel messages go through the same outbox as email: their recipient is ``channel:NAME``,
their idempotency key is the email's with ``channel:NAME`` in place of the address, and they are
written in the same transaction as the check that caused them. This module renders their short
text (the title is the email's subject) and delivers one outbox row through Apprise; the
bookkeeping (sent, or failed and retried with backoff) is the sender's
(:func:`notifications.smtp.send_due`).

Apprise is imported only when a channel message is sent, so email-only installs never load it.
Delivery is at least once: a webhook has no Message-ID, so a crash between the channel
accepting a message and the row being marked sent means it is posted again on the next drain.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from notifications.render import (
    MAX_ERROR_CHARS,
    NO_SECTION,
    PRODUCT,
    AlertItem,
    Rendered,
    clean_text,
    diff_excerpt,
    one_line,
    render_alert,
    render_digest,
    render_ops,
    safe_url,
)

PREFIX = "channel:"
_RECIPIENT = re.compile(r"^channel:(?P<name>[a-z0-9][a-z0-9-]*)$")
#: Lines of diff excerpt in a channel alert.
EXCERPT_LINES = 6
#: Items listed per part of a channel digest before "... and N more".
DIGEST_ITEMS = 20
#: Characters of an ops error in a channel message.
ERROR_CHARS = min(500, MAX_ERROR_CHARS)


class ChannelLike(Protocol):
    """What delivery needs of a configured channel (monitor.config.Channel)."""

    @property
    def name(self) -> str: ...

    @property
    def url_env(self) -> str: ...


def recipient(name: str) -> str:
    """The outbox recipient of a channel: ``channel:NAME``."""
    return f"{PREFIX}{name}"


def channel_name(outbox_recipient: str) -> str | None:
    """The channel an outbox row goes to, or None for an email address."""
    match = _RECIPIENT.match(outbox_recipient)
    return match.group("name") if match else None


# --- rendering -----------------------------------------------------------------------------------


def _text(lines: Iterable[str]) -> str:
    return "\n".join(lines).strip() + "\n"


def _as_channel(subject: str, lines: Iterable[str]) -> Rendered:
    """A channel message: no HTML part (the outbox column stays empty)."""
    return Rendered(subject=subject, text=_text(lines), html="")


def _source_line(item: AlertItem) -> str:
    name = one_line(item.source_name) or one_line(item.source_id)
    link = safe_url(item.url)
    return f"Source: {name} {link}" if link else f"Source: {name}"


def render_alert_text(item: AlertItem) -> Rendered:
    """An immediate alert as a short text: history line, diff excerpt, source, review link."""
    subject = render_alert(item).subject
    history = one_line(item.history_line)
    excerpt, _ = diff_excerpt(item.diff_json, max_lines=EXCERPT_LINES)
    lines: list[str] = []
    if history:
        lines += [history, ""]
    if excerpt:
        lines += ["What changed ({+added+} [-removed-]):", excerpt, ""]
    lines.append(_source_line(item))
    if review := safe_url(item.review_url):
        lines.append(f"Review this draft: {review}")
    return _as_channel(subject, lines)


def render_ops_text(
    source_name: str,
    source_id: str,
    url: str,
    failures: int,
    error: str | None,
    recovered: bool,
) -> Rendered:
    """An ops alert (failing or recovered source) as a short text."""
    subject = render_ops(source_name, source_id, url, failures, error, recovered).subject
    checks = f"{failures} check{'' if failures == 1 else 's'} in a row"
    summary = (
        f"The last check succeeded, after {checks} failed."
        if recovered
        else f"The source has failed {checks}; one more message follows when it recovers."
    )
    detail = one_line(clean_text(error or "")) or "No error message was recorded."
    if len(detail) > ERROR_CHARS:
        detail = detail[: ERROR_CHARS - 1].rstrip() + "…"
    name = one_line(source_name) or one_line(source_id)
    link = safe_url(url)
    return _as_channel(
        subject,
        [
            summary,
            "",
            f"{'Last error before it recovered' if recovered else 'Last error'}: {detail}",
            f"Source: {name} (id: {one_line(source_id)}){f' {link}' if link else ''}",
        ],
    )


def render_digest_text(
    needs_review: list[AlertItem],
    for_information: list[AlertItem],
    *,
    since: datetime,
    until: datetime,
) -> Rendered:
    """The daily digest as a short text: one line per change, grouped by part and section."""
    subject = render_digest(needs_review, for_information, since=since, until=until).subject
    order = list(dict.fromkeys(_section(i) for i in (*needs_review, *for_information)))
    lines: list[str] = []
    for title, items in (("Needs review", needs_review), ("For information", for_information)):
        if not items:
            continue
        lines += ["", f"{title} ({len(items)}):"]
        current = None
        for item in sorted(items, key=lambda i: order.index(_section(i)))[:DIGEST_ITEMS]:
            if (section := _section(item)) != current:
                lines.append(f"{section}:")
                current = section
            event = one_line(item.event) or f"Change on {one_line(item.source_name)}"
            review = safe_url(item.review_url)
            lines.append(f"• {event}" + (f" {review}" if review else ""))
        if len(items) > DIGEST_ITEMS:
            lines.append(f"… and {len(items) - DIGEST_ITEMS} more")
    if not lines:
        lines = ["Nothing relevant since the last digest."]
    return _as_channel(subject, lines)


def _section(item: AlertItem) -> str:
    return one_line(item.section_title) or NO_SECTION


def render_test_text(when: datetime) -> Rendered:
    """A one-off message to check a channel's URL."""
    return _as_channel(
        f"{PRODUCT} test message",
        [f"This is a test message from {PRODUCT}, sent {when:%d %B %Y %H:%M} UTC."],
    )


def preview_text(row: Any) -> str:
    """A channel row as it is posted: the title, a blank line, the body."""
    return f"{row.subject}\n\n{row.text}"


# --- delivery ------------------------------------------------------------------------------------


_LOAD_LOCK = threading.Lock()
_apprise: Any = None


def _load_apprise() -> Any:
    """Import apprise and load its plugins, once.

    Apprise's PGP helper imports the standard library's ``imghdr`` (for PGPy), which Python
    3.11 and 3.12 deprecate; nothing here uses it. That one warning is silenced while the
    plugins load (under a lock, once per process); any other warning goes through as usual.
    """
    global _apprise
    with _LOAD_LOCK:
        if _apprise is None:
            with warnings.catch_warnings():
                warnings.filterwarnings(
                    "ignore", message="'imghdr' is deprecated", category=DeprecationWarning
                )
                import apprise

                apprise.NotificationManager().load_modules()
            _apprise = apprise
    return _apprise


@dataclass
class _Target:
    """One channel during a drain: its Apprise object, or why it cannot be used."""

    service: Any = None
    problem: str | None = None


class ChannelSender:
    """Post outbox rows to their channels; one instance per drain of the outbox.

    :meth:`send` returns None when Apprise reported success, else the error to record on the
    row. Once a channel fails in a drain, its later rows are not tried in that drain (they
    get the same error and retry together), so messages keep their order and a channel that is
    down costs one timeout, not one per message.
    """

    def __init__(self, channels: Sequence[ChannelLike], env: Mapping[str, str] | None = None):
        self._channels = {c.name: c for c in channels}
        self._env = os.environ if env is None else env
        self._targets: dict[str, _Target] = {}

    def send(self, row: Any) -> str | None:
        """Deliver one ``channel:NAME`` row; None on success, else what went wrong."""
        name = channel_name(row.recipient) or row.recipient
        target = self._targets.get(name)
        if target is None:
            target = self._targets[name] = self._target(name)
        if target.problem is not None:
            return target.problem
        problem = self._notify(name, target.service, row)
        if problem is not None:
            target.problem = f"{problem} (not tried again in this drain)"
        return problem

    def _target(self, name: str) -> _Target:
        channel = self._channels.get(name)
        if channel is None:
            return _Target(
                problem=f"channel {name!r} is not in notifications.channels of sources.yaml "
                "(kept queued until it is configured again)"
            )
        url = (self._env.get(channel.url_env) or "").strip()
        if not url:
            return _Target(
                problem=f"channel {name!r}: the environment variable {channel.url_env} is not "
                "set (it must hold the channel's Apprise URL, e.g. slack://... or jsons://...)"
            )
        apprise = _load_apprise()
        service = apprise.Apprise(asset=apprise.AppriseAsset(storage_mode="memory"))
        if not service.add(url):  # the URL is a secret: never repeat it
            return _Target(
                problem=f"channel {name!r}: {channel.url_env} does not hold an Apprise URL that "
                "Apprise can use (check its scheme and form, e.g. slack://TOKEN_A/TOKEN_B/"
                "TOKEN_C or jsons://host/path)"
            )
        if len(service) != 1:  # a partial success would be retried, and post twice
            return _Target(
                problem=f"channel {name!r}: {channel.url_env} holds {len(service)} Apprise URLs; "
                "give each its own channel (one URL per variable)"
            )
        return _Target(service=service)

    def _notify(self, name: str, service: Any, row: Any) -> str | None:
        apprise = _load_apprise()
        try:
            result = service.notify(
                title=row.subject, body=row.text, body_format=apprise.NotifyFormat.TEXT
            )
        except Exception as exc:  # any failure inside Apprise or a plugin is a failed attempt
            return f"channel {name!r}: {exc.__class__.__name__}: {exc}"
        if result:
            return None
        return f"channel {name!r}: {_failure(result)}"


def _failure(result: Any) -> str:
    """Apprise's own words for a failed notify (its warnings and errors), or a generic line."""
    logs = getattr(result, "logs", None)
    words = []
    if callable(logs):
        words = [
            one_line(entry.message)
            for entry in logs()
            if str(getattr(entry, "level", "")).upper() in ("WARNING", "ERROR", "CRITICAL")
        ]
    found = "; ".join(dict.fromkeys(w for w in words if w))
    return found or "Apprise reported that the notification was not delivered"
