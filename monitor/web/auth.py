"""Logging in: password hashing, sessions, API tokens, and the role checks every view uses.

Passwords are hashed with scrypt through Werkzeug (Flask's own toolkit), so no extra
dependency. Roles are ordered: viewer < reviewer < admin (see :data:`storage.accounts.ROLES`).
Browsers authenticate with a signed session cookie; API clients send
``Authorization: Bearer pm_...`` tokens created with ``policy-monitor tokens create``.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from storage.accounts import User

F = TypeVar("F", bound=Callable[..., Any])
MIN_PASSWORD = 10
# a hash to compare against when the email is unknown, so both paths take the same time
_DUMMY_HASH = generate_password_hash("not a real password", method="scrypt")

bp = Blueprint("auth", __name__)


def hash_password(password: str) -> str:
    """The stored form of a password (scrypt, salted)."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    return generate_password_hash(password, method="scrypt")


def current_user() -> User | None:
    """The user of this request (session or API token), if any."""
    return cast(User | None, g.get("user"))


def requires(role: str) -> Callable[[F], F]:
    """Allow a view only to logged-in users with ``role`` or stronger (403 otherwise)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not user.can(role):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


def load_session_user() -> None:
    """Put the logged-in, still active user of the session cookie on ``g``.

    A login ends ``review.session_hours`` after it was made, however often it is used (Flask
    re-signs a permanent session cookie on every response, so the cookie's age alone would
    keep a busy login, or a stolen cookie replayed often enough, alive for ever). An ended
    login clears the whole session, its CSRF token too: the app calls this before the CSRF
    check, so a form posted then is refused like one from an expired cookie (nothing changes,
    the reviewer's text is shown back).
    """
    from flask import current_app

    from monitor.web.app import web

    user_id = session.get("user_id")
    if user_id is None:
        return
    age = time.time() - float(session.get("login_at", 0))
    if age > current_app.permanent_session_lifetime.total_seconds():
        session.clear()
        return
    found = web().accounts.session_user(int(user_id))
    if found is None or not found[0].active or session.get("password") != _mark(found[1]):
        session.clear()  # deactivated, or the password was reset since this login
        return
    g.user = found[0]


def _mark(password_hash: str) -> str:
    """What a session keeps of the password it logged in with: a new password ends it."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirects)."""
    if not target:
        return url_for("review.queue")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("review.queue")
    if any(ord(char) < 32 or ord(char) == 127 for char in target):  # no header can carry them
        return url_for("review.queue")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    """The login form; the only page (with /healthz and maybe the feed) open to everyone."""
    from monitor.web.app import web

    if request.method == "GET":
        return render_template(
            "login.html", next=request.args.get("next", ""), cookie_problem=_cookie_problem()
        )
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    again = request.form.get("next", "")
    minutes = web().logins.wait(email)
    if minutes:  # refused before the password is looked at: a guess now tells nothing
        flash(
            f"Too many failed logins for this account. Try again in {minutes} minute"
            f"{'' if minutes == 1 else 's'}.",
            "error",
        )
        return render_template("login.html", next=again, email=email), 429
    found = web().accounts.credentials(email)
    good = check_password_hash(found[1] if found else _DUMMY_HASH, password)
    if not found or not good or not found[0].active:
        web().logins.failed(email)
        flash("That email and password do not match an active account.", "error")
        return render_template("login.html", next=again, email=email), 401
    web().logins.succeeded(email)
    session.clear()  # a fresh session on login (no fixation)
    session["user_id"] = found[0].id
    session["login_at"] = time.time()
    session["password"] = _mark(found[1])
    session.permanent = True
    web().accounts.logged_in(found[0].id)
    return redirect(_safe_next(request.form.get("next")))


def _cookie_problem() -> bool:
    """Secure-only cookies over plain HTTP to another host: the browser would drop the login.

    Browsers keep Secure cookies on http://localhost, so only other hosts are a problem.
    """
    from flask import current_app

    local = urlsplit("//" + request.host).hostname in ("localhost", "127.0.0.1", "::1")
    secure_only = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    return secure_only and not request.is_secure and not local


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Log out (a POST with the CSRF token, so another site cannot log you out)."""
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
