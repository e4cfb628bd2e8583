"""Reloading sources.yaml in a running scheduler: what is refused and why."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from monitor.scheduler import Service
from storage import db
from storage.store import Store

ONE = "sources:\n  - {id: one, name: One, url: 'http://127.0.0.1:9/one', kind: html, every: 1h}\n"


def test_a_file_with_no_sources_is_not_loaded_over_a_schedule(
    tmp_path: Path, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "sources.yaml"
    config.write_text(ONE)
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)
    service = Service(config, Store(engine), workers=1)
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
        engine.dispose()
