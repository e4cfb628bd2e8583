"""Exactly one active scheduler per database.

PostgreSQL: a session-level advisory lock held on a dedicated connection; it is released when
the connection closes, including when the process is killed. SQLite: an exclusive ``flock`` on
``<database file>.lock``; the kernel releases it when the process dies, kill -9 included.
A second ``policy-monitor run`` waits as a standby and takes over when the lock frees.

A PostgreSQL lock can also be lost while the process lives: the server restarts, the network
drops the connection, an administrator terminates the backend. The session, and the lock with
it, is then gone and a standby takes it, so the leader asks :meth:`LeaderLock.verify` every few
seconds and steps down when it says the lock is lost.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from storage.errors import first_line

log = logging.getLogger("policy_monitor.leader")

LOCK_KEY = 0x706F6C6D  # "polm": the advisory-lock key for policy-monitor schedulers

# libpq settings of the lock connection: a dead server or network is noticed in seconds, so a
# verify() on a silent connection fails instead of hanging for the kernel's TCP timeout
LIBPQ_LOCK_SETTINGS: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,  # milliseconds
}

# A bigint advisory-lock key shows in pg_locks as classid (high 32 bits), objid (low 32 bits)
# and objsubid 1.
HELD_SQL = text(
    "select exists (select 1 from pg_locks where locktype = 'advisory' and granted"
    " and pid = pg_backend_pid() and objsubid = 1"
    " and classid::bigint = (cast(:key as bigint) >> 32)"
    " and objid::bigint = (cast(:key as bigint) & 4294967295))"
)


class LeaderLock(Protocol):
    """A lock that at most one process holds."""

    def try_acquire(self) -> bool: ...

    def verify(self) -> str | None: ...

    def release(self) -> None: ...


class FileLock:
    """An exclusive flock on a file next to the SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def try_acquire(self) -> bool:
        """Take the lock if free; never blocks."""
        if self._file is not None:
            return True
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def verify(self) -> str | None:
        """None while held: the kernel keeps an flock for as long as the file is open."""
        return None if self._file is not None else "the lock file is not held"

    def release(self) -> None:
        """Let the lock go (closing the file releases the flock)."""
        if self._file is not None:
            self._file.close()
            self._file = None


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock on its own connection.

    The connection comes from an engine of its own without a pool: closing it really ends the
    session, so a lock is never left behind in a pooled connection.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = _lock_engine(engine)
        self._connection: Connection | None = None
        self._guard = threading.Lock()

    def try_acquire(self) -> bool:
        """Take the lock if free; never blocks. An unreachable database is "not free"."""
        with self._guard:
            if self._connection is not None:
                return True
            try:
                connection = self._engine.connect()
            except DBAPIError as exc:
                log.warning(
                    "cannot reach the database to take the leader lock: %s", first_line(exc)
                )
                return False
            try:
                taken = connection.execute(
                    text("select pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
                ).scalar()
                connection.commit()
            except DBAPIError as exc:
                log.warning("taking the leader lock failed: %s", first_line(exc))
                connection.close()
                return False
            if not taken:
                connection.close()
                return False
            self._connection = connection
            return True

    def verify(self) -> str | None:
        """None while this session still holds the lock; else why not (and let it go).

        The lock lives as long as the session: a connection that fails, or a pg_locks that no
        longer shows the lock held by this backend, means another process may hold it now.
        """
        with self._guard:
            if self._connection is None:
                return "the lock is not taken"
            try:
                held = self._connection.execute(HELD_SQL, {"key": LOCK_KEY}).scalar()
                self._connection.commit()
            except DBAPIError as exc:
                self._discard()
                return f"its database connection failed: {first_line(exc)}"
            if not held:
                self._discard()
                return "pg_locks no longer shows it held by this session"
            return None

    def release(self) -> None:
        """Unlock and close the connection; on a dead connection the lock is gone already."""
        with self._guard:
            if self._connection is None:
                return
            try:
                self._connection.execute(text("select pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                self._connection.commit()
            except DBAPIError as exc:
                log.warning(
                    "could not unlock the leader lock (%s): its session is gone, and the "
                    "lock with it",
                    first_line(exc),
                )
            self._discard()

    def _discard(self) -> None:
        """Close the lock connection; closing ends the session and so any lock it holds."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def _lock_engine(engine: Engine) -> Engine:
    """An unpooled engine on the same database, with fast failure detection for libpq."""
    settings = (
        LIBPQ_LOCK_SETTINGS if engine.url.get_driver_name() in {"psycopg", "psycopg2"} else {}
    )
    return create_engine(engine.url, poolclass=NullPool, connect_args=settings)


def leader_lock(engine: Engine) -> LeaderLock:
    """The right kind of lock for this database."""
    url = make_url(str(engine.url))
    if url.get_backend_name() == "sqlite":
        database = url.database or "policy-monitor.db"
        return FileLock(Path(database + ".lock") if database != ":memory:" else Path(".pm.lock"))
    return AdvisoryLock(engine)
