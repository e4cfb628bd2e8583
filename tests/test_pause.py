"""Admins pause a source's schedule (CLI or review app); explicit checks still run."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.scheduler import Service
from storage import db
from storage.store import Store
from tests.climonitor import Monitor
from tests.pageserver import PageServer
from tests.test_classify import BEFORE, PAGE


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
        assert monitor.run("sources", "pause", "nope").exit_code == 3
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
