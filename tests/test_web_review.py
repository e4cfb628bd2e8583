"""The review app: logging in, the queue, the draft page, decisions, CSRF, conflicts, XSS."""

from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient

from storage.review import Decision
from tests.webapp import PASSWORD, USERS, Site, csrf_token, login

PUBLIC = {"/login", "/healthz", "/approved/feed.atom"}


def form_of(client: FlaskClient, draft_id: int) -> dict[str, str]:
    """The draft form's current values, as the browser would submit them."""
    return form_values(client.get(f"/drafts/{draft_id}").get_data(as_text=True))


def form_values(page: str) -> dict[str, str]:
    """The values of the draft form on a page."""
    found = re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page)
    values = {name: html.unescape(value) for name, value in found}
    for name, text in re.findall(r'<textarea[^>]*name="(\w+)"[^>]*>(.*?)</textarea>', page, re.S):
        values[name] = html.unescape(text)
    section = re.search(r'<option value="([\w-]+)" selected>', page)
    values["primary_section"] = section.group(1) if section else ""
    return values


# --- logging in -------------------------------------------------------------------------


def test_nothing_but_login_healthz_and_the_feed_is_open(site: Site) -> None:
    client = site.client()
    for rule in site.app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        path = re.sub(
            r"<(?:int:)?(\w+)>", lambda m: "1" if "int:" in m.group(0) else "money", rule.rule
        )
        response = client.get(path)
        if path in PUBLIC:
            assert response.status_code in (200, 503), path
        elif path.startswith("/api/") or path == "/metrics":  # no browser Accept: a client
            assert response.status_code == 401, path
        else:
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith("/login"), path


def test_login_with_the_right_password_and_not_the_wrong_one(site: Site) -> None:
    client = site.client()
    token = csrf_token(client, "/login")
    bad = client.post(
        "/login",
        data={"email": USERS["reviewer"], "password": "wrong password!", "csrf_token": token},
    )
    assert bad.status_code == 401
    assert "do not match an active account" in bad.get_data(as_text=True)
    assert client.get("/").status_code == 302
    login(client, USERS["reviewer"].upper())  # email is not case-sensitive
    assert client.get("/").status_code == 200


def test_login_refuses_a_post_without_csrf_token(site: Site) -> None:
    response = site.client().post("/login", data={"email": USERS["admin"], "password": PASSWORD})
    assert response.status_code == 400


def test_login_follows_only_same_site_next(site: Site) -> None:
    client = site.client()
    for target, expected in (
        ("/sources/", "/sources/"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
    ):
        client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
        token = csrf_token(client, "/login")
        response = client.post(
            "/login",
            data={
                "email": USERS["viewer"],
                "password": PASSWORD,
                "csrf_token": token,
                "next": target,
            },
        )
        assert response.headers["Location"] == expected


def test_session_cookie_is_httponly_and_samesite(site: Site) -> None:
    client = site.client()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": USERS["viewer"], "password": PASSWORD, "csrf_token": token}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_needs_post_with_csrf_and_ends_the_session(site: Site) -> None:
    client = site.client("viewer")
    assert client.post("/logout").status_code == 400  # no token: refused, still logged in
    assert client.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/").status_code == 302


def test_a_deactivated_user_is_logged_out(site: Site) -> None:
    from storage.accounts import Accounts

    client = site.client("reviewer")
    assert client.get("/").status_code == 200
    Accounts(site.store.engine).update_user(USERS["reviewer"], actor="test", active=False)
    assert client.get("/").status_code == 302


# --- queue ------------------------------------------------------------------------------


def test_queue_lists_pending_drafts_by_score_with_section_counts(site: Site) -> None:
    page = site.client("viewer").get("/").get_data(as_text=True)
    links = [int(n) for n in re.findall(r'href="/drafts/(\d+)"', page)]
    scores = {d.id: d.score for d in site.store.drafts()}
    assert sorted(links) == site.draft_ids()
    assert [scores[i] for i in links] == sorted(scores.values(), reverse=True)
    assert "Kinship care leave: 1" in page


def test_queue_filters(site: Site) -> None:
    client = site.client("viewer")
    leave = site.draft_for("leave")

    def listed(query: str) -> set[int]:
        return {
            int(n)
            for n in re.findall(
                r'href="/drafts/(\d+)"', client.get("/?" + query).get_data(as_text=True)
            )
        }

    assert listed("section=kinship-care-leave") == {leave}
    assert listed("source=leave") == {leave}
    assert listed("kind=bill-stage") == set()
    assert listed("since=2000-01-01") == set(site.draft_ids())
    assert listed("until=2000-01-01") == set()
    assert client.get("/?since=yesterday").status_code == 400


# --- draft page ---------------------------------------------------------------------------


def test_draft_page_shows_draft_beside_evidence(site: Site) -> None:
    draft = site.draft_for("money")
    page = site.client("viewer").get(f"/drafts/{draft}").get_data(as_text=True)
    assert "Why this draft exists" in page and "How it was scored" in page
    assert (
        "The text of a page this tracker follows changed on “Kinship care financial support”"
        in page
    )
    assert "which the tracker follows under Financial allowances" in page
    assert "<ins>" in page and "diff-side-by-side" in page  # inline and side by side
    assert "Allowances" in page  # the heading path of the change
    assert "£200 a week" in page
    assert site.monitor.server.url("/guidance/kinship-money") in page
    assert "readonly" in page and 'value="approve"' not in page  # viewers cannot decide


def test_page_text_with_script_and_onerror_renders_inert(site: Site) -> None:
    page = site.client("viewer").get(f"/drafts/{site.draft_for('xss')}").get_data(as_text=True)
    assert "&lt;script&gt;alert" in page
    assert "<script" not in page.lower()
    assert not re.search(r"<[^>]*\sonerror\s*=", page, re.I)


def test_security_headers(site: Site) -> None:
    response = site.client("viewer").get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_draft_is_404(site: Site) -> None:
    assert site.client("viewer").get("/drafts/999999").status_code == 404


# --- decisions ----------------------------------------------------------------------------


def test_reviewer_edits_then_approves_and_the_trail_says_who(site: Site) -> None:
    client = site.client("reviewer")
    draft = site.draft_for("money")
    values = form_of(client, draft)
    values.update(
        history_line="28 Nov: Amended 'Financial allowances' after the trial news.", action="edit"
    )
    assert client.post(f"/drafts/{draft}", data=values).status_code == 302
    values = form_of(client, draft)
    assert values["history_line"] == "28 Nov: Amended 'Financial allowances' after the trial news."
    values["action"] = "approve"
    response = client.post(f"/drafts/{draft}", data=values, follow_redirects=True)
    assert f"Approved draft #{draft}" in response.get_data(as_text=True)
    row, _ = site.store.draft(draft) or (None, None)
    assert row is not None and row.status == "approved" and row.version == 3
    trail = client.get(f"/drafts/{draft}").get_data(as_text=True)
    assert trail.count(USERS["reviewer"]) >= 3  # header + two trail entries
    assert "history line changed" in trail


def test_reject_needs_a_reason_and_keeps_it(site: Site) -> None:
    client = site.client("reviewer")
    draft = site.draft_for("xss")
    values = form_of(client, draft) | {"action": "reject"}
    response = client.post(f"/drafts/{draft}", data=values)
    assert response.status_code == 422
    assert "Say why you reject" in response.get_data(as_text=True)
    values |= {"reason": "other"}
    assert client.post(f"/drafts/{draft}", data=values).status_code == 422  # other needs a note
    values |= {"reason": "not-relevant", "note": "a test page"}
    assert client.post(f"/drafts/{draft}", data=values).status_code == 302
    decisions = [d for d, _, _ in site.store.decisions()]
    assert (decisions[-1].action, decisions[-1].reason, decisions[-1].note) == (
        "reject",
        "not-relevant",
        "a test page",
    )


def test_moving_a_draft_to_another_section_counts_as_wrong_section(site: Site) -> None:
    client = site.client("reviewer")
    draft = site.draft_for("xss")
    values = form_of(client, draft) | {"primary_section": "data", "action": "approve"}
    client.post(f"/drafts/{draft}", data=values)
    decision = [d for d, _, _ in site.store.decisions()][-1]
    assert (decision.reason, decision.corrected_section) == ("wrong-section", "data")


def test_viewer_cannot_decide(site: Site) -> None:
    client = site.client("viewer")
    draft = site.draft_for("money")
    values = form_of(client, draft) | {"action": "approve"}
    assert client.post(f"/drafts/{draft}", data=values).status_code == 403
    assert site.draft_ids("approved") == []


def test_decision_without_csrf_token_changes_nothing_but_shows_the_text_back(site: Site) -> None:
    client = site.client("reviewer")
    draft = site.draft_for("money")
    values = form_of(client, draft) | {"action": "approve", "history_line": "My careful wording."}
    del values["csrf_token"]
    response = client.post(f"/drafts/{draft}", data=values)
    assert response.status_code == 400
    assert "My careful wording." in response.get_data(as_text=True)
    assert site.draft_ids("approved") == []


def test_two_reviewers_editing_one_draft_do_not_overwrite_each_other(site: Site) -> None:
    draft = site.draft_for("leave")
    alice, bob = site.client("reviewer"), site.client("admin")
    alice_form, bob_form = form_of(alice, draft), form_of(bob, draft)
    alice_form |= {"paragraph": "Alice's paragraph.", "action": "edit"}
    assert alice.post(f"/drafts/{draft}", data=alice_form).status_code == 302
    bob_form |= {"paragraph": "Bob's paragraph.", "action": "approve"}
    response = bob.post(f"/drafts/{draft}", data=bob_form)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this draft" in page
    assert "Alice&#39;s paragraph." in page and "Bob&#39;s paragraph." in page  # theirs and mine
    row, _ = site.store.draft(draft) or (None, None)
    assert row is not None and (row.paragraph, row.status) == ("Alice's paragraph.", "pending")
    bob_form = form_values(page) | {
        "paragraph": "Bob's paragraph.",
        "action": "approve",
    }
    assert bob.post(f"/drafts/{draft}", data=bob_form).status_code == 302  # deliberate resubmit
    row, _ = site.store.draft(draft) or (None, None)
    assert row is not None and (row.paragraph, row.status) == ("Bob's paragraph.", "approved")


def test_storage_refuses_a_stale_version_directly(site: Site) -> None:
    from storage.review import DraftConflict, Reviews

    reviews = Reviews(site.store.engine)
    draft = site.draft_for("money")
    reviews.decide(
        draft, Decision(action="edit", reviewer="a", expected_version=1, fields={"paragraph": "A"})
    )
    with pytest.raises(DraftConflict, match="changed by a"):
        reviews.decide(draft, Decision(action="approve", reviewer="b", expected_version=1))


def test_odd_input_is_a_clear_400_not_a_crash(site: Site) -> None:
    client = site.client("reviewer")
    assert client.get("/?until=9999-12-31").status_code == 400
    assert client.get("/?source=a%00b").status_code == 400
    draft = site.draft_for("money")
    values = form_of(client, draft) | {"action": "edit", "paragraph": "nul \x00 here"}
    assert client.post(f"/drafts/{draft}", data=values).status_code == 400
    anonymous = site.client()
    token = csrf_token(anonymous, "/login")
    response = anonymous.post(
        "/login", data={"email": "a\x00@b.org", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 400


# --- reading the draft page for the first time ---------------------------------------------


def test_quoted_evidence_shows_removed_and_added_words_not_diff_markup() -> None:
    from monitor.web.review import quoted

    text = "Status: [-Slow-]{+Good+} progress; {+<script>alert(1)</script>+} [-a & b-]"
    assert str(quoted(text)) == (
        "Status: <del>Slow</del><ins>Good</ins> progress; "
        "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins> <del>a &amp; b</del>"
    )
    assert str(quoted("<b>no markers</b>")) == "&lt;b&gt;no markers&lt;/b&gt;"


def test_draft_page_quotes_and_kinds_read_as_words(site: Site) -> None:
    client = site.client("viewer")
    page = client.get(f"/drafts/{site.draft_for('money')}").get_data(as_text=True)
    quotes = re.findall(r"<blockquote>(.*?)</blockquote>", page, re.S)
    assert quotes and any("<ins>" in quote for quote in quotes)
    assert not any("{+" in quote or "[-" in quote for quote in quotes)
    assert "<dt>Kind of change</dt><dd>Content amended</dd>" in page
    assert "out of 1: how closely the change matches" in page  # the score explained
    queue = client.get("/").get_data(as_text=True)
    assert '<span class="tag">Content amended</span>' in queue
    assert ">content-amended<" not in queue
    assert '<option value="bill-stage">Bill stage</option>' in queue  # the filter, in words


def test_draft_page_says_what_to_do_first(site: Site) -> None:
    draft = site.draft_for("money")
    page = site.client("reviewer").get(f"/drafts/{draft}").get_data(as_text=True)
    assert page.index("Why this draft exists") < page.index("The draft update")
    assert '<ol class="steps">' in page and 'href="#evidence-heading"' in page
    assert ">Approve update</button>" in page and ">Reject draft</button>" in page
    viewer = site.client("viewer").get(f"/drafts/{draft}").get_data(as_text=True)
    assert '<ol class="steps">' not in viewer and "a reviewer or an admin decides them" in viewer


def test_a_conflict_says_what_the_other_reviewer_did(site: Site) -> None:
    draft = site.draft_for("leave")
    alice, bob = site.client("reviewer"), site.client("admin")
    alice_form, bob_form = form_of(alice, draft), form_of(bob, draft)
    assert alice.post(f"/drafts/{draft}", data=alice_form | {"action": "edit"}).status_code == 302
    response = bob.post(f"/drafts/{draft}", data=bob_form | {"action": "approve"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert f"{USERS['reviewer']} edited it on " in page  # not "editd"
    assert "it is now <strong>waiting for review</strong>" in page
    assert "Someone else changed this draft" in page and "Their section: " in page
    again = form_of(alice, draft)  # the same reviewer in two windows: say so
    assert alice.post(f"/drafts/{draft}", data=again | {"action": "edit"}).status_code == 302
    stale = alice.post(f"/drafts/{draft}", data=again | {"action": "approve"})
    assert stale.status_code == 409
    assert "You changed this draft in another window" in stale.get_data(as_text=True)


def test_an_empty_queue_says_what_to_do_next(site: Site) -> None:
    client = site.client("reviewer")
    filtered = client.get("/?kind=bill-stage").get_data(as_text=True)
    assert "No draft matches these filters" in filtered and "Clear the filters" in filtered
    for draft in site.draft_ids():
        values = form_of(client, draft) | {"action": "reject", "reason": "duplicate"}
        assert client.post(f"/drafts/{draft}", data=values).status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Nothing is waiting for review" in page
    assert 'href="/approved/"' in page and 'href="/sources/"' in page
    assert '<table class="queue' not in page


def test_times_read_the_same_way_everywhere() -> None:
    from datetime import UTC, datetime

    from monitor.web.app import _when

    moment = datetime(2026, 3, 5, 9, 7, 3, tzinfo=UTC)
    assert _when(moment) == "5\u00a0Mar\u00a02026 09:07\u00a0UTC"
    assert _when(moment, seconds=True) == "5\u00a0Mar\u00a02026 09:07:03\u00a0UTC"
    assert _when(None) == "—"


def test_draft_page_shows_the_section_as_the_tracker_publishes_it(site: Site) -> None:
    from sqlalchemy.orm import Session

    from storage.models import TrackerSectionRow
    from storage.store import utcnow

    snapshot = site.store.snapshots("money")[-1].id
    with Session(site.store.engine) as session, session.begin():
        session.add(
            TrackerSectionRow(
                source_id="money",
                section_id="financial-allowances",
                position=5,
                title="Financial allowances",
                status="Slow progress",
                status_level="lagging",
                previous_status="Good progress",
                previous_status_date="September 2023",
                happening_now="The government has announced a <b>£40 million</b> trial.",
                should_happen_next="A national allowance for every kinship carer.",
                snapshot_id=snapshot,
                updated_at=utcnow(),
            )
        )
    page = site.client("viewer").get(f"/drafts/{site.draft_for('money')}").get_data(as_text=True)
    assert "section today" in page and "Slow progress" in page
    assert "before: Good progress, September 2023" in page
    assert "&lt;b&gt;£40 million&lt;/b&gt; trial" in page  # tracker text is escaped too
    leave = site.client("viewer").get(f"/drafts/{site.draft_for('leave')}").get_data(as_text=True)
    assert "section today" not in leave  # no stored tracker section for it


def test_login_page_warns_when_secure_cookies_cannot_work(site: Site) -> None:
    site.app.config["SESSION_COOKIE_SECURE"] = True
    client = site.client()
    warning = "would not stay logged in"
    remote = client.get("/login", base_url="http://monitor.example.org")
    assert warning in remote.get_data(as_text=True)
    for base in ("https://monitor.example.org", "http://localhost:8080", "http://[::1]:8080"):
        assert warning not in client.get("/login", base_url=base).get_data(as_text=True), base
    site.app.config["SESSION_COOKIE_SECURE"] = False
    assert warning not in client.get("/login", base_url="http://monitor.example.org").get_data(
        as_text=True
    )


def test_wrong_section_needs_the_right_one_and_approval_needs_a_paragraph(site: Site) -> None:
    client = site.client("reviewer")
    draft = site.draft_for("money")
    values = form_of(client, draft) | {"action": "reject", "reason": "wrong-section"}
    response = client.post(f"/drafts/{draft}", data=values)  # the assessed section, unchanged
    assert response.status_code == 422
    assert "first choose the right tracker section" in response.get_data(as_text=True)
    for action in ("approve", "edit"):
        empty = form_of(client, draft) | {"action": action, "paragraph": "  "}
        response = client.post(f"/drafts/{draft}", data=empty)
        assert response.status_code == 422 and "paragraph cannot be empty" in (
            response.get_data(as_text=True)
        )
    assert site.draft_ids() and draft in site.draft_ids()  # still pending
    values |= {"primary_section": "data"}
    assert client.post(f"/drafts/{draft}", data=values).status_code == 302
    decision = [d for d, _, _ in site.store.decisions()][-1]
    assert (decision.reason, decision.corrected_section) == ("wrong-section", "data")


def test_moving_a_draft_warns_when_its_history_line_names_the_old_section(site: Site) -> None:
    client = site.client("reviewer")
    draft = site.draft_for("money")
    values = form_of(client, draft)
    assert "'Financial allowances'" in values["history_line"]
    moved = values | {"primary_section": "data", "action": "edit"}
    page = client.post(f"/drafts/{draft}", data=moved, follow_redirects=True).get_data(
        as_text=True
    )
    assert "still names &#39;Financial allowances&#39;, but the update is now in &#39;Data" in page
    kept = form_of(client, draft) | {"action": "edit"}  # section and line now agree? no warning
    kept["history_line"] = kept["history_line"].replace("Financial allowances", "Data")
    page = client.post(f"/drafts/{draft}", data=kept, follow_redirects=True).get_data(as_text=True)
    assert "still names" not in page
