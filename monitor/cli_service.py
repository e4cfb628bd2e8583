"""CLI commands for ops: ``run`` (the service) and ``status`` (a one-screen summary).

Kept apart from monitor/cli.py so the everyday commands stay short; registered on the same
``cli`` group (see the import at the end of monitor/cli.py).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from monitor.cli import Context, _errors, cli, pass_ctx
from monitor.errors import ConfigError

#: Fields a log call may pass with ``extra=`` that JSON lines carry as their own keys (a check:
#: source, outcome, duration_ms, error), so a log shipper need not parse the message.
STRUCTURED = ("source", "outcome", "duration_ms", "error")


class JsonFormatter(logging.Formatter):
    """One JSON object per log line (for log shippers)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {f: getattr(record, f) for f in STRUCTURED if hasattr(record, f)}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(fmt: str, level: str) -> None:
    """Human-readable lines by default; JSON lines with ``--log-format json``."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("waitress").setLevel(logging.WARNING)


@cli.command()
@click.option(
    "--web/--no-web",
    default=True,
    show_default=True,
    help="Serve the review app, /healthz and /metrics from this process.",
)
@click.option(
    "--email/--no-email",
    default=True,
    show_default=True,
    help="Send queued email from this process (else run 'notify send --loop' elsewhere).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address for --web.")
@click.option(
    "--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port for --web."
)
@click.option(
    "--workers",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Checks running at once.",
)
@click.option(
    "--stop-timeout",
    default=30.0,
    show_default=True,
    type=float,
    help="Seconds to let running checks finish on SIGTERM.",
)
@click.option(
    "--watch-interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="Seconds between looks at sources.yaml for changes (0: reload on SIGHUP only).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines as text or as JSON objects.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
    help="Least important messages logged.",
)
@pass_ctx
def run(
    ctx: Context,
    web: bool,
    email: bool,
    host: str,
    port: int,
    workers: int,
    stop_timeout: float,
    watch_interval: float,
    log_format: str,
    log_level: str,
) -> None:
    """Run the scheduler as a service until SIGTERM or Ctrl-C.

    Checks every source on its own schedule, serves the review app (with /healthz and
    /metrics), sends queued email, reloads sources.yaml when it changes or on SIGHUP, and waits
    as a standby if another scheduler already runs against the same database.
    """
    from monitor.cli_notify import smtp_settings
    from monitor.runner import RunOptions, run_service

    configure_logging(log_format, log_level)
    with _errors():
        ctx.config()  # refuse to start on an invalid sources.yaml
        if email:
            smtp_settings()  # refuse to start on wrong POLICY_MONITOR_SMTP_* values
        store = ctx.store(migrate=True)
        options = RunOptions(
            config_path=Path(ctx.config_path),
            web=web,
            email=email,
            host=host,
            port=port,
            workers=workers,
            stop_timeout=stop_timeout,
            watch_every=watch_interval,
        )
        sys.exit(run_service(store, options))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="The summary as one JSON object.")
@pass_ctx
def status(ctx: Context, as_json: bool) -> None:
    """A one-screen summary for ops: sources due, never checked, paused and failing, stored
    counts, drafts waiting for review, the email outbox and the last check.

    Exit code 2 (after the summary) when sources.yaml is invalid.
    """
    problems: list[str] = []
    with _errors():
        try:
            config = ctx.config()
        except ConfigError as exc:  # exactly when ops look: show the rest, then exit 2
            problems, config = exc.problems, None
        store = ctx.store()
        rows = {row.id: row for row in store.source_rows()}
        summary = _summary(config, rows, store.counts())
        summary["email"] = store.outbox_counts()
        summary["drafts"] = store.counts_by_status()
        summary["config_problems"] = problems
    if as_json:
        click.echo(json.dumps(summary, indent=2, default=str))
    else:
        _print_status(summary)
    if problems:
        sys.exit(2)


def _summary(config: Any, rows: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    """``config`` None (an invalid sources.yaml): the sources the database knows stand in."""
    now = datetime.now(UTC)
    due, failing, never = [], [], []
    paused = sorted(r.id for r in rows.values() if getattr(r, "paused", False))
    sources = config.sources if config is not None else []
    for source in sources:
        row = rows.get(source.id)
        last = getattr(row, "last_checked_at", None)
        if source.id in paused:
            pass
        elif last is None:
            never.append(source.id)
        elif source.schedule.interval and last + source.schedule.interval <= now:
            due.append(source.id)
    ids = [s.id for s in sources] if config is not None else sorted(rows)
    for source_id in ids:
        row = rows.get(source_id)
        if row is not None and (row.consecutive_failures or 0) > 0:
            failing.append(
                {"source": source_id, "failures": row.consecutive_failures, "error": row.last_error}
            )
    checked = [r.last_checked_at for r in rows.values() if r.last_checked_at]
    return {
        "sources": len(sources) if config is not None else None,
        "never_checked": never,
        "due": due,
        "paused": paused,
        "failing": failing,
        "last_check": max(checked) if checked else None,
        "counts": counts,
    }


def _print_status(summary: dict[str, Any]) -> None:
    for problem in summary["config_problems"]:
        click.echo(click.style(f"sources.yaml is invalid: {problem}", fg="red"))
    if summary["config_problems"]:
        click.echo("(a running service keeps the schedule it last loaded; showing the database)")
    last = summary["last_check"]
    ago = f"{_ago(datetime.now(UTC) - last)} ago" if last else "never"
    configured = summary["sources"] if summary["sources"] is not None else "?"
    click.echo(f"sources: {configured}   last check: {ago}")
    counts = summary["counts"]
    click.echo(
        f"stored: {counts['checks']} checks, {counts['snapshots']} versions, "
        f"{counts['changes']} changes"
    )
    drafts, email = summary["drafts"], summary["email"]
    click.echo(
        f"drafts: {drafts.get('pending', 0)} pending review   email: {email['queued']} queued"
        + (f" ({email['failing']} after failed attempts)" if email["failing"] else "")
        + f", {email['sent']} sent"
    )
    click.echo(
        f"due now: {len(summary['due'])}   never checked: {len(summary['never_checked'])}"
        + (f"   paused: {', '.join(summary['paused'])}" if summary["paused"] else "")
    )
    if not summary["failing"]:
        click.echo("failing: none")
    for item in summary["failing"]:
        click.echo(
            click.style(
                f"failing: {item['source']} ({item['failures']} in a row): {item['error']}",
                fg="red",
            )
        )


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@cli.command()
@click.option(
    "--interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds between checks; pages move on every two intervals.",
)
@click.option(
    "--duration",
    type=click.FloatRange(1),
    default=None,
    help="Stop after this many seconds [default: run until Ctrl-C].",
)
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the demo's database and sources.yaml here [default: a new temp folder].",
)
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port for the review app (0 picks a free one).",
)
@click.option("--until-done", is_flag=True, help="Stop once every recorded version has been shown.")
def demo(
    interval: float, duration: float | None, folder: Path | None, port: int, until_done: bool
) -> None:
    """Show the whole product offline: replayed pages, checks, diffs, drafts, email, review app.

    Starts a local server that replays recorded GOV.UK, Parliament and feed responses and
    moves them to their next recorded version every few seconds, checks them on a schedule
    with a SQLite database in a temporary folder, and prints every change with its diff.
    Email alerts go to a local SMTP server that prints and saves them; the review app is
    served with a demo login printed on the terminal. Needs no internet and touches nothing
    outside its folder.
    """
    from monitor.demo import run_demo

    configure_logging("text", "warning")
    with _errors():
        run_demo(
            interval=interval,
            duration=duration,
            folder=folder,
            port=port,
            echo=click.echo,
            until_done=until_done,
        )
