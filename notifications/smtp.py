"""Deliver the outbox over SMTP, marking each message sent only once the server accepted it.

Settings come from environment variables only (secrets never live in sources.yaml):

=================================  ===========================================================
``POLICY_MONITOR_SMTP_HOST``       server (default ``localhost``)
``POLICY_MONITOR_SMTP_PORT``       port (default 25; 587 is usual with STARTTLS, 465 with TLS)
``POLICY_MONITOR_SMTP_SECURITY``   ``none`` (default), ``starttls`` or ``tls``
``POLICY_MONITOR_SMTP_USER``       login name (optional)
``POLICY_MONITOR_SMTP_PASSWORD``   password (optional)
``POLICY_MONITOR_SMTP_TIMEOUT``    seconds (default 30)
``POLICY_MONITOR_SMTP_CA_FILE``    PEM bundle of the CAs to trust for ``starttls`` and ``tls``
                                   instead of the system's (default: the system's CAs)
=================================  ===========================================================

The server's certificate is always verified (chain and host name); a private CA is trusted
through ``POLICY_MONITOR_SMTP_CA_FILE``, never by turning verification off.

Delivery is at least once with a stable Message-ID: if the process dies after the server
accepted a message but before it was marked sent, it is sent again with the same Message-ID,
which mail systems use to drop duplicates.

Rows whose recipient is ``channel:NAME`` are not email: :func:`send_due` hands them to
notifications/channels.py, which posts them through Apprise.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from notifications.channels import ChannelLike, ChannelSender, channel_name
from storage.store import Store


def _number(
    env: Any, name: str, default: str, low: float, high: float, kind: type[int] | type[float]
) -> float:
    """``POLICY_MONITOR_SMTP_<name>`` as a number in [low, high], or a ValueError naming it."""
    variable = f"POLICY_MONITOR_SMTP_{name}"
    raw = env.get(variable, default)
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        whole = "a whole number" if kind is int else "a number"
        raise ValueError(f"{variable} must be {whole} from {low:g} to {high:g}, not {raw!r}")
    return value


RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP server."""

    host: str = "localhost"
    port: int = 25
    security: str = "none"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None  # PEM CA bundle for TLS; None: the system's CAs

    @classmethod
    def from_env(cls, env: Any = None) -> SmtpSettings:
        """Read the POLICY_MONITOR_SMTP_* variables; ValueError names the one that is wrong."""
        env = os.environ if env is None else env
        security = env.get("POLICY_MONITOR_SMTP_SECURITY", "none").strip().lower()
        if security not in ("none", "starttls", "tls"):
            raise ValueError(
                f"POLICY_MONITOR_SMTP_SECURITY must be none, starttls or tls, not {security!r}"
            )
        ca_file = env.get("POLICY_MONITOR_SMTP_CA_FILE") or None
        if ca_file is not None and not os.path.isfile(ca_file):
            raise ValueError(f"POLICY_MONITOR_SMTP_CA_FILE: no such file {ca_file!r}")
        return cls(
            host=env.get("POLICY_MONITOR_SMTP_HOST", "localhost"),
            port=int(_number(env, "PORT", "465" if security == "tls" else "25", 1, 65535, int)),
            security=security,
            user=env.get("POLICY_MONITOR_SMTP_USER") or None,
            password=env.get("POLICY_MONITOR_SMTP_PASSWORD") or None,
            timeout=_number(env, "TIMEOUT", "30", 0.1, 3600, float),
            ca_file=ca_file,
        )

    @property
    def address(self) -> str:
        """``host:port``, for messages."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class SendReport:
    """What one drain of the outbox did."""

    sent: int
    failed: int
    error: str | None = None


def build_message(row: Any, from_address: str) -> EmailMessage:
    """The multipart/alternative email for an outbox row."""
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at.astimezone(UTC))
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    if row.kind in ("alert", "digest"):
        message["List-Unsubscribe"] = f"<mailto:{from_address}?subject=unsubscribe>"
    message.set_content(row.text)
    message.add_alternative(row.html, subtype="html")
    return message


class CaFileError(Exception):
    """POLICY_MONITOR_SMTP_CA_FILE cannot be read as a PEM bundle."""


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """A verifying client context: the system's CAs, or those of ``settings.ca_file``."""
    try:
        return ssl.create_default_context(cafile=settings.ca_file)
    except (OSError, ValueError) as exc:  # missing file, not PEM (ssl.SSLError is an OSError)
        raise CaFileError(
            f"cannot use POLICY_MONITOR_SMTP_CA_FILE={settings.ca_file}: {exc}"
        ) from exc


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    context = tls_context(settings) if settings.security != "none" else None
    if settings.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.security == "starttls":
            client.starttls(context=context)
        if settings.user:
            client.login(settings.user, settings.password or "")
    except BaseException:
        _hang_up(client)
        raise
    return client


def _hang_up(client: smtplib.SMTP) -> None:
    """Say QUIT when the session still allows it, and close the socket in any case."""
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def connect_error(settings: SmtpSettings, exc: Exception) -> str:
    """What went wrong opening a session, in words an operator can act on."""
    where = settings.address
    if isinstance(exc, CaFileError):
        return str(exc)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        reply = exc.smtp_error
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        return (
            f"the SMTP server {where} refused the login as {settings.user!r}: "
            f"{exc.smtp_code} {reply} (check POLICY_MONITOR_SMTP_USER and "
            "POLICY_MONITOR_SMTP_PASSWORD)"
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"the TLS certificate of the SMTP server {where} is not trusted: "
            f"{exc.verify_message or exc} (a private CA can be trusted with "
            "POLICY_MONITOR_SMTP_CA_FILE)"
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        hint = (
            " (servers usually offer login only after STARTTLS: "
            "POLICY_MONITOR_SMTP_SECURITY=starttls)"
            if settings.security == "none" and settings.user
            else ""
        )
        return f"the SMTP server {where} does not support what the settings ask for: {exc}{hint}"
    return f"cannot reach the SMTP server {where}: {exc}"


def send_due(
    store: Store,
    settings: SmtpSettings,
    from_address: str,
    now: datetime | None = None,
    channels: Sequence[ChannelLike] = (),
    keys: Collection[str] | None = None,
) -> SendReport:
    """Send every due message (only those with ``keys``, if given); a failure keeps it
    queued with exponential backoff.

    Rows for ``channel:NAME`` go through Apprise to the channel of that name in ``channels``
    (notifications/channels.py), the others over SMTP; the same backoff applies to both.
    """
    now = now or datetime.now(UTC)
    due = store.outbox_due(now, keys=keys)
    if not due:
        return SendReport(0, 0)
    to_channels = [row for row in due if channel_name(row.recipient)]
    emails = [row for row in due if not channel_name(row.recipient)]
    reports = []
    if emails:
        reports.append(_send_emails(store, settings, emails, from_address, now))
    if to_channels:
        reports.append(_send_to_channels(store, to_channels, channels, now))
    return SendReport(
        sum(r.sent for r in reports),
        sum(r.failed for r in reports),
        "; ".join(r.error for r in reports if r.error) or None,
    )


def _send_to_channels(
    store: Store, due: list[Any], channels: Sequence[ChannelLike], now: datetime
) -> SendReport:
    """Post channel rows through Apprise; each is marked sent only when Apprise said so."""
    sender = ChannelSender(channels)
    sent = failed = 0
    errors: dict[str, str] = {}  # the first error of each channel, for the report
    for row in due:
        problem = sender.send(row)
        if problem is not None:
            failed += 1
            errors.setdefault(row.recipient, problem)
            store.outbox_failed(row.id, problem, _retry_at(now, row.attempts))
            continue
        store.outbox_sent(row.id)
        sent += 1
    return SendReport(sent, failed, "; ".join(errors.values()) or None)


def _send_emails(
    store: Store, settings: SmtpSettings, due: list[Any], from_address: str, now: datetime
) -> SendReport:
    try:
        client = _connect(settings)
    except (OSError, smtplib.SMTPException, CaFileError) as exc:
        error = connect_error(settings, exc)
        for row in due:
            store.outbox_failed(row.id, error, _retry_at(now, row.attempts))
        return SendReport(0, len(due), error)
    return _send_all(store, client, due, from_address, now)


def _send_all(
    store: Store, client: smtplib.SMTP, due: list[Any], from_address: str, now: datetime
) -> SendReport:
    sent = failed = 0
    error = None
    with client:
        for row in due:
            try:
                client.send_message(build_message(row, from_address))
            except (OSError, smtplib.SMTPException) as exc:
                failed, error = failed + 1, f"{exc.__class__.__name__}: {exc}"
                store.outbox_failed(row.id, error, _retry_at(now, row.attempts))
                continue
            store.outbox_sent(row.id)
            sent += 1
    return SendReport(sent, failed, error)


def _retry_at(now: datetime, attempts: int) -> datetime:
    return now + min(RETRY_BASE * (2**attempts), RETRY_MAX)
