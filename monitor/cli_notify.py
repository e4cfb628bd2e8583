"""CLI commands for email: ``notify pending|send|preview|test|digest``.

Registered on the same ``cli`` group as the everyday commands (see the end of monitor/cli.py).
SMTP settings come from POLICY_MONITOR_SMTP_* environment variables (notifications/smtp.py).
Messages to chat and webhook channels (recipient ``channel:NAME``) share the outbox and these
commands; each channel's Apprise URL comes from the variable its ``url_env`` names.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from monitor.cli import Context, _errors, cli, pass_ctx
from monitor.errors import ConfigError, MonitorError, NotFoundError
from storage.accounts import EMAIL


def smtp_settings() -> Any:
    """The POLICY_MONITOR_SMTP_* settings; a wrong value is a configuration error (exit 2)."""
    from notifications.smtp import SmtpSettings

    try:
        return SmtpSettings.from_env()
    except ValueError as exc:
        raise ConfigError([str(exc)]) from None


@cli.group()
def notify() -> None:
    """Email alerts, digests and ops alerts: the outbox and its delivery."""


@notify.command("pending")
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
@pass_ctx
def notify_pending(ctx: Context, as_json: bool) -> None:
    """List queued messages (with failed attempts and the last error)."""
    with _errors():
        rows = ctx.store().outbox(status="queued")
    items = [_item(row) for row in rows]
    if as_json:
        click.echo(json.dumps(items, indent=2, default=str, ensure_ascii=False))
        return
    if not items:
        click.echo("nothing queued")
    for item in items:
        retry = (
            f", {item['attempts']} failed attempt{'' if item['attempts'] == 1 else 's'}: "
            f"{item['last_error']}"
            if item["attempts"]
            else ""
        )
        click.echo(
            f"#{item['id']:<5} {item['kind']:<7} {item['recipient']:<30} {item['subject']}{retry}"
        )


def _item(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "recipient": row.recipient,
        "subject": row.subject,
        "message_id": row.message_id,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at,
        "last_error": row.last_error,
        "created_at": row.created_at,
        "sent_at": row.sent_at,
    }


@notify.command("send")
@click.option("--loop", is_flag=True, help="Keep sending as messages come, until Ctrl-C.")
@click.option(
    "--interval",
    default=30.0,
    show_default=True,
    type=click.FloatRange(1),
    help="Seconds between drains with --loop.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per drain.")
@pass_ctx
def notify_send(ctx: Context, loop: bool, interval: float, as_json: bool) -> None:
    """Send every message that is due now (failures stay queued and are retried later)."""
    from notifications.smtp import send_due

    with _errors():
        config, store, smtp = ctx.config(), ctx.store(), smtp_settings()
        while True:
            report = send_due(
                store,
                smtp,
                config.notifications.from_address,
                channels=config.notifications.channels,
            )
            _report(report, as_json)
            if not loop:
                sys.exit(1 if report.failed else 0)
            time.sleep(interval)


def _report(report: Any, as_json: bool) -> None:
    if as_json:
        click.echo(
            json.dumps({"sent": report.sent, "failed": report.failed, "error": report.error})
        )
    elif report.sent or report.failed:
        click.echo(
            f"sent {report.sent}, failed {report.failed}"
            + (f": {report.error}" if report.error else "")
        )
    else:
        click.echo("nothing due")


@notify.command("preview")
@click.argument("message_id", type=int)
@click.option(
    "--part",
    type=click.Choice(["html", "text", "eml"]),
    default="html",
    show_default=True,
    help="The HTML part, the text part, or the whole email.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@pass_ctx
def notify_preview(ctx: Context, message_id: int, part: str, out: Path | None) -> None:
    """Render a queued or sent message, to look at it (open the HTML in a browser).

    A message to a channel has no HTML: it is shown as posted (title, blank line, text)."""
    from notifications.channels import channel_name, preview_text
    from notifications.smtp import build_message

    with _errors():
        config = ctx.config()
        rows = [r for r in ctx.store().outbox() if r.id == message_id]
        if not rows:
            raise NotFoundError(f"no message {message_id}; see 'policy-monitor notify pending'")
        row = rows[0]
        if channel_name(row.recipient) and part == "eml":
            raise MonitorError(
                f"message {message_id} goes to {row.recipient}, not by email: "
                "leave out --part eml to see its text"
            )
        body = (
            preview_text(row)
            if channel_name(row.recipient)
            else {
                "html": row.html,
                "text": row.text,
                "eml": build_message(row, config.notifications.from_address).as_string(),
            }[part]
        )
    if out is None:
        click.echo(body)
    else:
        out.write_text(body, encoding="utf-8")
        click.echo(f"wrote {out}")


@notify.command("test")
@click.argument("email")
@pass_ctx
def notify_test(ctx: Context, email: str) -> None:
    """Send a test message to EMAIL now, to check the SMTP settings.

    EMAIL may be channel:NAME, to check a channel of notifications.channels instead. Only the
    test message is sent; a failed one is reported (exit code 1) and not kept for retrying.
    """
    from monitor.alerts import test_message
    from notifications.channels import channel_name
    from notifications.smtp import SmtpSettings, send_due

    with _errors():
        config, store = ctx.config(), ctx.store(migrate=True)
        channels = config.notifications.channels
        name = channel_name(email)
        if name is not None and name not in {c.name for c in channels}:
            known = ", ".join(f"channel:{c.name}" for c in channels) or "none"
            raise MonitorError(f"no channel {name!r} in notifications.channels (known: {known})")
        if name is None and not EMAIL.match(email):
            raise click.BadParameter(f"{email!r} is not an email address (or channel:NAME)")
        # wrong SMTP settings are refused before anything is queued (not needed for a channel)
        smtp = smtp_settings() if name is None else SmtpSettings()
        message = test_message(email)
        store.enqueue([message])
        sent = False
        try:
            report = send_due(
                store,
                smtp,
                config.notifications.from_address,
                channels=channels,
                keys=[message["key"]],  # only the test: queued alerts wait for 'notify send'
            )
            sent = not report.failed
        finally:
            if not sent:  # a test is for now: never delivered later by the service's retries
                store.outbox_drop(message["key"])
    if report.failed:
        click.echo(f"test message not sent: {report.error}", err=True)
        click.echo("(it is not kept in the outbox: fix the settings and run this again)", err=True)
        sys.exit(1)
    click.echo(f"sent a test message to {email}")


@notify.command("digest")
@pass_ctx
def notify_digest(ctx: Context) -> None:
    """Queue today's digest for each recipient now (send with 'notify send')."""
    from monitor.alerts import digest_messages

    with _errors():
        queued = digest_messages(ctx.config(), ctx.store())
    click.echo(f"queued {queued} digests")
