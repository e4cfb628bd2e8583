"""The account commands: users add/list/set, tokens create/list/revoke; their exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli

Run = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path, database_url: str) -> Run:
    config = tmp_path / "sources.yaml"
    config.write_text("sources: []\n")
    base = ["--config", str(config), "--database-url", database_url]
    assert CliRunner().invoke(cli, [*base, "init"]).exit_code == 0

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(cli, [*base, *args], input=stdin, catch_exceptions=False)

    return invoke


def test_add_list_and_change_a_user(run: Run) -> None:
    added = run("users", "add", "Ada@Example.org", "--role", "admin", "--generate")
    assert added.exit_code == 0, added.output
    assert "added ada@example.org (admin)" in added.output
    assert len(added.output.split("password: ")[1].strip()) >= 12
    typed = run("users", "add", "bo@example.org", "--password-stdin", stdin="a long password\n")
    assert typed.exit_code == 0 and "(reviewer)" in typed.output

    changed = run("users", "set", "bo@example.org", "--role", "viewer", "--inactive")
    assert changed.output.strip() == "bo@example.org: viewer, deactivated"
    listed = {u["email"]: u for u in json.loads(run("users", "list", "--json").output)}
    assert listed["bo@example.org"]["active"] is False
    assert listed["ada@example.org"]["role"] == "admin"
    back = run("users", "set", "bo@example.org", "--active")
    assert back.output.strip() == "bo@example.org: viewer, active"


def test_mistakes_are_usage_errors_not_database_errors(run: Run) -> None:
    assert run("users", "add", "ada@example.org", "--generate").exit_code == 0
    again = run("users", "add", "ada@example.org", "--generate")
    assert again.exit_code == 2 and "already exists" in again.output
    missing = run("users", "set", "nobody@example.org", "--role", "admin")
    assert missing.exit_code == 2 and "no user nobody@example.org" in missing.output
    assert run("tokens", "create", "nobody@example.org").exit_code == 2
    revoked = run("tokens", "revoke", "4242")
    assert revoked.exit_code == 2 and "no token 4242" in revoked.output


def test_contradictions_and_bad_addresses_are_refused(run: Run) -> None:
    bad = run("users", "add", "not-an-address", "--generate")
    assert bad.exit_code == 2 and "not an email address" in bad.output
    both = run("users", "add", "ada@example.org", "--generate", "--password-stdin", stdin="x\n")
    assert both.exit_code == 2 and "not both" in both.output
    assert json.loads(run("users", "list", "--json").output) == []  # nothing was created

    assert run("users", "add", "ada@example.org", "--generate").exit_code == 0
    flip = run("users", "set", "ada@example.org", "--active", "--inactive")
    assert flip.exit_code == 2 and "--active and --inactive" in flip.output
    nothing = run("users", "set", "ada@example.org")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.output
    [user] = json.loads(run("users", "list", "--json").output)
    assert user["active"] is True


def test_tokens_are_shown_once_and_revoked(run: Run) -> None:
    run("users", "add", "ada@example.org", "--role", "reviewer", "--generate")
    token = run("tokens", "create", "ada@example.org", "--name", "sheets").output.strip()
    assert len(token) > 30
    listed = run("tokens", "list").output
    assert "ada@example.org" in listed and "sheets" in listed and token not in listed
    assert run("tokens", "revoke", "1").output.strip() == "revoked token #1"
    assert "REVOKED" in run("tokens", "list").output
