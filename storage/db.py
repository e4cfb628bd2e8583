"""Engine creation and migrations.

SQLite is the embedded default (WAL mode, foreign keys on); PostgreSQL is the production
database. Both run the same code and the same Alembic migrations.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

from storage.errors import StorageError
from storage.migrations import HEAD

DEFAULT_URL = "sqlite:///policy-monitor.db"
ENV_VAR = "POLICY_MONITOR_DATABASE_URL"
MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(explicit: str | None = None) -> str:
    """``explicit``, else ``$POLICY_MONITOR_DATABASE_URL``, else the SQLite default."""
    url = explicit or os.environ.get(ENV_VAR) or DEFAULT_URL
    for alias in ("postgresql://", "postgres://"):  # postgres:// is what many hosts hand out
        if url.startswith(alias):
            url = "postgresql+psycopg://" + url[len(alias) :]
    return url


SUPPORTED = ("sqlite", "postgresql")


def check_url(url: str) -> URL:
    """Parse a database URL; a clear StorageError for nonsense or an unsupported database."""
    example = "e.g. sqlite:///policy-monitor.db or postgresql://user@host/dbname"
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(f"{url!r} is not a database URL ({example})") from None
    if parsed.get_backend_name() not in SUPPORTED:
        raise StorageError(
            f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL "
            f"({example})"
        )
    return parsed


def require_existing(url: str) -> None:
    """Refuse a SQLite file that does not exist (connecting would create an empty one)."""
    parsed = check_url(url)
    path = parsed.database
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return
    if not Path(path).exists():
        raise StorageError(f"no database at {path}; run 'policy-monitor init' or 'check' first")


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys."""
    check_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _alembic_config(engine: Engine) -> Any:
    # Alembic is imported only when migrations run: a check process that finds the schema
    # current never loads it (about 10 MiB of resident memory).
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Apply every pending migration (idempotent)."""
    from alembic import command

    is_current(engine)  # refuses a schema from a newer version before alembic fails on it
    try:
        command.upgrade(_alembic_config(engine), "head")
    except OperationalError as exc:
        raise StorageError(f"cannot reach the database: {exc.orig}") from None


def current_revision(engine: Engine) -> str | None:
    """The schema revision recorded in the database (None when it has no schema)."""
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("select version_num from alembic_version")).scalar()
    except (OperationalError, ProgrammingError) as exc:
        raise StorageError(f"cannot reach the database: {exc.orig}") from None


def is_current(engine: Engine) -> bool:
    """True when the database schema is at the newest migration; StorageError when it is at
    a revision this version does not know (made by a newer policy-monitor)."""
    revision = current_revision(engine)
    if revision is not None and revision not in known_revisions():
        raise StorageError(
            f"the database schema is at revision {revision}, which this version of "
            f"policy-monitor does not know (it knows up to {HEAD}): a newer version made it. "
            "Run that version again, or restore a backup taken before the upgrade"
        )
    return revision == HEAD


@functools.cache
def known_revisions() -> frozenset[str]:
    """The revision ids of the migrations shipped with this version (``0001`` ...)."""
    versions = Path(__file__).resolve().parent / "migrations" / "versions"
    return frozenset(p.name.split("_", 1)[0] for p in versions.glob("[0-9]*_*.py"))


def ensure_current(engine: Engine) -> None:
    """Migrate only when needed (cheap when the schema is already current)."""
    if not is_current(engine):
        upgrade(engine)
