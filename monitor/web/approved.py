"""Approved updates: the list in tracker order, exports (Markdown, HTML, CSV) and the Atom feed.

Everything shown here is a reviewer-approved draft, but its words came from fetched pages, so
it stays untrusted text: templates autoescape, the Markdown export neutralises inline HTML and
link syntax, the CSV export defuses spreadsheet formulas, and feedgen escapes the XML.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from monitor.web.auth import current_user, requires

bp = Blueprint("approved", __name__, url_prefix="/approved")

NO_SECTION = "No tracker section"
FEED_ENTRIES = 50
CSV_COLUMNS = (
    "section_id",
    "section",
    "history_line",
    "paragraph",
    "suggested_status",
    "status_reason",
    "source",
    "url",
    "approved_by",
    "approved_at",
)
# a spreadsheet treats a cell starting with one of these as a formula (CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Markdown syntax that could turn page text into HTML, links or code when rendered
_MARKDOWN_SPECIAL = re.compile(r"([\\`<>\[\]])")
# characters XML 1.0 cannot carry: lxml refuses them, and one would make the whole feed a 500
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Item:
    """One approved update as every view of this module shows it."""

    draft_id: int
    section_id: str
    section: str
    history_line: str
    paragraph: str
    suggested_status: str
    status_reason: str
    source_id: str
    source: str
    url: str
    link: str | None  # the url when it is http(s), else None (never made a link)
    approved_by: str
    approved_at: datetime


@dataclass(frozen=True)
class Group:
    """The approved updates of one tracker section."""

    section_id: str
    title: str
    items: list[Item]


def web_link(url: str | None) -> str | None:
    """``url`` when it is safe to make a link of (http or https), else None."""
    if not url:
        return None
    lowered = url.strip().lower()
    return url.strip() if lowered.startswith(("http://", "https://")) else None


def approved_items() -> list[Item]:
    """Every approved update in tracker order: by section, then by approval time."""
    from monitor.web.app import web
    from monitor.web.sections import section_order, section_titles

    context = web()
    titles = section_titles()
    names = {row.id: (row.name, row.url) for row in context.store.source_rows()}
    items = []
    for draft, _assessment, decision in context.reviews.approved():
        data = json.loads(draft.data_json or "{}")
        suggestion = data.get("status_suggestion") or {}
        name, source_url = names.get(draft.source_id, (draft.source_id, ""))
        url = str(data.get("url") or source_url or "")
        section_id = draft.primary_section or ""
        items.append(
            Item(
                draft_id=draft.id,
                section_id=section_id,
                section=titles.get(section_id, section_id) if section_id else NO_SECTION,
                history_line=draft.history_line,
                paragraph=draft.paragraph,
                suggested_status=str(suggestion.get("status") or ""),
                status_reason=str(suggestion.get("reason") or ""),
                source_id=draft.source_id,
                source=name,
                url=url,
                link=web_link(url),
                approved_by=decision.reviewer if decision else "",
                approved_at=decision.created_at if decision else draft.updated_at,
            )
        )
    items.sort(
        key=lambda i: (section_order(i.section_id or None), i.section_id, i.approved_at, i.draft_id)
    )
    return items


def grouped(items: Iterable[Item]) -> list[Group]:
    """Consecutive items of one section together (``items`` are in tracker order)."""
    groups: list[Group] = []
    for item in items:
        if not groups or groups[-1].section_id != item.section_id:
            groups.append(Group(item.section_id, item.section, []))
        groups[-1].items.append(item)
    return groups


@bp.route("/")
@requires("viewer")
def index() -> str:
    """Approved updates in tracker order, with the exports and the feed."""
    from monitor.web.app import web

    items = approved_items()
    return render_template(
        "approved.html",
        groups=grouped(items),
        count=len(items),
        public_feed=web().config().review.public_feed,
    )


# --- exports ---------------------------------------------------------------------------


def _attachment(body: str | bytes, mimetype: str, extension: str) -> Response:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="approved-updates-{stamp}.{extension}"'
    )
    return response


@bp.route("/export.md")
@requires("viewer")
def export_md() -> Response:
    """The approved updates as Markdown in the tracker's house style."""
    from monitor.web.app import web

    text = markdown(grouped(approved_items()), web().config().review.feed_title)
    return _attachment(text, "text/markdown", "md")


def markdown(groups: list[Group], title: str) -> str:
    """``## Section``, each paragraph (with any suggested status), then ``Update history:``."""
    lines = [f"# {_md(title)}", ""]
    if not groups:
        lines += ["No approved updates yet.", ""]
    for group in groups:
        lines += [f"## {_md(group.title)}", "", "### What's happening now?", ""]
        for item in group.items:
            lines += [_md(item.paragraph), ""]
            if item.suggested_status:
                reason = f" ({_md(item.status_reason)})" if item.status_reason else ""
                lines += [f"Suggested status: {_md(item.suggested_status)}{reason}", ""]
            if item.link and item.link not in item.paragraph:  # drafts end with their source
                lines += [f"Source: {_md(item.source)}, {_md(item.link)}", ""]
        lines += ["Update history:", ""]
        lines += [f"- {_md(item.history_line)}" for item in group.items]
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    """Text that stays text in Markdown: no inline HTML, links or code spans; no headings."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("\r\n", "\n").replace("\r", "\n"))
    return re.sub(r"(?m)^(\s*)#", r"\1\\#", escaped)


@bp.route("/export.html")
@requires("viewer")
def export_html() -> Response:
    """The approved updates as a standalone HTML document (every piece of text escaped)."""
    from monitor.web.app import web

    items = approved_items()
    page = render_template(
        "approved_export.html",
        groups=grouped(items),
        count=len(items),
        title=web().config().review.feed_title,
        exported_at=datetime.now(UTC),
    )
    return _attachment(page, "text/html", "html")


@bp.route("/export.csv")
@requires("viewer")
def export_csv() -> Response:
    """The approved updates as CSV, one row each, safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in approved_items():
        writer.writerow([_cell(value) for value in _csv_row(item)])
    # a byte-order mark so spreadsheet programs read UTF-8 (£, curly quotes) correctly
    return _attachment("\ufeff" + buffer.getvalue(), "text/csv", "csv")


def _csv_row(item: Item) -> list[str]:
    return [
        item.section_id,
        item.section,
        item.history_line,
        item.paragraph,
        item.suggested_status,
        item.status_reason,
        item.source,
        item.url,
        item.approved_by,
        item.approved_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
    ]


def _cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never evaluates (CSV formula injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


# --- Atom feed -------------------------------------------------------------------------

FEED_ID = "tag:policy-monitor,2025:approved-updates"


def entry_id(draft_id: int) -> str:
    """A stable Atom id for an approved draft (the same whatever host serves the feed)."""
    return f"{FEED_ID}:{draft_id}"


@bp.route("/feed.atom")
def feed() -> Response:
    """Atom feed of approved updates, newest first: public when ``review.public_feed``."""
    from feedgen.feed import FeedGenerator

    from monitor.web.app import web

    settings = web().config().review
    if not settings.public_feed and current_user() is None:  # app.py redirects first anyway
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    items = sorted(approved_items(), key=lambda i: (i.approved_at, i.draft_id), reverse=True)
    items = items[:FEED_ENTRIES]
    generator = FeedGenerator()
    generator.id(FEED_ID)
    generator.title(_xml(settings.feed_title))
    generator.author({"name": "policy-monitor"})
    generator.link(href=_absolute("approved.feed"), rel="self")
    generator.link(href=_absolute("approved.index"), rel="alternate")
    generator.updated(items[0].approved_at if items else datetime.now(UTC))
    for item in items:
        _entry(generator.add_entry(order="append"), item)
    response = Response(generator.atom_str(pretty=True), mimetype="application/atom+xml")
    response.headers["Cache-Control"] = (
        "public, max-age=300" if settings.public_feed else "private, no-store"
    )
    return response


def _entry(entry: Any, item: Item) -> None:
    entry.id(entry_id(item.draft_id))
    entry.title(_xml(item.history_line))
    entry.updated(item.approved_at)
    entry.published(item.approved_at)
    entry.content(_xml(item.paragraph), type="text")
    if item.section_id:
        entry.category(term=item.section_id, label=_xml(item.section))
    entry.link(href=_xml(item.link or _absolute("approved.index")), rel="alternate")


def _absolute(endpoint: str) -> str:
    """An absolute URL on the app's public address.

    That is the scheme and host of ``notifications.review_url`` when it is set, so a cached
    public feed never carries links built from a request's (untrusted) Host header; otherwise
    the request's own address.
    """
    from urllib.parse import urlsplit

    from monitor.web.app import web

    public = urlsplit(web().config().notifications.review_url or "")
    if public.scheme in ("http", "https") and public.netloc:
        return f"{public.scheme}://{public.netloc}{url_for(endpoint)}"
    return url_for(endpoint, _external=True)


def _xml(text: str) -> str:
    """``text`` without the control characters XML cannot carry (page or reviewer text)."""
    return _NOT_XML.sub("", text)
