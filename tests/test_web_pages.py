"""The approved-updates, sources and admin pages, through the Flask test client.

Every test runs against a real app over SQLite and PostgreSQL holding three drafts made by the
pipeline (see tests/webapp.py); one source's new text carries ``<script>`` and ``onerror=`` as
page text, which must stay inert text on every page these views render.
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from flask.testing import FlaskClient

from monitor.web.approved import _cell, entry_id
from storage.accounts import Accounts, User
from tests.webapp import PASSWORD, USERS, Site, csrf_token, login, site

__all__ = ["site"]  # the fixture, imported for pytest

ATOM = "{http://www.w3.org/2005/Atom}"
READ_PAGES = (
    "/approved/",
    "/approved/export.md",
    "/approved/export.html",
    "/approved/export.csv",
    "/sources/",
    "/sources/money",
    "/sources/money/diff",
)
ADMIN_PAGES = ("/admin/users", "/admin/audit")


def approve(client: FlaskClient, draft_id: int, **fields: str) -> None:
    """Approve a draft through the review form, as a reviewer would (optionally edited)."""
    page = client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    selected = re.search(r'<option value="([^"]+)" selected>', page)
    form = {
        "csrf_token": csrf_token(client, f"/drafts/{draft_id}"),
        "action": "approve",
        "version": _field(page, "version"),
        "history_line": _field(page, "history_line"),
        "paragraph": _field(page, "paragraph"),
        "primary_section": selected.group(1) if selected else "",
    }
    form.update(fields)
    response = client.post(f"/drafts/{draft_id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)


def _field(page: str, name: str) -> str:
    """The value of a form field on a page (a textarea's text or an input's value)."""
    area = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    if area:
        return html.unescape(area.group(1))
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert tag, f"no field {name}"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else ""


def _set_review(site: Site, settings: str) -> None:
    """Rewrite sources.yaml's review: line and bump its mtime so the app re-reads it."""
    path = site.monitor.config
    text = re.sub(r"(?m)^review: .*$", f"review: {{{settings}}}", path.read_text())
    path.write_text(text)
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 10))


def _inert(body: str) -> None:
    """Page text with markup in it shows as text: no script tag, no onerror attribute."""
    assert not re.search(r"<script", body, re.I), body
    assert not re.search(r"<[^>]*\bonerror\s*=", body, re.I), body


# --- access -----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login_except_for_the_public_feed(site: Site) -> None:
    client = site.client()
    for path in (*READ_PAGES, *ADMIN_PAGES):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path
    feed = client.get("/approved/feed.atom")
    assert feed.status_code == 200
    assert feed.mimetype == "application/atom+xml"
    assert "public" in feed.headers["Cache-Control"]


def test_the_feed_needs_a_login_when_it_is_not_public(site: Site) -> None:
    _set_review(site, "secure_cookies: false, public_feed: false")
    response = site.client().get("/approved/feed.atom")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    viewer = site.client("viewer")
    feed = viewer.get("/approved/feed.atom")
    assert feed.status_code == 200
    assert feed.headers["Cache-Control"] == "private, no-store"
    assert "for logged-in users only" in viewer.get("/approved/").get_data(as_text=True)


def test_viewers_read_every_page_but_admin_pages_are_forbidden(site: Site) -> None:
    for role in ("viewer", "reviewer"):
        client = site.client(role)
        for path in READ_PAGES:
            assert client.get(path).status_code == 200, (role, path)
        for path in ADMIN_PAGES:
            assert client.get(path).status_code == 403, (role, path)
        token = csrf_token(client, "/approved/")
        viewer_id = _user_id(site, "viewer")
        posts = {
            "/admin/users": {"email": "x@example.org", "role": "admin", "password": PASSWORD},
            f"/admin/users/{viewer_id}/role": {"role": "admin"},
            f"/admin/users/{viewer_id}/active": {"active": "false"},
            f"/admin/tokens/{_token_ids(site)[0]}/revoke": {},
        }
        for path, data in posts.items():
            response = client.post(path, data={**data, "csrf_token": token})
            assert response.status_code == 403, (role, path)
    accounts = Accounts(site.store.engine)
    assert all(u.email != "x@example.org" for u in accounts.users())
    assert all(t.revoked_at is None for t, _ in accounts.tokens())
    assert next(u for u in accounts.users() if u.email == USERS["viewer"]).role == "viewer"


def test_admin_posts_without_a_csrf_token_change_nothing(site: Site) -> None:
    admin = site.client("admin")
    viewer_id = _user_id(site, "viewer")
    posts = {
        "/admin/users": {"email": "x@example.org", "role": "admin", "password": PASSWORD},
        f"/admin/users/{viewer_id}/role": {"role": "admin"},
        f"/admin/users/{viewer_id}/active": {"active": "false"},
        f"/admin/tokens/{_token_ids(site)[0]}/revoke": {},
    }
    for path, data in posts.items():
        response = admin.post(path, data=data)
        assert response.status_code == 400, path
        assert "nothing was changed" in response.get_data(as_text=True).lower()
    accounts = Accounts(site.store.engine)
    assert all(u.email != "x@example.org" for u in accounts.users())
    assert all(u.active for u in accounts.users())
    assert all(t.revoked_at is None for t, _ in accounts.tokens())


# --- approved updates -----------------------------------------------------------------


def test_an_approved_draft_appears_in_the_list_and_every_export(site: Site) -> None:
    reviewer = site.client("reviewer")
    money = site.draft_for("money")
    approve(
        reviewer,
        money,
        history_line="28 Nov: Amended 'Financial allowances' after the allowance trial.",
        paragraph="The government will pay a kinship allowance of £200 a week in a trial.",
        suggested_status="Right direction",
        suggested_reason="a national allowance is being trialled",
    )
    page = reviewer.get("/approved/").get_data(as_text=True)
    assert "after the allowance trial" in page
    assert "£200 a week in a trial" in page
    assert "Right direction" in page
    assert USERS["reviewer"] in page
    assert f'href="/drafts/{money}"' in page
    assert 'href="http://127.0.0.1:' in page  # the source link
    assert "shared parental leave" not in page  # a pending draft is not listed

    markdown = reviewer.get("/approved/export.md")
    assert markdown.mimetype == "text/markdown"
    assert re.match(
        r'attachment; filename="approved-updates-\d{4}-\d\d-\d\d\.md"',
        markdown.headers["Content-Disposition"],
    )
    text = markdown.get_data(as_text=True)
    assert "## Financial allowances" in text
    assert "\nThe government will pay a kinship allowance of £200 a week in a trial.\n" in text
    assert "Update history:\n\n- 28 Nov: Amended 'Financial allowances' after the" in text
    assert "Suggested status: Right direction (a national allowance is being trialled)" in text

    html_export = reviewer.get("/approved/export.html")
    assert html_export.headers["Content-Disposition"].endswith('.html"')
    body = html_export.get_data(as_text=True)
    assert body.startswith("<!doctype html>")
    assert "<h2>Financial allowances</h2>" in body
    assert "£200 a week in a trial" in body

    exported = reviewer.get("/approved/export.csv")
    assert exported.mimetype == "text/csv"
    assert exported.headers["Content-Disposition"].endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert list(row) == [
        "section_id",
        "section",
        "history_line",
        "paragraph",
        "suggested_status",
        "status_reason",
        "source",
        "url",
        "approved_by",
        "approved_at",
    ]
    assert row["section_id"] == "financial-allowances"
    assert row["section"] == "Financial allowances"
    assert row["paragraph"].endswith("£200 a week in a trial.")
    assert row["suggested_status"] == "Right direction"
    assert row["status_reason"] == "a national allowance is being trialled"
    assert row["source"] == "Kinship care financial support"
    assert row["url"].startswith("http://127.0.0.1:")
    assert row["approved_by"] == USERS["reviewer"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", row["approved_at"])


def test_approved_updates_are_in_tracker_order(site: Site) -> None:
    reviewer = site.client("reviewer")
    # approve the leave draft first: its section comes after financial allowances all the same
    approve(reviewer, site.draft_for("leave"))
    approve(reviewer, site.draft_for("money"))
    text = reviewer.get("/approved/export.md").get_data(as_text=True)
    assert text.index("## Financial allowances") < text.index("## Kinship care leave")
    page = reviewer.get("/approved/").get_data(as_text=True)
    assert page.index(">Financial allowances</h2>") < page.index(">Kinship care leave</h2>")


def test_csv_cells_never_start_a_formula(site: Site) -> None:
    reviewer = site.client("reviewer")
    approve(
        reviewer,
        site.draft_for("money"),
        history_line='=HYPERLINK("http://evil.example","click")',
        paragraph="+SUM(1,2)",
        suggested_status="@cmd",
        suggested_reason="x",
    )
    body = reviewer.get("/approved/export.csv").get_data().decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["history_line"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["paragraph"] == "'+SUM(1,2)"
    assert row["suggested_status"] == "'@cmd"
    for value in ("-2+3", "=1", "+1", "@A1", "\t=1", "\r=1"):
        assert _cell(value) == "'" + value
    assert _cell("plain - text = fine") == "plain - text = fine"


def test_the_atom_feed_parses_and_has_the_approved_update(site: Site) -> None:
    reviewer = site.client("reviewer")
    money = site.draft_for("money")
    approve(reviewer, money, history_line="28 Nov: Allowance trial announced.")
    response = site.client().get("/approved/feed.atom")
    assert response.status_code == 200
    root = ET.fromstring(response.get_data())
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") == "Kinship care policy tracker: approved updates"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    assert entry.findtext(f"{ATOM}id") == entry_id(money)
    assert entry.findtext(f"{ATOM}title") == "28 Nov: Allowance trial announced."
    draft = site.store.draft(money)
    assert draft is not None
    assert entry.findtext(f"{ATOM}content") == draft[0].paragraph
    link = entry.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href", "").endswith("/guidance/kinship-money")
    assert re.match(r"\d{4}-\d\d-\d\dT", entry.findtext(f"{ATOM}updated") or "")
    # the same entry id on the next fetch, whatever else is approved meanwhile
    approve(reviewer, site.draft_for("leave"))
    again = ET.fromstring(site.client().get("/approved/feed.atom").get_data())
    ids = [e.findtext(f"{ATOM}id") for e in again.findall(f"{ATOM}entry")]
    assert entry_id(money) in ids
    assert len(ids) == 2


def test_page_text_with_markup_is_inert_on_every_page(site: Site) -> None:
    reviewer = site.client("reviewer")
    approve(reviewer, site.draft_for("xss"))  # the paragraph keeps the page's <script> text
    pages = ["/approved/", "/approved/export.html", "/sources/xss", "/sources/xss/diff"]
    for path in pages:
        body = reviewer.get(path).get_data(as_text=True)
        _inert(body)
        if path != "/sources/xss":
            assert "&lt;script&gt;" in body, path
            assert "onerror=" in body, path  # as text only (checked by _inert)
    feed = site.client().get("/approved/feed.atom").get_data(as_text=True)
    _inert(feed)
    assert "&lt;script&gt;" in feed
    markdown = reviewer.get("/approved/export.md").get_data(as_text=True)
    assert "\\<script\\>" in markdown
    assert not re.search(r"(?<!\\)<script", markdown)
    exported = reviewer.get("/approved/export.csv").get_data().decode("utf-8-sig")
    assert "<script>alert('xss')</script>" in exported  # CSV is data, not markup


# --- sources ---------------------------------------------------------------------------


def test_the_sources_page_lists_every_source_with_its_state(site: Site) -> None:
    client = site.client("viewer")
    page = client.get("/sources/").get_data(as_text=True)
    for source_id, name in (("money", "Kinship care financial support"), ("leave", "Kinship")):
        assert f'href="/sources/{source_id}"' in page
        assert name in page
    assert page.count(">Web page</span>") == 3  # kind, in words
    assert page.count(">every 6 hours</td>") == 3  # the default schedule, in words
    assert page.count(">Changed</span>") == 3  # last status
    detail = client.get("/sources/money").get_data(as_text=True)
    versions = site.store.snapshots("money")
    assert len(versions) == 2
    for version in versions:
        assert f'<option value="{version.id}"' in detail
    assert 'action="/sources/money/diff"' in detail
    assert "Kinship care: financial support" in detail  # a version's title
    assert '<td data-label="HTTP status">200</td>' in detail  # a check's HTTP status
    assert f"from={versions[0].id}&amp;to={versions[1].id}" in detail


def test_a_diff_between_two_versions_shows_the_changed_words(site: Site) -> None:
    client = site.client("viewer")
    old, new = site.store.snapshots("leave")
    response = client.get(f"/sources/leave/diff?from={old.id}&to={new.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r"<del>[^<]*shared parental leave", page)
    assert re.search(r"<ins>[^<]*kinship care leave", page)
    assert 'class="diff-side-by-side"' in page
    assert "Kinship care: financial support › Allowances" in page  # the heading path
    assert client.get("/sources/leave/diff").get_data(as_text=True) == page  # the default
    reverse = client.get(f"/sources/leave/diff?from={new.id}&to={old.id}").get_data(as_text=True)
    assert re.search(r"<ins>[^<]*shared parental leave", reverse)


def test_unknown_sources_and_versions_are_not_found(site: Site) -> None:
    client = site.client("viewer")
    money = [v.id for v in site.store.snapshots("money")]
    xss = [v.id for v in site.store.snapshots("xss")]
    for path in (
        "/sources/nope",
        "/sources/nope/diff",
        "/sources/money/diff?from=999999",
        f"/sources/money/diff?from={money[0]}&to=999999",
        f"/sources/money/diff?from={xss[0]}&to={money[1]}",  # another source's version
        f"/sources/money/diff?to={money[0]}",  # nothing before the first version
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.get_data(as_text=True), path
    for path, reason in (
        ("/sources/money/diff?from=abc", "not a version number"),
        ("/sources/money/diff?from=-1", "not a version number"),
        (f"/sources/money/diff?from={money[1]}&to={money[1]}", "the same version twice"),
    ):
        response = client.get(path)
        assert response.status_code == 400, path
        page = response.get_data(as_text=True)
        assert "Cannot compare these versions" in page and reason in page, path


def test_a_source_removed_from_sources_yaml_keeps_its_history(site: Site) -> None:
    path = site.monitor.config
    path.write_text(re.sub(r"(?m)^  - \{id: leave,.*\n", "", path.read_text()))
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 10))
    client = site.client("viewer")
    assert "no longer in sources.yaml" in client.get("/sources/").get_data(as_text=True)
    assert client.get("/sources/leave").status_code == 200
    page = client.get("/sources/leave/diff").get_data(as_text=True)
    assert re.search(r"<ins>[^<]*kinship care leave", page)


# --- admin -----------------------------------------------------------------------------


def _user_id(site: Site, role: str) -> int:
    accounts = Accounts(site.store.engine)
    return next(u.id for u in accounts.users() if u.email == USERS[role])


def _user(accounts: Accounts, user_id: int) -> User:
    found = accounts.user(user_id)
    assert found is not None
    return found


def _token_ids(site: Site) -> list[int]:
    return [t.id for t, _ in Accounts(site.store.engine).tokens()]


def test_admins_add_users_and_see_clear_errors(site: Site) -> None:
    admin = site.client("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    for email in USERS.values():
        assert email in page
    token = csrf_token(admin, "/admin/users")
    added = admin.post(
        "/admin/users",
        data={
            "email": "New@Example.org",
            "role": "reviewer",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert added.status_code == 303
    assert "Added new@example.org as reviewer" in admin.get("/admin/users").get_data(as_text=True)
    fresh = site.app.test_client()
    login(fresh, "new@example.org")
    assert fresh.get("/approved/").status_code == 200

    cases = {
        "a user new@example.org already exists": ("new@example.org", "viewer", PASSWORD),
        "at least 10 characters": ("short@example.org", "viewer", "short"),
        "enter an email address": ("not-an-email", "viewer", PASSWORD),
        "choose a role": ("role@example.org", "owner", PASSWORD),
    }
    for message, (email, role, password) in cases.items():
        response = admin.post(
            "/admin/users",
            data={"email": email, "role": role, "password": password, "csrf_token": token},
        )
        assert response.status_code == 422, message
        body = response.get_data(as_text=True)
        assert "User not added" in body and message in body, body
        assert f'value="{password}"' not in body  # a password is never sent back
    emails = {u.email for u in Accounts(site.store.engine).users()}
    assert not emails & {"short@example.org", "role@example.org", "not-an-email"}


def test_admins_change_roles_deactivate_and_revoke_tokens(site: Site) -> None:
    admin = site.client("admin")
    token = csrf_token(admin, "/admin/users")
    viewer_id = _user_id(site, "viewer")
    viewer = site.client("viewer")
    accounts = Accounts(site.store.engine)

    promoted = admin.post(
        f"/admin/users/{viewer_id}/role", data={"role": "reviewer", "csrf_token": token}
    )
    assert promoted.status_code == 303
    assert _user(accounts, viewer_id).role == "reviewer"

    off = admin.post(
        f"/admin/users/{viewer_id}/active", data={"active": "false", "csrf_token": token}
    )
    assert off.status_code == 303
    assert _user(accounts, viewer_id).active is False
    assert viewer.get("/approved/").status_code == 302  # logged out by deactivation
    assert accounts.token_user(site.tokens["viewer"]) is None

    on = admin.post(
        f"/admin/users/{viewer_id}/active", data={"active": "true", "csrf_token": token}
    )
    assert on.status_code == 303
    assert _user(accounts, viewer_id).active is True

    revoked_id = next(t.id for t, email in accounts.tokens() if email == USERS["reviewer"])
    assert accounts.token_user(site.tokens["reviewer"]) is not None
    revoked = admin.post(f"/admin/tokens/{revoked_id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    assert accounts.token_user(site.tokens["reviewer"]) is None
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "Revoked token" in page
    assert page.count(">Revoke<span") == 2
    assert admin.post("/admin/tokens/999999/revoke", data={"csrf_token": token}).status_code == 404
    assert (
        admin.post(
            "/admin/users/999999/role", data={"role": "admin", "csrf_token": token}
        ).status_code
        == 404
    )

    audit = admin.get("/admin/audit").get_data(as_text=True)
    for action in ("changed user", "revoked API token"):
        assert action in audit
    assert audit.count(f'<td data-label="Who">{USERS["admin"]}</td>') >= 4  # each change's actor


def test_admins_cannot_demote_or_deactivate_themselves(site: Site) -> None:
    admin = site.client("admin")
    token = csrf_token(admin, "/admin/users")
    me = _user_id(site, "admin")
    demote = admin.post(f"/admin/users/{me}/role", data={"role": "viewer", "csrf_token": token})
    assert demote.status_code == 409
    assert "You cannot change your own role" in demote.get_data(as_text=True)
    off = admin.post(f"/admin/users/{me}/active", data={"active": "false", "csrf_token": token})
    assert off.status_code == 409
    assert "You cannot deactivate your own account" in off.get_data(as_text=True)
    user = Accounts(site.store.engine).user(me)
    assert user is not None and user.role == "admin" and user.active
    assert admin.get("/admin/users").status_code == 200


def test_the_audit_page_shows_draft_decisions(site: Site) -> None:
    reviewer = site.client("reviewer")
    money = site.draft_for("money")
    approve(reviewer, money)
    page = site.client("admin").get("/admin/audit").get_data(as_text=True)
    assert f'href="/drafts/{money}"' in page
    assert f'<td data-label="Who">{USERS["reviewer"]}</td>' in page
    assert "approved" in page
    assert "added user" in page  # the fixture's users, added by "test"


# --- accessibility and plain words -------------------------------------------------------


class _Structure(HTMLParser):
    """What a page offers people using a keyboard or a screen reader."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.h1 = 0
        self.skip_link = ""
        self.main_id = ""
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, dict[str, str], bool]] = []  # tag, attrs, inside a label
        self.buttons: list[str] = []
        self._labels = 0
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.lang = found.get("lang", "")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "a" and found.get("class") == "skip-link" and not self.skip_link:
            self.skip_link = found.get("href", "")
        elif tag == "main":
            self.main_id = found.get("id", "")
        elif tag == "label":
            self._labels += 1
            if "for" in found:
                self.label_for.add(found["for"])
        elif tag in ("input", "select", "textarea"):
            if found.get("type") not in ("hidden", "submit"):
                self.controls.append((tag, found, self._labels > 0))
        elif tag == "button":
            self._button = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._labels -= 1
        elif tag == "button" and self._button is not None:
            self.buttons.append("".join(self._button).strip())
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)


def _structure(body: str) -> _Structure:
    parsed = _Structure()
    parsed.feed(body)
    return parsed


def test_every_page_has_one_h1_a_skip_link_and_labelled_controls(site: Site) -> None:
    admin = site.client("admin")
    approve(admin, site.draft_for("money"))
    pages = {
        path: admin.get(path)
        for path in (
            "/",
            "/?kind=bill-stage",
            f"/drafts/{site.draft_for('money')}",
            f"/drafts/{site.draft_for('leave')}",
            *READ_PAGES[:1],
            *READ_PAGES[4:],
            *ADMIN_PAGES,
            "/admin/recipients/",
            "/drafts/999999",
            "/sources/nope",
        )
    }
    pages["/login"] = site.client().get("/login")
    pages["403"] = site.client("viewer").get("/admin/users")
    for path, response in pages.items():
        page = _structure(response.get_data(as_text=True))
        assert page.lang == "en-GB", path
        assert page.h1 == 1, (path, page.h1)
        assert page.skip_link == "#main" and page.main_id == "main", path
        for tag, attrs, wrapped in page.controls:
            named = wrapped or attrs.get("id") in page.label_for or attrs.get("aria-label")
            assert named, (path, tag, attrs)
        assert all(page.buttons), (path, page.buttons)  # every button says what it does


def test_kinds_statuses_and_schedules_read_as_words() -> None:
    from monitor.web.sources import check_status_label, schedule_text, source_kind_label

    assert [schedule_text(s) for s in ("6h", "1d", "30m", "1s", "2w")] == [
        "every 6 hours",
        "every day",
        "every 30 minutes",
        "every second",
        "every 2 weeks",
    ]
    assert schedule_text("0 7 * * 1-5") == "timetable 0 7 * * 1-5"
    assert schedule_text("not scheduled") == "not scheduled"
    assert source_kind_label("parliament-bill") == "Parliament bill"
    assert source_kind_label("some-new-kind") == "Some new kind"
    assert check_status_label("not-modified") == check_status_label("unchanged") == "No change"
    assert check_status_label("error") == "Failed"


def test_exports_have_one_charset(site: Site) -> None:
    client = site.client("viewer")
    for path, kind in (
        ("/approved/export.md", "text/markdown"),
        ("/approved/export.html", "text/html"),
        ("/approved/export.csv", "text/csv"),
    ):
        assert client.get(path).headers["Content-Type"] == f"{kind}; charset=utf-8", path


def test_the_markdown_export_names_a_drafts_source_once(site: Site) -> None:
    reviewer = site.client("reviewer")
    approve(reviewer, site.draft_for("money"))  # the paragraph as drafted, ending in its source
    text = reviewer.get("/approved/export.md").get_data(as_text=True)
    [paragraph] = [line for line in text.splitlines() if "Source: " in line]
    url = re.search(r"\((http://127\.0\.0\.1:\d+/[^)]*)\)", paragraph)
    assert url and text.count(url.group(1)) == 1, text


def test_admin_itself_leads_to_the_first_admin_page(site: Site) -> None:
    response = site.client("admin").get("/admin/")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users"
    assert site.client("reviewer").get("/admin/").status_code == 403
    assert site.client().get("/admin/").headers["Location"].startswith("/login")
