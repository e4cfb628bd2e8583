"""Persistence: SQLAlchemy models, the content-addressed blob store, and migrations.

``storage`` imports nothing from ``monitor`` or ``notifications``.
"""
