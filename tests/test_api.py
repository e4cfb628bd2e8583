"""The JSON API under /api/v1: every route, token auth and roles, decisions with conflicts, and
the OpenAPI document (it matches the routes, validates, and real responses conform to it).

Every response these tests receive is also checked against the OpenAPI document (status code
documented for the operation, JSON body valid against its schema), so the document cannot
drift from what the app really sends. On top of that, schemathesis generates requests for
every operation and checks the responses the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import jsonschema_rs
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select
from werkzeug.test import TestResponse

from monitor.web.app import create_app
from monitor.web.openapi import document
from storage import db
from storage.accounts import Accounts
from storage.models import ChangeRow, SnapshotRow, SourceRow
from storage.store import Store
from tests.webapp import USERS, Site  # the `site` fixture comes from tests/conftest.py

PREFIX = "/api/v1"
SCHEMA = schemathesis.openapi.from_dict(document())


# -- helpers ---------------------------------------------------------------------------------


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: /api/v1/drafts/<int:draft_id> → /drafts/{draft_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.removeprefix(PREFIX))


def conforms(app: Flask, method: str, path: str, response: TestResponse) -> None:
    """The response's status is documented for its operation and its body fits the schema."""
    rule, _ = app.url_map.bind("localhost").match(
        PREFIX + path.partition("?")[0], method=method, return_rule=True
    )
    operation = SCHEMA[openapi_path(rule.rule)][method]
    documented = operation.definition.raw["responses"]
    assert str(response.status_code) in documented, (
        f"{method} {path}: status {response.status_code} is not in the OpenAPI document"
    )
    assert response.mimetype == "application/json"
    operation.validate_response(response)


class Api:
    """A test client that sends a role's token and checks every response against the schema."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.client = site.app.test_client()

    def headers(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.site.tokens[role]}"} if role else {}

    def get(self, path: str, role: str | None = "viewer", **kwargs: Any) -> TestResponse:
        return self.call("GET", path, role, **kwargs)

    def post(self, path: str, body: Any, role: str | None = "reviewer") -> TestResponse:
        return self.call("POST", path, role, json=body)

    def act(self, path: str, role: str | None = "admin") -> TestResponse:
        """A POST without a body (pause, resume)."""
        return self.call("POST", path, role)

    def call(
        self, method: str, path: str, role: str | None, *, headers: Any = None, **kwargs: Any
    ) -> TestResponse:
        sent = self.headers(role) if headers is None else headers
        response = self.client.open(PREFIX + path, method=method, headers=sent, **kwargs)
        conforms(self.site.app, method, path, response)
        return response

    def json(self, path: str, role: str = "viewer") -> Any:
        response = self.get(path, role)
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def api(site: Site) -> Api:
    return Api(site)


def draft_version(api: Api, draft_id: int) -> int:
    version: int = api.json(f"/drafts/{draft_id}")["version"]
    return version


# -- reading ---------------------------------------------------------------------------------


def test_sources(api: Api) -> None:
    listing = api.json("/sources")
    assert listing["total"] == 3
    assert [s["id"] for s in listing["items"]] == ["leave", "money", "xss"]
    money = api.json("/sources/money")
    assert money == next(s for s in listing["items"] if s["id"] == "money")
    assert money["name"] == "Kinship care financial support"
    assert money["kind"] == "html" and money["origin"] == "config" and money["parent"] is None
    assert money["url"].endswith("/guidance/kinship-money")
    assert money["schedule"] == "6h"  # the default of sources.yaml
    assert money["last_status"] == "changed" and money["last_error"] is None
    assert money["consecutive_failures"] == 0
    assert {s["paused"] for s in listing["items"]} == {False}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", money["last_checked_at"])
    assert api.get("/sources/nope").status_code == 404
    assert api.get("/sources/NOT%20AN%20ID").get_json()["error"] == "Not Found"


def test_checks_and_snapshots(api: Api) -> None:
    checks = api.json("/sources/money/checks")
    assert (checks["total"], checks["limit"], checks["offset"]) == (2, 100, 0)
    newest, oldest = checks["items"]
    assert (newest["status"], oldest["status"]) == ("changed", "new")
    assert newest["started_at"] > oldest["started_at"]
    assert newest["http_status"] == 200 and newest["source"] == "money"
    assert newest["change"] is not None and oldest["change"] is None
    page = api.json("/sources/money/checks?limit=1&offset=1")
    assert (page["items"], page["total"], page["limit"]) == ([oldest], 2, 1)
    assert api.json("/sources/money/checks?offset=5")["items"] == []
    for bad in ("limit=0", "limit=1001", "limit=x", "offset=-1"):
        response = api.get(f"/sources/money/checks?{bad}")
        assert response.status_code == 400, bad
        assert "must be an integer" in response.get_json()["detail"]
    assert api.get("/sources/nope/checks").status_code == 404

    snapshots = api.json("/sources/money/snapshots")
    assert snapshots["total"] == 2
    latest, first = snapshots["items"]
    assert (latest["id"], first["id"]) == (newest["snapshot"], oldest["snapshot"])
    assert latest["title"] == "Kinship care: financial support"
    assert api.json("/sources/money/snapshots?limit=1")["items"] == [latest]
    assert api.get("/sources/nope/snapshots").status_code == 404

    detail = api.json(f"/snapshots/{latest['id']}")
    assert {k: detail[k] for k in latest} == latest
    assert detail["previous"] == first["id"] and detail["change"] == newest["change"]
    assert any("kinship allowance" in line for line in detail["lines"])
    assert api.json(f"/snapshots/{first['id']}")["previous"] is None
    assert api.get("/snapshots/999999").status_code == 404
    assert api.get("/snapshots/99999999999").status_code == 404  # beyond any id: no SQL error


def test_changes(api: Api) -> None:
    changes = api.json("/changes")
    assert changes["total"] == 3
    assert [c["detected_at"] for c in changes["items"]] == sorted(
        (c["detected_at"] for c in changes["items"]), reverse=True
    )
    leave = next(c for c in changes["items"] if c["source"] == "leave")
    assessment = leave["assessment"]
    assert assessment["relevant"] is True and assessment["kind"] == "content-amended"
    assert assessment["sections"][0] == "kinship-care-leave" and assessment["reasons"]
    assert assessment["change"] == leave["id"] and assessment["score"] > 0.5
    assert leave["stats"] == {
        "added": 1,
        "removed": 1,
        "modified": 0,
        "words_added": leave["stats"]["words_added"],
        "words_removed": leave["stats"]["words_removed"],
    }
    assert leave["draft"] == api.site.draft_for("leave")
    assert api.json("/changes?relevant=true")["total"] == 3
    assert api.json("/changes?relevant=false")["items"] == []
    assert [c["id"] for c in api.json("/changes?source=leave")["items"]] == [leave["id"]]
    assert api.json("/changes?limit=2&offset=2")["items"] == changes["items"][2:]
    assert api.get("/changes?relevant=yes").status_code == 400
    assert api.get("/changes?source=Bad%00Id").status_code == 400

    detail = api.json(f"/changes/{leave['id']}")
    assert {k: detail[k] for k in leave} == leave
    kinds = [hunk["kind"] for hunk in detail["hunks"]]
    assert sorted(kinds) == ["added", "removed"]
    added = detail["hunks"][kinds.index("added")]
    assert "kinship care leave" in added["new_text"]
    assert added["words"] == [["insert", added["new_text"]]]
    assert added["heading_path"][-1] == "Allowances"
    assert api.get("/changes/999999").status_code == 404


def test_page_text_is_data(api: Api) -> None:
    """Markup a page wrote comes back as JSON string data, never as HTML."""
    xss = api.site.draft_for("xss")
    response = api.get(f"/drafts/{xss}")
    assert response.mimetype == "application/json"
    assert "<script>alert('xss')</script>" in response.get_json()["paragraph"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_drafts(api: Api) -> None:
    queue = api.json("/drafts")
    assert queue["total"] == 3 and {d["status"] for d in queue["items"]} == {"pending"}
    scores = [d["score"] for d in queue["items"]]
    assert scores == sorted(scores, reverse=True)
    leave = next(d for d in queue["items"] if d["source"] == "leave")
    assert leave["section"] == "kinship-care-leave" and leave["sections"] == ["Kinship care leave"]
    assert leave["version"] == 1 and leave["history_line"] and leave["paragraph"]
    assert leave["evidence"] and leave["url"].endswith("/guidance/leave")
    assert leave["assessment"]["source"] == "leave"

    def ids(query: str) -> list[int]:
        return [d["id"] for d in api.json(f"/drafts?{query}")["items"]]

    assert ids("section=kinship-care-leave") == [leave["id"]]
    assert ids("source=leave") == [leave["id"]]
    assert ids("kind=content-amended") == [d["id"] for d in queue["items"]]
    assert ids("kind=bill-stage") == []
    assert ids("since=2000-01-01&until=2999-12-31") == [d["id"] for d in queue["items"]]
    assert ids("until=2000-01-01") == []
    assert ids("status=approved") == [] and ids("status=rejected") == []
    page = api.json("/drafts?limit=1&offset=1")
    assert (page["items"], page["total"]) == ([queue["items"][1]], 3)
    bad_queries = ("status=done", "since=yesterday", "until=9999-12-31", "kind=x", "limit=5000")
    for bad in (*bad_queries, "until=", "section=", "source=", "kind=", "section=nowhere"):
        assert api.get(f"/drafts?{bad}").status_code == 400, bad

    detail = api.json(f"/drafts/{leave['id']}")
    assert {k: detail[k] for k in leave} == leave
    assert detail["history"] == []
    assert api.get("/drafts/999999").status_code == 404


def test_approved_updates_start_empty(api: Api) -> None:
    assert api.json("/approved-updates") == {"items": [], "total": 0}


def test_openapi_document_is_served_to_token_holders(api: Api) -> None:
    assert api.json("/openapi.json") == document()
    assert api.get("/openapi.json", role=None).status_code == 401


def test_urls_without_a_route_answer_json_too(api: Api) -> None:
    """Not a login redirect or an HTML page: API clients get JSON for any URL under /api/v1."""
    client = api.client
    for path in ("/api/v1/nope", "/api/v1/drafts/-1", "/api/v1/sources/a%2Fb", "/api/v1"):
        assert client.get(path).status_code == 401
        response = client.get(path, headers=api.headers("viewer"))
        assert response.status_code == 404, path
        assert response.get_json()["error"] == "Not Found"
        assert response.get_json()["detail"].startswith("no such resource: /api/v1"), path
    response = client.post("/api/v1/sources", headers=api.headers("viewer"))
    assert response.status_code == 405
    assert response.get_json()["error"] == "Method Not Allowed"
    assert "GET" in response.headers["Allow"]
    assert client.get("/api/v1/drafts/1/approve").status_code == 401
    response = client.get("/api/v1/sources/money/pause", headers=api.headers("admin"))
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert client.get("/apiv1").status_code == 302  # not the API: the login page


# -- auth ------------------------------------------------------------------------------------


def test_tokens_are_required(api: Api) -> None:
    refused: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer pm_not-a-real-token"},
        {"Authorization": f"Basic {api.site.tokens['admin']}"},
        {"Authorization": api.site.tokens["admin"]},
    ]
    for headers in refused:
        for method, path in (
            ("GET", "/sources"),
            ("GET", "/drafts/1"),
            ("POST", "/drafts/1/edit"),
            ("POST", "/sources/money/pause"),
        ):
            response = api.call(method, path, None, headers=headers, json={"version": 1})
            assert response.status_code == 401, (headers, path)
            body = response.get_json()
            assert body["error"] == "Unauthorized"
            bearer = headers.get("Authorization", "").startswith("Bearer ")
            expected = "unknown or revoked" if bearer else "send Authorization: Bearer TOKEN"
            assert expected in body["detail"], (headers, body)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.site.store.counts_by_status() == {"pending": 3}  # nothing was decided
    assert api.site.store.paused_ids() == set()  # nor paused


def test_a_session_cookie_is_not_a_token(api: Api) -> None:
    browser = api.site.client("admin")  # logged in through the form
    response = browser.get(PREFIX + "/sources")
    assert response.status_code == 401


def test_revoked_token_and_deactivated_user_are_refused(api: Api) -> None:
    accounts = Accounts(api.site.store.engine)
    assert api.get("/sources", role="viewer").status_code == 200
    viewer_token = next(t.id for t, email in accounts.tokens() if email == USERS["viewer"])
    accounts.revoke_token(viewer_token, actor="test")
    assert api.get("/sources", role="viewer").status_code == 401
    assert api.get("/sources", role="reviewer").status_code == 200
    accounts.update_user(USERS["reviewer"], active=False, actor="test")
    assert api.get("/sources", role="reviewer").status_code == 401


def test_a_viewer_cannot_decide(api: Api) -> None:
    draft_id = api.site.draft_ids()[0]
    bodies = {
        "approve": {"version": 1},
        "edit": {"version": 1, "paragraph": "Changed."},
        "reject": {"version": 1, "reason": "duplicate"},
    }
    for action, body in bodies.items():
        response = api.post(f"/drafts/{draft_id}/{action}", body, role="viewer")
        assert response.status_code == 403, action
        assert response.get_json()["error"] == "Forbidden"
        assert "reviewer role" in response.get_json()["detail"]
    detail = api.json(f"/drafts/{draft_id}")
    assert (detail["version"], detail["status"], detail["history"]) == (1, "pending", [])
    assert api.post(f"/drafts/{draft_id}/edit", bodies["edit"], role="admin").status_code == 200


# -- pausing sources -------------------------------------------------------------------------


def source_audit(api: Api) -> list[tuple[str, str, str]]:
    """(actor, action, target) of the audit log's source entries, oldest first."""
    rows = Accounts(api.site.store.engine).audit_log()
    return [(r.actor, r.action, r.target) for r in reversed(rows) if r.action.startswith("source-")]


def test_an_admin_pauses_and_resumes_a_source(api: Api) -> None:
    paused = api.act("/sources/money/pause")
    assert paused.status_code == 200, paused.get_json()
    assert paused.get_json()["paused"] is True
    assert paused.get_json() == api.json("/sources/money")  # the source as GET answers it
    assert api.site.store.paused_ids() == {"money"}
    listing = api.json("/sources")["items"]
    assert {s["id"]: s["paused"] for s in listing} == {"leave": False, "money": True, "xss": False}
    again = api.call("POST", "/sources/money/pause", "admin", json={"ignored": True})
    assert again.status_code == 200 and again.get_json()["paused"] is True  # a body is ignored

    resumed = api.act("/sources/money/resume")
    assert resumed.status_code == 200
    assert resumed.get_json()["paused"] is False
    assert api.json("/sources/money")["paused"] is False
    assert api.site.store.paused_ids() == set()
    admin = USERS["admin"]
    assert source_audit(api) == [
        (admin, "source-pause", "money"),
        (admin, "source-pause", "money"),
        (admin, "source-resume", "money"),
    ]


def test_only_admins_pause_sources(api: Api) -> None:
    for role in ("reviewer", "viewer"):
        for action in ("pause", "resume"):
            response = api.act(f"/sources/money/{action}", role=role)
            assert response.status_code == 403, (role, action)
            assert response.get_json() == {
                "error": "Forbidden",
                "detail": f"this needs the admin role; the token belongs to a {role}",
            }
    assert api.site.store.paused_ids() == set()
    assert api.json("/sources/money")["paused"] is False
    assert source_audit(api) == []


def test_pausing_an_unknown_source_is_404(api: Api) -> None:
    for action in ("pause", "resume"):
        response = api.act(f"/sources/nope/{action}")
        assert response.status_code == 404
        assert response.get_json() == {"error": "Not Found", "detail": "no source 'nope'"}
        assert api.act(f"/sources/NOT%20AN%20ID/{action}").status_code == 404
    assert api.site.store.paused_ids() == set()
    assert source_audit(api) == []


# -- decisions -------------------------------------------------------------------------------


def test_approve_with_edits_then_the_approved_updates(api: Api) -> None:
    leave, money = api.site.draft_for("leave"), api.site.draft_for("money")
    response = api.post(
        f"/drafts/{money}/approve",
        {
            "version": 1,
            "history_line": "  12 May: Financial allowances updated.  ",
            "status_suggestion": {"status": "In progress", "reason": "a trial was announced"},
            "note": "checked with the policy lead",
        },
    )
    assert response.status_code == 200, response.get_json()
    approved = response.get_json()
    assert approved["status"] == "approved" and approved["version"] == 2
    assert approved["history_line"] == "12 May: Financial allowances updated."
    assert approved["status_suggestion"] == {
        "status": "In progress",
        "reason": "a trial was announced",
    }
    (entry,) = approved["history"]
    assert entry["action"] == "approve" and entry["reviewer"] == USERS["reviewer"]
    assert entry["draft_version"] == 1 and entry["note"] == "checked with the policy lead"
    assert entry["changes"]["history_line"][1] == "12 May: Financial allowances updated."
    assert api.json(f"/drafts/{money}") == approved

    assert api.post(f"/drafts/{leave}/approve", {"version": 1}).status_code == 200
    updates = api.json("/approved-updates")
    assert updates["total"] == 2
    # tracker order: 'financial-allowances' comes before 'kinship-care-leave' in the tracker
    first, second = updates["items"]
    assert (first["draft"], second["draft"]) == (money, leave)
    assert first["section"] == "financial-allowances"
    assert first["section_title"] == "Financial allowances"
    assert first["history_line"] == "12 May: Financial allowances updated."
    assert first["approved_by"] == USERS["reviewer"] and first["source"] == "money"
    assert first["source_name"] == "Kinship care financial support"
    assert first["source_url"].endswith("/guidance/kinship-money")
    assert first["approved_at"] == entry["created_at"]
    assert second["status_suggestion"] is None
    assert [d["id"] for d in api.json("/drafts?status=approved")["items"]] == [leave, money]


def test_a_stale_version_is_a_conflict(api: Api) -> None:
    draft_id = api.site.draft_for("leave")
    first = api.post(f"/drafts/{draft_id}/edit", {"version": 1, "paragraph": "Theirs."})
    assert first.status_code == 200 and first.get_json()["version"] == 2
    for action, body in (
        ("edit", {"version": 1, "paragraph": "Mine."}),
        ("approve", {"version": 1}),
        ("reject", {"version": 1, "reason": "duplicate"}),
    ):
        response = api.post(f"/drafts/{draft_id}/{action}", body, role="admin")
        assert response.status_code == 409, action
        conflict = response.get_json()
        assert conflict["error"] == "Conflict" and conflict["current_version"] == 2
        assert conflict["changed_by"] == USERS["reviewer"]
        assert USERS["reviewer"] in conflict["detail"] and "version 2" in conflict["detail"]
        assert conflict["changed_at"] == first.get_json()["history"][0]["created_at"]
        assert conflict["draft"]["paragraph"] == "Theirs."
    detail = api.json(f"/drafts/{draft_id}")
    assert (detail["paragraph"], detail["version"], detail["status"]) == ("Theirs.", 2, "pending")
    assert len(detail["history"]) == 1
    # with the version it saw last, the second reviewer gets through
    assert (
        api.post(f"/drafts/{draft_id}/approve", {"version": 2.0}, role="admin").status_code == 200
    )


def test_reject(api: Api) -> None:
    leave, money, xss = (api.site.draft_for(s) for s in ("leave", "money", "xss"))
    response = api.post(f"/drafts/{leave}/reject", {"version": 1, "reason": "not-relevant"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "rejected"
    assert response.get_json()["history"][0]["reason"] == "not-relevant"
    moved = api.post(
        f"/drafts/{money}/reject",
        {"version": 1, "reason": "wrong-section", "primary_section": "national-strategy"},
    ).get_json()
    assert moved["section"] == "national-strategy"
    assert moved["history"][0]["corrected_section"] == "national-strategy"
    other = api.post(
        f"/drafts/{xss}/reject", {"version": 1, "reason": "other", "note": "an old story"}
    ).get_json()
    assert other["history"][0]["note"] == "an old story"
    assert sorted(d["id"] for d in api.json("/drafts?status=rejected")["items"]) == sorted(
        (leave, money, xss)
    )
    assert api.json("/approved-updates")["items"] == []


BAD_BODIES: list[tuple[str, Any, str]] = [
    ("approve", None, "must be a JSON object"),
    ("approve", [1], "must be a JSON object"),
    ("approve", {}, "version is required"),
    ("approve", {"version": "1"}, "version must be the draft version you saw"),
    ("approve", {"version": True}, "version must be the draft version you saw"),
    ("approve", {"version": 0}, "version must be the draft version you saw"),
    ("approve", {"version": 1, "reason": "duplicate"}, "unknown field 'reason'"),
    ("approve", {"version": 1, "history_line": "  "}, "history_line cannot be empty"),
    ("approve", {"version": 1, "paragraph": 3}, "paragraph must be a string"),
    ("approve", {"version": 1, "primary_section": "nowhere"}, "primary_section must be"),
    ("approve", {"version": 1, "status_suggestion": "Done"}, "status_suggestion must be"),
    ("approve", {"version": 1, "status_suggestion": {"reason": "x"}}, "status_suggestion"),
    ("approve", {"version": 1, "note": 5}, "note must be a string"),
    ("approve", {"version": 1.5}, "version must be the draft version you saw"),
    ("edit", {"version": 1, "paragraph": "a\x00b"}, "NUL"),
    ("edit", {"version": 1, "paragraph": "\ud800"}, "valid Unicode"),  # a lone surrogate
    ("edit", {"version": 1, "primary_section": {}}, "primary_section must be"),
    ("reject", {"version": 1, "reason": "other", "note": [None]}, "note must be a string"),
    ("edit", {"version": 1}, "nothing to edit"),
    ("edit", {"version": 1, "note": "only a note"}, "nothing to edit"),
    ("edit", {"version": 1, "title": "x"}, "unknown field 'title'"),
    ("reject", {"version": 1}, "reason is required"),
    ("reject", {"version": 1, "reason": "boring"}, "reason is required"),
    ("reject", {"version": 1, "reason": "other"}, "say why in note"),
    ("reject", {"version": 1, "reason": "other", "note": " "}, "say why in note"),
    ("reject", {"version": 1, "reason": "duplicate", "paragraph": "x"}, "keeps no edits"),
    ("reject", {"version": 1, "reason": "duplicate", "primary_section": "data"}, "wrong-section"),
    ("reject", {"version": 1, "reason": "wrong-section"}, "send primary_section"),
    ("reject", {"version": 1, "reason": "wrong-section", "primary_section": None}, "send primary"),
    ("edit", {"version": 1, "paragraph": " "}, "paragraph cannot be empty"),
]


def test_bad_bodies_are_422_and_change_nothing(api: Api) -> None:
    draft_id = api.site.draft_ids()[0]
    for action, body, message in BAD_BODIES:
        response = api.post(f"/drafts/{draft_id}/{action}", body)
        assert response.status_code == 422, (action, body)
        error = response.get_json()
        assert error["error"] == "Unprocessable Entity"
        assert message in error["detail"], (action, body, error)
        assert error["problems"] and all(p in error["detail"] for p in error["problems"])
    not_json = api.call(
        "POST",
        f"/drafts/{draft_id}/approve",
        "reviewer",
        data="version=1",
        content_type="text/plain",
    )
    assert not_json.status_code == 422
    detail = api.json(f"/drafts/{draft_id}")
    assert (detail["version"], detail["status"], detail["history"]) == (1, "pending", [])


def test_unknown_draft_is_404(api: Api) -> None:
    for action in ("approve", "edit", "reject"):
        response = api.post(f"/drafts/999999/{action}", {"version": 1, "reason": "duplicate"})
        assert response.status_code == 404
        assert response.get_json() == {"error": "Not Found", "detail": "no draft 999999"}
    assert api.post("/drafts/99999999999/approve", {"version": 1}).status_code == 404


# -- the OpenAPI document --------------------------------------------------------------------


@pytest.fixture
def bare_app(tmp_path: Path) -> Iterator[Flask]:
    """The app over an empty SQLite database: enough to read its routes."""
    config = tmp_path / "sources.yaml"
    config.write_text(
        "sources:\n  - {id: a, name: A, url: 'http://127.0.0.1:9/', kind: html}\n",
        encoding="utf-8",
    )
    engine = db.make_engine(f"sqlite:///{tmp_path / 'monitor.db'}")
    db.upgrade(engine)
    yield create_app(Store(engine), config, testing=True)
    engine.dispose()


def test_routes_and_openapi_paths_are_the_same(bare_app: Flask) -> None:
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in bare_app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX + "/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {
        (path, method)
        for path, item in document()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "OpenAPI paths that are not routes"
    assert len(routes) == 16


def test_openapi_document_is_valid() -> None:
    raw = document()
    assert raw["openapi"].startswith("3.1")
    SCHEMA.validate()  # the OpenAPI 3.1 meta-schema (raises on the first problem)
    for name, schema in raw["components"]["schemas"].items():
        jsonschema_rs.meta.validate(schema)  # each schema is valid JSON Schema 2020-12
        assert schema.get("type") == "object", name
    operation_ids = [op["operationId"] for item in raw["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
    for item in raw["paths"].values():
        for operation in item.values():
            assert "401" in operation["responses"] and "403" in operation["responses"]
    assert raw["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.fixture
def hypothesis_home(tmp_path: Path) -> Iterator[None]:
    """Hypothesis keeps caches (and would keep examples) in ./.hypothesis: not in the repo."""
    set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    set_hypothesis_home_dir(None)  # back to the default (HYPOTHESIS_STORAGE_DIRECTORY or ./)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def generated_cases(operation: Any, known: dict[str, list[Any]]) -> st.SearchStrategy[Any]:
    """Schemathesis' cases; generated ids rarely exist, so half use ids that do (200s too)."""
    strategy = operation.as_strategy()
    for parameter in operation.path_parameters:
        existing = st.sampled_from(known[parameter.name]).flatmap(
            lambda value, name=parameter.name: operation.as_strategy(path_parameters={name: value})
        )
        strategy = st.one_of(strategy, existing)
    return strategy


def run_schemathesis(
    site: Site, methods: set[str], role: str, examples: int, under: str = "/"
) -> list[str]:
    """Generate requests for the operations with ``methods`` whose path starts with ``under``;
    every response must conform."""
    token = {"Authorization": f"Bearer {site.tokens[role]}"}
    schema = schemathesis.openapi.from_wsgi(f"{PREFIX}/openapi.json", site.app, headers=token)
    with site.store.session() as session:
        known: dict[str, list[Any]] = {
            "source_id": list(session.scalars(select(SourceRow.id))),
            "snapshot_id": list(session.scalars(select(SnapshotRow.id))),
            "change_id": list(session.scalars(select(ChangeRow.id))),
            "draft_id": site.draft_ids(),
        }
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() not in methods or not operation.path.startswith(under):
            continue

        @hypothesis.given(case=generated_cases(operation, known), current=st.booleans())
        @hypothesis.settings(
            max_examples=examples,
            deadline=None,
            database=None,  # no example database (and see the hypothesis_home fixture)
            derandomize=True,  # the same requests on every run
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any, current: bool) -> None:
            if current and isinstance(case.body, dict):  # the version the draft has now
                found = site.store.draft(case.path_parameters["draft_id"])
                case.body["version"] = found[0].version if found else 1
            case.call_and_validate(headers=token, checks=CHECKS)

        run()
        tested.append(f"{operation.method.upper()} {operation.path}")
    return tested


@pytest.mark.usefixtures("hypothesis_home")
def test_get_responses_conform_to_the_openapi_document(site: Site) -> None:
    """Schemathesis generates requests for every GET operation; responses must conform:
    no server error, a documented status code, content type and headers, and a body valid
    against the operation's response schema."""
    tested = run_schemathesis(site, {"GET"}, "viewer", examples=15)
    # schemathesis leaves out the operation that serves the document it was loaded from
    expected = {f"GET {path}" for path, item in document()["paths"].items() if "get" in item}
    assert set(tested) == expected - {"GET /openapi.json"}


@pytest.mark.usefixtures("hypothesis_home")
def test_decision_responses_conform_to_the_openapi_document(site: Site) -> None:
    """The same for approve, edit and reject with generated bodies (200, 404, 409 or 422)."""
    tested = run_schemathesis(site, {"POST"}, "reviewer", examples=15, under="/drafts/")
    assert len(tested) == 3


@pytest.mark.usefixtures("hypothesis_home")
def test_pause_and_resume_responses_conform_to_the_openapi_document(site: Site) -> None:
    """The same for pausing and resuming sources with an admin's token (200 or 404). They
    change the database, but `site` is this test's own, and the requests are derandomized."""
    tested = run_schemathesis(site, {"POST"}, "admin", examples=15, under="/sources/")
    assert sorted(tested) == ["POST /sources/{source_id}/pause", "POST /sources/{source_id}/resume"]
    assert source_audit(Api(site))  # some requests reached a real source and were audited
