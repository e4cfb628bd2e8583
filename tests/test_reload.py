"""Reloading sources.yaml in a running scheduler: what is refused and why."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.scheduler import Service
from storage import db
from storage.store import Store
from tests.pageserver import PageServer, versions

ASF = versions("adoption-support-fund-asf")[0].read_bytes()
ONE = "sources:\n  - {id: one, name: One, url: 'http://127.0.0.1:9/one', kind: html, every: 1h}\n"


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    """A migrated SQLite store (these tests are about the scheduler, not the database)."""
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    yield Store(engine)
    engine.dispose()


def service_for(tmp_path: Path, store: Store, text: str = ONE) -> tuple[Service, Path]:
    """A (not started) scheduler of one check at a time over a sources.yaml holding ``text``."""
    config = tmp_path / "sources.yaml"
    config.write_text(text)
    return Service(config, store, workers=1), config


def test_a_file_with_no_sources_is_not_loaded_over_a_schedule(
    tmp_path: Path, sqlite_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    service, config = service_for(tmp_path, sqlite_store)
    service.start()
    try:
        for empty in ("", "sources: []\n"):  # truncated, or a deploy that lost the list
            config.write_text(empty)
            with caplog.at_level(logging.ERROR):
                service.reload()
            assert list(service.sources) == ["one"]
            assert "now lists no sources (it listed 1)" in caplog.text
            caplog.clear()
        config.write_text(ONE.replace("one", "two"))
        service.reload()  # a real edit still goes through
        assert list(service.sources) == ["two"]
    finally:
        service.stop(timeout=1)


def test_a_database_outage_is_one_line_per_job_not_a_traceback(
    tmp_path: Path, sqlite_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    from datetime import UTC, datetime

    from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
    from sqlalchemy.exc import OperationalError

    service, _ = service_for(tmp_path, sqlite_store)
    down = OperationalError("select 1", {}, Exception("server closed the connection\nDETAIL: x"))
    bug = ValueError("a bug")
    now = datetime.now(UTC)
    with caplog.at_level(logging.ERROR):
        for job, error in (("one", down), ("_outbox", down), ("one", bug)):
            service._job_done(
                JobExecutionEvent(EVENT_JOB_ERROR, job, "default", now, exception=error)
            )
    first, second, third = [r for r in caplog.records if r.name == "policy_monitor.scheduler"]
    assert first.getMessage() == ("check one failed: database error: server closed the connection")
    assert first.exc_info is None and second.exc_info is None
    assert second.getMessage().startswith("sending email failed: database error")
    assert third.getMessage() == "check one crashed: ValueError('a bug')" and third.exc_info


def test_a_sources_yaml_that_goes_missing_is_reported_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from monitor.runner import ConfigWatch

    path = tmp_path / "sources.yaml"
    path.write_text(ONE)
    watch = ConfigWatch(path)
    path.unlink()
    with caplog.at_level(logging.INFO):
        assert not watch.changed()  # an editor replacing it, perhaps: nothing yet
        assert "missing" not in caplog.text
        assert not watch.changed() and not watch.changed()
    assert caplog.text.count("is missing: the current schedule is kept") == 1
    path.write_text(ONE)
    with caplog.at_level(logging.INFO):
        watch.changed()
    assert "is back" in caplog.text


def test_a_check_still_running_after_a_step_down_writes_nothing(
    tmp_path: Path, sqlite_store: Store, page_server: PageServer
) -> None:
    """The check began while this process led; it ends after another took over."""
    from monitor.errors import StorageError

    page_server.set("/one", ASF)
    service, _ = service_for(
        tmp_path, sqlite_store, ONE.replace("http://127.0.0.1:9/one", page_server.url("/one"))
    )
    service._fenced.set()  # what stop(step_down=True) does, here while the check runs
    with pytest.raises(StorageError, match="no longer the active scheduler"):
        service._check("one")
    assert sqlite_store.counts()["snapshots"] == 0 and sqlite_store.counts()["checks"] == 0
    service._fenced.clear()
    service._check("one")
    assert sqlite_store.counts()["snapshots"] == 1
