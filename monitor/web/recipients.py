"""Admins manage who gets which emails (issue 6): /admin/recipients.

Rows saved here override the address's entry in sources.yaml (see storage/recipients.py);
the scheduler reads the merged list every cycle, so a change applies without a restart.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from pydantic import ValidationError
from werkzeug.wrappers import Response

from monitor.config import Recipient
from monitor.recipients import effective_recipients
from monitor.web.auth import current_user, requires
from storage.errors import StorageError
from storage.recipients import Recipients, StoredRecipient

bp = Blueprint("recipients", __name__, url_prefix="/admin/recipients")


@bp.route("/")
@requires("admin")
def index() -> str:
    """Everyone who gets email, where their settings come from, and a form to change them."""
    from monitor.web.app import web

    context = web()
    config = context.config()
    stored = {r.email: r for r in Recipients(context.store.engine).all()}
    in_file = {p.email.lower() for p in config.notifications.recipients}
    people = effective_recipients(config, context.store.engine)
    muted = [r for r in stored.values() if not r.active]
    return render_template(
        "admin_recipients.html",
        people=people,
        muted=muted,
        stored=stored,
        in_file=in_file,
        edit=request.args.get("email", ""),
    )


@bp.route("/", methods=["POST"])
@requires("admin")
def save() -> Response | tuple[str, int]:
    """Add or change a person's subscriptions (or stop their email)."""
    from monitor.web.app import web

    form = request.form
    sections = tuple(form.getlist("sections"))
    try:
        person = Recipient(
            email=form.get("email", "").strip(),
            sections=sections,
            immediate="immediate" in form,
            digest="digest" in form,
            ops="ops" in form,
        )
    except ValidationError as error:
        flash(f"Not saved: {error.errors()[0]['msg']}", "error")
        return redirect(url_for("recipients.index"))
    row = StoredRecipient(
        person.email.lower(),
        sections,
        person.immediate,
        person.digest,
        person.ops,
        active=form.get("active", "yes") == "yes",
    )
    user = current_user()
    assert user is not None
    Recipients(web().store.engine).save(row, actor=user.email)
    flash(f"Saved email settings for {row.email}.", "success")
    return redirect(url_for("recipients.index"))


@bp.route("/remove", methods=["POST"])
@requires("admin")
def remove() -> Response:
    """Drop the app's settings for an address (sources.yaml's entry applies again)."""
    from monitor.web.app import web

    email = request.form.get("email", "")
    user = current_user()
    assert user is not None
    try:
        Recipients(web().store.engine).remove(email, actor=user.email)
        flash(f"Removed the app's settings for {email}.", "success")
    except StorageError as error:
        flash(str(error), "error")
    return redirect(url_for("recipients.index"))
