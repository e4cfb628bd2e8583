"""Shared fixtures: a local page server, and databases (SQLite and the real PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from storage import db
from storage.store import Store
from tests import pageserver

# The PostgreSQL half of the suite never skips: an unreachable server fails the run
# (scripts/test starts the local server first when it is down).
PG_ADMIN_URL = os.environ.get(
    "POLICY_MONITOR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

page_server = pytest.fixture(pageserver.page_server)

# `site`: the review app over real drafts (tests/webapp.py), for the web, API and browser tests
from tests.webapp import site  # noqa: E402, F401


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An engine on the PostgreSQL maintenance database (AUTOCOMMIT, to create databases)."""
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server"
        pytest.fail(f"PostgreSQL is required at {PG_ADMIN_URL} but unreachable: {exc}")
    yield engine
    engine.dispose()


def _postgres_url(admin: Engine) -> Iterator[str]:
    name = f"pm_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: once on SQLite, once on the real PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'monitor.db'}"
        return
    admin = request.getfixturevalue("postgres_admin")
    yield from _postgres_url(admin)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store on each backend; checks that no connection is left checked out."""
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    yield Store(engine)
    assert engine.pool.checkedout() == 0, "a connection was left open"
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database URL in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'monitor.db'}"
