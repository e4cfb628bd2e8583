"""Storage errors. ``monitor.errors.StorageError`` is this class, re-exported there."""

from __future__ import annotations


class StorageError(Exception):
    """The database is unreachable, not initialised, or holds something unreadable."""
