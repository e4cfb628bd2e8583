"""End to end: sources.yaml → check → store → diff, through the CLI, against a local server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from tests.climonitor import Monitor
from tests.pageserver import PageServer, Route, fixture_bytes, versions

REPO = Path(__file__).resolve().parents[1]
ASF = versions("adoption-support-fund-asf")
COVID = versions("coronavirus-covid-19-guidance-for-childrens-social-care-services")
API = "publishing-api/content_schemas/examples/html_publication/frontend/{}.json"
ERROR_PAGE = b"""<html><head><title>Sorry, there is a problem with the service - GOV.UK</title>
</head><body><main id="content"><h1>Sorry, there is a problem with the service</h1>
<p>Try again later.</p></main></body></html>"""


@pytest.fixture
def monitor(tmp_path: Path, page_server: PageServer, database_url: str) -> Monitor:
    return Monitor(tmp_path, page_server, database_url)


def html_source(monitor: Monitor, source_id: str = "asf", path: str = "/asf") -> str:
    url = monitor.server.url(path)
    return f"{{id: {source_id}, name: ASF, url: '{url}', kind: html}}"


def test_first_then_not_modified_then_changed(monitor: Monitor) -> None:
    monitor.server.set("/asf", ASF[0].read_bytes())
    monitor.configure(html_source(monitor))
    first = monitor.check()["asf"]
    assert first["status"] == "new" and first["snapshot"] and first["error"] is None
    assert monitor.check()["asf"]["status"] == "not-modified"
    monitor.server.set("/asf", ASF[1].read_bytes())
    changed = monitor.check()["asf"]
    assert changed["status"] == "changed" and changed["change"]
    assert changed["stats"]["added"] >= 1

    diff = monitor.run("diff", "asf", "--no-color")
    assert diff.exit_code == 0
    assert "complaints" in diff.output.lower() and "{+" in diff.output

    history = monitor.run("history", "asf", "--json")
    versions_ = json.loads(history.output)
    assert [v["id"] for v in versions_] == [first["snapshot"], changed["snapshot"]]

    shown = monitor.run("show", "asf", "--version", str(first["snapshot"]))
    assert "Adoption" in shown.output

    old, new = str(first["snapshot"]), str(changed["snapshot"])
    backwards = monitor.run("diff", "asf", "--from", new, "--to", old, "--no-color")
    assert backwards.exit_code == 0 and "this diff runs backwards" in backwards.output
    assert "this diff runs backwards" not in monitor.run("diff", "asf", "--from", old).output


def test_markup_only_difference_is_not_a_change(monitor: Monitor) -> None:
    monitor.server.set("/covid", COVID[0].read_bytes())
    monitor.configure(html_source(monitor, "covid", "/covid"))
    assert monitor.check()["covid"]["status"] == "new"
    monitor.server.set("/covid", COVID[1].read_bytes())  # only attribute order differs
    assert monitor.check()["covid"]["status"] == "unchanged"


def test_error_page_with_200_is_a_failed_check_not_a_version(monitor: Monitor) -> None:
    monitor.server.set("/asf", ASF[0].read_bytes())
    monitor.configure(html_source(monitor))
    monitor.check()
    monitor.server.set("/asf", ERROR_PAGE)
    failed = monitor.check()["asf"]
    assert failed["status"] == "error" and "content missing" in failed["error"]
    assert failed["snapshot"] is None
    monitor.server.set("/asf", ASF[1].read_bytes())
    # the next real version is diffed against the last good one, not the error page
    assert monitor.check()["asf"]["status"] == "changed"
    assert len(json.loads(monitor.run("history", "asf", "--json").output)) == 2


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (Route(b"oops", status=500), "HTTP 500"),
        (Route(b"%PDF", content_type="application/pdf"), "unexpected content type"),
        (Route(b"", status=404), "HTTP 404"),
    ],
)
def test_failed_fetch_is_recorded_and_never_a_snapshot(
    monitor: Monitor, route: Route, expected: str
) -> None:
    monitor.server.set("/asf", route)
    monitor.configure(html_source(monitor))
    result = monitor.run("check", "--all", "--json")
    assert result.exit_code == 1
    outcome = json.loads(result.output)
    assert outcome["status"] == "error" and expected in outcome["error"]
    assert monitor.run("history", "asf", "--json").output.strip() == "[]"


def test_govuk_kind_reads_the_content_api(monitor: Monitor) -> None:
    api_path = "/api/content/government/publications/x/html"
    monitor.server.set(
        api_path, Route(fixture_bytes(API.format("published")), content_type="application/json")
    )
    url = monitor.server.url("/government/publications/x/html")
    monitor.configure(f"{{id: pub, name: Pub, url: '{url}', kind: govuk}}")
    assert monitor.check()["pub"]["status"] == "new"
    monitor.server.set(
        api_path, Route(fixture_bytes(API.format("updated")), content_type="application/json")
    )
    changed = monitor.check()["pub"]
    assert changed["status"] == "changed"
    assert monitor.server.hits("/government/publications/x/html") == 0


def test_govuk_kind_falls_back_to_the_html_page(monitor: Monitor) -> None:
    monitor.server.set("/guidance/asf", ASF[0].read_bytes())
    url = monitor.server.url("/guidance/asf")
    monitor.configure(f"{{id: asf, name: ASF, url: '{url}', kind: govuk}}")
    outcome = monitor.check()["asf"]
    assert outcome["status"] == "new", outcome
    assert monitor.server.hits("/api/content/guidance/asf") == 1


def test_one_failing_source_does_not_stop_the_others(monitor: Monitor) -> None:
    monitor.server.set("/asf", ASF[0].read_bytes())
    monitor.server.set("/broken", Route(b"", status=503))
    monitor.configure(html_source(monitor), html_source(monitor, "broken", "/broken"))
    outcomes = monitor.check()
    assert outcomes["asf"]["status"] == "new"
    assert outcomes["broken"]["status"] == "error"


def test_sources_list_shows_last_check(monitor: Monitor) -> None:
    monitor.server.set("/asf", ASF[0].read_bytes())
    monitor.configure(html_source(monitor))
    monitor.check()
    listed = json.loads(monitor.run("sources", "list", "--json").output)
    assert listed[0]["id"] == "asf" and listed[0]["last_status"] == "new"


def test_unknown_source_id_is_a_usage_error(monitor: Monitor) -> None:
    monitor.configure(html_source(monitor))
    result = CliRunner().invoke(
        cli,
        ["--config", str(monitor.config), "--database-url", monitor.database_url, "check", "nope"],
    )
    assert result.exit_code == 2 and "no source 'nope'" in result.output


def test_cli_subprocess_offline_reports_errors_cleanly(tmp_path: Path) -> None:
    """As on a machine without internet: every source fails clearly, nothing crashes."""
    config = tmp_path / "sources.yaml"
    config.write_text(
        "defaults: {retries: 0, connect_timeout: 1}\nsources:\n"
        "  - {id: a, name: A, url: 'http://127.0.0.1:9/a', kind: html}\n"
        "  - {id: b, name: B, url: 'http://127.0.0.1:9/b', kind: govuk}\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor",
            "--config",
            str(config),
            "--database-url",
            f"sqlite:///{tmp_path / 'm.db'}",
            "check",
            "--all",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "could not connect" in result.stdout
    assert "checked 2 sources: 2 error" in result.stdout


def test_sources_check_on_repository_file() -> None:
    result = CliRunner().invoke(cli, ["--config", str(REPO / "sources.yaml"), "sources", "check"])
    assert result.exit_code == 0 and "OK" in result.output


def test_sources_check_reports_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - {id: x, name: X, url: nope, kind: html}\n")
    result = CliRunner().invoke(cli, ["--config", str(bad), "sources", "check"])
    assert result.exit_code == 2
    assert f"{bad}: entry 1 (x) -> url:" in result.output  # the whole path: which file


def test_sources_list_table_lines_up(monitor: Monitor) -> None:
    monitor.server.set("/asf", ASF[0].read_bytes())
    long_id = "a-source-with-a-much-longer-id-than-forty-characters"
    monitor.configure(html_source(monitor), html_source(monitor, long_id, "/missing"))
    monitor.check("asf")
    lines = monitor.run("sources", "list").output.splitlines()
    assert [line.split()[0] for line in lines] == ["asf", long_id]
    assert len({line.index(" html ") for line in lines}) == 1  # one column for the kinds
    assert re.search(r" new +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", lines[0]), lines[0]
    assert lines[1].endswith("never checked")


def test_status_shows_the_queues_and_still_answers_with_an_invalid_sources_yaml(
    monitor: Monitor,
) -> None:
    monitor.server.set("/asf", ASF[0].read_bytes())
    monitor.configure(html_source(monitor))
    monitor.check()
    shown = monitor.run("status")
    assert shown.exit_code == 0, shown.output
    assert "drafts: 0 pending review   email: 0 queued, 0 sent" in shown.output
    monitor.config.write_text("sources: [oops\n")  # an edit gone wrong, mid-deploy
    broken = monitor.run("status")
    assert broken.exit_code == 2
    assert "sources.yaml is invalid:" in broken.output and "not valid YAML" in broken.output
    assert "stored: 1 checks, 1 versions, 0 changes" in broken.output
    summary = json.loads(monitor.run("status", "--json").stdout)
    assert summary["sources"] is None and summary["config_problems"]
    assert summary["email"]["queued"] == 0 and summary["last_check"] is not None
