"""Storage errors. ``monitor.errors.StorageError`` is this class, re-exported there."""

from __future__ import annotations


class StorageError(Exception):
    """The database is unreachable, not initialised, or holds something unreadable."""


class RecordNotFound(StorageError):
    """A row asked for by its key (a user, a token) does not exist: the caller's mistake."""


class RecordExists(StorageError):
    """A row to be created exists already (a user with that email): the caller's mistake."""


def first_line(error: BaseException) -> str:
    """A database error in one line: the driver's own message (SQLAlchemy's ``orig``) without
    the statement, link and libpq's lines of advice that follow it."""
    message = str(getattr(error, "orig", None) or error).strip()
    return message.splitlines()[0][:300] if message else type(error).__name__
