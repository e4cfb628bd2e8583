"""Parsed tracker sections are stored with each new version and refresh section titles."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.classify import with_tracker_titles
from monitor.cli import cli
from monitor.relevance import default_profiles
from storage import db
from storage.store import Store
from tests.pageserver import PageServer
from tests.test_tracker import section_page, single_page


def run(config: Path, url: str, *args: str) -> str:
    result = CliRunner().invoke(
        cli, ["--config", str(config), "--database-url", url, *args], catch_exceptions=False
    )
    return result.output


def sections(url: str) -> list:
    engine = db.make_engine(url)
    try:
        return Store(engine).tracker_sections()
    finally:
        engine.dispose()


def test_sections_are_stored_and_replaced_on_change(
    tmp_path: Path, page_server: PageServer, database_url: str
) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(
        "defaults: {retries: 0}\nsources:\n"
        f"  - {{id: tracker, name: Tracker, url: '{page_server.url('/t')}', kind: tracker}}\n"
    )
    page_server.set("/t", single_page({"leave": "right", "money": "good"}, ["1 Nov: Hello."]))
    assert json.loads(run(config, database_url, "check", "--all", "--json"))["status"] == "new"
    stored = {row.section_id: row for row in sections(database_url)}
    assert set(stored) == {"kinship-care-leave", "financial-allowances"}
    assert stored["kinship-care-leave"].status_level == "right-direction"
    assert "Officials" in stored["kinship-care-leave"].happening_now

    page_server.set("/t", single_page({"leave": "lagging", "money": "good"}, ["1 Nov: Hello."]))
    assert json.loads(run(config, database_url, "check", "--all", "--json"))["status"] == "changed"
    stored = {row.section_id: row for row in sections(database_url)}
    assert len(stored) == 2 and stored["kinship-care-leave"].status_level == "lagging"


def test_section_titles_follow_the_parsed_tracker(
    tmp_path: Path, page_server: PageServer, sqlite_url: str
) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(
        "defaults: {retries: 0}\nsources:\n"
        f"  - {{id: legal, name: Legal, url: '{page_server.url('/l')}', kind: tracker}}\n"
    )
    page_server.set("/l", section_page("Slow progress", "Good progress (September 2023)"))
    run(config, sqlite_url, "check", "--all")
    [row] = sections(sqlite_url)
    assert row.section_id == "legal-aid" and row.title == "Family justice and legal aid"
    profiles = with_tracker_titles(default_profiles(), [row])
    assert profiles.title("legal-aid") == "Family justice and legal aid"
    assert default_profiles().title("legal-aid") != profiles.title("legal-aid")
