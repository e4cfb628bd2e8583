"""Admin pages: users (add, change role, deactivate), API tokens (revoke), the audit log.

Every change is a POST carrying the CSRF token, made by an admin, and recorded in the audit
log with the admin's email as the actor. An admin cannot deactivate or demote themselves, so
the app always keeps at least one admin who can log in.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from monitor.web.auth import MIN_PASSWORD, current_user, hash_password, requires
from storage.accounts import EMAIL, ROLES, User
from storage.errors import StorageError

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_SHOWN = 200
ROLE_HELP = {
    "viewer": "reads drafts, approved updates and sources",
    "reviewer": "also approves, edits and rejects drafts",
    "admin": "also manages users and API tokens",
}
# the audit log's actions, as people say them (storage records "user-add" and so on)
AUDIT_ACTIONS = {
    "user-add": "added user",
    "user-update": "changed user",
    "token-create": "created API token",
    "token-revoke": "revoked API token",
    "recipient-save": "saved email settings",
    "recipient-remove": "removed email settings",
}


def _admin() -> User:
    user = current_user()
    assert user is not None  # requires() made sure
    return user


def _users_page(form: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    from monitor.web.app import web

    context = web()
    page = render_template(
        "admin_users.html",
        users=context.accounts.users(),
        tokens=context.accounts.tokens(),
        roles=ROLES,
        role_help=ROLE_HELP,
        form=form or {"email": "", "role": "viewer"},
        min_password=MIN_PASSWORD,
    )
    return page, status


@bp.route("/")
@requires("admin")
def index() -> Response:
    """/admin/ itself: the first admin page."""
    return redirect(url_for("admin.users"), 302)


@bp.route("/users")
@requires("admin")
def users() -> tuple[str, int]:
    """Users with their role, state and last login; the add-user form; API tokens."""
    return _users_page()


@bp.route("/users", methods=["POST"])
@requires("admin")
def add_user() -> Response | tuple[str, int]:
    """Create a user (email, role, first password)."""
    from monitor.web.app import web

    email = request.form.get("email", "").strip().lower()
    role = request.form.get("role", "")
    password = request.form.get("password", "")
    form = {"email": email, "role": role}
    problem = _new_user_problem(email, role, password)
    if problem is None:
        try:
            web().accounts.add_user(email, hash_password(password), role, actor=_admin().email)
        except (StorageError, ValueError) as error:
            problem = _sentence(str(error))
    if problem is not None:
        flash(f"User not added: {problem}", "error")
        return _users_page(form, 422)
    flash(f"Added {email} as {role}. Give them their password in person or by phone.", "success")
    return redirect(url_for("admin.users"), 303)


def _new_user_problem(email: str, role: str, password: str) -> str | None:
    if not EMAIL.match(email):
        return "enter an email address like name@example.org."
    if role not in ROLES:
        return f"choose a role ({', '.join(ROLES)})."
    if len(password) < MIN_PASSWORD:
        return f"the password needs at least {MIN_PASSWORD} characters."
    return None


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


def _target(user_id: int) -> User:
    from monitor.web.app import web

    user = web().accounts.user(user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@requires("admin")
def set_role(user_id: int) -> Response | tuple[str, int]:
    """Change a user's role (not your own: another admin must do that)."""
    from monitor.web.app import web

    user, role = _target(user_id), request.form.get("role", "")
    if role not in ROLES:
        flash(f"Role not changed: choose one of {', '.join(ROLES)}.", "error")
        return _users_page(status=422)
    if user.id == _admin().id and role != user.role:
        flash(
            "You cannot change your own role: another admin must do it, so the app "
            "always keeps an admin.",
            "error",
        )
        return _users_page(status=409)
    if role == user.role:
        flash(f"{user.email} is already {role}.", "info")
    else:
        web().accounts.update_user(user.email, role=role, actor=_admin().email)
        flash(f"{user.email} is now {role}.", "success")
    return redirect(url_for("admin.users"), 303)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires("admin")
def set_active(user_id: int) -> Response | tuple[str, int]:
    """Deactivate (logs them out, stops their tokens) or reactivate a user."""
    from monitor.web.app import web

    user, wanted = _target(user_id), request.form.get("active", "")
    if wanted not in ("true", "false"):
        flash("Nothing changed: say whether to deactivate or reactivate.", "error")
        return _users_page(status=422)
    active = wanted == "true"
    if user.id == _admin().id and not active:
        flash("You cannot deactivate your own account: another admin must do it.", "error")
        return _users_page(status=409)
    if active == user.active:
        flash(f"{user.email} is already {'active' if active else 'deactivated'}.", "info")
    else:
        web().accounts.update_user(user.email, active=active, actor=_admin().email)
        if active:
            flash(f"Reactivated {user.email}: they can log in again.", "success")
        else:
            flash(
                f"Deactivated {user.email}: they are logged out and their API tokens stop working.",
                "success",
            )
    return redirect(url_for("admin.users"), 303)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires("admin")
def revoke_token(token_id: int) -> Response | tuple[str, int]:
    """Revoke an API token for good."""
    from monitor.web.app import web

    context = web()
    found = next((t for t, _ in context.accounts.tokens() if t.id == token_id), None)
    if found is None:
        abort(404)
    if found.revoked_at is not None:
        flash(f"Token {found.prefix}… was already revoked.", "info")
    else:
        context.accounts.revoke_token(token_id, actor=_admin().email)
        flash(f"Revoked token {found.prefix}… ({found.name}).", "success")
    return redirect(url_for("admin.users"), 303)


@bp.route("/audit")
@requires("admin")
def audit() -> str:
    """Who did what and when: account changes and the latest draft decisions."""
    from monitor.web.app import web
    from monitor.web.review import ACTION_VERBS, REASON_LABELS

    context = web()
    entries = [(row, _detail(row.detail)) for row in context.accounts.audit_log(AUDIT_SHOWN)]
    decisions = list(reversed(context.store.decisions(newest=AUDIT_SHOWN)))
    return render_template(
        "admin_audit.html",
        entries=entries,
        decisions=[(d, source_id) for d, source_id, _ in decisions],
        limit=AUDIT_SHOWN,
        verbs=ACTION_VERBS,
        reasons=REASON_LABELS,
        actions=AUDIT_ACTIONS,
    )


def _detail(text: str | None) -> list[tuple[str, Any]]:
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return [("detail", text)]
    return list(data.items()) if isinstance(data, dict) else [("detail", data)]
