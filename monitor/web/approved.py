"""Approved updates: the list in tracker order, exports, and the Atom feed (WIP skeleton)."""

from __future__ import annotations

from flask import Blueprint

from monitor.web.auth import requires

bp = Blueprint("approved", __name__, url_prefix="/approved")


@bp.route("/")
@requires("viewer")
def index() -> str:
    """Approved updates (skeleton)."""
    return "approved"


@bp.route("/feed.atom")
def feed() -> str:
    """Atom feed (skeleton)."""
    return "feed"
