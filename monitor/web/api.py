"""JSON API under /api/v1 with token auth (WIP skeleton)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from werkzeug.wrappers import Response

bp = Blueprint("api", __name__)


def authenticate_token() -> Response | None:
    """Bearer token → g.user; 401 JSON otherwise."""
    from monitor.web.app import web

    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    user = web().accounts.token_user(token) if token else None
    if user is None:
        response = jsonify({"error": "Unauthorized", "detail": "send Authorization: Bearer TOKEN"})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="policy-monitor"'
        return response
    g.user = user
    return None


@bp.route("/sources")
def sources() -> Response:
    """Sources (skeleton)."""
    return jsonify([])
