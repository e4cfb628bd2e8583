"""Sources: every source with its state, its version history, and diffs (WIP skeleton)."""

from __future__ import annotations

from flask import Blueprint

from monitor.web.auth import requires

bp = Blueprint("sources", __name__, url_prefix="/sources")


@bp.route("/")
@requires("viewer")
def index() -> str:
    """Sources (skeleton)."""
    return "sources"


@bp.route("/<source_id>/diff")
@requires("viewer")
def diff(source_id: str) -> str:
    """Diff between two versions (skeleton)."""
    return "diff"
