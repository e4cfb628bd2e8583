"""Storage errors. ``monitor.errors.StorageError`` is this class, re-exported there."""

from __future__ import annotations


class StorageError(Exception):
    """The database is unreachable, not initialised, or holds something unreadable."""


class RecordNotFound(StorageError):
    """A row asked for by its key (a user, a token) does not exist: the caller's mistake."""


class RecordExists(StorageError):
    """A row to be created exists already (a user with that email): the caller's mistake."""
