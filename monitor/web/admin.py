"""Admin pages: users, API tokens, audit log (WIP skeleton)."""

from __future__ import annotations

from flask import Blueprint

from monitor.web.auth import requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@requires("admin")
def users() -> str:
    """Users (skeleton)."""
    return "users"
