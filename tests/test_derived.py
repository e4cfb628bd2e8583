"""Attachments become sources of their own: found, checked at once, diffed, attributed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from tests.pageserver import PageServer, Route, fixture_bytes

ITEM = "publishing-api/content_schemas/examples/publication/frontend/"
ITEM += "publication-with-featured-attachments.json"
PDF = Path(__file__).resolve().parent / "fixtures" / "pdf"
PAGE = "/government/publications/number-of-ex-regular-service-personnel-in-fr20"


def item_with_local_attachment(server: PageServer) -> bytes:
    """The recorded item, its PDF attachment moved onto the local server (derived fixture)."""
    data = json.loads(fixture_bytes(ITEM))
    data["details"]["attachments"][0]["url"] = server.url("/media/report.pdf")
    return json.dumps(data).encode()


class Monitor:
    def __init__(self, tmp_path: Path, server: PageServer, database_url: str) -> None:
        self.config = tmp_path / "sources.yaml"
        self.database_url = database_url
        self.config.write_text(
            "defaults: {retries: 0, timeout: 5}\n"
            "hosts: {127.0.0.1: {rate: 0, concurrency: 4}}\n"
            f"sources:\n  - {{id: pub, name: Publication, url: '{server.url(PAGE)}', "
            "kind: govuk, sections: [data]}\n"
        )

    def run(self, *args: str) -> Result:
        base = ["--config", str(self.config), "--database-url", self.database_url]
        return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)

    def check(self) -> dict[str, dict]:
        result = self.run("check", "--all", "--json")
        lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
        return {line["source"]: line for line in lines}


@pytest.fixture
def monitor(tmp_path: Path, page_server: PageServer, database_url: str) -> Monitor:
    page_server.set(
        "/api/content" + PAGE,
        Route(item_with_local_attachment(page_server), content_type="application/json"),
    )
    page_server.set(
        "/media/report.pdf",
        Route(
            (PDF / "kinship-allowance-guide-v1.pdf").read_bytes(), content_type="application/pdf"
        ),
    )
    return Monitor(tmp_path, page_server, database_url)


def test_an_attachment_is_found_checked_at_once_and_attributed(
    monitor: Monitor, page_server: PageServer
) -> None:
    first = monitor.check()
    assert first["pub"]["status"] == "new"
    [child] = [o for o in first.values() if o["parent"] == "pub"]
    assert child["status"] == "new" and child["source"].startswith("pub--")
    assert child["event"] == (
        "Number of ex-regular service personnel now part of FR20 added to 'Publication'"
    )
    assert page_server.hits("/media/report.pdf") == 1

    listed = {s["id"]: s for s in json.loads(monitor.run("sources", "list", "--json").output)}
    assert listed[child["source"]]["relation"] == "attachment"
    assert listed[child["source"]]["sections"] == ["data"]

    page_server.set(
        "/media/report.pdf",
        Route(
            (PDF / "kinship-allowance-guide-v2.pdf").read_bytes(), content_type="application/pdf"
        ),
    )
    second = monitor.check()
    assert second["pub"]["status"] == "not-modified"
    assert second[child["source"]]["status"] == "changed"
    assert second[child["source"]]["parent"] == "pub"
    assert second[child["source"]]["event"].endswith("changed in 'Publication'")
    diff = monitor.run("diff", child["source"], "--no-color").output
    assert "two weeks" in diff

    third = monitor.check()  # a known attachment is not discovered again
    assert len(third) == 2 and third[child["source"]]["status"] == "not-modified"


def test_an_unreadable_attachment_is_a_failed_check_of_its_own(
    monitor: Monitor, page_server: PageServer
) -> None:
    page_server.set(
        "/media/report.pdf", Route(b"<html>Sorry</html>", content_type="application/pdf")
    )
    outcomes = monitor.check()
    assert outcomes["pub"]["status"] == "new"
    [child] = [o for o in outcomes.values() if o["parent"] == "pub"]
    assert child["status"] == "error" and "PDF cannot be read" in child["error"]
