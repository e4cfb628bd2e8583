"""The storage suite, run against SQLite and the real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from storage import db
from storage.blobs import MAX_DEPTH, blob_id
from storage.errors import StorageError
from storage.models import BlobRow
from storage.store import ChangeRecord, CheckRecord, SourceSpec, Store
from tests.pageserver import fixture_bytes

ASF = "gitgovuk/adoption-support-fund-asf/{}/adoption-support-fund-asf.html"
V1 = fixture_bytes(ASF.format("20220401T0836_1f5dd136d8"))
V2 = fixture_bytes(ASF.format("20220711T0900_d5db80859f"))
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def record(status: str, body: bytes | None = None, **kw: object) -> CheckRecord:
    values: dict = {
        "source_id": "asf",
        "started_at": NOW,
        "duration_ms": 5,
        "status": status,
        "url": "https://www.gov.uk/guidance/adoption-support-fund-asf",
        "final_url": "https://www.gov.uk/guidance/adoption-support-fund-asf",
        "body": body,
        "group": "www.gov.uk",
        "content_type": "text/html",
        "content_hash": blob_id(body or b""),
        "title": "ASF",
        "text_length": len(body or b""),
        "etag": '"e1"',
    }
    values.update(kw)
    return CheckRecord(**values)


def synced(store: Store) -> Store:
    store.sync_sources([SourceSpec("asf", "ASF", "govuk", "https://www.gov.uk/x")])
    return store


def test_migrations_are_idempotent(store: Store) -> None:
    db.upgrade(store.engine)
    assert db.is_current(store.engine)


def test_sync_sources_inserts_and_updates(store: Store) -> None:
    synced(store)
    store.sync_sources([SourceSpec("asf", "Renamed", "govuk", "https://www.gov.uk/y")])
    rows = store.source_rows()
    assert [(r.id, r.name, r.url) for r in rows] == [("asf", "Renamed", "https://www.gov.uk/y")]


def test_first_version_then_change_then_history(store: Store) -> None:
    synced(store)
    [first] = store.write([record("new", V1)])
    assert first.snapshot_id is not None and first.change_id is None
    change = ChangeRecord(1, 0, 2, 30, 4, '{"hunks": []}')
    [second] = store.write([record("changed", V2, content_hash="h2", change=change)])
    assert second.change_id is not None
    history = store.snapshots("asf")
    assert [s.id for s in history] == [first.snapshot_id, second.snapshot_id]
    assert store.body(history[0].body_id) == V1
    assert store.body(history[1].body_id) == V2
    [stored] = store.changes("asf")
    assert (stored.from_snapshot_id, stored.to_snapshot_id) == (
        first.snapshot_id,
        second.snapshot_id,
    )
    state = store.states(["asf"])["asf"]
    assert state.last_snapshot_id == second.snapshot_id and state.last_hash == "h2"


def test_errors_count_and_never_create_snapshots(store: Store) -> None:
    synced(store)
    store.write([record("new", V1)])
    failed = record("error", None, error="HTTP 503", error_reason="fetch-error", http_status=503)
    written = store.write([failed, failed])
    assert all(w.snapshot_id is None for w in written)
    state = store.states(["asf"])["asf"]
    assert state.consecutive_failures == 2
    assert len(store.snapshots("asf")) == 1
    assert store.source_rows()[0].last_error == "HTTP 503"
    store.write([record("not-modified", None, http_status=304)])
    assert store.states(["asf"])["asf"].consecutive_failures == 0
    assert store.counts() == {"sources": 1, "checks": 4, "snapshots": 1, "changes": 0, "drafts": 0}


def test_identical_bodies_are_stored_once_and_deltas_are_small(store: Store) -> None:
    synced(store)
    store.write([record("new", V1)])
    store.write([record("unchanged", V1)])
    store.write([record("changed", V2, content_hash="h2")])
    with store.session() as session:
        rows = {r.id: r for r in session.scalars(select(BlobRow))}
    assert len(rows) == 2
    delta = rows[blob_id(V2)]
    assert delta.base_id == blob_id(V1) and delta.codec == "zstd-delta"
    assert len(delta.data) < len(V2) // 10


def test_first_body_of_a_source_shares_the_host_keyframe(store: Store) -> None:
    store.sync_sources(
        [SourceSpec("a", "A", "html", "https://h/a"), SourceSpec("b", "B", "html", "https://h/b")]
    )
    store.write([record("new", V1, source_id="a")])
    store.write([record("new", V2, source_id="b")])
    store.blobs = type(store.blobs)()  # a fresh process: no cache
    with store.session() as session:
        row = session.get(BlobRow, blob_id(V2))
        assert row is not None and row.base_id == blob_id(V1)
    assert store.body(blob_id(V2)) == V2


def test_delta_chains_are_bounded(store: Store) -> None:
    synced(store)
    for i in range(MAX_DEPTH + 3):
        store.write([record("changed" if i else "new", V1 + str(i).encode(), content_hash=str(i))])
    with store.session() as session:
        depth = session.scalar(select(func.max(BlobRow.depth)))
    assert depth is not None and depth <= MAX_DEPTH
    store.blobs = type(store.blobs)()
    assert store.body(blob_id(V1 + str(MAX_DEPTH + 2).encode())).endswith(b"10")


def test_writing_an_empty_batch_is_a_no_op(store: Store) -> None:
    assert store.write([]) == []
    assert store.counts()["checks"] == 0


def test_head_constant_matches_the_newest_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from storage.migrations import HEAD

    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD


def test_uninitialised_database_is_not_current(tmp_path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert db.current_revision(engine) is None and not db.is_current(engine)
    db.ensure_current(engine)
    assert db.is_current(engine)
    engine.dispose()


def test_times_come_back_timezone_aware_in_utc(store: Store) -> None:
    synced(store)
    store.write([record("new", V1)])
    [snapshot] = store.snapshots("asf")
    assert snapshot.fetched_at == NOW and snapshot.fetched_at.utcoffset() is not None


def test_a_failed_batch_leaves_no_trace_and_the_next_one_stores_its_bodies(store: Store) -> None:
    from sqlalchemy.exc import IntegrityError

    synced(store)
    broken = record("new", V1, duration_ms=None)  # NOT NULL: fails after the body is written
    with pytest.raises(IntegrityError):
        store.write([broken])
    assert store.counts()["snapshots"] == 0
    [written] = store.write([record("new", V1)])
    store.blobs = type(store.blobs)()  # read back without any cache
    assert store.body(store.snapshots("asf")[0].body_id) == V1
    assert written.snapshot_id is not None


def test_migrations_build_exactly_the_models(store: Store) -> None:
    """Alembic's autogenerate finds nothing to add: the migrations and the models agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import Base

    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_database_urls_are_checked_and_postgres_scheme_accepted() -> None:
    from storage.errors import StorageError

    assert db.database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert db.database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    with pytest.raises(StorageError, match="is not a database URL"):
        db.make_engine("foo")
    with pytest.raises(StorageError, match="unsupported database 'mysql'"):
        db.require_existing("mysql://u@h/d")


def test_a_schema_from_a_newer_version_is_refused_in_plain_words(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    """A rollback of the package (or an old standby) must not crash in alembic or be told
    to run 'init', which cannot help."""
    from sqlalchemy import text

    from monitor.cli import cli

    with store.engine.begin() as connection:
        connection.execute(text("update alembic_version set version_num = '0099'"))
    with pytest.raises(StorageError, match="revision 0099, which this version"):
        db.ensure_current(store.engine)
    config = tmp_path / "sources.yaml"
    config.write_text("sources: []\n")
    for command in (["init"], ["status"]):
        result = CliRunner().invoke(
            cli, ["--config", str(config), "--database-url", database_url, *command]
        )
        assert result.exit_code == 3, result.output
        assert "a newer version made it" in result.output and "Traceback" not in result.output
    with store.engine.begin() as connection:  # as it was, for the fixture's checks
        connection.execute(text(f"update alembic_version set version_num = '{db.HEAD}'"))
