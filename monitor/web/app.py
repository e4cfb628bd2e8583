"""The review web app: a Flask application built by :func:`create_app`.

Blueprints, one per area: ``auth`` (login/logout), ``review`` (queue, draft page, decisions),
``approved`` (approved updates, exports, Atom feed), ``sources`` (sources, versions, diffs),
``admin`` (users, tokens, audit log), ``recipients`` (who gets email) and ``api`` (JSON API
under /api/v1, token auth).
/healthz and /metrics are served here too, so ``run`` needs one port.

Everything a fetched page wrote is untrusted: templates autoescape, diffs come from
:mod:`monitor.render` (which escapes every piece), and the Content-Security-Policy forbids
scripts altogether (the app uses none).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from monitor.config import Config, load_config
from monitor.web.throttle import LoginThrottle
from storage.accounts import Accounts
from storage.review import Reviews
from storage.store import Store

SECRET_ENV = "POLICY_MONITOR_SECRET_KEY"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PUBLIC_ENDPOINTS = {"auth.login", "static", "health.healthz"}


@dataclass
class WebContext:
    """What every view needs: the database and the configuration."""

    store: Store
    config_path: Path
    health: Any = None  # monitor.scheduler.Health when served by 'run'
    metrics: Any = None  # monitor.web.health.Metrics when served by 'run'
    _config: tuple[float, Config] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.accounts = Accounts(self.store.engine)
        self.reviews = Reviews(self.store.engine)
        self.logins = LoginThrottle()

    def config(self) -> Config:
        """sources.yaml, re-read when the file changes (so edits show without a restart)."""
        mtime = self.config_path.stat().st_mtime
        if self._config is None or self._config[0] != mtime:
            self._config = (mtime, load_config(self.config_path))
        return self._config[1]


def web() -> WebContext:
    """The context of the running app."""
    context: WebContext = current_app.extensions["policy_monitor"]
    return context


csrf = CSRFProtect()


def create_app(
    store: Store,
    config_path: Path,
    *,
    health: Any = None,
    metrics: Any = None,
    testing: bool = False,
) -> Flask:
    """Build the app over ``store``; settings come from sources.yaml's ``review:`` section."""
    from monitor.web import (
        admin,
        api,
        approved,
        auth,
        health_views,
        recipients,
        review,
        sources,
    )

    context = WebContext(store, config_path, health, metrics)
    settings = context.config().review
    app = Flask(__name__)
    app.extensions["policy_monitor"] = context
    app.config.update(
        SECRET_KEY=_secret_key(context.accounts),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies and not testing,
        SESSION_COOKIE_NAME="policy_monitor_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        TESTING=testing,
    )
    app.before_request(_load_session_user)  # before the CSRF check (see load_session_user)
    csrf.init_app(app)
    blueprints = (auth, review, approved, sources, admin, recipients, health_views)
    for blueprint in (module.bp for module in blueprints):
        app.register_blueprint(blueprint)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    csrf.exempt(api.bp)  # token auth in a header: no cookie, so no cross-site forgery
    app.before_request(_refuse_nul)
    app.before_request(_authenticate)
    app.before_request(_refuse_impossible_ids)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["fromjson"] = json.loads
    app.jinja_env.filters["kind_label"] = review.kind_label
    app.jinja_env.filters["quoted"] = review.quoted
    app.jinja_env.filters["draft_status"] = review.draft_status_label
    app.jinja_env.filters["source_kind"] = sources.source_kind_label
    app.jinja_env.filters["check_status"] = sources.check_status_label
    app.jinja_env.filters["schedule"] = sources.schedule_text
    app.context_processor(_template_globals)
    return app


def _secret_key(accounts: Accounts) -> str:
    """From the environment, else generated once and kept in the database (shared by all)."""
    return os.environ.get(SECRET_ENV) or accounts.setting("secret_key", secrets.token_hex(32))


def _refuse_nul() -> None:
    """A NUL character in a query or form is never meant (and PostgreSQL cannot store it)."""
    values = [*request.args.values(), *(request.form.values() if request.form else ())]
    if any("\x00" in value for value in values):
        abort(400, "The request contains a NUL character; nothing was changed.")


def _load_session_user() -> None:
    """The user of the session cookie, for the pages (the API ignores the cookie)."""
    from monitor.web.auth import load_session_user

    if request.blueprint != "api":
        load_session_user()


def _authenticate() -> Response | None:
    """Send anyone not logged in to the login page (API: check the token, else 401)."""
    from monitor.web.api import authenticate_token

    if request.blueprint == "api":
        return authenticate_token()
    if request.endpoint in PUBLIC_ENDPOINTS or g.get("user") is not None:
        return None
    if request.endpoint == "approved.feed" and web().config().review.public_feed:
        return None
    if request.endpoint == "health.metrics":
        if _metrics_token_ok():
            return None
        if not _asks_for_html() or "Authorization" in request.headers:
            return _metrics_unauthorized()  # a scraper: an answer it can report, not a form
    from flask import redirect, url_for

    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _refuse_impossible_ids() -> None:
    """An id in a page's path larger than any id can be (32-bit) is a 404 before the database
    sees it: SQLite cannot bind it and PostgreSQL refuses it (a 500). The API checks its own."""
    from monitor.web.api import MAX_ID

    if request.blueprint == "api":
        return
    if any(isinstance(v, int) and v > MAX_ID for v in (request.view_args or {}).values()):
        abort(404)


def _asks_for_html() -> bool:
    """A browser names text/html in Accept; a scraper or curl sends */* or text formats (and
    werkzeug's ``accept_html`` counts */* as HTML)."""
    return any(
        value in ("text/html", "application/xhtml+xml") for value, _ in request.accept_mimetypes
    )


def _metrics_unauthorized() -> Response:
    response = Response(
        "401 Unauthorized: /metrics needs Authorization: Bearer TOKEN "
        "(create one with 'policy-monitor tokens create')\n",
        status=401,
        content_type="text/plain; charset=utf-8",
    )
    response.headers["WWW-Authenticate"] = 'Bearer realm="policy-monitor"'
    return response


def _metrics_token_ok() -> bool:
    """Prometheus may scrape /metrics with an API token (any role)."""
    from monitor.web.api import bearer_token

    token = bearer_token()
    return bool(token) and web().accounts.token_user(token) is not None


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.blueprint != "api" and request.endpoint not in ("static", "approved.feed"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    from monitor.web.review import resubmit_after_csrf

    kept = resubmit_after_csrf()
    if kept is not None:
        return kept, 400
    return render_template("error.html", code=400, message=_CSRF_MESSAGE), 400


_CSRF_MESSAGE = (
    "This form had expired or did not come from this site, so nothing was changed. "
    "Go back, reload the page and try again."
)


def _http_error(error: HTTPException) -> Any:
    if request.blueprint == "api":
        return jsonify({"error": error.name, "detail": error.description}), error.code
    messages = {
        403: "Your account's role does not allow this. If you need it, ask an admin.",
        404: "There is no page at this address: the link may be wrong, or what it pointed to "
        "no longer exists.",
    }
    message = messages.get(error.code or 500, error.description)
    return render_template("error.html", code=error.code, message=message), error.code


def _when(value: datetime | None, seconds: bool = False) -> str:
    """A UTC time for people, the same way on every page: "5 Mar 2026 09:07 UTC".

    ``seconds`` adds them (":03") where several events can fall in one minute: checks, the
    audit log, the audit trail. Non-breaking spaces: a time wraps only between its date and
    its clock time.
    """
    if not value:
        return "—"
    clock = value.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{value.day}\u00a0{value:%b}\u00a0{value.year} {clock}\u00a0UTC"


def _template_globals() -> dict[str, Any]:
    from monitor.web.auth import current_user
    from monitor.web.sections import section_titles

    return {"user": current_user(), "section_titles": section_titles()}
