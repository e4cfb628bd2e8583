"""`policy-monitor run` as a real process: schedule, health, signals, crash and takeover."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from storage import db
from storage.store import Store
from tests.conftest import _postgres_url
from tests.pageserver import PageServer, versions

REPO = Path(__file__).resolve().parents[1]
ASF = versions("adoption-support-fund-asf")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or condition}")


class Runner:
    """One `policy-monitor run` subprocess with its log in a file."""

    def __init__(self, tmp_path: Path, name: str, config: Path, url: str, *args: str) -> None:
        self.log = tmp_path / f"{name}.log"
        self.handle = self.log.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "monitor",
                "--config",
                str(config),
                "--database-url",
                url,
                "run",
                "--stop-timeout",
                "5",
                *args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.handle,
            cwd=REPO,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def text(self) -> str:
        return self.log.read_text()

    def checks(self) -> int:
        return self.text().count(" check ")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        status = self.process.wait(timeout)
        self.handle.close()
        return status


@pytest.fixture
def runners() -> Iterator[list[Runner]]:
    started: list[Runner] = []
    yield started
    for runner in started:
        if runner.process.poll() is None:
            runner.process.kill()
            runner.process.wait(10)
        runner.handle.close()


def write_config(path: Path, server: PageServer, ids: list[str], every: str = "1s") -> Path:
    lines = [
        "defaults: {retries: 0, timeout: 5}",
        "hosts: {127.0.0.1: {rate: 0, concurrency: 4}}",
        "sources:",
    ]
    lines += [
        f"  - {{id: {i}, name: {i}, url: '{server.url('/' + i)}', kind: html, every: {every}}}"
        for i in ids
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def get(port: int, path: str, token: str | None = None) -> tuple[int, dict[str, str], str]:
    """GET without following redirects: status, headers and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def api_token(url: str) -> str:
    """A migrated database with a viewer and an API token for them (what Prometheus uses)."""
    from monitor.web.auth import hash_password
    from storage.accounts import Accounts

    engine = db.make_engine(url)
    try:
        db.upgrade(engine)
        accounts = Accounts(engine)
        accounts.add_user("ops@example.org", hash_password("a long password"), "viewer", actor="t")
        return accounts.create_token("ops@example.org", "prometheus", actor="test")
    finally:
        engine.dispose()


def counts(url: str) -> dict[str, int]:
    engine = db.make_engine(url)
    try:
        return Store(engine).counts()
    finally:
        engine.dispose()


def test_run_checks_on_schedule_serves_the_app_and_stops_cleanly(
    tmp_path: Path, page_server: PageServer, database_url: str, runners: list[Runner]
) -> None:
    page_server.set("/asf", ASF[0].read_bytes())
    config = write_config(tmp_path / "sources.yaml", page_server, ["asf"])
    token = api_token(database_url)
    port = free_port()
    runner = Runner(tmp_path, "a", config, database_url, "--port", str(port))
    runners.append(runner)
    wait_for(lambda: page_server.hits("/asf") >= 3, what="three scheduled checks")

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.load(response) | {"last_tick_seconds_ago": 0} == {
            "role": "leader",
            "database": "ok",
            "scheduler": "ok",
            "last_tick_seconds_ago": 0,
        }
    status, headers, metrics = get(port, "/metrics", token)
    assert status == 200, metrics
    assert 'policy_monitor_checks_total{outcome="new",source="asf"} 1.0' in metrics
    assert "policy_monitor_last_success_age_seconds" in metrics
    assert "policy_monitor_drafts_pending 0.0" in metrics
    assert 'policy_monitor_emails{state="queued"} 0.0' in metrics
    # the whole review app: /metrics needs a login or a token (a scraper without one gets a
    # 401), the login page is public
    status, headers, _ = get(port, "/metrics")
    assert status == 401
    assert get(port, "/metrics", "pm_not-a-token")[0] == 401
    assert get(port, "/login")[0] == 200
    assert get(port, "/")[0] == 302

    assert runner.stop(signal.SIGTERM) == 0
    assert "stopped cleanly" in runner.text()
    assert f"review app on http://127.0.0.1:{port}/" in runner.text()
    assert "Traceback" not in runner.text() and "Logging error" not in runner.text()
    assert counts(database_url)["snapshots"] == 1


def test_kill_9_then_restart_loses_and_duplicates_nothing(
    tmp_path: Path, page_server: PageServer, database_url: str, runners: list[Runner]
) -> None:
    page_server.set("/asf", ASF[0].read_bytes())
    config = write_config(tmp_path / "sources.yaml", page_server, ["asf"])
    first = Runner(tmp_path, "first", config, database_url, "--no-web")
    runners.append(first)
    wait_for(lambda: first.checks() >= 2, what="checks before the crash")
    first.stop(signal.SIGKILL)

    page_server.set("/asf", ASF[1].read_bytes())
    second = Runner(tmp_path, "second", config, database_url, "--no-web")
    runners.append(second)
    wait_for(lambda: "changed" in second.text(), what="the change after restart")
    wait_for(lambda: second.checks() >= 3, what="more checks")
    assert second.stop() == 0
    found = counts(database_url)
    assert found["snapshots"] == 2 and found["changes"] == 1
    assert found["checks"] == first.checks() + second.checks() or found["checks"] >= 4


def test_sighup_reloads_sources(
    tmp_path: Path, page_server: PageServer, sqlite_url: str, runners: list[Runner]
) -> None:
    page_server.set("/asf", ASF[0].read_bytes())
    page_server.set("/other", ASF[1].read_bytes())
    config = write_config(tmp_path / "sources.yaml", page_server, ["asf"], every="1h")
    runner = Runner(tmp_path, "a", config, sqlite_url, "--no-web", "--watch-interval", "0")
    runners.append(runner)
    wait_for(lambda: page_server.hits("/asf") >= 1, what="first check")
    write_config(config, page_server, ["asf", "other"], every="1h")
    time.sleep(1)  # the file watch is off: nothing happens without the signal
    assert page_server.hits("/other") == 0
    runner.process.send_signal(signal.SIGHUP)
    wait_for(lambda: page_server.hits("/other") >= 1, what="the new source after SIGHUP")
    assert "reloaded" in runner.text()
    assert runner.stop() == 0


def test_editing_sources_yaml_reloads_without_a_signal(
    tmp_path: Path, page_server: PageServer, sqlite_url: str, runners: list[Runner]
) -> None:
    page_server.set("/asf", ASF[0].read_bytes())
    page_server.set("/other", ASF[1].read_bytes())
    config = write_config(tmp_path / "sources.yaml", page_server, ["asf"], every="1h")
    runner = Runner(tmp_path, "a", config, sqlite_url, "--no-web", "--watch-interval", "1")
    runners.append(runner)
    wait_for(lambda: page_server.hits("/asf") >= 1, what="first check")

    config.write_text("sources: [oops\n")  # an invalid edit: logged, the old schedule kept
    wait_for(lambda: "reload refused" in runner.text(), what="the refused reload")
    assert "not valid YAML" in runner.text() and runner.process.poll() is None

    write_config(config, page_server, ["asf", "other"], every="1h")
    wait_for(lambda: page_server.hits("/other") >= 1, what="the new source after the edit")
    assert "changed on disk: reloading" in runner.text() and "added: other" in runner.text()
    assert runner.stop() == 0


def test_only_one_scheduler_per_database_and_takeover(
    tmp_path: Path, page_server: PageServer, database_url: str, runners: list[Runner]
) -> None:
    page_server.set("/asf", ASF[0].read_bytes())
    config = write_config(tmp_path / "sources.yaml", page_server, ["asf"])
    leader = Runner(tmp_path, "leader", config, database_url, "--no-web")
    runners.append(leader)
    wait_for(lambda: leader.checks() >= 1, what="the leader's first check")
    port = free_port()
    standby = Runner(tmp_path, "standby", config, database_url, "--port", str(port))
    runners.append(standby)
    wait_for(lambda: "standby" in standby.text(), what="the standby message")
    status, _, body = get(port, "/healthz")  # a standby serves the review app too
    assert status == 200 and json.loads(body)["role"] == "standby"
    assert get(port, "/login")[0] == 200
    time.sleep(2.5)
    assert standby.checks() == 0 and leader.checks() >= 2

    leader.stop(signal.SIGKILL)
    wait_for(lambda: standby.checks() >= 1, timeout=30, what="takeover by the standby")
    assert "this process is the active scheduler" in standby.text()
    assert standby.stop() == 0


def test_a_slow_host_does_not_hold_up_other_hosts(
    tmp_path: Path, page_server: PageServer, sqlite_url: str
) -> None:
    """Each host checks in its own pool: eight slow pages on one host, one fast page elsewhere."""
    from monitor.scheduler import Service
    from tests.pageserver import Route

    slow = [f"slow{i}" for i in range(8)]
    for name in slow:
        page_server.set(f"/{name}", Route(ASF[0].read_bytes(), delay=12))
    page_server.set("/fast", ASF[0].read_bytes())
    port = page_server.url("/").split(":")[-1].rstrip("/")
    entries = [
        f"  - {{id: {n}, name: {n}, url: 'http://localhost:{port}/{n}', kind: html, every: 1s}}"
        for n in slow
    ]
    entries.append(
        f"  - {{id: fast, name: fast, url: '{page_server.url('/fast')}', kind: html, every: 1s}}"
    )
    config = tmp_path / "sources.yaml"
    config.write_text(
        "defaults: {retries: 0, timeout: 10, respect_robots: false}\n"
        "hosts: {localhost: {rate: 0, concurrency: 2}, "
        "127.0.0.1: {rate: 0, concurrency: 2}}\nsources:\n" + "\n".join(entries) + "\n"
    )
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    service = Service(config, Store(engine), workers=4)
    service.start()
    try:
        wait_for(lambda: page_server.hits("/fast") >= 4, timeout=10, what="fast checks")
        assert sum(page_server.hits(f"/{n}") for n in slow) <= 4  # politeness still holds
    finally:
        service.stop(timeout=1)
        engine.dispose()


def test_config_watch_sees_content_changes_only(tmp_path: Path) -> None:
    from monitor.runner import ConfigWatch

    path = tmp_path / "sources.yaml"

    def write(text: str, age: float = 5.0) -> None:
        path.write_text(text)
        past = time.time() - age
        os.utime(path, (past, past))

    write("sources: []\n", age=60)
    watch = ConfigWatch(path)
    assert not watch.changed()
    write("sources: []\n")  # touched, same text
    assert not watch.changed()
    write("sources: [] # edited\n", age=0)  # just written: looked at next time
    assert not watch.changed()
    write("sources: [] # edited\n")
    assert watch.changed() and not watch.changed()
    path.unlink()  # an editor replacing the file
    assert not watch.changed()
    write("sources: [] # edited again\n")
    assert watch.changed()


def test_metrics_drop_a_source_removed_from_sources_yaml(
    tmp_path: Path, page_server: PageServer, sqlite_url: str
) -> None:
    """A removed source's age would grow for ever and set off 'stale source' alerts."""
    from prometheus_client import generate_latest

    from monitor.scheduler import Service
    from monitor.web.health import Metrics

    page_server.set("/asf", ASF[0].read_bytes())
    page_server.set("/other", ASF[1].read_bytes())
    config = write_config(tmp_path / "sources.yaml", page_server, ["asf", "other"], every="1h")
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    service = Service(config, Store(engine), workers=2)
    metrics = Metrics(service.store, service.health)
    service.start()
    try:
        service._check("asf")
        service._check("other")
        scraped = generate_latest(metrics.registry).decode()
        assert 'last_success_age_seconds{source="other"}' in scraped
        write_config(config, page_server, ["asf"], every="1h")
        service.reload()
        scraped = generate_latest(metrics.registry).decode()
        assert 'last_success_age_seconds{source="asf"}' in scraped
        assert 'last_success_age_seconds{source="other"}' not in scraped
    finally:
        service.stop(timeout=1)
        engine.dispose()


def test_a_reload_takes_the_file_as_the_watch_baseline(tmp_path: Path) -> None:
    """SIGHUP right after an edit: the watch must not reload the same text a second time."""
    from monitor.runner import ConfigWatch

    path = tmp_path / "sources.yaml"
    path.write_text("sources: []\n")
    past = time.time() - 60
    os.utime(path, (past, past))
    watch = ConfigWatch(path)
    path.write_text("sources: [] # edited\n")  # then SIGHUP: the reload refreshes the watch
    watch.refresh()
    past = time.time() - 5
    os.utime(path, (past, past))  # settled
    assert not watch.changed()


def test_serve_answers_and_stops_cleanly_on_sigterm(tmp_path: Path, sqlite_url: str) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text("sources: []\n")
    base = [sys.executable, "-m", "monitor", "--config", str(config), "--database-url"]
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [*base, sqlite_url, "serve", "--port", str(port)], stderr=errors, cwd=REPO
        )
    try:
        wait_for(lambda: "review app on" in log.read_text(), what="serve to start")
        assert get(port, "/login")[0] == 200
        other = subprocess.run(  # a second serve on the same port: a clear error
            [*base, sqlite_url, "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=60,
        )
        assert other.returncode == 2, other.stderr
        assert "cannot serve the review app" in other.stderr and "Traceback" not in other.stderr
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert "review app stopped" in log.read_text()
    assert "Traceback" not in log.read_text()


@pytest.fixture
def postgres_url(postgres_admin: Engine) -> Iterator[str]:
    """A fresh PostgreSQL database only: the advisory lock can be lost, an flock cannot."""
    yield from _postgres_url(postgres_admin)


def terminate_lock_backends(url: str) -> int:
    """Kill the sessions holding advisory locks in this database, as an outage would."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            return len(
                connection.execute(
                    text(
                        "select pg_terminate_backend(pid) from pg_locks"
                        " where locktype = 'advisory' and database ="
                        " (select oid from pg_database where datname = current_database())"
                    )
                ).all()
            )
    finally:
        engine.dispose()


def test_a_leader_that_loses_its_lock_steps_down(
    tmp_path: Path, page_server: PageServer, postgres_url: str, runners: list[Runner]
) -> None:
    """Its lock session killed, the leader stops scheduling: never two active schedulers."""
    page_server.set("/asf", ASF[0].read_bytes())
    config = write_config(tmp_path / "sources.yaml", page_server, ["asf"])
    port = free_port()
    leader = Runner(tmp_path, "leader", config, postgres_url, "--port", str(port))
    runners.append(leader)
    wait_for(lambda: leader.checks() >= 1, what="the leader's first check")
    standby = Runner(tmp_path, "standby", config, postgres_url, "--no-web")
    runners.append(standby)
    wait_for(lambda: "standby" in standby.text(), what="the standby message")

    assert terminate_lock_backends(postgres_url) == 1
    wait_for(lambda: "stepping down" in leader.text(), timeout=10, what="the step-down")
    assert "ERROR   lost the leader lock (its database connection failed:" in leader.text()
    assert json.loads(get(port, "/healthz")[2])["role"] == "standby"
    wait_for(lambda: standby.checks() >= 1, timeout=20, what="takeover by the standby")
    time.sleep(1)  # the old leader's last checks, if any, are done
    before = leader.checks(), standby.checks()
    time.sleep(3)
    assert leader.checks() == before[0] and standby.checks() > before[1]
    assert leader.text().count("waiting as a standby") >= 1

    assert leader.stop() == 0 and standby.stop() == 0
    for runner in (leader, standby):
        assert "Traceback" not in runner.text() and "Logging error" not in runner.text()
    assert "stopped cleanly" in standby.text()


class SilentServer:
    """Accepts connections and never answers: a check against it blocks in its HTTP read."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self.accepted.append(self.sock.accept()[0])

    def close(self) -> None:
        self.sock.close()
        for connection in self.accepted:
            connection.close()


def test_sigterm_abandons_checks_still_running_after_the_stop_timeout(
    tmp_path: Path, database_url: str, runners: list[Runner]
) -> None:
    """A check stuck in a 30 s read must not hold the exit past --stop-timeout."""
    server = SilentServer()
    config = tmp_path / "sources.yaml"
    config.write_text(
        "defaults: {retries: 2, timeout: 30, respect_robots: false}\n"
        "hosts: {127.0.0.1: {rate: 0, concurrency: 4}}\nsources:\n"
        f"  - {{id: stuck, name: stuck, url: 'http://127.0.0.1:{server.port}/', kind: html}}\n"
    )
    try:
        runner = Runner(tmp_path, "a", config, database_url, "--no-web", "--stop-timeout", "2")
        runners.append(runner)
        wait_for(lambda: len(server.accepted) >= 1, what="the check to connect")
        started = time.monotonic()
        assert runner.stop(timeout=8) == 0
        assert time.monotonic() - started < 8
    finally:
        server.close()
    log = runner.text()
    assert "stop timeout of 2 s reached: abandoning the checks still running" in log
    assert "stopped after the stop timeout" in log
    assert "Traceback" not in log and "Logging error" not in log
    assert " check stuck " not in log  # abandoned: never finished, nothing recorded
