"""Alembic migrations. ``HEAD`` names the newest revision (a test checks it matches)."""

HEAD = "0006"
