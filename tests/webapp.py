"""A review app over a real database with real drafts, for the web, API and browser tests.

Drafts are made the way production makes them: a local page server serves a version of each
page, the pipeline checks it, the page changes, the pipeline checks again and drafts updates.
One source's new text carries ``<script>`` and ``onerror=`` as page text, to prove the app
shows page content as inert text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from monitor.web.app import create_app
from monitor.web.auth import hash_password
from storage import db
from storage.accounts import Accounts
from storage.store import Store
from tests.climonitor import Monitor
from tests.pageserver import PageServer
from tests.test_classify import AFTER, BEFORE, PAGE

PASSWORD = "correct horse battery"
USERS = {
    "viewer": "viewer@example.org",
    "reviewer": "rev@example.org",
    "admin": "admin@example.org",
}
LEAVE_BEFORE = "Employees can take shared parental leave after the birth of a child."
LEAVE_AFTER = (
    "The Employment Rights Bill gives kinship carers a right to kinship care leave: "
    "amendment 62 adds paid leave for kinship carers in England from April 2027."
)
XSS = (
    "The Department for Education published a kinship care strategy for England with a "
    "£40 million kinship allowance trial. <script>alert('xss')</script> "
    '<img src=x onerror="alert(1)"> kinship carers'
)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Site:
    """The app, its database, its users and tokens, and the drafts it holds."""

    app: Flask
    store: Store
    monitor: Monitor
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, role: str | None = None) -> FlaskClient:
        """A test client, logged in as the user with ``role`` (None: anonymous)."""
        client = self.app.test_client()
        if role is not None:
            login(client, USERS[role])
        return client

    def draft_ids(self, status: str = "pending") -> list[int]:
        """Draft ids with a status, lowest first."""
        return sorted(d.id for d in self.store.drafts(status=status))

    def draft_for(self, source_id: str) -> int:
        """The draft made from a source's change."""
        return next(d.id for d in self.store.drafts() if d.source_id == source_id)


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    page = client.get(path)
    found = CSRF.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a browser would."""
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def make_site(tmp_path: Path, server: PageServer, database_url: str) -> Site:
    """Two checks of three changing pages → drafts; users of every role with tokens."""
    monitor = Monitor(tmp_path, server, database_url)
    pages = {"money": "/guidance/kinship-money", "leave": "/guidance/leave", "xss": "/news/x"}
    sections = {"money": "financial-allowances", "leave": "kinship-care-leave", "xss": "data"}
    names = {"money": "Kinship care financial support", "leave": "Kinship care leave", "xss": "X"}
    monitor.configure(
        *(
            f"{{id: {sid}, name: {names[sid]}, url: '{server.url(path)}', kind: html, "
            f"sections: [{sections[sid]}]}}"
            for sid, path in pages.items()
        )
    )
    with monitor.config.open("a") as config:
        config.write("review: {secure_cookies: false}\n")
    before = {"money": BEFORE, "leave": LEAVE_BEFORE, "xss": BEFORE}
    after = {"money": AFTER, "leave": LEAVE_AFTER, "xss": XSS}
    for version in (before, after):
        for sid, path in pages.items():
            server.set(path, PAGE.format(allowance=_html_text(version[sid]), contact="x"))
        assert monitor.run("check", "--all").exit_code == 0
    engine = db.make_engine(database_url)
    store = Store(engine)
    accounts = Accounts(engine)
    site = Site(create_app(store, monitor.config, testing=True), store, monitor)
    for role, email in USERS.items():
        accounts.add_user(email, hash_password(PASSWORD), role, actor="test")
        site.tokens[role] = accounts.create_token(email, "tests", actor="test")
    return site


def _html_text(text: str) -> str:
    """Page text as HTML source: markup in it is text, so escape it like a CMS would."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.fixture
def site(tmp_path: Path, page_server: PageServer, database_url: str) -> Iterator[Site]:
    """A review app with drafts, on SQLite and on PostgreSQL."""
    made = make_site(tmp_path, page_server, database_url)
    try:
        yield made
    finally:
        made.store.engine.dispose()
