"""The ``policy-monitor`` command line: parse arguments, call the pipeline, print.

\b
Exit codes:
  0  success (for ``check``: every source was checked without error)
  1  ``check`` ran, but at least one source failed (each failure is reported); ``notify
     send`` or ``notify test`` could not deliver a message
  2  usage or configuration error (bad arguments, invalid sources.yaml, unknown source id,
     no such draft, version, user, token or message, a user that already exists)
  3  database error (unreachable, or not initialised: run 'policy-monitor init')
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import click

from monitor import __version__
from monitor.config import Config, Source, load_config
from monitor.derived import all_sources, derived_sources, find
from monitor.errors import (
    ConfigError,
    MonitorError,
    NotFoundError,
    StorageError,
)
from monitor.pipeline import Outcome, run_cycle
from storage import db
from storage.errors import RecordExists, RecordNotFound
from storage.store import Store

CONFIG_ENV = "POLICY_MONITOR_CONFIG"
EXIT_FAILED_SOURCES, EXIT_USAGE, EXIT_STORAGE = 1, 2, 3


@dataclass
class Context:
    """Options shared by every command."""

    config_path: Path
    database_url: str
    engines: list[Any] = field(default_factory=list)

    def close(self) -> None:
        """Dispose of every engine this command opened (closes pooled connections)."""
        for engine in self.engines:
            engine.dispose()

    def config(self) -> Config:
        """Load and validate sources.yaml; its problems name the file as it was given."""
        try:
            return load_config(self.config_path)
        except ConfigError as exc:
            raise ConfigError([_full_path(self.config_path, p) for p in exc.problems]) from None

    def store(self, *, migrate: bool = False) -> Store:
        """Open the database; refuse an uninitialised one unless ``migrate``."""
        if not migrate:
            db.require_existing(self.database_url)
        engine = db.make_engine(self.database_url)
        self.engines.append(engine)
        if migrate:
            db.ensure_current(engine)
        elif not db.is_current(engine):
            raise StorageError(
                f"database {_safe_url(self.database_url)} is not initialised or out of date; "
                "run 'policy-monitor init'"
            )
        return Store(engine)


def _full_path(path: Path, problem: str) -> str:
    """``problem`` naming ``path`` as given (``/etc/policy-monitor/sources.yaml: ...``).

    The loader names the file by its base name only; with several files about (``-c``, the
    environment variable, the service's file) the whole path says which one is wrong.
    """
    short = f"{path.name}:"
    if str(path) != path.name and problem.startswith(short):
        return f"{path}:{problem[len(short) :]}"
    return problem


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn known errors into one clear message and a documented exit code."""
    try:
        yield
    except ConfigError as exc:
        for line in exc.problems:
            click.echo(f"error: {line}", err=True)
        sys.exit(EXIT_USAGE)
    except (NotFoundError, RecordNotFound, RecordExists) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except StorageError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_STORAGE)
    except MonitorError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)


pass_ctx = click.make_pass_decorator(Context)
EPILOG = "\b\n" + (__doc__ or "").split("\b\n", 1)[-1].replace("``", "'")


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.version_option(__version__, prog_name="policy-monitor")
@click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get(CONFIG_ENV, "sources.yaml"),
    show_default="$POLICY_MONITOR_CONFIG, else sources.yaml",
    help="The sources file to read.",
)
@click.option(
    "--database-url",
    default=None,
    help="SQLAlchemy database URL [default: $POLICY_MONITOR_DATABASE_URL, "
    "else sqlite:///policy-monitor.db].",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path, database_url: str | None) -> None:
    """Watch public policy documents and report what changed."""
    ctx.obj = Context(config_path=config_path, database_url=db.database_url(database_url))
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="policy-monitor")


@cli.command()
@pass_ctx
def init(ctx: Context) -> None:
    """Create the database, or upgrade it to the newest schema."""
    with _errors():
        ctx.store(migrate=True)
    click.echo(f"database ready: {_safe_url(ctx.database_url)}")


# -- sources ---------------------------------------------------------------------------------


@cli.group()
def sources() -> None:
    """Validate and list the sources in sources.yaml."""


@sources.command("check")
@pass_ctx
def sources_check(ctx: Context) -> None:
    """Validate sources.yaml without fetching anything."""
    with _errors():
        config = ctx.config()
    click.echo(f"{ctx.config_path}: OK, {len(config.sources)} sources")
    if not config.sources:
        click.echo(
            "warning: no sources: nothing would be checked (and a running service refuses to "
            "reload a file with none)",
            err=True,
        )


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@pass_ctx
def sources_list(ctx: Context, as_json: bool) -> None:
    """List configured sources with their last check (if the database exists)."""
    with _errors():
        config = ctx.config()
        rows = {row.id: row for row in _try_rows(ctx)}
    parents = {source.id: source for source in config.sources}
    derived = derived_sources(parents, [r for r in rows.values() if r.origin == "derived"])
    items = [_source_item(source, rows.get(source.id)) for source in (*config.sources, *derived)]
    if as_json:
        click.echo(json.dumps(items, indent=2, default=str))
        return
    id_width = _width(item["id"] for item in items)
    kind_width = _width((item["kind"] for item in items), least=8, most=20)
    every_width = _width((item["every"] for item in items), least=10, most=20)
    for item in items:
        checked = item["last_checked_at"]
        last = f"{checked:%Y-%m-%d %H:%M:%S}" if checked else "never checked"
        status = "paused" if item["paused"] else item["last_status"] or "-"
        click.echo(
            f"{item['id']:<{id_width}} {item['kind']:<{kind_width}} "
            f"{item['every']:<{every_width}} "
            f"{status:<13} {last}"
        )


def _width(values: Iterable[str], *, least: int = 20, most: int = 60) -> int:
    """A column as wide as its longest value, within [least, most] (longer ones overflow)."""
    return max(least, min(max((len(v) for v in values), default=0), most))


@sources.command("pause")
@click.argument("source_id")
@pass_ctx
def sources_pause(ctx: Context, source_id: str) -> None:
    """Stop the scheduled checks of a source (and of what it found) until 'sources resume'."""
    _set_paused(ctx, source_id, True)


@sources.command("resume")
@click.argument("source_id")
@pass_ctx
def sources_resume(ctx: Context, source_id: str) -> None:
    """Resume the scheduled checks of a paused source."""
    _set_paused(ctx, source_id, False)


def _set_paused(ctx: Context, source_id: str, paused: bool) -> None:
    from storage.accounts import Accounts

    with _errors():
        store = ctx.store()
        if source_id not in {row.id for row in store.source_rows()}:
            raise NotFoundError(
                f"no source {source_id!r} in the database (check it once first: "
                f"'policy-monitor check {source_id}')"
            )
        store.set_paused(source_id, paused)
        action = "source-pause" if paused else "source-resume"
        Accounts(store.engine).audit("cli", action, source_id, {})
    click.echo(f"{source_id}: {'paused' if paused else 'resumed'}")


def _try_rows(ctx: Context) -> list[Any]:
    try:
        return ctx.store().source_rows()
    except StorageError:
        return []


def _source_item(source: Source, row: Any) -> dict[str, Any]:
    return {
        "id": source.id,
        "name": source.name,
        "kind": source.kind,
        "url": source.url,
        "every": str(source.schedule),
        "sections": list(source.sections),
        "tags": list(source.tags),
        "parent": source.parent,
        "relation": source.relation,
        "last_checked_at": getattr(row, "last_checked_at", None),
        "last_changed_at": getattr(row, "last_changed_at", None),
        "last_status": getattr(row, "last_status", None),
        "last_error": getattr(row, "last_error", None),
        "paused": bool(getattr(row, "paused", False)),
    }


# -- check -----------------------------------------------------------------------------------


@cli.command()
@click.argument("source_ids", nargs=-1)
@click.option("--all", "check_all", is_flag=True, help="Check every source in sources.yaml.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source per line.")
@click.option(
    "--workers",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Checks in flight at once.",
)
@pass_ctx
def check(
    ctx: Context, source_ids: tuple[str, ...], check_all: bool, as_json: bool, workers: int
) -> None:
    """Check sources once now and report what changed.

    Give SOURCE_IDS, or --all. Status per source: new (first version stored), unchanged,
    not-modified (the server said so), changed (a new version and its diff were stored) or
    error (the failed check and its reason are recorded; no version is stored).
    """
    with _errors():
        config = ctx.config()
        if source_ids and check_all:
            raise click.UsageError("give source ids or --all, not both")
        if not source_ids and not check_all:
            raise click.UsageError("give one or more source ids, or --all")
        store = ctx.store(migrate=True)
        everything = all_sources(config, store)
        chosen = everything if check_all else [find(everything, i, config) for i in source_ids]
        width = _width(source.id for source in chosen)
        outcomes = _run_with_progress(config, chosen, store, as_json, workers, width)
    if not as_json:
        _print_summary(outcomes)
    if any(o.status == "error" for o in outcomes):
        sys.exit(EXIT_FAILED_SOURCES)


def _run_with_progress(
    config: Config,
    chosen: list[Source],
    store: Store,
    as_json: bool,
    workers: int,
    width: int = 40,
) -> list[Outcome]:
    if as_json:
        return run_cycle(config, chosen, store, workers=workers, on_outcome=_print_json)
    show = sys.stderr.isatty()
    with click.progressbar(
        length=len(chosen),
        label="checking",
        file=sys.stderr,
        show_pos=True,
        hidden=not show,
    ) as bar:

        def report(outcome: Outcome) -> None:
            bar.update(1)
            if not show or outcome.status in ("changed", "error") or outcome.event:
                _print_line(outcome, width)

        return run_cycle(config, chosen, store, workers=workers, on_outcome=report)


def _print_json(outcome: Outcome) -> None:
    click.echo(json.dumps(asdict(outcome)))


def _print_line(outcome: Outcome, width: int = 40) -> None:
    detail = ""
    if outcome.status == "error":
        detail = click.style(outcome.error or "", fg="red")
    elif outcome.stats:
        s = outcome.stats
        detail = f"+{s['added']} -{s['removed']} ~{s['modified']} blocks (change {outcome.change})"
    click.echo(f"{outcome.source:<{width}} {outcome.status:<13} {detail}".rstrip())
    if outcome.event:
        click.echo(f"    {outcome.event}")


def _print_summary(outcomes: list[Outcome]) -> None:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    click.echo(f"checked {len(outcomes)} sources: {parts or 'nothing to do'}")


# -- history, diff, show ---------------------------------------------------------------------


@cli.command()
@click.argument("source_id")
@click.option("--json", "as_json", is_flag=True, help="A JSON array instead of a table.")
@pass_ctx
def history(ctx: Context, source_id: str, as_json: bool) -> None:
    """List the stored versions of a source, oldest first."""
    with _errors():
        store = ctx.store()
        find(all_sources(ctx.config(), store), source_id, ctx.config())
        snapshots = store.snapshots(source_id)
    if as_json:
        click.echo(json.dumps([asdict(s) for s in snapshots], indent=2, default=str))
        return
    if not snapshots:
        click.echo(f"{source_id}: no versions stored yet (run 'policy-monitor check {source_id}')")
    for s in snapshots:
        click.echo(f"{s.id:>6}  {s.fetched_at:%Y-%m-%d %H:%M}  {s.text_length:>7} chars  {s.title}")


@cli.command()
@click.argument("source_id")
@click.option(
    "--from", "from_id", type=int, help="Older version id [default: the one before --to]."
)
@click.option("--to", "to_id", type=int, help="Newer version id [default: the latest].")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["terminal", "html", "side-by-side", "json"]),
    default="terminal",
    show_default=True,
    help="terminal: coloured word diff; html / side-by-side: escaped HTML fragments; json.",
)
@click.option(
    "--color/--no-color", default=None, help="Colour terminal output [default: on a tty]."
)
@pass_ctx
def diff(
    ctx: Context,
    source_id: str,
    from_id: int | None,
    to_id: int | None,
    fmt: str,
    color: bool | None,
) -> None:
    """Show what changed between two versions of a source (default: the latest change)."""
    from monitor.diff import diff_documents
    from monitor.pipeline import diffable, document_at
    from monitor.render import (
        render_html_inline,
        render_html_side_by_side,
        render_json,
        render_terminal,
    )

    with _errors():
        store = ctx.store()
        config = ctx.config()
        source = find(all_sources(config, store), source_id, config)
        old, new = _pick_pair(store.snapshots(source_id), from_id, to_id)
        if old.id > new.id:
            click.echo(
                f"note: version {old.id} is newer than version {new.id}, so this diff runs "
                f"backwards (what was added shows as removed); for the usual direction use "
                f"--from {new.id} --to {old.id}",
                err=True,
            )
        changes = diff_documents(
            diffable(document_at(store, source, old)), diffable(document_at(store, source, new))
        )
    renderers = {
        "html": render_html_inline,
        "side-by-side": render_html_side_by_side,
        "json": render_json,
    }
    if fmt in renderers:
        click.echo(renderers[fmt](changes))
        return
    use_color = sys.stdout.isatty() if color is None else color
    click.echo(
        f"{source.name}: version {old.id} ({old.fetched_at:%Y-%m-%d %H:%M}) → "
        f"{new.id} ({new.fetched_at:%Y-%m-%d %H:%M})"
    )
    click.echo(render_terminal(changes, color=use_color), color=use_color)


def _pick_pair(snapshots: list[Any], from_id: int | None, to_id: int | None) -> tuple[Any, Any]:
    by_id = {s.id: i for i, s in enumerate(snapshots)}
    for wanted in (from_id, to_id):
        if wanted is not None and wanted not in by_id:
            raise NotFoundError(f"no version {wanted} of this source; see 'history'")
    if len(snapshots) < 2 and from_id is None:
        raise MonitorError("fewer than two versions stored: nothing to compare yet")
    new_index = by_id[to_id] if to_id is not None else len(snapshots) - 1
    old_index = by_id[from_id] if from_id is not None else new_index - 1
    if old_index < 0:
        raise MonitorError("that is the first version: there is nothing before it to compare")
    return snapshots[old_index], snapshots[new_index]


@cli.command()
@click.argument("source_id")
@click.option("--version", "version_id", type=int, help="Version id [default: the latest].")
@click.option("--json", "as_json", is_flag=True, help="The document as JSON.")
@click.option("--raw", is_flag=True, help="The raw body as fetched, not the extracted text.")
@pass_ctx
def show(ctx: Context, source_id: str, version_id: int | None, as_json: bool, raw: bool) -> None:
    """Print a stored version of a source as extracted text (default: the latest)."""
    from monitor.pipeline import document_at

    with _errors():
        store = ctx.store()
        config = ctx.config()
        source = find(all_sources(config, store), source_id, config)
        snapshots = store.snapshots(source_id)
        if not snapshots:
            raise MonitorError(f"{source_id}: no versions stored yet")
        chosen = (
            snapshots[-1]
            if version_id is None
            else _pick_pair(snapshots, version_id, version_id)[1]
        )
        if raw:
            sys.stdout.buffer.write(store.body(chosen.body_id))
            return
        document = document_at(store, source, chosen)
    if as_json:
        click.echo(document.to_json())
        return
    click.echo("\n".join(document.lines()))


# -- tracker ---------------------------------------------------------------------------------


@cli.group("tracker")
def tracker_group() -> None:
    """The policy tracker: its sections, statuses and update history."""


@tracker_group.command("show")
@click.argument("source_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="The parsed tracker as JSON.")
@click.option(
    "--file",
    "file_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Parse a local HTML or text file instead of a stored version.",
)
@pass_ctx
def tracker_show(
    ctx: Context, source_id: str | None, as_json: bool, file_path: Path | None
) -> None:
    """Print the parsed tracker: each section's status, previous status, and the history.

    Reads the latest stored version of SOURCE_ID (default: the only source of kind
    'tracker' in sources.yaml), or with --file a local page.
    """
    from monitor.sources.tracker import parse_tracker_body
    from monitor.tracker import format_tracker

    with _errors():
        if file_path is not None:
            if source_id:
                raise click.UsageError("give a SOURCE_ID or --file, not both")
            suffix = file_path.suffix.lower()
            content_type = "text/html" if suffix in (".html", ".htm") else ""
            parsed = parse_tracker_body(file_path.read_bytes(), content_type=content_type)
        else:
            config = ctx.config()
            if source_id:
                source = config.get(source_id)
            else:
                trackers = [s for s in config.sources if s.kind == "tracker"]
                if len(trackers) != 1:
                    found = ", ".join(s.id for s in trackers) or "none"
                    raise MonitorError(
                        f"give a SOURCE_ID: sources.yaml has {len(trackers)} sources of kind "
                        f"'tracker' ({found})"
                    )
                source = trackers[0]
            store = ctx.store()
            snapshots = store.snapshots(source.id)
            if not snapshots:
                raise MonitorError(
                    f"{source.id}: no versions stored yet (run 'policy-monitor check {source.id}')"
                )
            latest = snapshots[-1]
            parsed = parse_tracker_body(
                store.body(latest.body_id),
                content_type=latest.content_type,
                url=latest.final_url,
                select=source.select,
                ignore=source.ignore,
            )
    if as_json:
        click.echo(json.dumps(asdict(parsed), indent=2, ensure_ascii=False))
        return
    click.echo(format_tracker(parsed))


# Commands kept in their own modules register on `cli` when imported: ops (run, status, demo),
# review (assess, changes, drafts), email (notify) and the web app (users, tokens, serve).
from monitor import cli_notify, cli_review, cli_service, cli_web  # noqa: E402, F401
