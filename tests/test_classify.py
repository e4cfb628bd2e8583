"""Classify and draft inside the pipeline: assessments and drafts stored, feedback applied."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from tests.pageserver import PageServer

PAGE = """<html><head><title>Kinship care: financial support - GOV.UK</title></head>
<body><main id="content"><h1>Kinship care: financial support</h1>
<p>Published 3 March 2025 by the Department for Education.</p>
<h2>Allowances</h2><p>{allowance}</p>
<h2>Contact</h2><p>{contact}</p></main></body></html>"""
BEFORE = "Local authorities decide whether to pay an allowance to kinship carers."
AFTER = (
    "The government will pay a kinship allowance of £200 a week to kinship carers in 10 "
    "local authorities in England from April 2026, as part of a £40 million trial."
)
HISTORY = re.compile(r"^\d{1,2} [A-Z][a-z]{2}: .+'.+'.+\.$")


class Monitor:
    def __init__(self, tmp_path: Path, server: PageServer, database_url: str) -> None:
        self.server, self.database_url = server, database_url
        self.config = tmp_path / "sources.yaml"
        self.config.write_text(
            "defaults: {retries: 0}\nhosts: {127.0.0.1: {rate: 0, concurrency: 4}}\n"
            f"sources:\n  - {{id: money, name: Kinship care financial support, "
            f"url: '{server.url('/guidance/kinship-money')}', kind: html, "
            "sections: [financial-allowances]}\n"
        )

    def serve(self, allowance: str, contact: str = "Write to the department.") -> None:
        self.server.set(
            "/guidance/kinship-money", PAGE.format(allowance=allowance, contact=contact)
        )

    def run(self, *args: str) -> Result:
        base = ["--config", str(self.config), "--database-url", self.database_url]
        return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)

    def check(self) -> dict:
        return json.loads(self.run("check", "money", "--json").output)

    def drafts(self, status: str = "pending") -> list[dict]:
        return json.loads(self.run("drafts", "list", "--status", status, "--json").output)


@pytest.fixture
def monitor(tmp_path: Path, page_server: PageServer, database_url: str) -> Monitor:
    return Monitor(tmp_path, page_server, database_url)


def test_a_relevant_change_gets_a_pending_draft_with_evidence(monitor: Monitor) -> None:
    monitor.serve(BEFORE)
    assert monitor.check()["status"] == "new"
    assert monitor.drafts() == []
    monitor.serve(AFTER)
    outcome = monitor.check()
    assert outcome["status"] == "changed" and outcome["relevant"] is True
    [draft] = monitor.drafts()
    assert draft["section"] == "financial-allowances"
    assert HISTORY.match(draft["history_line"]), draft["history_line"]
    assert "£200" in draft["paragraph"] and monitor.server.url("/") in draft["paragraph"]
    shown = json.loads(monitor.run("drafts", "show", str(draft["id"]), "--json").output)
    assert shown["assessment"]["relevant"] is True
    assert any("£200" in quote for quote in shown["evidence"])
    listed = json.loads(monitor.run("changes", "list", "--relevant", "--json").output)
    assert [c["change"] for c in listed] == [outcome["change"]]


def test_a_cosmetic_change_is_assessed_but_not_drafted(monitor: Monitor) -> None:
    monitor.serve(BEFORE)
    monitor.check()
    monitor.serve(BEFORE, contact="Write to the departmant.")  # a typo fix outside the topic
    outcome = monitor.check()
    assert outcome["status"] == "changed" and outcome["relevant"] is False
    assert monitor.drafts() == []
    [assessed] = json.loads(monitor.run("changes", "list", "--json").output)
    assert assessed["relevant"] is False and assessed["kind"] == "none"


def test_rejecting_as_not_relevant_lowers_the_next_score(monitor: Monitor) -> None:
    monitor.serve(BEFORE)
    monitor.check()
    monitor.serve(AFTER)
    monitor.check()
    [first] = monitor.drafts()
    decided = monitor.run(
        "drafts",
        "decide",
        str(first["id"]),
        "reject",
        "--reason",
        "not-relevant",
        "--reviewer",
        "tester",
    )
    assert decided.exit_code == 0 and "rejected (not-relevant)" in decided.output
    assert monitor.drafts("rejected")[0]["id"] == first["id"]

    monitor.serve(AFTER.replace("£200", "£210"))  # the same pattern again
    monitor.check()
    scores = [c["score"] for c in json.loads(monitor.run("changes", "list", "--json").output)]
    assert scores[0] < scores[1], scores  # newest first: lower after the rejection


def test_a_decided_draft_is_overturned_only_with_force(monitor: Monitor) -> None:
    monitor.serve(BEFORE)
    monitor.check()
    monitor.serve(AFTER)
    monitor.check()
    [first] = monitor.drafts()
    draft = str(first["id"])
    assert monitor.run("drafts", "decide", draft, "approve").exit_code == 0
    again = monitor.run("drafts", "decide", draft, "reject", "--reason", "duplicate")
    assert again.exit_code == 2 and "approved already" in again.output
    assert monitor.drafts("approved")[0]["id"] == first["id"]  # unchanged
    forced = monitor.run("drafts", "decide", draft, "reject", "--reason", "duplicate", "--force")
    assert forced.exit_code == 0 and monitor.drafts("rejected")[0]["id"] == first["id"]
    missing = monitor.run("drafts", "decide", "9999", "approve")
    assert missing.exit_code == 2 and "no draft 9999" in missing.output


def test_rejection_needs_a_reason(monitor: Monitor) -> None:
    monitor.serve(BEFORE)
    monitor.check()
    result = monitor.run("drafts", "decide", "1", "reject")
    assert result.exit_code == 2 and "needs --reason" in result.output


def test_assess_two_saved_files_without_a_database(tmp_path: Path) -> None:
    before, after = tmp_path / "before.html", tmp_path / "after.html"
    before.write_text(PAGE.format(allowance=BEFORE, contact="x"))
    after.write_text(PAGE.format(allowance=AFTER, contact="x"))
    result = CliRunner().invoke(
        cli,
        [
            "assess",
            str(before),
            str(after),
            "--url",
            "https://www.gov.uk/guidance/kinship-money",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["assessment"]["relevant"] is True
    assert data["assessment"]["sections"][0] == "financial-allowances"
    assert "£200" in data["draft"]["paragraph"]
    text = CliRunner().invoke(cli, ["assess", str(before), str(before)]).output
    assert text.startswith("not relevant")
