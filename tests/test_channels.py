"""Chat and webhook channels through Apprise, against a real local webhook server.

Apprise posts ``json://127.0.0.1:PORT/PATH`` as JSON (``{"title", "message", ...}``) to an
http.server on a free loopback port that the tests stop and start like an outage.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from monitor.config import load_config
from monitor.errors import ConfigError
from notifications.smtp import SmtpSettings, send_due
from storage.store import DRAFT_ID_TOKEN
from tests.climonitor import Monitor
from tests.pageserver import PageServer, Route
from tests.test_classify import AFTER, BEFORE
from tests.test_email import Smtp, draft_ids, free_port, queued, serve, store_of

ROOT = Path(__file__).resolve().parents[1]


class Webhook:
    """A real HTTP server that keeps every JSON post; stopped and started on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.status = 200  # what it answers
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def to(self, path: str) -> list[dict[str, Any]]:
        """The posts that arrived on ``path``."""
        return [body for where, body in self.posts if where == path]

    def start(self) -> Webhook:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                if hook.status == 200:
                    hook.posts.append((self.path, body))
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhook]:
    server = Webhook()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PM_TEST_ALL_URL", server.url("/all"))
    monkeypatch.setenv("PM_TEST_MONEY_URL", server.url("/money"))
    monkeypatch.setenv("PM_TEST_LEAVE_URL", server.url("/leave"))
    yield server
    server.stop()


@pytest.fixture
def mail(monkeypatch: pytest.MonkeyPatch) -> Iterator[Smtp]:
    """A real SMTP server (not started) that the CLI's POLICY_MONITOR_SMTP_* point at."""
    server = Smtp()
    monkeypatch.setenv("POLICY_MONITOR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("POLICY_MONITOR_SMTP_PORT", str(server.port))
    yield server
    server.stop()


CHANNELS = """notifications:
  from_address: monitor@example.org
  alert_min_score: 0.5
  failure_threshold: 2
  review_url: "https://monitor.example.org/drafts/{id}"
  recipients: [RECIPIENTS]
  channels:
    - {name: all, url_env: PM_TEST_ALL_URL, ops: true}
    - {name: money, url_env: PM_TEST_MONEY_URL, sections: [financial-allowances], digest: false}
    - {name: leave, url_env: PM_TEST_LEAVE_URL, sections: [kinship-care-leave]}
"""


def configure(monitor: Monitor, server: PageServer, recipients: str = "") -> None:
    url = server.url("/guidance/kinship-money")
    rest = (
        "defaults: {retries: 0, timeout: 2}\n"
        "hosts: {127.0.0.1: {rate: 0, concurrency: 4}}\nsources:\n"
        f"  - {{id: money, name: Kinship care financial support, url: '{url}', kind: html, "
        "sections: [financial-allowances]}\n"
    )
    monitor.config.write_text(CHANNELS.replace("RECIPIENTS", recipients) + rest)


@pytest.fixture
def monitor(tmp_path: Path, page_server: PageServer, database_url: str) -> Monitor:
    watched = Monitor(tmp_path, page_server, database_url)
    configure(watched, page_server)
    return watched


def relevant_change(monitor: Monitor, page_server: PageServer) -> None:
    serve(page_server, BEFORE)
    monitor.check()
    serve(page_server, AFTER)
    assert monitor.check()["money"]["relevant"] is True


def send_later(monitor: Monitor, minutes: int = 5) -> tuple[int, int]:
    """Drain the outbox as if ``minutes`` had passed (past the retry backoff)."""
    channels = load_config(monitor.config).notifications.channels
    later = datetime.now(UTC) + timedelta(minutes=minutes)
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2)
    for store in store_of(monitor):
        report = send_due(store, settings, "monitor@example.org", now=later, channels=channels)
        return report.sent, report.failed
    raise AssertionError("unreachable")


def test_a_relevant_change_posts_once_to_each_channel_of_its_section(
    monitor: Monitor, page_server: PageServer, webhook: Webhook
) -> None:
    relevant_change(monitor, page_server)
    rows = queued(monitor)
    assert sorted(r["recipient"] for r in rows) == ["channel:all", "channel:money"]
    assert {r["kind"] for r in rows} == {"alert"}

    webhook.start()
    result = monitor.run("notify", "send")
    assert result.exit_code == 0 and "sent 2" in result.output, result.output
    assert webhook.to("/leave") == []  # follows another section
    [to_all], [to_money] = webhook.to("/all"), webhook.to("/money")
    assert to_all == to_money
    assert to_money["title"].startswith("[Financial allowances] ")
    assert to_money["title"] == rows[0]["subject"]  # the email's subject
    [draft_id] = draft_ids(monitor)
    body = to_money["message"]
    assert f"Review this draft: https://monitor.example.org/drafts/{draft_id}" in body
    assert page_server.url("/guidance/kinship-money") in body
    assert "£200" in body  # the diff excerpt
    assert DRAFT_ID_TOKEN not in json.dumps(webhook.posts)

    assert monitor.run("notify", "send").output.strip() == "nothing due"
    assert len(webhook.posts) == 2 and queued(monitor) == []


def test_an_outage_keeps_the_message_queued_then_delivers_it_once(
    monitor: Monitor, page_server: PageServer, webhook: Webhook
) -> None:
    relevant_change(monitor, page_server)
    down = monitor.run("notify", "send")  # nothing listens on the port
    assert down.exit_code == 1 and "channel 'money'" in down.output
    waiting = {r["recipient"]: r for r in queued(monitor)}
    assert set(waiting) == {"channel:all", "channel:money"}
    assert all(r["attempts"] == 1 for r in waiting.values())
    assert "Connection error" in waiting["channel:money"]["last_error"]

    webhook.status = 500  # up, but refusing: Apprise reports failure, nothing is marked sent
    webhook.start()
    assert send_later(monitor) == (0, 2)
    assert [r["attempts"] for r in queued(monitor)] == [2, 2]
    assert "500" in queued(monitor)[0]["last_error"]

    webhook.status = 200
    assert send_later(monitor, minutes=10) == (2, 0)
    assert send_later(monitor, minutes=20) == (0, 0)
    assert len(webhook.to("/money")) == 1 and len(webhook.to("/all")) == 1
    assert queued(monitor) == []


def test_a_missing_or_unusable_url_variable_is_an_error_on_the_row(
    monitor: Monitor, page_server: PageServer, webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PM_TEST_MONEY_URL")
    webhook.start()
    relevant_change(monitor, page_server)
    result = monitor.run("notify", "send")
    assert result.exit_code == 1 and "sent 1, failed 1" in result.output
    [waiting] = queued(monitor)
    assert waiting["recipient"] == "channel:money" and waiting["attempts"] == 1
    assert "PM_TEST_MONEY_URL is not set" in waiting["last_error"]
    assert len(webhook.to("/all")) == 1

    monkeypatch.setenv("PM_TEST_MONEY_URL", "nonsense-with-secret-token")
    assert send_later(monitor) == (0, 1)
    [waiting] = queued(monitor)
    assert "PM_TEST_MONEY_URL does not hold an Apprise URL" in waiting["last_error"]
    assert "secret-token" not in waiting["last_error"]

    monkeypatch.setenv("PM_TEST_MONEY_URL", f"{webhook.url('/money')} {webhook.url('/all')}")
    assert send_later(monitor, minutes=10) == (0, 1)
    assert "holds 2 Apprise URLs" in queued(monitor)[0]["last_error"]

    monkeypatch.setenv("PM_TEST_MONEY_URL", webhook.url("/money"))
    assert send_later(monitor, minutes=20) == (1, 0)
    assert len(webhook.to("/money")) == 1 and len(webhook.to("/all")) == 1
    assert queued(monitor) == []


def test_channels_and_email_are_delivered_independently(
    monitor: Monitor, page_server: PageServer, webhook: Webhook, mail: Smtp
) -> None:
    configure(monitor, page_server, "{email: money@example.org}")
    relevant_change(monitor, page_server)
    webhook.start()  # the SMTP server is down: the channels still get their posts
    result = monitor.run("notify", "send")
    assert result.exit_code == 1 and "sent 2, failed 1" in result.output
    assert "cannot reach the SMTP server" in result.output
    [email_row] = queued(monitor)
    assert email_row["recipient"] == "money@example.org"

    mail.start()
    channels = load_config(monitor.config).notifications.channels
    later = datetime.now(UTC) + timedelta(minutes=5)
    for store in store_of(monitor):
        report = send_due(store, mail.settings(), "monitor@example.org", later, channels)
    assert (report.sent, report.failed) == (1, 0)
    [message] = mail.sink.messages
    assert [p["title"] for _, p in webhook.posts] == [message["Subject"]] * 2


def test_ops_alerts_and_digests_reach_the_channels_that_take_them(
    monitor: Monitor, page_server: PageServer, webhook: Webhook
) -> None:
    serve(page_server, BEFORE)
    monitor.check()
    page_server.set("/guidance/kinship-money", Route(b"down", status=503))
    for _ in range(3):
        monitor.check()
    [ops] = queued(monitor)  # failure_threshold 2: one alert, to the channel with ops: true
    assert ops["recipient"] == "channel:all" and "failing" in ops["subject"].lower()
    serve(page_server, AFTER)
    monitor.check()
    recovered = [r for r in queued(monitor) if "recovered" in r["subject"].lower()]
    assert [r["recipient"] for r in recovered] == ["channel:all"]

    assert "queued 1 digests" in monitor.run("notify", "digest").output  # money: digest false
    assert "queued 0 digests" in monitor.run("notify", "digest").output
    webhook.start()
    assert "sent 5" in monitor.run("notify", "send").output  # 2 ops, 2 alerts, 1 digest
    titles = [p["title"] for p in webhook.to("/all")]
    assert len(titles) == 4 and "digest" in titles[-1].lower()
    [draft_id] = draft_ids(monitor)
    digest = webhook.to("/all")[-1]["message"]
    assert "Needs review (1):" in digest and "Financial allowances:" in digest
    assert f"https://monitor.example.org/drafts/{draft_id}" in digest
    assert "Last error: " in webhook.to("/all")[0]["message"]


def test_preview_and_test_work_for_channels(
    monitor: Monitor, page_server: PageServer, webhook: Webhook
) -> None:
    relevant_change(monitor, page_server)
    row = next(r for r in queued(monitor) if r["recipient"] == "channel:money")
    shown = monitor.run("notify", "preview", str(row["id"]))
    assert shown.exit_code == 0
    assert shown.output.startswith(row["subject"] + "\n\n")
    assert "Review this draft: https://monitor.example.org/drafts/" in shown.output
    eml = monitor.run("notify", "preview", str(row["id"]), "--part", "eml")
    assert eml.exit_code == 2 and "goes to channel:money, not by email" in eml.output
    pending = monitor.run("notify", "pending").output
    assert "channel:money" in pending

    webhook.start()
    tested = monitor.run("notify", "test", "channel:leave")
    assert tested.exit_code == 0, tested.output
    assert [p["title"] for p in webhook.to("/leave")] == ["policy-monitor test message"]
    unknown = monitor.run("notify", "test", "channel:nope")
    assert unknown.exit_code == 2 and "no channel 'nope'" in unknown.output


@pytest.mark.parametrize(
    ("channel", "problem"),
    [
        ("{name: a, url_env: A_URL, url: 'slack://x'}", "url"),  # the secret never in the file
        ("{name: Bad Name, url_env: A_URL}", "name"),
        ("{name: a, url_env: 'not a variable'}", "url_env"),
        ("{name: a, url_env: A_URL}, {name: a, url_env: B_URL}", "unique"),
    ],
)
def test_channel_settings_are_checked(tmp_path: Path, channel: str, problem: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(f"notifications:\n  channels: [{channel}]\n")
    with pytest.raises(ConfigError, match=problem):
        load_config(path)


def test_email_only_code_never_imports_apprise() -> None:
    code = (
        "import sys, monitor.cli, monitor.alerts, monitor.scheduler, notifications.smtp; "
        "print('apprise' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "False"
