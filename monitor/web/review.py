"""The review queue and the draft page: where reviewers approve, edit or reject drafts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from monitor.relevance import KINDS
from monitor.tracker import LEVEL_LABELS
from monitor.web.auth import current_user, requires
from monitor.web.sections import section_titles
from storage.review import REASONS, Decision, DraftConflict, QueueFilter

bp = Blueprint("review", __name__)
REASON_LABELS = {
    "not-relevant": "Not relevant",
    "wrong-section": "Wrong section",
    "duplicate": "Duplicate",
    "other": "Other",
}
# what a reviewer reads instead of the assessment's kind slug (queue, filter, draft page)
KIND_LABELS = {
    "new-publication": "New publication",
    "content-amended": "Content amended",
    "bill-stage": "Bill stage",
    "bill-amendment": "Bill amendment",
    "consultation": "Consultation",
    "data-release": "Data release",
    "none": "Other change",
}
ACTION_VERBS = {"approve": "approved", "edit": "edited", "reject": "rejected", "reopen": "reopened"}
DRAFT_STATUS_LABELS = {
    "pending": "Waiting for review",
    "approved": "Approved",
    "rejected": "Rejected",
}
# a quoted hunk marks words like ``git diff --word-diff``: [-removed-] and {+added+}
_WORD_DIFF = re.compile(r"\[-(.*?)-\]|\{\+(.*?)\+\}", re.S)


def kind_label(kind: str | None) -> str:
    """An assessment kind in words ("Bill stage"), never a slug."""
    if not kind:
        return "—"
    return KIND_LABELS.get(kind, kind.replace("-", " ").capitalize())


def draft_status_label(status: str) -> str:
    """A draft's status in words ("Waiting for review")."""
    return DRAFT_STATUS_LABELS.get(status, status.capitalize())


def quoted(text: str) -> Markup:
    """A quoted hunk with its [-removed-] and {+added+} words as <del> and <ins>, escaped."""
    parts: list[str] = []
    end = 0
    for match in _WORD_DIFF.finditer(text):
        parts.append(str(escape(text[end : match.start()])))
        removed, added = match.group(1), match.group(2)
        if removed is not None:
            parts.append(f"<del>{escape(removed)}</del>")
        else:
            parts.append(f"<ins>{escape(added)}</ins>")
        end = match.end()
    parts.append(str(escape(text[end:])))
    return Markup("".join(parts))


def _date(value: str | None, *, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD filter value as a UTC time (the end of that day for 'until')."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
        return day + timedelta(days=1) if end else day
    except (ValueError, OverflowError):
        abort(400, f"{value!r} is not a date (YYYY-MM-DD) this app can use")


def queue_filter(args: Any, status: str = "pending") -> QueueFilter:
    """The queue's filters from query arguments (shared with the API)."""
    return QueueFilter(
        section=args.get("section") or None,
        source=args.get("source") or None,
        kind=args.get("kind") or None,
        since=_date(args.get("since")),
        until=_date(args.get("until"), end=True),
        status=status,
    )


@bp.route("/")
@requires("viewer")
def queue() -> str:
    """Pending drafts, highest score first, with filters and counts per section."""
    from monitor.web.app import web

    context = web()
    where = queue_filter(request.args)
    items = [_row(draft, assessment) for draft, assessment in context.reviews.queue(where)]
    return render_template(
        "queue.html",
        items=items,
        where=where,
        args=request.args,
        counts=context.reviews.section_counts(),
        sources=sorted(((r.id, r.name) for r in context.store.source_rows()), key=lambda x: x[1]),
        kinds=[k for k in KINDS if k != "none"],
        filtered=any(request.args.get(key) for key in _FILTERS),
    )


_FILTERS = ("section", "source", "kind", "since", "until")


@dataclass(frozen=True)
class Row:
    """A draft with what the queue and the API show of it."""

    draft: Any
    assessment: Any
    data: dict[str, Any]
    assessed: dict[str, Any]


def _row(draft: Any, assessment: Any) -> Row:
    return Row(draft, assessment, json.loads(draft.data_json), json.loads(assessment.data_json))


KIND_TEXT = {
    "new-publication": "A new publication appeared",
    "content-amended": "The text of a page this tracker follows changed",
    "bill-stage": "A bill moved to a new stage",
    "bill-amendment": "Amendments to a bill were tabled or decided",
    "consultation": "A consultation opened, closed or got a response",
    "data-release": "New statistics were published",
}


def why(row: Row, source_name: str, titles: dict[str, str]) -> str:
    """One plain sentence: what happened, where, and what ties it to the tracker."""
    happened = KIND_TEXT.get(row.assessment.kind, "Something changed")
    terms = [f"“{term}”" for term in row.assessed.get("terms", [])[:4]]
    sections = [titles.get(s, s) for s in row.assessed.get("sections", [])[:2]]
    sentence = f"{happened} on “{source_name}”."
    if terms:
        listed = terms[0] if len(terms) == 1 else ", ".join(terms[:-1]) + " and " + terms[-1]
        sentence += f" The change mentions {listed}"
        sentence += (
            f", which the tracker follows under {' and '.join(sections)}." if sections else "."
        )
    return sentence


@bp.route("/drafts/<int:draft_id>")
@requires("viewer")
def draft(draft_id: int) -> str:
    """A draft in an editable form beside its evidence and its audit trail."""
    return _draft_page(draft_id)


def _draft_page(
    draft_id: int, *, form: dict[str, str] | None = None, conflict: DraftConflict | None = None
) -> str:
    from monitor.web.app import web

    context = web()
    found = context.reviews.get(draft_id)
    if found is None:
        abort(404)
    row = _row(*found)
    evidence = _evidence(row)
    name = evidence["source"].name if evidence["source"] else row.draft.source_id
    return render_template(
        "draft.html",
        row=row,
        why=why(row, name, section_titles()),
        form=form or _form_values(row),
        conflict=conflict,
        evidence=evidence,
        tracker=_tracker_section(row.draft.primary_section),
        trail=context.reviews.history(draft_id),
        reasons=REASON_LABELS,
        verbs=ACTION_VERBS,
        statuses=list(LEVEL_LABELS.values()),
    )


def _tracker_section(section_id: str | None) -> Any:
    """The draft's section as the watched tracker last published it (None if not stored)."""
    from monitor.web.app import web

    if not section_id:
        return None
    rows = [r for r in web().store.tracker_sections() if r.section_id == section_id]
    return max(rows, key=lambda r: r.updated_at) if rows else None


def _form_values(row: Row) -> dict[str, str]:
    suggestion = row.data.get("status_suggestion") or {}
    return {
        "version": str(row.draft.version),
        "history_line": row.draft.history_line,
        "paragraph": row.draft.paragraph,
        "primary_section": row.draft.primary_section or "",
        "suggested_status": suggestion.get("status", ""),
        "suggested_reason": suggestion.get("reason", ""),
        "reason": "",
        "note": "",
    }


def _evidence(row: Row) -> dict[str, Any]:
    """The source, its two versions and the diff the draft rests on."""
    from monitor.diff import changes_from_dict
    from monitor.render import render_html_inline, render_html_side_by_side
    from monitor.web.app import web

    store = web().store
    source = next((s for s in store.source_rows() if s.id == row.draft.source_id), None)
    change = store.changes_by_id([row.assessment.change_id]) if row.assessment.change_id else []
    evidence: dict[str, Any] = {
        "source": source,
        "before": store.snapshot(row.assessment.from_snapshot_id)
        if row.assessment.from_snapshot_id
        else None,
        "after": store.snapshot(row.assessment.snapshot_id),
        "inline": None,
        "side_by_side": None,
    }
    if change:
        changes = changes_from_dict(json.loads(change[0].diff_json))
        # both renderers escape every piece of page text (see monitor.render)
        evidence["inline"] = Markup(render_html_inline(changes))
        evidence["side_by_side"] = Markup(render_html_side_by_side(changes))
    return evidence


@bp.route("/drafts/<int:draft_id>", methods=["POST"])
@requires("reviewer")
def decide(draft_id: int) -> Response | tuple[str, int]:
    """Approve, save an edit, or reject: one form, the button says which."""
    from monitor.web.app import web

    form = {key: request.form.get(key, "").strip() for key in _FIELDS}
    action = request.form.get("action", "")
    problem = _form_problem(action, form) or _section_problem(draft_id, action, form)
    if problem:
        flash(problem, "error")
        return _draft_page(draft_id, form=form), 422
    user = current_user()
    assert user is not None  # requires() made sure
    decision = Decision(
        action=action,
        reviewer=user.email,
        expected_version=int(form["version"]),
        fields=_fields(action, form),
        reason=form["reason"] or None if action == "reject" else None,
        note=form["note"] or None,
    )
    try:
        web().reviews.decide(draft_id, decision)
    except DraftConflict as conflict:
        flash(f"Not saved: {conflict}. Your text is kept below.", "conflict")
        form["version"] = str(conflict.draft.version)
        return _draft_page(draft_id, form=form, conflict=conflict), 409
    if action != "reject" and (stale := _stale_section_name(form)):
        flash(stale, "warning")
    return _after(action, draft_id)


def _stale_section_name(form: dict[str, str]) -> str | None:
    """The history line still names a section other than the one chosen (moved, not edited)."""
    titles = section_titles()
    chosen = titles.get(form["primary_section"], "")
    named = [t for t in titles.values() if t != chosen and f"'{t}'" in form["history_line"]]
    if not named or not chosen or f"'{chosen}'" in form["history_line"]:
        return None
    return (
        f"The update-history line still names '{named[0]}', but the update is now in "
        f"'{chosen}': edit the line if it should say so."
    )


_FIELDS = (
    "version",
    "history_line",
    "paragraph",
    "primary_section",
    "suggested_status",
    "suggested_reason",
    "reason",
    "note",
)


def _form_problem(action: str, form: dict[str, str]) -> str | None:
    if action not in ("approve", "edit", "reject"):
        return "Choose approve, save or reject."
    if not re.fullmatch(r"[0-9]{1,10}", form["version"]):  # isdigit() takes '²', int() not
        return "The form is missing the draft's version: reload the page."
    if form["primary_section"] and form["primary_section"] not in section_titles():
        return "Choose the tracker section from the list."
    if action == "reject" and form["reason"] not in REASONS:
        return "Say why you reject this draft (choose a reason)."
    if action == "reject" and form["reason"] == "other" and not form["note"]:
        return "With 'Other', write the reason in the note."
    if action != "reject" and not form["history_line"]:
        return "The update-history line cannot be empty."
    if action != "reject" and not form["paragraph"]:
        return "The 'What's happening now?' paragraph cannot be empty."
    return None


def _section_problem(draft_id: int, action: str, form: dict[str, str]) -> str | None:
    """'Wrong section' teaches the right one: the form must name a section other than the one
    the draft was assessed for."""
    from monitor.web.app import web

    if action != "reject" or form["reason"] != "wrong-section":
        return None
    found = web().reviews.get(draft_id)
    assessed = found[1].primary_section if found else None
    if not form["primary_section"] or form["primary_section"] == assessed:
        return (
            "With 'Wrong section', first choose the right tracker section in the form, then reject."
        )
    return None


def _fields(action: str, form: dict[str, str]) -> dict[str, Any] | None:
    if action == "reject":  # only a corrected section is kept from a rejected draft
        wrong = form["reason"] == "wrong-section" and form["primary_section"]
        return {"primary_section": form["primary_section"]} if wrong else None
    status = form["suggested_status"]
    return {
        "history_line": form["history_line"],
        "paragraph": form["paragraph"],
        "primary_section": form["primary_section"] or None,
        "status_suggestion": {"status": status, "reason": form["suggested_reason"]}
        if status
        else None,
    }


def _after(action: str, draft_id: int) -> Response:
    if action == "edit":
        flash(f"Saved your edit of draft #{draft_id}.", "success")
        return redirect(url_for("review.draft", draft_id=draft_id))
    verb = "Approved" if action == "approve" else "Rejected"
    flash(f"{verb} draft #{draft_id}.", "success")
    return redirect(url_for("review.queue"))


def resubmit_after_csrf() -> str | None:
    """When a draft form fails the CSRF check (e.g. the session expired), show the text back.

    Nothing is saved, but the reviewer's words are on the page to copy: an edit is never lost.
    Only what they posted is shown (escaped), never anything from the database.
    """
    if request.endpoint != "review.decide":
        return None
    kept = {key: request.form.get(key, "").strip() for key in _FIELDS if key != "version"}
    titles = section_titles()
    kept["section_title"] = titles.get(kept["primary_section"], kept["primary_section"])
    kept["reason_label"] = REASON_LABELS.get(kept["reason"], kept["reason"])
    return render_template("kept.html", kept=kept, draft_id=request.view_args or {})
