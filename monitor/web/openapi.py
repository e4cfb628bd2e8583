"""The OpenAPI 3.1 document of the JSON API (:mod:`monitor.web.api`), served at
``/api/v1/openapi.json``.

Why by hand: Flask has no schema of its own, and the generators that fit it (apispec,
flask-smorest, spectree) would add a dependency and rebuild every view around their own
schema classes, for sixteen small routes. So the document is plain data here, next to the
code it describes; ``tests/test_api.py`` keeps the two in step: the routes registered under
/api/v1 must be exactly the paths and methods below, the document must validate against the
OpenAPI 3.1 meta-schema, and schemathesis checks real responses against these schemas.

The helpers below only shorten repetition (``_object`` marks every property required,
because the API always sends every key, with null when there is no value).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from monitor.relevance import KINDS, default_profiles
from storage.review import REASONS

MAX_ID = 2**31 - 1
SLUG_PATTERN = "^[a-z0-9][a-z0-9-]*$"
DATE_TIME = {"type": "string", "format": "date-time"}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _null(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null."""
    if set(schema) == {"type"} or set(schema) == {"type", "format"}:
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A response object that always has all of ``properties`` and nothing else."""
    schema: dict[str, Any] = {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
ID = {"type": "integer", "minimum": 1}
STRINGS = _array(STRING)
# text a client sends: no NUL (the database cannot store it); "not blank": something to trim to
TEXT = {"type": "string", "pattern": "^[^\\u0000]*$"}
TEXT_NOT_BLANK = {"type": "string", "pattern": "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"}


def _list_of(name: str) -> dict[str, Any]:
    return _object({"items": _array(_ref(name)), "total": INTEGER}, f"Every {name}.")


def _page_of(name: str) -> dict[str, Any]:
    return _object(
        {
            "items": _array(_ref(name)),
            "total": {**INTEGER, "description": "How many match, on all pages."},
            "limit": INTEGER,
            "offset": INTEGER,
        },
        f"One page of {name} items.",
    )


# -- schemas ---------------------------------------------------------------------------------

_SOURCE = {
    "id": STRING,
    "name": STRING,
    "kind": {**STRING, "description": "html, govuk, parliament-bill, govuk-search, feed, ..."},
    "url": STRING,
    "origin": {"enum": ["config", "derived"]},
    "parent": {**_null(STRING), "description": "The source that found a derived source."},
    "relation": {**_null(STRING), "description": "attachment or follow (derived sources)."},
    "schedule": {
        **_null(STRING),
        "description": "Interval (30m, 6h, 1d) or cron expression; null when sources.yaml "
        "no longer names the source (or its parent).",
    },
    "added_at": DATE_TIME,
    "last_checked_at": _null(DATE_TIME),
    "last_changed_at": _null(DATE_TIME),
    "last_status": _null(STRING),
    "last_error": _null(STRING),
    "consecutive_failures": INTEGER,
    "paused": {
        "type": "boolean",
        "description": "An admin paused its scheduled checks (explicit checks still run).",
    },
}
_CHECK = {
    "id": ID,
    "source": STRING,
    "started_at": DATE_TIME,
    "duration_ms": INTEGER,
    "status": {"enum": ["new", "unchanged", "not-modified", "changed", "error"]},
    "http_status": _null(INTEGER),
    "error_reason": _null(STRING),
    "error": _null(STRING),
    "url": _null(STRING),
    "final_url": _null(STRING),
    "snapshot": {**_null(INTEGER), "description": "The version this check stored, if new."},
    "change": {**_null(INTEGER), "description": "The change this check detected, if any."},
}
_SNAPSHOT = {
    "id": ID,
    "source": STRING,
    "fetched_at": DATE_TIME,
    "content_hash": STRING,
    "url": STRING,
    "final_url": STRING,
    "content_type": STRING,
    "etag": _null(STRING),
    "last_modified": _null(STRING),
    "title": STRING,
    "text_length": INTEGER,
}
_ASSESSMENT = {
    "id": ID,
    "source": STRING,
    "change": _null(INTEGER),
    "snapshot": INTEGER,
    "from_snapshot": _null(INTEGER),
    "detected_at": DATE_TIME,
    "relevant": {"type": "boolean"},
    "score": {"type": "number"},
    "kind": {"enum": list(KINDS)},
    "sections": {**STRINGS, "description": "Tracker section ids, primary first."},
    "reasons": {**STRINGS, "description": "Why, in words (sections, terms, score)."},
}
_CHANGE = {
    "id": ID,
    "source": STRING,
    "from_snapshot": INTEGER,
    "to_snapshot": INTEGER,
    "detected_at": DATE_TIME,
    "stats": _ref("DiffStats"),
    "assessment": _null(_ref("Assessment")),
    "draft": {**_null(INTEGER), "description": "The draft made from it, when relevant."},
}
_DRAFT = {
    "id": ID,
    "source": STRING,
    "status": {"enum": ["pending", "approved", "rejected"]},
    "score": {"type": "number"},
    "section": {**_null(STRING), "description": "Primary tracker section id."},
    "sections": {**STRINGS, "description": "Section titles, primary first."},
    "history_line": STRING,
    "paragraph": STRING,
    "status_suggestion": _null(_ref("StatusSuggestion")),
    "evidence": {**STRINGS, "description": "Quoted changed text the draft rests on."},
    "url": _null(STRING),
    "version": {
        **ID,
        "description": "Send it back with a decision: a stale version is refused (409).",
    },
    "created_at": DATE_TIME,
    "updated_at": DATE_TIME,
    "assessment": _ref("Assessment"),
}


def _sections() -> list[str]:
    return [section.id for section in default_profiles().sections]


def _schemas() -> dict[str, Any]:
    suggestion_in = {
        "type": "object",
        "required": ["status"],
        "properties": {"status": TEXT_NOT_BLANK, "reason": TEXT},
        "additionalProperties": False,
    }
    section_in = {**_null({"enum": _sections()}), "description": "A tracker section id."}
    edits = {
        "version": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "history_line": {**TEXT_NOT_BLANK, "description": "Trimmed; not blank."},
        "paragraph": {**TEXT, "description": "Trimmed."},
        "primary_section": section_in,
        "status_suggestion": _null(suggestion_in),
        "note": {**_null(TEXT), "description": "Kept with the decision in the audit trail."},
    }
    return {
        "Error": _object({"error": STRING, "detail": STRING}, "Any error."),
        "ValidationError": _object(
            {"error": {"const": "Unprocessable Entity"}, "detail": STRING, "problems": STRINGS},
            "The request body was not acceptable; every problem is listed.",
        ),
        "Conflict": _object(
            {
                "error": {"const": "Conflict"},
                "detail": STRING,
                "current_version": ID,
                "changed_by": {**_null(STRING), "description": "Who made the last change."},
                "changed_at": _null(DATE_TIME),
                "draft": _ref("Draft"),
            },
            "The draft changed since the client read it: nothing was saved.",
        ),
        "Source": _object(_SOURCE, "A watched source and what its last checks found."),
        "SourceList": _list_of("Source"),
        "Check": _object(_CHECK, "One attempt to check a source."),
        "CheckPage": _page_of("Check"),
        "Snapshot": _object(_SNAPSHOT, "One stored version of a source."),
        "SnapshotPage": _page_of("Snapshot"),
        "SnapshotDetail": _object(
            {
                **_SNAPSHOT,
                "previous": {**_null(INTEGER), "description": "The version before it."},
                "change": {**_null(INTEGER), "description": "The change that led to it."},
                "lines": {
                    **_null(STRINGS),
                    "description": "The text as 'policy-monitor show' prints it (re-extracted"
                    " today); null when the source is no longer configured.",
                },
            },
            "A stored version with its text.",
        ),
        "DiffStats": _object(
            {
                "added": INTEGER,
                "removed": INTEGER,
                "modified": INTEGER,
                "words_added": INTEGER,
                "words_removed": INTEGER,
            },
            "Blocks added, removed and modified; words inserted and deleted.",
        ),
        "Assessment": _object(_ASSESSMENT, "Whether a change matters, where, and why."),
        "Hunk": _object(
            {
                "kind": {"enum": ["added", "removed", "modified"]},
                "heading_path": {**STRINGS, "description": "The headings it sits under."},
                "old_text": _null(STRING),
                "new_text": _null(STRING),
                "words": {
                    **_array(
                        {
                            "type": "array",
                            "prefixItems": [{"enum": ["equal", "insert", "delete"]}, STRING],
                            "minItems": 2,
                            "maxItems": 2,
                        }
                    ),
                    "description": "The word diff: [op, text] runs.",
                },
                "old_index": _null(INTEGER),
                "new_index": _null(INTEGER),
            },
            "One changed block.",
        ),
        "Change": _object(_CHANGE, "Two consecutive versions of a source that differ."),
        "ChangePage": _page_of("Change"),
        "ChangeDetail": _object(
            {**_CHANGE, "hunks": _array(_ref("Hunk"))}, "A change with its stored diff."
        ),
        "StatusSuggestion": _object({"status": STRING, "reason": STRING}),
        "Draft": _object(_DRAFT, "A drafted tracker update."),
        "DraftPage": _page_of("Draft"),
        "AuditEntry": _object(
            {
                "id": ID,
                "action": {"enum": ["approve", "edit", "reject", "reopen"]},
                "reason": _null(STRING),
                "note": _null(STRING),
                "corrected_section": _null(STRING),
                "reviewer": STRING,
                "created_at": DATE_TIME,
                "draft_version": {**_null(INTEGER), "description": "The version decided on."},
                "changes": {
                    **_null(
                        {
                            "type": "object",
                            "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2},
                        }
                    ),
                    "description": "Edited fields: {field: [before, after]}.",
                },
            },
            "One decision on a draft.",
        ),
        "DraftDetail": _object(
            {**_DRAFT, "history": {**_array(_ref("AuditEntry")), "description": "Oldest first."}},
            "A draft with its assessment and audit trail.",
        ),
        "ApprovedUpdate": _object(
            {
                "draft": ID,
                "section": _null(STRING),
                "section_title": _null(STRING),
                "history_line": STRING,
                "paragraph": STRING,
                "status_suggestion": _null(_ref("StatusSuggestion")),
                "source": STRING,
                "source_name": STRING,
                "source_url": _null(STRING),
                "approved_at": DATE_TIME,
                "approved_by": _null(STRING),
            },
            "An approved tracker update.",
        ),
        "ApprovedUpdateList": _list_of("ApprovedUpdate"),
        "ApproveRequest": {
            "type": "object",
            "description": "Approve, with any last edits (fields left out keep their value).",
            "required": ["version"],
            "properties": edits,
            "additionalProperties": False,
        },
        "EditRequest": {
            "type": "object",
            "description": "Edits (at least one field besides version and note).",
            "required": ["version"],
            "properties": edits,
            "additionalProperties": False,
            "anyOf": [
                {"required": [name]}
                for name in ("history_line", "paragraph", "primary_section", "status_suggestion")
            ],
        },
        "RejectRequest": {
            "type": "object",
            "required": ["version", "reason"],
            "properties": {
                "version": edits["version"],
                "reason": {"enum": list(REASONS)},
                "note": {**_null(TEXT), "description": "Required with reason 'other'."},
                "primary_section": {
                    **section_in,
                    "description": "With 'wrong-section': the right section.",
                },
            },
            "additionalProperties": False,
            "allOf": [
                {  # 'other' needs a note
                    "if": {"properties": {"reason": {"const": "other"}}},
                    "then": {"required": ["note"], "properties": {"note": TEXT_NOT_BLANK}},
                },
                {  # a section only with 'wrong-section'
                    "if": {
                        "required": ["primary_section"],
                        "properties": {"primary_section": {"type": "string"}},
                    },
                    "then": {"properties": {"reason": {"const": "wrong-section"}}},
                },
            ],
        },
    }


# -- parameters, responses, operations ---------------------------------------------------------


def _path_id(name: str, what: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The {what}'s id.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_SLUG = {"type": "string", "pattern": SLUG_PATTERN, "maxLength": 80}
PARAMETERS = {
    "SourceId": {
        "name": "source_id",
        "in": "path",
        "required": True,
        "description": "The source's id (as in sources.yaml, or a derived source's id).",
        "schema": _SLUG,
    },
    "SnapshotId": _path_id("snapshot_id", "snapshot"),
    "ChangeId": _path_id("change_id", "change"),
    "DraftId": _path_id("draft_id", "draft"),
    "Limit": _query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
        "At most this many items.",
    ),
    "Offset": _query(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0},
        "Skip this many items.",
    ),
}


def _error(description: str, schema: str = "Error", **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema)}},
        **extra,
    }


RESPONSES = {
    "BadRequest": _error("A query parameter is not acceptable."),
    "Unauthorized": _error(
        "No token, or an unknown or revoked one, or its user is deactivated.",
        headers={
            "WWW-Authenticate": {"required": True, "schema": STRING, "description": "Bearer."}
        },
    ),
    "Forbidden": _error("The token's user does not have the role this needs."),
    "NotFound": _error("There is no such record."),
    "Conflict": _error(
        "The draft changed since the client read it (stale version): nothing saved.", "Conflict"
    ),
    "Unprocessable": _error("The JSON body is not acceptable.", "ValidationError"),
}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _responses(ok: dict[str, Any], *codes: str) -> dict[str, Any]:
    names = {
        "400": "BadRequest",
        "403": "Forbidden",
        "404": "NotFound",
        "409": "Conflict",
        "422": "Unprocessable",
    }
    found = {"200": ok, "401": {"$ref": "#/components/responses/Unauthorized"}}
    for code in ("403", *codes):
        found[code] = {"$ref": f"#/components/responses/{names[code]}"}
    return dict(sorted(found.items()))


def _get(
    operation_id: str,
    summary: str,
    ok: dict[str, Any],
    *,
    params: tuple[str, ...] = (),
    query: tuple[dict[str, Any], ...] = (),
    tag: str,
    not_found: bool = False,
) -> dict[str, Any]:
    refs = [{"$ref": f"#/components/parameters/{name}"} for name in params]
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": [tag],
            "parameters": [*refs, *query],
            "responses": _responses(
                ok,
                *(("400",) if query or set(params) & {"Limit", "Offset"} else ()),
                *(("404",) if not_found else ()),
            ),
        }
    }


def _decision(operation_id: str, summary: str, body: str) -> dict[str, Any]:
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "description": "Needs the reviewer role. The reviewer recorded is the token's user.",
            "tags": ["drafts"],
            "parameters": [{"$ref": "#/components/parameters/DraftId"}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref(body)}},
            },
            "responses": _responses(
                _ok("DraftDetail", "The draft after the decision."), "404", "409", "422"
            ),
        }
    }


def _source_action(operation_id: str, summary: str, description: str) -> dict[str, Any]:
    """An admin's action on a source: no body; the answer is the source after it."""
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "description": f"Needs the admin role. {description} Recorded in the audit log "
            "under the token's user's email. No request body.",
            "tags": ["sources"],
            "parameters": [{"$ref": "#/components/parameters/SourceId"}],
            "responses": _responses(_ok("Source", "The source after the change."), "404"),
        }
    }


def _paths() -> dict[str, Any]:
    page = ("Limit", "Offset")
    source_filter = _query("source", _SLUG, "Only this source's.")
    return {
        "/sources": _get(
            "listSources",
            "Every source, configured and derived, by id",
            _ok("SourceList", "The sources."),
            tag="sources",
        ),
        "/sources/{source_id}": _get(
            "getSource",
            "One source",
            _ok("Source", "The source."),
            params=("SourceId",),
            tag="sources",
            not_found=True,
        ),
        "/sources/{source_id}/pause": _source_action(
            "pauseSource",
            "Pause a source's scheduled checks",
            "The scheduler skips the source (and the sources it found) until it is resumed; "
            "explicit checks still run. Pausing a paused source changes nothing but is audited.",
        ),
        "/sources/{source_id}/resume": _source_action(
            "resumeSource",
            "Resume a source's scheduled checks",
            "The scheduler checks the source again on its schedule.",
        ),
        "/sources/{source_id}/checks": _get(
            "listChecks",
            "A source's checks, newest first",
            _ok("CheckPage", "One page of checks."),
            params=("SourceId", *page),
            tag="sources",
            not_found=True,
        ),
        "/sources/{source_id}/snapshots": _get(
            "listSnapshots",
            "A source's stored versions, newest first",
            _ok("SnapshotPage", "One page of versions."),
            params=("SourceId", *page),
            tag="sources",
            not_found=True,
        ),
        "/snapshots/{snapshot_id}": _get(
            "getSnapshot",
            "One stored version with its text",
            _ok("SnapshotDetail", "The version."),
            params=("SnapshotId",),
            tag="sources",
            not_found=True,
        ),
        "/changes": _get(
            "listChanges",
            "Detected changes with their assessments, newest first",
            _ok("ChangePage", "One page of changes."),
            params=page,
            query=(
                _query(
                    "relevant",
                    {"enum": ["true", "false"]},
                    "Only changes assessed as relevant (true) or not (false).",
                ),
                source_filter,
            ),
            tag="changes",
        ),
        "/changes/{change_id}": _get(
            "getChange",
            "One change with its assessment and diff hunks",
            _ok("ChangeDetail", "The change."),
            params=("ChangeId",),
            tag="changes",
            not_found=True,
        ),
        "/drafts": _get(
            "listDrafts",
            "Drafts with one status, highest score first (the review queue)",
            _ok("DraftPage", "One page of drafts."),
            params=page,
            query=(
                _query(
                    "status",
                    {"enum": ["pending", "approved", "rejected"], "default": "pending"},
                    "Which drafts.",
                ),
                _query(
                    "section",
                    {"enum": _sections()},
                    "Only drafts whose primary section is this id (an unknown id is a 400).",
                ),
                source_filter,
                _query("kind", {"enum": list(KINDS)}, "Only changes of this kind."),
                _query("since", {"type": "string", "format": "date"}, "Drafted on or after."),
                _query("until", {"type": "string", "format": "date"}, "Drafted on or before."),
            ),
            tag="drafts",
        ),
        "/drafts/{draft_id}": _get(
            "getDraft",
            "One draft with its assessment and audit trail",
            _ok("DraftDetail", "The draft."),
            params=("DraftId",),
            tag="drafts",
            not_found=True,
        ),
        "/drafts/{draft_id}/approve": _decision(
            "approveDraft", "Approve a draft (with any last edits)", "ApproveRequest"
        ),
        "/drafts/{draft_id}/edit": _decision("editDraft", "Save edits to a draft", "EditRequest"),
        "/drafts/{draft_id}/reject": _decision(
            "rejectDraft", "Reject a draft with a reason", "RejectRequest"
        ),
        "/approved-updates": _get(
            "listApprovedUpdates",
            "Approved updates in tracker order",
            _ok("ApprovedUpdateList", "By tracker section, then in the order approved."),
            tag="approved",
        ),
        "/openapi.json": _get(
            "getOpenApi",
            "This document",
            {
                "description": "The OpenAPI document.",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            tag="meta",
        ),
    }


@functools.cache
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "policy-monitor API",
            "version": "1",
            "description": "Sources, checks, versions, changes and drafted tracker updates; "
            "reviewers approve, edit or reject drafts; admins pause and resume sources. "
            "Tokens: 'policy-monitor tokens create EMAIL'. Guide: docs/api.md.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": [
            {"name": name, "description": text}
            for name, text in (
                ("sources", "Watched sources, their checks and stored versions."),
                ("changes", "Detected changes and their assessments."),
                ("drafts", "Drafted tracker updates and reviewers' decisions."),
                ("approved", "Approved updates for the tracker."),
                ("meta", "About the API."),
            )
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from 'policy-monitor tokens create EMAIL'; it acts "
                    "with its user's role (viewer reads, reviewer also decides, admin also pauses "
                    "and resumes sources).",
                }
            },
            "parameters": PARAMETERS,
            "responses": RESPONSES,
            "schemas": _schemas(),
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())
