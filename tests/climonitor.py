"""Drive the CLI in-process against one sources.yaml and one database (shared by the suites)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from monitor.cli import cli
from tests.pageserver import PageServer


class Monitor:
    """Run the CLI against one sources.yaml and one database."""

    def __init__(self, tmp_path: Path, server: PageServer, database_url: str) -> None:
        self.server = server
        self.config = tmp_path / "sources.yaml"
        self.database_url = database_url

    def configure(self, *sources: str) -> None:
        """Write sources.yaml with these flow-style entries (no retries, short timeouts)."""
        body = "".join(f"  - {s}\n" for s in sources)
        self.config.write_text(
            "defaults: {retries: 0, timeout: 2, connect_timeout: 1}\n"
            "hosts: {127.0.0.1: {rate: 0, concurrency: 4}}\n"
            f"sources:\n{body}"
        )

    def run(self, *args: str) -> Result:
        """Run one CLI command; exceptions propagate."""
        base = ["--config", str(self.config), "--database-url", self.database_url]
        return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)

    def check(self, *ids: str) -> dict[str, dict]:
        """`check --json` of these sources (or all): each outcome by source id."""
        result = self.run("check", *(ids or ("--all",)), "--json")
        assert result.exit_code in (0, 1), result.output
        lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
        return {line["source"]: line for line in lines}

    def versions(self, source_id: str) -> int:
        """How many versions of a source are stored."""
        return len(json.loads(self.run("history", source_id, "--json").output))

    def diff(self, source_id: str) -> str:
        """`diff --no-color` of a source's latest change."""
        result = self.run("diff", source_id, "--no-color")
        assert result.exit_code == 0, result.output
        return result.output
