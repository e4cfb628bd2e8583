"""Exactly one active scheduler per database.

PostgreSQL: a session-level advisory lock held on a dedicated connection; it is released when
the connection closes, including when the process is killed. SQLite: an exclusive ``flock`` on
``<database file>.lock``; the kernel releases it when the process dies, kill -9 included.
A second ``policy-monitor run`` waits as a standby and takes over when the lock frees.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, make_url, text

LOCK_KEY = 0x706F6C6D  # "polm": the advisory-lock key for policy-monitor schedulers


class LeaderLock(Protocol):
    """A lock that at most one process holds."""

    def try_acquire(self) -> bool: ...

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

    def release(self) -> None:
        """Let the lock go (closing the file releases the flock)."""
        if self._file is not None:
            self._file.close()
            self._file = None


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock on its own connection."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._guard = threading.Lock()

    def try_acquire(self) -> bool:
        """Take the lock if free; never blocks."""
        with self._guard:
            if self._connection is not None:
                return True
            connection = self._engine.connect()
            taken = connection.execute(
                text("select pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
            ).scalar()
            connection.commit()
            if not taken:
                connection.close()
                return False
            self._connection = connection
            return True

    def release(self) -> None:
        """Unlock and close the connection."""
        with self._guard:
            if self._connection is None:
                return
            self._connection.execute(text("select pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            self._connection.close()
            self._connection = None


def leader_lock(engine: Engine) -> LeaderLock:
    """The right kind of lock for this database."""
    url = make_url(str(engine.url))
    if url.get_backend_name() == "sqlite":
        database = url.database or "policy-monitor.db"
        return FileLock(Path(database + ".lock") if database != ":memory:" else Path(".pm.lock"))
    return AdvisoryLock(engine)
