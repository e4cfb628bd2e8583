"""Email alerts against a real SMTP server (aiosmtpd on a free loopback port)."""

from __future__ import annotations

import email
import email.policy
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from notifications.smtp import SmtpSettings, send_due
from storage import db
from storage.blobs import blob_id
from storage.store import DRAFT_ID_TOKEN, CheckRecord, SourceSpec, Store
from tests.climonitor import Monitor
from tests.pageserver import PageServer, Route
from tests.test_classify import AFTER, BEFORE, PAGE


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sink:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


class Smtp:
    """A real SMTP server that can be stopped and started on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.sink = Sink()
        self.controller: Controller | None = None

    def start(self) -> Smtp:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=self.port, timeout=5)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Smtp]:
    server = Smtp()
    monkeypatch.setenv("POLICY_MONITOR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("POLICY_MONITOR_SMTP_PORT", str(server.port))
    yield server
    server.stop()


NOTIFY = """notifications:
  from_address: monitor@example.org
  alert_min_score: 0.5
  failure_threshold: 3
  review_url: "https://monitor.example.org/drafts/{id}"
  recipients:
    - {email: money@example.org, sections: [financial-allowances], ops: true}
    - {email: leave@example.org, sections: [kinship-care-leave]}
"""


def configure(monitor: Monitor, server: PageServer) -> None:
    url = server.url("/guidance/kinship-money")
    monitor.config.write_text(
        NOTIFY + "defaults: {retries: 0, timeout: 2}\n"
        "hosts: {127.0.0.1: {rate: 0, concurrency: 4}}\nsources:\n"
        f"  - {{id: money, name: Kinship care financial support, url: '{url}', kind: html, "
        "sections: [financial-allowances]}\n"
    )


def serve(server: PageServer, allowance: str) -> None:
    server.set("/guidance/kinship-money", PAGE.format(allowance=allowance, contact="x"))


@pytest.fixture
def monitor(tmp_path: Path, page_server: PageServer, database_url: str) -> Monitor:
    watched = Monitor(tmp_path, page_server, database_url)
    configure(watched, page_server)
    return watched


def store_of(monitor: Monitor) -> Iterator[Store]:
    engine = db.make_engine(monitor.database_url)
    try:
        yield Store(engine)
    finally:
        engine.dispose()


def draft_ids(monitor: Monitor) -> list[int]:
    for store in store_of(monitor):
        return sorted(d.id for d in store.drafts())
    raise AssertionError("unreachable")


def queued(monitor: Monitor) -> list[dict]:
    return json.loads(monitor.run("notify", "pending", "--json").output)


def test_a_relevant_change_sends_one_alert_to_its_section(
    monitor: Monitor, page_server: PageServer, smtp: Smtp
) -> None:
    serve(page_server, BEFORE)
    monitor.check()
    assert queued(monitor) == []  # a first version is not news
    serve(page_server, AFTER)
    assert monitor.check()["money"]["relevant"] is True
    [message] = queued(monitor)
    assert message["recipient"] == "money@example.org"  # not the kinship-leave follower

    smtp.start()
    result = monitor.run("notify", "send")
    assert result.exit_code == 0 and "sent 1" in result.output
    [mail] = smtp.sink.messages
    assert mail["Subject"].startswith("[Financial allowances] ")
    assert mail["To"] == "money@example.org" and mail["From"] == "monitor@example.org"
    assert mail["Message-ID"] == message["message_id"] and mail["Date"]
    assert mail["List-Unsubscribe"]
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "£200" in text and "£200" in html
    assert page_server.url("/guidance/kinship-money") in html
    assert "<img" not in html.lower()
    [draft_id] = draft_ids(monitor)
    link = f"https://monitor.example.org/drafts/{draft_id}"
    assert f"Review this draft: {link}" in text.splitlines()
    assert f'href="{link}"' in html
    assert DRAFT_ID_TOKEN not in mail.as_string()

    assert monitor.run("notify", "send").output.strip() == "nothing due"
    assert len(smtp.sink.messages) == 1 and queued(monitor) == []


def test_an_smtp_outage_loses_nothing_and_sends_once(
    monitor: Monitor, page_server: PageServer, smtp: Smtp
) -> None:
    serve(page_server, BEFORE)
    monitor.check()
    serve(page_server, AFTER)
    monitor.check()
    down = monitor.run("notify", "send")  # nothing listens on the port
    assert down.exit_code == 1 and "cannot reach the SMTP server" in down.output
    [waiting] = queued(monitor)
    assert waiting["attempts"] == 1 and "cannot reach" in waiting["last_error"]

    for store in store_of(monitor):
        assert store.outbox_counts() == {"sent": 0, "queued": 1, "failing": 1}
    smtp.start()
    later = datetime.now(UTC) + timedelta(minutes=5)
    for store in store_of(monitor):
        first = send_due(store, smtp.settings(), "monitor@example.org", now=later)
        again = send_due(store, smtp.settings(), "monitor@example.org", now=later)
        assert store.outbox_counts() == {"sent": 1, "queued": 0, "failing": 0}
    assert (first.sent, again.sent) == (1, 0)
    assert len(smtp.sink.messages) == 1 and queued(monitor) == []


def test_ops_alert_once_when_failing_and_once_on_recovery(
    monitor: Monitor, page_server: PageServer, smtp: Smtp
) -> None:
    serve(page_server, BEFORE)
    monitor.check()
    page_server.set("/guidance/kinship-money", Route(b"down", status=503))
    for _ in range(5):
        monitor.check()
    failing = [m for m in queued(monitor) if m["kind"] == "ops"]
    assert len(failing) == 1 and "failing" in failing[0]["subject"].lower()
    serve(page_server, BEFORE)
    monitor.check()
    monitor.check()
    ops = [m for m in queued(monitor) if m["kind"] == "ops"]
    assert len(ops) == 2 and "recovered" in ops[1]["subject"].lower()
    smtp.start()
    assert "sent 2" in monitor.run("notify", "send").output
    assert {m["To"] for m in smtp.sink.messages} == {"money@example.org"}


def test_digest_is_queued_once_a_day_and_not_when_empty(
    monitor: Monitor, page_server: PageServer, smtp: Smtp
) -> None:
    serve(page_server, BEFORE)
    monitor.check()
    assert "queued 0 digests" in monitor.run("notify", "digest").output
    serve(page_server, AFTER)
    monitor.check()
    assert "queued 1 digests" in monitor.run("notify", "digest").output
    assert "queued 0 digests" in monitor.run("notify", "digest").output
    smtp.start()
    monitor.run("notify", "send")
    digests = [m for m in smtp.sink.messages if "digest" in m["Subject"].lower()]
    assert len(digests) == 1 and digests[0]["To"] == "money@example.org"
    text = digests[0].get_body(("plain",)).get_content()
    html = digests[0].get_body(("html",)).get_content()
    assert "£200" in text
    [draft_id] = draft_ids(monitor)
    link = f"https://monitor.example.org/drafts/{draft_id}"
    assert f"  Review this draft: {link}" in text.splitlines() and f'href="{link}"' in html


def test_notify_test_and_preview(monitor: Monitor, smtp: Smtp, tmp_path: Path) -> None:
    down = monitor.run("notify", "test", "someone@example.org")  # the server is not up yet
    assert down.exit_code == 1 and "test message not sent" in down.output
    for store in store_of(monitor):
        assert store.outbox() == []  # not retried hours later by the running service
    smtp.start()
    result = monitor.run("notify", "test", "someone@example.org")
    assert result.exit_code == 0 and "sent a test message to someone@example.org" in result.output
    assert smtp.sink.messages[0]["Subject"] == "policy-monitor test message"
    out = tmp_path / "m.eml"
    for store in store_of(monitor):
        [row] = store.outbox()
    shown = monitor.run("notify", "preview", str(row.id), "--part", "eml", "--out", str(out))
    assert shown.exit_code == 0 and "Message-ID:" in out.read_text()


def first_version(
    source_id: str,
    started_at: datetime,
    *,
    assessment: dict[str, Any],
    draft: dict[str, Any] | None,
    messages: tuple[dict[str, Any], ...] = (),
) -> CheckRecord:
    """The first check of a source at http://127.0.0.1/<id>: a new version, its assessment,
    its draft (or None) and the messages decided with it."""
    body = f"<p>{source_id}</p>".encode()
    return CheckRecord(
        source_id=source_id,
        started_at=started_at,
        duration_ms=1,
        status="new",
        url=f"http://127.0.0.1/{source_id}",
        body=body,
        content_hash=blob_id(body),
        assessment=assessment,
        draft=draft,
        messages=messages,
    )


def alert(source_id: str, text: str = "text", html: str = "<p>html</p>") -> dict[str, Any]:
    """An immediate alert to money@example.org, keyed ``alert:<source id>``."""
    return {
        "key": f"alert:{source_id}",
        "kind": "alert",
        "recipient": "money@example.org",
        "subject": f"[Financial allowances] {source_id}",
        "text": text,
        "html": html,
        "message_id": f"<{source_id}@policy-monitor>",
    }


def test_each_alert_in_a_batch_links_to_its_own_draft(store: Store) -> None:
    """Drafts written in one batch get distinct ids; each alert carries its own."""
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    ids = ("alpha", "beta", "gamma")
    store.sync_sources(SourceSpec(i, i, "html", f"http://127.0.0.1/{i}") for i in ids)
    link = f"https://monitor.example.org/drafts/{DRAFT_ID_TOKEN}"

    def checked(source_id: str, relevant: bool = True) -> CheckRecord:
        return first_version(
            source_id,
            now,
            assessment={"relevant": relevant, "score": 0.9, "sections": ["financial-allowances"]},
            draft={"history_line": source_id} if relevant else None,
            messages=(
                alert(
                    source_id,
                    f"Review this draft: {link}\n",
                    f'<a href="{link}">Review this draft</a>',
                ),
            ),
        )

    store.write([checked("alpha"), checked("beta", relevant=False), checked("gamma")])
    drafts = {d.source_id: d.id for d in store.drafts()}
    assert set(drafts) == {"alpha", "gamma"} and drafts["alpha"] != drafts["gamma"]
    rows = {row.key: row for row in store.outbox()}
    for source_id, draft_id in drafts.items():
        row = rows[f"alert:{source_id}"]
        assert row.text == f"Review this draft: https://monitor.example.org/drafts/{draft_id}\n"
        assert (
            row.html
            == f'<a href="https://monitor.example.org/drafts/{draft_id}">Review this draft</a>'
        )
    # no draft written with the message: the link falls back to the review queue
    assert rows["alert:beta"].text == "Review this draft: https://monitor.example.org/drafts/\n"


def test_a_publication_drafted_already_gets_no_second_draft_or_alert(store: Store) -> None:
    """A search and a feed find the same publication: one draft, one alert; a week later, or
    another kind of change, or one more publication, is news again."""
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    ids = ("search", "feed", "later", "more", "stage")
    store.sync_sources(SourceSpec(i, i, "feed", f"http://127.0.0.1/{i}") for i in ids)
    guide = "www.gov.uk/government/publications/kinship-guide"

    def checked(
        source_id: str, hours: float, publications: list[str], kind: str = "new-publication"
    ) -> CheckRecord:
        return first_version(
            source_id,
            start + timedelta(hours=hours),
            assessment={"relevant": True, "score": 0.9, "kind": kind, "reasons": ["terms"]},
            draft={"history_line": source_id, "publications": publications},
            messages=(alert(source_id),),
        )

    store.write([checked("search", 0, [guide])])
    store.write([checked("feed", 3, [guide])])
    store.write([checked("stage", 4, [guide], kind="bill-stage")])
    store.write([checked("more", 5, [guide, guide + "-annex"])])
    store.write([checked("later", 24 * 8, [guide])])
    assert sorted(d.source_id for d in store.drafts()) == ["later", "more", "search", "stage"]
    assert sorted(row.key for row in store.outbox()) == [
        "alert:later",
        "alert:more",
        "alert:search",
        "alert:stage",
    ]
    [feed] = [a for a in store.assessments(limit=10) if a.source_id == "feed"]
    first = {d.source_id: d.id for d in store.drafts()}["search"]
    assert json.loads(feed.data_json)["duplicate_of"] == first


def test_wrong_smtp_settings_are_named_and_queue_nothing(
    monitor: Monitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICY_MONITOR_SMTP_PORT", "abc")
    result = monitor.run("notify", "test", "someone@example.org")
    assert result.exit_code == 2
    assert "POLICY_MONITOR_SMTP_PORT must be a whole number from 1 to 65535, not 'abc'" in (
        result.output
    )
    for store in store_of(monitor):
        assert store.outbox() == []
    started = monitor.run("run", "--no-web")  # refused before it starts
    assert started.exit_code == 2 and "POLICY_MONITOR_SMTP_PORT" in started.output
    monkeypatch.setenv("POLICY_MONITOR_SMTP_PORT", "2525")
    monkeypatch.setenv("POLICY_MONITOR_SMTP_TIMEOUT", "soon")
    assert "POLICY_MONITOR_SMTP_TIMEOUT must be a number" in monitor.run("notify", "send").output
    bad = monitor.run("notify", "test", "not-an-address")
    assert bad.exit_code == 2 and "not an email address" in bad.output


def test_two_writers_of_one_publication_at_once_make_one_draft(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search and a feed finding a publication at the same moment: the duplicate check is
    a read then an insert, so the writes must take turns (a sleep widens the window)."""
    import threading
    import time

    import storage.store as store_module

    check = store_module._duplicate_of

    def slow_check(session: Any, record: CheckRecord) -> int | None:
        found = check(session, record)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(store_module, "_duplicate_of", slow_check)
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    store.sync_sources(SourceSpec(i, i, "feed", f"http://127.0.0.1/{i}") for i in ("a", "b"))

    def write(source_id: str) -> None:
        record = first_version(
            source_id,
            now,
            assessment={"relevant": True, "score": 0.9, "kind": "new-publication"},
            draft={"history_line": source_id, "publications": ["www.gov.uk/p"]},
        )
        store.write([record])

    threads = [threading.Thread(target=write, args=(i,)) for i in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(store.drafts()) == 1
