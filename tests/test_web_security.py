"""Security and robustness of the review app and the JSON API: findings of a review, each
proved here first (the test failed before its fix).

Every test runs against the real app over SQLite and PostgreSQL (see tests/webapp.py).
"""

from __future__ import annotations

import html
import re
import time
import xml.etree.ElementTree as ET

import pytest
from flask.testing import FlaskClient

from monitor.web.auth import hash_password
from storage.accounts import Accounts
from tests.webapp import PASSWORD, USERS, Site, csrf_token, login

ATOM = "{http://www.w3.org/2005/Atom}"
HOUR = 3600.0
HUGE = "9" * 25  # no id is that large (ids are 32-bit), on either database


def _form(site: Site, role: str, draft_id: int) -> tuple[FlaskClient, dict[str, str]]:
    """A logged-in client and the draft form's values as a browser submits them."""
    client = site.client(role)
    page = client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    values = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page)
    }
    for name, text in re.findall(r'<textarea[^>]*name="(\w+)"[^>]*>(.*?)</textarea>', page, re.S):
        values[name] = html.unescape(text)
    return client, values


# --- logging in ---------------------------------------------------------------------------


def test_a_next_link_with_control_characters_goes_to_the_queue(site: Site) -> None:
    """A login link carrying CR/LF in ``next`` logged the user in and then crashed (500)."""
    client = site.client()
    for target in ("/\r\nSet-Cookie: pwned=1", "/sources/\n", "/\x7f"):
        client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
        response = client.post(
            "/login",
            data={
                "email": USERS["viewer"],
                "password": PASSWORD,
                "csrf_token": csrf_token(client, "/login"),
                "next": target,
            },
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
        assert "pwned" not in str(response.headers)


def test_a_login_lasts_session_hours_however_often_it_is_used(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flask re-signs a permanent session cookie on every response, so a login used at least
    every session_hours (or a stolen cookie replayed as often) never ended."""
    now = time.time()
    clock = [now - 13 * HOUR]  # the past: the test client's cookie jar uses the real clock
    monkeypatch.setattr(time, "time", lambda: clock[0])
    client = site.client("reviewer")  # logged in 13 hours ago (session_hours: 12)
    clock[0] = now - 2 * HOUR
    assert client.get("/").status_code == 200  # 11 hours after logging in: still in
    clock[0] = now
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_an_expired_login_still_shows_the_reviewers_text_back(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the docs promise for an expired session: nothing is changed, the text comes back."""
    now = time.time()
    clock = [now - 13 * HOUR]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    draft = site.draft_for("money")
    client, values = _form(site, "reviewer", draft)
    clock[0] = now - 2 * HOUR
    assert client.get("/").status_code == 200
    clock[0] = now
    values |= {
        "action": "edit",
        "paragraph": "My careful rewording.",
        "primary_section": "data",
        "suggested_status": "Good progress",
        "suggested_reason": "MY REASON TEXT",
    }
    response = client.post(f"/drafts/{draft}", data=values)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "My careful rewording." in page and "MY REASON TEXT" in page  # every choice comes back
    assert "Good progress" in page and "<h2>Tracker section</h2><p>Data</p>" in page
    found = site.store.draft(draft)
    assert found is not None and found[0].version == 1


def test_a_password_reset_ends_the_logins_made_with_the_old_one(site: Site) -> None:
    """Resetting a compromised password (even with the account deactivated meanwhile) left
    every session cookie of the old password working."""
    accounts = Accounts(site.store.engine)
    reviewer = site.client("reviewer")
    assert reviewer.get("/").status_code == 200
    accounts.update_user(USERS["reviewer"], actor="test", password_hash=hash_password("x" * 12))
    assert reviewer.get("/").status_code == 302
    viewer = site.client("viewer")
    accounts.update_user(USERS["viewer"], actor="test", active=False)
    accounts.update_user(USERS["viewer"], actor="test", password_hash=hash_password("y" * 12))
    accounts.update_user(USERS["viewer"], actor="test", active=True)
    assert viewer.get("/").status_code == 302
    login(viewer, USERS["viewer"], "y" * 12)  # the new password works
    assert viewer.get("/").status_code == 200
    accounts.update_user(USERS["viewer"], actor="test", role="reviewer")  # not a reset
    assert viewer.get("/").status_code == 200


# --- the Atom feed --------------------------------------------------------------------------


def test_the_feed_survives_text_that_xml_cannot_carry(site: Site) -> None:
    """One approved draft with a control character (from a page, the form or the API) made
    the public feed a 500 for everyone."""
    draft = site.draft_for("money")
    response = site.app.test_client().post(
        f"/api/v1/drafts/{draft}/approve",
        json={"version": 1, "history_line": "28 Nov: a\x0bb\x1b[0m", "paragraph": "p\x01q"},
        headers={"Authorization": f"Bearer {site.tokens['reviewer']}"},
    )
    assert response.status_code == 200
    feed = site.client().get("/approved/feed.atom")
    assert feed.status_code == 200
    entry = ET.fromstring(feed.get_data()).find(f"{ATOM}entry")
    assert entry is not None
    assert entry.findtext(f"{ATOM}title") == "28 Nov: ab[0m"
    assert entry.findtext(f"{ATOM}content") == "pq"


# --- odd input: a clear 4xx, never a 500 ------------------------------------------------------


def test_ids_too_large_to_exist_are_not_found(site: Site) -> None:
    """The API refused such ids; the pages passed them to the database (500)."""
    viewer, admin = site.client("viewer"), site.client("admin")
    assert viewer.get(f"/drafts/{HUGE}").status_code == 404
    token = csrf_token(admin, "/admin/users")
    for path, data in (
        (f"/admin/users/{HUGE}/role", {"role": "viewer"}),
        (f"/admin/users/{HUGE}/active", {"active": "false"}),
        (f"/admin/tokens/{HUGE}/revoke", {}),
        (f"/drafts/{HUGE}", {"action": "edit", "version": "1", "history_line": "x"}),
    ):
        assert admin.post(path, data={"csrf_token": token, **data}).status_code == 404, path


def test_version_numbers_that_are_not_plain_digits_are_clear_errors(site: Site) -> None:
    """``str.isdigit`` accepts '²' (int() does not) and 5000 digits (int() refuses): 500s."""
    viewer = site.client("viewer")
    for value in ("²", "9" * 5000):
        response = viewer.get("/sources/money/diff", query_string={"from": value})
        assert response.status_code == 400, value
    draft = site.draft_for("money")
    client, values = _form(site, "reviewer", draft)
    for value in ("²", "9" * 5000):
        response = client.post(
            f"/drafts/{draft}", data=values | {"action": "edit", "version": value}
        )
        assert response.status_code == 422, value
    found = site.store.draft(draft)
    assert found is not None and found[0].version == 1


def test_the_draft_form_refuses_a_section_that_does_not_exist(site: Site) -> None:
    """The API refused an unknown primary_section; the form stored it (and taught it)."""
    draft = site.draft_for("money")
    client, values = _form(site, "reviewer", draft)
    for action, extra in (("approve", {}), ("reject", {"reason": "wrong-section"})):
        form = values | {"action": action, "primary_section": "no-such-section", **extra}
        response = client.post(f"/drafts/{draft}", data=form)
        assert response.status_code == 422, action
    found = site.store.draft(draft)
    assert found is not None
    assert found[0].status == "pending" and found[0].primary_section != "no-such-section"


def test_feed_links_use_the_configured_public_address_not_the_host_header(site: Site) -> None:
    import xml.etree.ElementTree as ET

    atom = "{http://www.w3.org/2005/Atom}"
    text = site.monitor.config.read_text()
    site.monitor.config.write_text(
        'notifications: {review_url: "https://monitor.example.org/drafts/{id}"}\n' + text
    )
    response = site.client().get("/approved/feed.atom", headers={"Host": "evil.example"})
    root = ET.fromstring(response.get_data())
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{atom}link")}
    assert links == {
        "self": "https://monitor.example.org/approved/feed.atom",
        "alternate": "https://monitor.example.org/approved/",
    }
    site.monitor.config.write_text(text)  # no review_url: the request's own address
    root = ET.fromstring(site.client().get("/approved/feed.atom").get_data())
    assert {link.get("href") for link in root.findall(f"{atom}link")} == {
        "http://localhost/approved/feed.atom",
        "http://localhost/approved/",
    }


# --- password guessing ----------------------------------------------------------------------


def test_failed_logins_lock_the_account_for_a_while(site: Site) -> None:
    client = site.app.test_client()
    email = USERS["reviewer"]

    def attempt(password: str) -> int:
        token = csrf_token(client, "/login")
        form = {"csrf_token": token, "email": email, "password": password, "next": ""}
        return client.post("/login", data=form).status_code

    assert [attempt(f"guess {i}") for i in range(5)] == [401] * 5
    locked = client.post(
        "/login",
        data={"csrf_token": csrf_token(client, "/login"), "email": email, "password": PASSWORD},
    )
    assert locked.status_code == 429  # even the right password, until the window passes
    assert "Too many failed logins for this account. Try again in 15 minutes" in locked.text
    other = site.app.test_client()  # other accounts are not affected
    login(other, USERS["viewer"])
    assert other.get("/").status_code == 200


def test_the_lock_opens_after_the_window_and_a_good_login_clears_it() -> None:
    from monitor.web.throttle import FAILURES, WINDOW, LoginThrottle

    now = [1000.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for _ in range(FAILURES - 1):
        throttle.failed("Ada@example.org")
    assert throttle.wait("ada@example.org") == 0
    throttle.succeeded("ada@example.org")
    throttle.failed("ada@example.org")  # the count started again
    assert throttle.wait("ada@example.org") == 0
    for _ in range(FAILURES):
        throttle.failed("ada@example.org")
    now[0] += 60
    assert throttle.wait("ada@example.org") == 14
    now[0] += WINDOW
    assert throttle.wait("ada@example.org") == 0


def test_metrics_answers_a_scraper_401_and_a_browser_the_login_page(site: Site) -> None:
    client = site.app.test_client()
    prometheus = (
        "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,"
        "*/*;q=0.2"
    )
    for accept in (prometheus, "*/*", "text/plain;version=0.0.4"):
        assert client.get("/metrics", headers={"Accept": accept}).status_code == 401, accept
    scraper = client.get("/metrics", headers={"Accept": prometheus})
    assert "Bearer TOKEN" in scraper.text
    assert scraper.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer pm_nope", "Accept": "*/*"})
    assert wrong.status_code == 401
    browser = client.get("/metrics", headers={"Accept": "text/html,application/xhtml+xml"})
    assert browser.status_code == 302 and "/login" in browser.headers["Location"]
    token = site.tokens["viewer"]
    for scheme in ("Bearer", "bearer", "BEARER"):  # the scheme's name is case-insensitive
        ok = client.get("/metrics", headers={"Authorization": f"{scheme} {token}"})
        assert ok.status_code == 200 and "policy_monitor_drafts_pending" in ok.text
        api = client.get("/api/v1/drafts", headers={"Authorization": f"{scheme} {token}"})
        assert api.status_code == 200


def test_guessing_many_names_does_not_grow_the_login_throttle_without_end() -> None:
    from monitor.web.throttle import MAX_KEYS, LoginThrottle

    now = [0.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for i in range(MAX_KEYS * 3):
        now[0] += 0.001
        throttle.failed(f"nobody{i}@example.org")
    assert len(throttle._failures) <= MAX_KEYS
    for _ in range(5):
        throttle.failed("ada@example.org")
    assert throttle.wait("ada@example.org") > 0  # the latest are kept
