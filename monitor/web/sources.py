"""Sources: every source with its state, one source's checks and versions, and diffs.

A diff between any two stored versions re-extracts both from their raw bodies (as
``policy-monitor diff --from --to`` does) and renders them with :mod:`monitor.render`, which
escapes every piece of page text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from flask import Blueprint, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from monitor.config import Config, Schedule, Source
from monitor.errors import MonitorError
from monitor.web.approved import web_link
from monitor.web.auth import requires
from storage.errors import StorageError
from storage.models import SourceRow
from storage.store import SnapshotInfo

bp = Blueprint("sources", __name__, url_prefix="/sources")
CHECKS_SHOWN = 50
_FALLBACK_SCHEDULE = "1d"  # only to build a Source for a row that sources.yaml no longer has
# what people read instead of the kind and status slugs of sources.yaml and the checks table
SOURCE_KIND_LABELS = {
    "html": "Web page",
    "govuk": "GOV.UK page",
    "parliament-bill": "Parliament bill",
    "govuk-search": "GOV.UK search",
    "feed": "News feed",
    "tracker": "Policy tracker",
    "pdf": "PDF document",
}
CHECK_STATUS_LABELS = {
    "new": "First version",
    "changed": "Changed",
    "unchanged": "No change",
    "not-modified": "No change",
    "error": "Failed",
}
_UNIT_NAMES = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}
_INTERVAL = re.compile(r"^(\d+)([smhdw])$")


def source_kind_label(kind: str) -> str:
    """A source kind in words ("GOV.UK page")."""
    return SOURCE_KIND_LABELS.get(kind, kind.replace("-", " ").capitalize())


def check_status_label(status: str) -> str:
    """A check's result in words ("No change" for unchanged and not-modified alike)."""
    return CHECK_STATUS_LABELS.get(status, status.replace("-", " ").capitalize())


def schedule_text(schedule: str) -> str:
    """``6h`` → "every 6 hours", ``1d`` → "every day"; a cron line stays as written."""
    match = _INTERVAL.match(schedule)
    if not match:
        return f"timetable {schedule}" if len(schedule.split()) == 5 else schedule
    amount, unit = int(match.group(1)), _UNIT_NAMES[match.group(2)]
    return f"every {unit}" if amount == 1 else f"every {amount} {unit}s"


@dataclass(frozen=True)
class SourceView:
    """A source as the listing shows it: configuration and stored state together."""

    id: str
    name: str
    kind: str
    url: str
    link: str | None
    schedule: str
    origin: str  # "config", "derived" or "removed" (stored, no longer in sources.yaml)
    parent: str | None
    relation: str | None
    sections: tuple[str, ...]
    last_checked_at: datetime | None
    last_changed_at: datetime | None
    last_status: str | None
    last_error: str | None
    consecutive_failures: int
    paused: bool = False


def _view(source: Source | None, row: SourceRow | None) -> SourceView:
    """Join a configured (or derived) Source with its stored row; either may be missing."""
    if source is None:
        assert row is not None
        return SourceView(
            id=row.id,
            name=row.name,
            kind=row.kind,
            url=row.url,
            link=web_link(row.url),
            schedule="not scheduled",
            origin="removed",
            parent=row.parent_id,
            relation=row.relation,
            sections=(),
            **_state(row),
        )
    return SourceView(
        id=source.id,
        name=source.name,
        kind=source.kind,
        url=source.url,
        link=web_link(source.url),
        schedule=str(source.schedule),
        origin="config" if source.parent is None else "derived",
        parent=source.parent,
        relation=source.relation,
        sections=source.sections,
        **_state(row),
    )


def _state(row: SourceRow | None) -> dict[str, Any]:
    """What the last checks left on the source row (nothing before the first check)."""
    return {
        "last_checked_at": row.last_checked_at if row else None,
        "last_changed_at": row.last_changed_at if row else None,
        "last_status": row.last_status if row else None,
        "last_error": row.last_error if row else None,
        "consecutive_failures": (row.consecutive_failures or 0) if row else 0,
        "paused": bool(row.paused) if row else False,
    }


def all_views() -> list[SourceView]:
    """Configured sources (in sources.yaml order), derived ones, then stored leftovers."""
    from monitor.derived import all_sources
    from monitor.web.app import web

    context = web()
    rows = {row.id: row for row in context.store.source_rows()}
    sources = all_sources(context.config(), context.store)
    views = [_view(source, rows.pop(source.id, None)) for source in sources]
    return views + [_view(None, row) for row in rows.values()]


@bp.route("/")
@requires("viewer")
def index() -> str:
    """Every source with kind, schedule and its last check, change, status and error."""
    views = all_views()
    failing = sum(1 for v in views if v.last_status == "error")
    return render_template("sources.html", sources=views, failing=failing)


def _find(source_id: str) -> tuple[SourceView, Source | None]:
    """The source's view and its Source (None when sources.yaml no longer has it); or 404."""
    from monitor.derived import all_sources
    from monitor.web.app import web

    context = web()
    rows = {row.id: row for row in context.store.source_rows()}
    found = next(
        (s for s in all_sources(context.config(), context.store) if s.id == source_id), None
    )
    row = rows.get(source_id)
    if found is None and row is None:
        _not_found(f"There is no source {source_id!r}.")
    return _view(found, row), found


class _NotFound(Exception):
    code = 404

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _BadRequest(_NotFound):
    code = 400


def _not_found(message: str) -> NoReturn:
    raise _NotFound(message)


@bp.errorhandler(_NotFound)
def _not_found_page(error: _NotFound) -> tuple[str, int]:
    title = "Cannot compare these versions" if isinstance(error, _BadRequest) else None
    page = render_template("error.html", code=error.code, message=error.message, title=title)
    return page, error.code


@bp.route("/<source_id>")
@requires("viewer")
def source(source_id: str) -> str:
    """One source: its details, recent checks and version history, and a form to compare."""
    from monitor.web.app import web

    view, _ = _find(source_id)
    store = web().store
    versions = list(reversed(store.snapshots(source_id)))  # newest first
    return render_template(
        "source.html",
        source=view,
        checks=store.checks(source_id, limit=CHECKS_SHOWN),
        versions=versions,
        default_from=versions[1].id if len(versions) > 1 else None,
        default_to=versions[0].id if versions else None,
        previous={newer.id: older.id for newer, older in zip(versions, versions[1:], strict=False)},
    )


@bp.route("/<source_id>/pause", methods=["POST"])
@requires("admin")
def pause(source_id: str) -> Response:
    """Pause or resume the scheduled checks of a source (form field ``paused``: yes/no)."""
    from monitor.web.app import web
    from monitor.web.auth import current_user

    view, _ = _find(source_id)
    paused = request.form.get("paused") == "yes"
    context = web()
    try:
        context.store.set_paused(source_id, paused)
    except StorageError as error:
        flash(str(error), "error")
        return redirect(url_for("sources.source", source_id=source_id))
    user = current_user()
    actor = user.email if user else "?"
    context.accounts.audit(actor, "source-pause" if paused else "source-resume", source_id, {})
    verb = "Paused the scheduled checks of" if paused else "Resumed the scheduled checks of"
    flash(f"{verb} {view.name}.", "success")
    return redirect(url_for("sources.source", source_id=source_id))


@bp.route("/<source_id>/diff")
@requires("viewer")
def diff(source_id: str) -> str:
    """What changed between versions ``from`` and ``to`` (default: the latest change)."""
    from monitor.web.app import web

    view, watched = _find(source_id)
    context = web()
    versions = context.store.snapshots(source_id)
    old, new = _pick(versions, request.args.get("from"), request.args.get("to"))
    inline = side_by_side = None
    stats: dict[str, int] = {}
    problem = None
    try:
        changes = _changes(context.store, context.config(), view, watched, old, new)
    except MonitorError as error:
        problem = f"These versions cannot be compared: {error}"
    else:
        from monitor.render import render_html_inline, render_html_side_by_side

        # both renderers escape every piece of page text (see monitor.render)
        inline = Markup(render_html_inline(changes))
        side_by_side = Markup(render_html_side_by_side(changes))
        stats = changes.stats()
    return render_template(
        "source_diff.html",
        source=view,
        old=old,
        new=new,
        versions=list(reversed(versions)),
        inline=inline,
        side_by_side=side_by_side,
        stats=stats,
        problem=problem,
    )


def _version_id(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not re.fullmatch(r"[0-9]{1,10}", value.strip()):  # isdigit() takes '²', int() not
        raise _BadRequest(f"{value!r} is not a version number: choose versions from the list.")
    return int(value)


def _pick(
    versions: list[SnapshotInfo], from_arg: str | None, to_arg: str | None
) -> tuple[SnapshotInfo, SnapshotInfo]:
    """The two versions to compare; by default the latest one and the one before it."""
    by_id = {v.id: i for i, v in enumerate(versions)}
    from_id, to_id = _version_id(from_arg), _version_id(to_arg)
    for wanted in (from_id, to_id):
        if wanted is not None and wanted not in by_id:
            _not_found(f"This source has no version {wanted}.")
    new_index = by_id[to_id] if to_id is not None else len(versions) - 1
    old_index = by_id[from_id] if from_id is not None else new_index - 1
    if new_index < 0 or old_index < 0:
        _not_found("There is no earlier version to compare with: choose two versions.")
    if old_index == new_index:
        raise _BadRequest("That is the same version twice: choose two different versions.")
    return versions[old_index], versions[new_index]


def _changes(
    store: Any,
    config: Config,
    view: SourceView,
    source: Source | None,
    old: SnapshotInfo,
    new: SnapshotInfo,
) -> Any:
    """Diff two stored versions; fall back to the stored diff when re-extraction fails."""
    from monitor.diff import changes_from_dict, diff_documents
    from monitor.pipeline import diffable, document_at

    try:
        watched = source or _stand_in(view, config)
        return diff_documents(
            diffable(document_at(store, watched, old)), diffable(document_at(store, watched, new))
        )
    except MonitorError:
        stored = [
            c
            for c in store.changes(view.id)
            if (c.from_snapshot_id, c.to_snapshot_id) == (old.id, new.id)
        ]
        if not stored:
            raise
        return changes_from_dict(json.loads(stored[-1].diff_json))


def _stand_in(view: SourceView, config: Config) -> Source:
    """A Source for a stored source that sources.yaml no longer lists (default options)."""
    from monitor.sources import get_kind

    return Source(
        id=view.id,
        name=view.name,
        url=view.url,
        kind=view.kind,
        schedule=Schedule.parse(_FALLBACK_SCHEDULE),
        select=(),
        ignore=(),
        sections=(),
        tags=(),
        options=get_kind(view.kind).Options(),
        defaults=config.defaults,
    )
