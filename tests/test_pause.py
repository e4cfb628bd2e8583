"""Admins pause a source's schedule (CLI or review app); explicit checks still run."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.scheduler import Service
from storage import db
from storage.accounts import Accounts
from storage.store import Store
from tests.climonitor import Monitor
from tests.pageserver import PageServer
from tests.test_classify import BEFORE, PAGE
from tests.webapp import Site, csrf_token


def test_paused_source_is_skipped_by_the_scheduler_until_resumed(
    tmp_path: Path, page_server: PageServer, database_url: str
) -> None:
    monitor = Monitor(tmp_path, page_server, database_url)
    url = page_server.url("/guidance/kinship-money")
    monitor.configure(f"{{id: money, name: Money, url: '{url}', kind: html}}")
    page_server.set("/guidance/kinship-money", PAGE.format(allowance=BEFORE, contact="x"))
    monitor.check()
    assert monitor.run("sources", "pause", "money").output.strip() == "money: paused"
    [item] = json.loads(monitor.run("sources", "list", "--json").output)
    assert item["paused"] is True
    engine = db.make_engine(database_url)
    try:
        store = Store(engine)
        service = Service(monitor.config, store, email=False)
        service._check("money")
        assert len(store.checks("money")) == 1  # skipped
        monitor.check("money")  # an explicit check still runs
        assert len(store.checks("money")) == 2
        assert monitor.run("sources", "resume", "money").exit_code == 0
        service._check("money")
        assert len(store.checks("money")) == 3
        assert monitor.run("sources", "pause", "nope").exit_code == 2
    finally:
        service._fetcher.close()
        engine.dispose()


def test_status_lists_paused_sources_and_not_as_due(
    tmp_path: Path, page_server: PageServer, sqlite_url: str
) -> None:
    monitor = Monitor(tmp_path, page_server, sqlite_url)
    url = page_server.url("/guidance/kinship-money")
    monitor.configure(f"{{id: money, name: Money, url: '{url}', kind: html, every: 1s}}")
    page_server.set("/guidance/kinship-money", PAGE.format(allowance=BEFORE, contact="x"))
    monitor.check()
    monitor.run("sources", "pause", "money")
    summary = json.loads(monitor.run("status", "--json").output)
    assert summary["paused"] == ["money"] and summary["due"] == []
    assert "paused: money" in monitor.run("status").output


def test_admin_pauses_and_resumes_a_source_in_the_app(site: Site) -> None:
    client = site.client("admin")
    token = csrf_token(client, "/sources/money")
    response = client.post(
        "/sources/money/pause", data={"csrf_token": token, "paused": "yes"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "Paused the scheduled checks" in page and "Resume scheduled checks" in page
    assert site.store.paused_ids() == {"money"}
    assert "Paused" in client.get("/sources/").get_data(as_text=True)
    client.post("/sources/money/pause", data={"csrf_token": token, "paused": "no"})
    assert site.store.paused_ids() == set()
    actions = [row.action for row in Accounts(site.store.engine).audit_log()]
    assert actions[:2] == ["source-resume", "source-pause"]


def test_only_admins_pause_sources(site: Site) -> None:
    client = site.client("reviewer")
    token = csrf_token(client, "/sources/money")
    assert "Pause scheduled checks" not in client.get("/sources/money").get_data(as_text=True)
    response = client.post("/sources/money/pause", data={"csrf_token": token, "paused": "yes"})
    assert response.status_code == 403 and site.store.paused_ids() == set()
    admin = site.client("admin")
    assert admin.post("/sources/money/pause", data={"paused": "yes"}).status_code == 400
