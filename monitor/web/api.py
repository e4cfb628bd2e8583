"""JSON API under /api/v1: sources, checks, snapshots, changes, drafts and decisions.

Every request carries ``Authorization: Bearer TOKEN`` (``policy-monitor tokens create``); the
token acts with its user's role: reading needs ``viewer``, deciding on drafts ``reviewer``,
pausing and resuming a source's scheduled checks ``admin``.
Errors are JSON ``{"error", "detail"}`` (see docs/api.md); the routes, parameters and shapes
are described by the OpenAPI document in :mod:`monitor.web.openapi`, served at
``/api/v1/openapi.json`` (a test keeps the two in step).

Shapes follow the CLI's ``--json`` output (:mod:`monitor.cli_review`): other records are named
by their id under the record's name (``"source": "money"``, ``"change": 3``). Times are
ISO 8601 strings in UTC. Long lists take ``limit`` (default 100, at most 1000) and ``offset``
and answer ``{"items", "total", "limit", "offset"}``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, g, jsonify, request
from sqlalchemy import Select, func, select
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response

from monitor.relevance import KINDS
from storage.errors import StorageError
from storage.models import (
    AssessmentRow,
    ChangeRow,
    CheckRow,
    DecisionRow,
    DraftRow,
    SnapshotRow,
    SourceRow,
)
from storage.review import EDITABLE, REASONS, Decision, DraftConflict

bp = Blueprint("api", __name__)
PREFIX = "/api/v1"  # where monitor.web.app registers this blueprint

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_ID = 2**31 - 1  # ids are 32-bit integers: larger ones cannot exist (and PostgreSQL refuses)
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")  # source and section ids (see monitor.config.SLUG)
STATUSES = ("pending", "approved", "rejected")


def bearer_token() -> str:
    """The token of an ``Authorization: Bearer TOKEN`` header ("" if none); the scheme's name
    is case-insensitive (RFC 9110), so ``bearer`` works too."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticate_token() -> Response | None:
    """Bearer token → g.user; 401 JSON otherwise."""
    from monitor.web.app import web

    token = bearer_token()
    user = web().accounts.token_user(token) if token else None
    if user is None:
        detail = (
            "this token is unknown or revoked, or its user is deactivated"
            if token
            else "send Authorization: Bearer TOKEN (create one with 'policy-monitor tokens create')"
        )
        response = jsonify({"error": "Unauthorized", "detail": detail})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="policy-monitor"'
        return response
    g.user = user
    return None


@bp.before_app_request
def _unrouted() -> Response | None:
    """A URL under /api/v1 that no route matches (or not with this method): JSON too.

    Flask does not know such a request belongs to this blueprint, so without this the app
    would treat it as a page (a redirect to the login form, or an HTML error page).
    """
    error = request.routing_exception
    if error is None or not (request.path + "/").startswith(PREFIX + "/"):
        return None
    if not isinstance(error, HTTPException) or (error.code or 500) < 400:
        return None  # e.g. a redirect to the canonical URL: let Flask send it
    refused = authenticate_token()
    if refused is not None:
        return refused
    detail = error.description or ""
    if isinstance(error, NotFound):  # Werkzeug's text talks of URLs and spelling
        detail = (
            f"no such resource: {request.path} (ids are positive whole numbers; see "
            f"{PREFIX}/openapi.json for the routes)"
        )
    response = _error(error.code or 404, detail)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def requires(role: str) -> Callable[[F], F]:
    """Allow a view only to tokens whose user has ``role`` or a stronger one (403 JSON)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            from monitor.web.auth import current_user

            user = current_user()
            if user is None or not user.can(role):
                have = f"a {user.role}" if user is not None else "nobody"
                abort(403, f"this needs the {role} role; the token belongs to {have}")
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


# -- sources, checks, snapshots ----------------------------------------------------------------


@bp.route("/sources")
@requires("viewer")
def sources() -> Response:
    """Every source (configured and derived) with its state and schedule, by id."""
    from monitor.web.app import web

    rows = web().store.source_rows()
    schedules = _schedules()
    return jsonify({"items": [_source(row, schedules) for row in rows], "total": len(rows)})


@bp.route("/sources/<source_id>")
@requires("viewer")
def source(source_id: str) -> Response:
    """One source."""
    return jsonify(_source(_source_row(source_id), _schedules()))


@bp.route("/sources/<source_id>/checks")
@requires("viewer")
def checks(source_id: str) -> Response:
    """The source's checks, newest first."""
    _source_row(source_id)
    query = select(CheckRow).where(CheckRow.source_id == source_id)
    order = (CheckRow.started_at.desc(), CheckRow.id.desc())
    return jsonify(_paged(query, order, _check))


@bp.route("/sources/<source_id>/snapshots")
@requires("viewer")
def snapshots(source_id: str) -> Response:
    """The source's stored versions, newest first."""
    _source_row(source_id)
    query = select(SnapshotRow).where(SnapshotRow.source_id == source_id)
    order = (SnapshotRow.fetched_at.desc(), SnapshotRow.id.desc())
    return jsonify(_paged(query, order, _snapshot))


@bp.route("/sources/<source_id>/pause", methods=["POST"])
@requires("admin")
def pause_source(source_id: str) -> Response:
    """Pause the source's scheduled checks (explicit checks still run); audited."""
    return _set_paused(source_id, True)


@bp.route("/sources/<source_id>/resume", methods=["POST"])
@requires("admin")
def resume_source(source_id: str) -> Response:
    """Resume the source's scheduled checks; audited."""
    return _set_paused(source_id, False)


def _set_paused(source_id: str, paused: bool) -> Response:
    """As the app's pause button (monitor.web.sources.pause): set, audit, answer the source."""
    from monitor.web.app import web
    from monitor.web.auth import current_user

    _source_row(source_id)
    context = web()
    try:
        context.store.set_paused(source_id, paused)
    except StorageError as error:  # the source went away between the two statements
        abort(404, str(error))
    user = current_user()
    assert user is not None  # requires() made sure
    context.accounts.audit(user.email, "source-pause" if paused else "source-resume", source_id, {})
    return jsonify(_source(_source_row(source_id), _schedules()))


@bp.route("/snapshots/<int:snapshot_id>")
@requires("viewer")
def snapshot(snapshot_id: int) -> Response:
    """One version: its metadata, its neighbours, and its text as extracted today."""
    from monitor.web.app import web

    store = web().store
    with store.session() as session:
        row = session.get(SnapshotRow, _id(snapshot_id, "snapshot"))
        if row is None:
            abort(404, f"no snapshot {snapshot_id}")
        previous = session.scalar(
            select(SnapshotRow.id)
            .where(SnapshotRow.source_id == row.source_id, SnapshotRow.id < row.id)
            .order_by(SnapshotRow.id.desc())
            .limit(1)
        )
        change = session.scalar(select(ChangeRow.id).where(ChangeRow.to_snapshot_id == row.id))
    item = _snapshot(row)
    item.update(previous=previous, change=change, lines=_lines(row.source_id, snapshot_id))
    return jsonify(item)


# -- changes -----------------------------------------------------------------------------------


@bp.route("/changes")
@requires("viewer")
def changes() -> Response:
    """Detected changes, newest first, each with its assessment and draft (if any)."""
    query = _changes_query()
    relevant = request.args.get("relevant")
    if relevant is not None:
        if relevant not in ("true", "false"):
            abort(400, "relevant must be true or false")
        query = query.where(AssessmentRow.relevant == (relevant == "true"))
    source_id = request.args.get("source")
    if source_id is not None:
        query = query.where(ChangeRow.source_id == _slug(source_id, "source"))
    order = (ChangeRow.detected_at.desc(), ChangeRow.id.desc())
    return jsonify(_paged(query, order, lambda found: _change(*found)))


@bp.route("/changes/<int:change_id>")
@requires("viewer")
def change(change_id: int) -> Response:
    """One change with its assessment and the stored diff: its hunks, in page order."""
    from monitor.web.app import web

    query = _changes_query().where(ChangeRow.id == _id(change_id, "change"))
    with web().store.session() as session:
        found = session.execute(query).first()
    if found is None:
        abort(404, f"no change {change_id}")
    item = _change(*found)
    item["hunks"] = json.loads(found[0].diff_json).get("hunks", [])
    return jsonify(item)


def _changes_query() -> Select[ChangeRow, AssessmentRow, int]:
    return (
        select(ChangeRow, AssessmentRow, DraftRow.id)
        .outerjoin(AssessmentRow, AssessmentRow.change_id == ChangeRow.id)
        .outerjoin(DraftRow, DraftRow.assessment_id == AssessmentRow.id)
    )


# -- drafts and decisions ------------------------------------------------------------------------


@bp.route("/drafts")
@requires("viewer")
def drafts() -> Response:
    """Drafts with one status (default pending), highest score first, filtered like the queue."""
    from monitor.web.app import web
    from monitor.web.review import queue_filter
    from monitor.web.sections import section_titles

    status = request.args.get("status", "pending")
    if status not in STATUSES:
        abort(400, f"status must be one of {', '.join(STATUSES)}")
    for name in ("source", "section"):
        if name in request.args:
            _slug(request.args[name], name)
    if "kind" in request.args and request.args["kind"] not in KINDS:
        abort(400, f"kind must be one of {', '.join(KINDS)}")
    sections = section_titles()
    if "section" in request.args and request.args["section"] not in sections:
        abort(400, f"section must be one of {', '.join(sections)}")
    for name in ("since", "until"):
        if name in request.args and not request.args[name]:
            abort(400, f"{name} must be a date (YYYY-MM-DD)")
    limit, offset = _page()
    try:
        where = queue_filter(request.args, status)
    except OverflowError:  # 'until' on the last representable day
        abort(400, "since and until must be dates between 0001-01-01 and 9999-12-30")
    rows = web().reviews.queue(where)
    items = [_draft(draft, assessment) for draft, assessment in rows[offset : offset + limit]]
    return jsonify({"items": items, "total": len(rows), "limit": limit, "offset": offset})


@bp.route("/drafts/<int:draft_id>")
@requires("viewer")
def draft(draft_id: int) -> Response:
    """One draft with its assessment and its audit trail."""
    return jsonify(_draft_detail(draft_id))


@bp.route("/drafts/<int:draft_id>/approve", methods=["POST"])
@requires("reviewer")
def approve(draft_id: int) -> Response:
    """Approve a draft, with any last edits, if it is still the version the client saw."""
    return _decide(draft_id, "approve")


@bp.route("/drafts/<int:draft_id>/edit", methods=["POST"])
@requires("reviewer")
def edit(draft_id: int) -> Response:
    """Save edits to a draft (it stays, or goes back to, pending)."""
    return _decide(draft_id, "edit")


@bp.route("/drafts/<int:draft_id>/reject", methods=["POST"])
@requires("reviewer")
def reject(draft_id: int) -> Response:
    """Reject a draft with a reason."""
    return _decide(draft_id, "reject")


def _decide(draft_id: int, action: str) -> Response:
    from monitor.web.app import web
    from monitor.web.auth import current_user

    reviews = web().reviews
    if reviews.get(_id(draft_id, "draft")) is None:
        abort(404, f"no draft {draft_id}")
    body = request.get_json(force=True, silent=True)
    user = current_user()
    assert user is not None  # requires() made sure
    problems, decision = _decision(action, body, reviewer=user.email)
    if problems:
        return _error(422, "; ".join(problems), problems=problems)
    assert decision is not None  # no problems: a decision
    try:
        reviews.decide(draft_id, decision)
    except DraftConflict as conflict:
        last = conflict.last
        return _error(
            409,
            f"{conflict}; reload it and apply your change to version {conflict.draft.version}",
            current_version=conflict.draft.version,
            changed_by=last.reviewer if last else None,
            changed_at=_iso(last.created_at) if last else None,
            draft=_draft(*_found(draft_id)),
        )
    except StorageError as error:  # the draft went away between the two statements
        abort(404, str(error))
    return jsonify(_draft_detail(draft_id))


def _decision(action: str, body: Any, *, reviewer: str) -> tuple[list[str], Decision | None]:
    """Check a decision's JSON body; return the problems, or else the decision."""
    if not isinstance(body, dict):
        return ['the body must be a JSON object, e.g. {"version": 3}'], None
    allowed: tuple[str, ...] = ("version", *EDITABLE, "note")
    if action == "reject":
        allowed = ("version", "reason", "note", "primary_section")
    problems = [
        f"unknown field {name!r}" + (" (a rejection keeps no edits)" if name in EDITABLE else "")
        for name in body
        if name not in allowed
    ]
    if not _storable(body):
        problems.append("text must be valid Unicode without NUL characters (\\u0000)")
    version = body.get("version")
    if isinstance(version, float) and version.is_integer():
        version = int(version)  # 3.0 is the integer 3 in JSON
    if version is None:
        problems.append("version is required: the draft version you saw (a positive integer)")
    elif isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_ID:
        problems.append(
            f"version must be the draft version you saw, a positive integer (got {version!r:.40})"
        )
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        problems.append("note must be a string")
        note = None
    fields = _edited_fields(body, problems)
    reason = body.get("reason")
    if action == "reject":
        if fields.get("primary_section", "") is None:
            del fields["primary_section"]  # null: no corrected section
        if reason not in REASONS:
            problems.append(f"reason is required, one of {', '.join(REASONS)}")
        if reason == "other" and not (note or "").strip():
            problems.append("with reason 'other', say why in note")
        if fields and reason != "wrong-section":
            problems.append("primary_section goes with reason 'wrong-section' (the right one)")
        if reason == "wrong-section" and not fields.get("primary_section"):
            problems.append("with reason 'wrong-section', send primary_section: the right one")
    elif action == "edit" and not fields:
        problems.append(f"nothing to edit: send at least one of {', '.join(EDITABLE)}")
    if problems:
        return problems, None
    return [], Decision(
        action=action,
        reviewer=reviewer,
        expected_version=version,
        fields=fields or None,
        reason=reason if action == "reject" else None,
        note=(note or "").strip() or None,
    )


def _edited_fields(body: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """The editable fields present in the body, checked and trimmed."""
    from monitor.web.sections import section_titles

    fields: dict[str, Any] = {}
    for name in ("history_line", "paragraph"):
        if name in body:
            value = body[name]
            if not isinstance(value, str):
                problems.append(f"{name} must be a string")
            elif not value.strip():
                problems.append(f"{name} cannot be empty")
            else:
                fields[name] = value.strip()
    if "primary_section" in body:
        section = body["primary_section"]
        if section is not None and (
            not isinstance(section, str) or section not in section_titles()
        ):
            problems.append(f"primary_section must be null or one of {', '.join(section_titles())}")
        else:
            fields["primary_section"] = section
    if "status_suggestion" in body:
        suggestion = body["status_suggestion"]
        if suggestion is None:
            fields["status_suggestion"] = None
        elif _suggestion_ok(suggestion):
            fields["status_suggestion"] = {
                "status": suggestion["status"].strip(),
                "reason": suggestion.get("reason", "").strip(),
            }
        else:
            problems.append(
                'status_suggestion must be null or {"status": "...", "reason": "..."} '
                "with a non-empty status"
            )
    return fields


def _storable(value: Any) -> bool:
    """Whether every string in a JSON value can be stored: no NUL (PostgreSQL refuses it in
    text) and no lone surrogate (JSON's \\ud800 escapes decode to one; not UTF-8)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return "\x00" not in value
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return True


def _suggestion_ok(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) <= {"status", "reason"}
        and isinstance(value.get("status"), str)
        and bool(value["status"].strip())
        and isinstance(value.get("reason", ""), str)
    )


# -- approved updates ----------------------------------------------------------------------------


@bp.route("/approved-updates")
@requires("viewer")
def approved_updates() -> Response:
    """Approved drafts in tracker order: by section, then as approved (as the app lists them)."""
    from monitor.web.approved import approved_items

    items = [
        {
            "draft": item.draft_id,
            "section": item.section_id or None,
            "section_title": item.section if item.section_id else None,
            "history_line": item.history_line,
            "paragraph": item.paragraph,
            "status_suggestion": {"status": item.suggested_status, "reason": item.status_reason}
            if item.suggested_status
            else None,
            "source": item.source_id,
            "source_name": item.source,
            "source_url": item.url or None,
            "approved_at": _iso(item.approved_at),
            "approved_by": item.approved_by or None,
        }
        for item in approved_items()
    ]
    return jsonify({"items": items, "total": len(items)})


@bp.route("/openapi.json")
@requires("viewer")
def openapi() -> Response:
    """The OpenAPI document describing this API."""
    from monitor.web.openapi import document

    return jsonify(document())


# -- shapes --------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _source(row: SourceRow, schedules: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "url": row.url,
        "origin": row.origin,
        "parent": row.parent_id,
        "relation": row.relation,
        "schedule": schedules.get(row.id),
        "added_at": _iso(row.added_at),
        "last_checked_at": _iso(row.last_checked_at),
        "last_changed_at": _iso(row.last_changed_at),
        "last_status": row.last_status,
        "last_error": row.last_error,
        "consecutive_failures": row.consecutive_failures or 0,
        "paused": bool(row.paused),
    }


def _check(row: CheckRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "source": row.source_id,
        "started_at": _iso(row.started_at),
        "duration_ms": row.duration_ms,
        "status": row.status,
        "http_status": row.http_status,
        "error_reason": row.error_reason,
        "error": row.error,
        "url": row.url,
        "final_url": row.final_url,
        "snapshot": row.snapshot_id,
        "change": row.change_id,
    }


def _snapshot(row: SnapshotRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "source": row.source_id,
        "fetched_at": _iso(row.fetched_at),
        "content_hash": row.content_hash,
        "url": row.url,
        "final_url": row.final_url,
        "content_type": row.content_type,
        "etag": row.etag,
        "last_modified": row.last_modified,
        "title": row.title,
        "text_length": row.text_length,
    }


def _assessment(row: AssessmentRow) -> dict[str, Any]:
    """As ``policy-monitor changes list --json`` prints it."""
    data = json.loads(row.data_json or "{}")
    return {
        "id": row.id,
        "source": row.source_id,
        "change": row.change_id,
        "snapshot": row.snapshot_id,
        "from_snapshot": row.from_snapshot_id,
        "detected_at": _iso(row.created_at),
        "relevant": row.relevant,
        "score": row.score,
        "kind": row.kind,
        "sections": data.get("sections", []),
        "reasons": data.get("reasons", []),
    }


def _change(
    row: ChangeRow, assessment: AssessmentRow | None, draft_id: int | None
) -> dict[str, Any]:
    return {
        "id": row.id,
        "source": row.source_id,
        "from_snapshot": row.from_snapshot_id,
        "to_snapshot": row.to_snapshot_id,
        "detected_at": _iso(row.detected_at),
        "stats": {
            "added": row.blocks_added,
            "removed": row.blocks_removed,
            "modified": row.blocks_modified,
            "words_added": row.words_added,
            "words_removed": row.words_removed,
        },
        "assessment": _assessment(assessment) if assessment is not None else None,
        "draft": draft_id,
    }


def _draft(row: DraftRow, assessment: AssessmentRow) -> dict[str, Any]:
    """As ``policy-monitor drafts show --json`` prints it (plus updated_at)."""
    data = json.loads(row.data_json or "{}")
    return {
        "id": row.id,
        "source": row.source_id,
        "status": row.status,
        "score": row.score,
        "section": row.primary_section,
        "sections": data.get("sections", []),
        "history_line": row.history_line,
        "paragraph": row.paragraph,
        "status_suggestion": data.get("status_suggestion"),
        "evidence": data.get("evidence", []),
        "url": data.get("url"),
        "version": row.version,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "assessment": _assessment(assessment),
    }


def _decision_item(row: DecisionRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "action": row.action,
        "reason": row.reason,
        "note": row.note,
        "corrected_section": row.corrected_section,
        "reviewer": row.reviewer,
        "created_at": _iso(row.created_at),
        "draft_version": row.draft_version,
        "changes": json.loads(row.data_json) if row.data_json else None,
    }


def _draft_detail(draft_id: int) -> dict[str, Any]:
    from monitor.web.app import web

    item = _draft(*_found(draft_id))
    item["history"] = [_decision_item(row) for row in web().reviews.history(draft_id)]
    return item


# -- helpers -------------------------------------------------------------------------------------


def _error(status: int, detail: str, **extra: Any) -> Response:
    """A JSON error like the blueprint's HTTP errors, with extra fields."""
    response = jsonify({"error": HTTP_STATUS_CODES.get(status, "Error"), "detail": detail, **extra})
    response.status_code = status
    return response


def _id(value: int, what: str) -> int:
    """A path id that can exist (larger ones are 404 without asking the database)."""
    if value > MAX_ID:
        abort(404, f"no {what} {value}")
    return value


def _slug(value: str, what: str) -> str:
    if not SLUG.fullmatch(value) or len(value) > 80:
        abort(400, f"{what} must be an id like 'kinship-care-leave' (a-z, 0-9 and -)")
    return value


def _found(draft_id: int) -> tuple[DraftRow, AssessmentRow]:
    from monitor.web.app import web

    found = web().reviews.get(_id(draft_id, "draft"))
    if found is None:
        abort(404, f"no draft {draft_id}")
    return found


def _source_row(source_id: str) -> SourceRow:
    from monitor.web.app import web

    row = None
    if SLUG.fullmatch(source_id) and len(source_id) <= 80:
        with web().store.session() as session:
            row = session.get(SourceRow, source_id)
    if row is None:
        abort(404, f"no source {source_id!r}")
    return row


def _schedules() -> dict[str, str]:
    """Source id → schedule, for the sources sources.yaml (and their parents) still name."""
    from monitor.derived import all_sources
    from monitor.errors import MonitorError
    from monitor.web.app import web

    context = web()
    try:
        return {s.id: str(s.schedule) for s in all_sources(context.config(), context.store)}
    except MonitorError:  # sources.yaml was broken by an edit: the rest still answers
        return {}


def _lines(source_id: str, snapshot_id: int) -> list[str] | None:
    """A stored version's text as 'policy-monitor show' prints it (None if unreadable now)."""
    from monitor.derived import all_sources
    from monitor.errors import MonitorError
    from monitor.pipeline import document_at
    from monitor.web.app import web

    context = web()
    try:
        found = [s for s in all_sources(context.config(), context.store) if s.id == source_id]
        info = context.store.snapshot(snapshot_id)
        if not found or info is None:
            return None
        return document_at(context.store, found[0], info).lines()
    except (MonitorError, StorageError, ValueError):
        return None


def _page() -> tuple[int, int]:
    """``limit`` and ``offset`` from the query (400 when out of range)."""
    limit = _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    return limit, _int_arg("offset", 0, 0, MAX_ID)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not low <= int(raw) <= high:
        abort(400, f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _paged(
    query: Select[*tuple[Any, ...]], order: tuple[Any, ...], shape: Callable[[Any], Any]
) -> Any:
    """One page of ``query`` (ordered by ``order``) as ``{items, total, limit, offset}``."""
    from monitor.web.app import web

    limit, offset = _page()
    total_query = select(func.count()).select_from(query.order_by(None).subquery())
    with web().store.session() as session:
        total = session.scalar(total_query) or 0
        rows = session.execute(query.order_by(*order).limit(limit).offset(offset)).all()
    items = [shape(row[0] if len(row) == 1 else tuple(row)) for row in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset}
