"""Render the emails of issue 6: alerts, daily digests and ops alerts.

Pure functions: each returns a :class:`Rendered` (subject, plain-text part, HTML part) and
nothing here sends mail or touches the database. Headers (Date, Message-ID,
List-Unsubscribe) and the multipart/alternative wrapping belong to the sender.

Everything that comes from a page (events, drafts, diff text, source names, errors) is
untrusted. In the HTML part it goes through :func:`html.escape`; in both parts control
characters are dropped; in a subject every run of whitespace (newlines included) becomes one
space, so a page cannot add a header. Links are only made for ``http`` and ``https`` URLs;
anything else (``javascript:``, ``data:``) is shown as escaped text.

The HTML is a complete document that mail clients render as they are: inline CSS only (no
``<style>`` block, no tables), a 640px column, system fonts, no images and no external
resources. The plain-text part says the same things in the same order.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

MAX_SUBJECT = 200
PRODUCT = "policy-monitor"
PATH_SEPARATOR = " › "
#: Words of unchanged text kept either side of a change in a diff excerpt.
CONTEXT_WORDS = 8
#: Words of one insertion or deletion shown before it is cut short.
MAX_CHANGE_WORDS = 40
#: Lines of diff excerpt per item in a digest.
DIGEST_EXCERPT_LINES = 4
#: Characters of an ops error message shown.
MAX_ERROR_CHARS = 2000
NO_SECTION = "No tracker section"

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# C0 and C1 control characters apart from tab and newline, plus DEL.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE_RE = re.compile(r"\s+")
_WORD_SPLIT_RE = re.compile(r"(\s+)")
# The markers Document.lines() puts around a block's text (see monitor.document.Block).
_LINE_PREFIX_RE = re.compile(r"^(?:(?P<heading>#{1,6} )|(?P<item>- )|(?P<row>\| )|(?P<links>→ ))")

# --- styles (inline only: many mail clients drop <style> blocks) -------------------------------

_FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
_BODY = "margin:0;padding:0;background-color:#f3f2f1;"
_COLUMN = (
    "max-width:640px;margin:0 auto;padding:24px 20px;background-color:#ffffff;"
    f"font-family:{_FONT};font-size:16px;line-height:1.5;color:#0b0c0c;"
)
_KICKER = "margin:0 0 4px 0;font-size:14px;font-weight:bold;color:#505a5f;"
_H1 = "margin:0 0 12px 0;font-size:22px;line-height:1.3;font-weight:bold;"
_H2 = "margin:24px 0 8px 0;font-size:18px;line-height:1.3;font-weight:bold;"
_H3 = "margin:20px 0 8px 0;font-size:16px;line-height:1.3;font-weight:bold;color:#1d70b8;"
_P = "margin:0 0 12px 0;"
_META = "margin:0 0 12px 0;font-size:14px;color:#505a5f;"
_QUOTE = "margin:0 0 12px 0;padding:8px 12px;border-left:4px solid #b1b4b6;background:#f8f8f8;"
_LINK = "color:#1d70b8;text-decoration:underline;"
_BUTTON = (
    "display:inline-block;padding:10px 16px;background-color:#00703c;color:#ffffff;"
    "font-weight:bold;text-decoration:none;border-radius:4px;"
)
_ITEM = "margin:0 0 20px 0;padding:0 0 0 12px;border-left:4px solid #dee0e2;"
_EXCERPT_PATH = "margin:8px 0 2px 0;font-size:13px;color:#505a5f;"
_EXCERPT_TEXT = "margin:0 0 8px 0;padding:6px 10px;background:#f8f8f8;font-size:15px;"
_INS = "background-color:#cce2d8;color:#005a30;text-decoration:none;"
_DEL = "background-color:#f6d7d2;color:#942514;text-decoration:line-through;"
_PRE = (
    "margin:0 0 12px 0;padding:8px 12px;background:#f8f8f8;white-space:pre-wrap;"
    "word-break:break-word;font-family:Menlo,Consolas,'Liberation Mono',monospace;font-size:13px;"
)
_FOOTER = (
    "margin:24px 0 0 0;padding:12px 0 0 0;border-top:1px solid #b1b4b6;"
    "font-size:13px;color:#505a5f;"
)


@dataclass(frozen=True)
class Rendered:
    """One email's content: subject, plain-text part and HTML part."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class AlertItem:
    """One relevant change with its draft, as an alert or digest entry shows it."""

    source_id: str
    source_name: str
    url: str
    section_title: str  # primary tracker section title, e.g. "Financial allowances"
    event: str  # e.g. "New publication: Kinship allowance trial — DfE"
    history_line: str  # the drafted update-history line
    paragraph: str  # the drafted "What's happening now?" paragraph
    diff_json: str | None  # monitor.render.changes_to_dict JSON, or None
    score: float
    review_url: str | None  # the draft in the review app, when configured
    detected_at: datetime


# --- alert ---------------------------------------------------------------------------------------


def render_alert(item: AlertItem) -> Rendered:
    """Render the immediate alert for one relevant change."""
    section = one_line(item.section_title)
    event = one_line(item.event) or f"Change on {one_line(item.source_name) or item.source_id}"
    subject = _subject(f"[{section}] {event}" if section else f"[{PRODUCT}] {event}")
    excerpt_text, excerpt_html = diff_excerpt(item.diff_json)
    history, paragraph = one_line(item.history_line), one_line(item.paragraph)
    meta = _item_meta(item)
    footer = _alert_footer(section, item.score)

    text: list[str] = []
    if section:
        text.append(section)
    text += [event, "", *meta.text, ""]
    if history:
        text += ["Draft update-history line:", _indent(history), ""]
    if paragraph:
        text += ["Draft “What’s happening now?” paragraph:", _indent(paragraph), ""]
    if excerpt_text:
        text += ["What changed:", _LEGEND, "", _indent(excerpt_text), ""]
    text += _text_links(item)
    text += ["", "-- ", footer]

    body: list[str] = []
    if section:
        body.append(f'<p style="{_KICKER}">{_esc(section)}</p>')
    body += [f'<h1 style="{_H1}">{_esc(event)}</h1>', meta.html]
    if history:
        body += [
            f'<h2 style="{_H2}">Draft update-history line</h2>',
            f'<p style="{_QUOTE}">{_esc(history)}</p>',
        ]
    if paragraph:
        body += [
            f'<h2 style="{_H2}">Draft “What’s happening now?” paragraph</h2>',
            f'<p style="{_QUOTE}">{_esc(paragraph)}</p>',
        ]
    if excerpt_html:
        body += [
            f'<h2 style="{_H2}">What changed</h2>',
            f'<p style="{_META}">{_esc(_LEGEND_HTML)}</p>',
            excerpt_html,
        ]
    body += _html_links(item)
    body.append(f'<p style="{_FOOTER}">{_esc(footer)}</p>')
    return Rendered(subject, _text_doc(text), _html_doc(subject, body))


_LEGEND = "Added text is shown {+like this+}, removed text [-like this-]."
_LEGEND_HTML = "Added text is highlighted in green, removed text in red and struck through."


def _alert_footer(section: str, score: float) -> str:
    """Say why the reader got this alert."""
    where = f"the ‘{section}’ section" if section else "tracker sections"
    return (
        f"You are getting this alert because you subscribed to changes affecting {where} "
        f"of the kinship care policy tracker in {PRODUCT}. It is sent straight away for "
        f"changes whose relevance score ({score:.2f}) reaches the alert threshold; everything "
        "else waits for the daily digest. The draft is only a suggestion: nothing changes in "
        "the tracker until someone reviews it."
    )


# --- digest --------------------------------------------------------------------------------------


def render_digest(
    needs_review: list[AlertItem],
    for_information: list[AlertItem],
    *,
    since: datetime,
    until: datetime,
) -> Rendered:
    """Render the daily digest: a "Needs review" and a "For information" part, by section.

    Sections come in order of first appearance (needs-review items first, then the rest), the
    same order in both parts; items keep the order they were given in.
    """
    n_review, n_info = len(needs_review), len(for_information)
    subject = _subject(
        f"{PRODUCT} digest: {n_review} to review, {n_info} for information ({_date(until)})"
    )
    order = _section_order([*needs_review, *for_information])
    summary = (
        f"Relevant changes from {_when(since)} to {_when(until)}: "
        f"{n_review} to review, {n_info} for information."
    )
    footer = (
        f"You are getting this digest because you subscribed to the {PRODUCT} daily digest. It "
        "lists every relevant change since the last digest, grouped by tracker section. Drafts "
        "are only suggestions: nothing changes in the tracker until someone reviews them."
    )
    parts = (
        ("Needs review", needs_review, "Nothing needs review."),
        ("For information", for_information, "Nothing for information."),
    )

    text: list[str] = [f"{PRODUCT} digest", summary]
    body: list[str] = [
        f'<h1 style="{_H1}">{PRODUCT} digest</h1>',
        f'<p style="{_META}">{_esc(summary)}</p>',
    ]
    if needs_review or for_information:
        text.append(_LEGEND)
        body.append(f'<p style="{_META}">{_esc(_LEGEND_HTML)}</p>')
    for title, items, empty in parts:
        heading = f"{title} ({len(items)})"
        text += ["", heading.upper(), "=" * len(heading)]
        body.append(f'<h2 style="{_H2}">{_esc(heading)}</h2>')
        if not items:
            text += ["", empty]
            body.append(f'<p style="{_P}">{_esc(empty)}</p>')
        for section, group in _grouped(items, order):
            text += ["", section, "-" * len(section)]
            body.append(f'<h3 style="{_H3}">{_esc(section)}</h3>')
            for item in group:
                item_text, item_html = _digest_item(item)
                text += ["", *item_text]
                body.append(item_html)
    text += ["", "-- ", footer]
    body.append(f'<p style="{_FOOTER}">{_esc(footer)}</p>')
    return Rendered(subject, _text_doc(text), _html_doc(subject, body))


def _section_key(item: AlertItem) -> str:
    """The section heading an item is listed under."""
    return one_line(item.section_title) or NO_SECTION


def _section_order(items: Iterable[AlertItem]) -> list[str]:
    """Section headings in order of first appearance."""
    return list(dict.fromkeys(_section_key(item) for item in items))


def _grouped(items: Sequence[AlertItem], order: list[str]) -> list[tuple[str, list[AlertItem]]]:
    """Group items by section, sections in the given order, items in input order."""
    groups: dict[str, list[AlertItem]] = {section: [] for section in order}
    for item in items:
        groups[_section_key(item)].append(item)
    return [(section, group) for section, group in groups.items() if group]


def _digest_item(item: AlertItem) -> tuple[list[str], str]:
    """One digest entry: event, source, draft line and paragraph, short excerpt, review link."""
    event = one_line(item.event) or f"Change on {one_line(item.source_name) or item.source_id}"
    history, paragraph = one_line(item.history_line), one_line(item.paragraph)
    excerpt_text, excerpt_html = diff_excerpt(item.diff_json, max_lines=DIGEST_EXCERPT_LINES)
    meta = _item_meta(item)
    review = safe_url(item.review_url)

    text = [f"* {event}", *(_indent(line) for line in meta.text)]
    body = [f'<div style="{_ITEM}">', f'<p style="{_P}"><strong>{_esc(event)}</strong></p>']
    body.append(meta.html)
    if history:
        text.append(_indent(f"Draft: {history}"))
        body.append(f'<p style="{_P}">Draft: {_esc(history)}</p>')
    if paragraph:
        text.append(_indent(paragraph))
        body.append(f'<p style="{_QUOTE}">{_esc(paragraph)}</p>')
    if excerpt_text:
        text += [_indent("What changed:"), _indent(excerpt_text, 4)]
        body.append(excerpt_html)
    if review:
        text.append(_indent(f"Review this draft: {review}"))
        body.append(f'<p style="{_P}">{_link(review, "Review this draft")}</p>')
    body.append("</div>")
    return text, "\n".join(body)


# --- ops -----------------------------------------------------------------------------------------


def render_ops(
    source_name: str,
    source_id: str,
    url: str,
    failures: int,
    error: str | None,
    recovered: bool,
) -> Rendered:
    """Render the ops alert for a source failing ``failures`` checks in a row, or recovering."""
    name = one_line(source_name) or one_line(source_id)
    checks = f"{failures} check{'' if failures == 1 else 's'} in a row"
    if recovered:
        subject = _subject(f"[{PRODUCT}] Source recovered: {name}")
        headline = f"Source recovered: {name}"
        summary = f"The last check succeeded, after {checks} failed."
        error_label = "Last error before it recovered:"
    else:
        subject = _subject(f"[{PRODUCT}] Source failing: {name} ({checks})")
        headline = f"Source failing: {name}"
        summary = (
            f"The source has failed {checks}. No new versions are stored for it until a check "
            "succeeds again. You will get one more email when it recovers."
        )
        error_label = "Last error:"
    detail = clean_text(error).strip() if error else ""
    if len(detail) > MAX_ERROR_CHARS:
        detail = detail[: MAX_ERROR_CHARS - 1].rstrip() + "…"
    detail = detail or "No error message was recorded."
    footer = (
        f"You are getting this because you receive {PRODUCT} ops alerts. One alert is sent "
        "when a source starts failing and one more when it recovers, never one per failed check."
    )
    link = safe_url(url)
    sid = one_line(source_id)

    text = [
        headline,
        "",
        summary,
        "",
        f"Source: {name} (id: {sid})",
        f"URL: {link or one_line(url)}",
        "",
        error_label,
        _indent(detail),
        "",
        "-- ",
        footer,
    ]
    url_html = _link(link, link) if link else _esc(one_line(url))
    body = [
        f'<p style="{_KICKER}">{PRODUCT} ops</p>',
        f'<h1 style="{_H1}">{_esc(headline)}</h1>',
        f'<p style="{_P}">{_esc(summary)}</p>',
        f'<p style="{_P}">Source: {_esc(name)} (id: <code>{_esc(sid)}</code>)<br>'
        f"URL: {url_html}</p>",
        f'<p style="{_P}"><strong>{_esc(error_label)}</strong></p>',
        f'<pre style="{_PRE}">{_esc(detail)}</pre>',
        f'<p style="{_FOOTER}">{_esc(footer)}</p>',
    ]
    return Rendered(subject, _text_doc(text), _html_doc(subject, body))


# --- diff excerpt --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ExcerptHunk:
    """One changed block, shortened for an email: where it is, and its word runs."""

    label: str
    note: str  # "New heading: ", "Removed: " ...
    words: tuple[tuple[str, str], ...]  # (op, text)


def diff_excerpt(diff_json: str | None, *, max_lines: int = 12) -> tuple[str, str]:
    """A short readable excerpt of a stored diff, as (plain text, HTML fragment).

    Each changed block shows its heading path, then its text with insertions and deletions
    marked (``{+added+}`` / ``[-removed-]`` in text; ``<ins>`` / ``<del>`` with inline styles
    in HTML), long unchanged runs cut to a few words of context. At most ``max_lines`` lines
    of text (heading lines included; a repeated heading path is shown once); when blocks are
    left out a last line says how many. Blocks that add or change words are chosen before
    blocks that only lose text, and the chosen ones are shown in page order. At least one
    block is always shown. ``None``, an empty diff or one that cannot be read give
    ``("", "")``.
    """
    hunks = _load_hunks(diff_json)
    if not hunks:
        return "", ""
    # Blocks with new or changed words first, removals after; shown in page order.
    ranked = sorted(range(len(hunks)), key=lambda i: (not _has_insert(hunks[i]), i))
    chosen: list[int] = []
    for index in ranked:
        trial = sorted([*chosen, index])
        more = len(hunks) - len(trial)
        if not chosen or _line_count([hunks[i] for i in trial]) + (more > 0) <= max_lines:
            chosen = trial
    shown = [hunks[i] for i in chosen]
    more = len(hunks) - len(shown)
    return _excerpt_text(shown, more), _excerpt_html(shown, more)


def _has_insert(hunk: _ExcerptHunk) -> bool:
    """Tell whether a hunk adds or changes words (rather than only removing them)."""
    return any(op == "insert" for op, _ in hunk.words)


def _line_count(hunks: list[_ExcerptHunk]) -> int:
    """Lines the text excerpt of these hunks takes (a repeated heading path shown once)."""
    labels = [hunk.label for hunk in hunks]
    return len(hunks) + sum(1 for i, label in enumerate(labels) if i == 0 or labels[i - 1] != label)


@dataclass(frozen=True)
class _StoredHunk:
    """A hunk as stored in ``changes.diff_json`` (read here directly: notifications depends
    on storage only, not on monitor)."""

    kind: str
    heading_path: tuple[str, ...]
    old_index: int | None
    new_index: int | None
    words: tuple[tuple[str, str], ...]


def _stored_hunks(data: Any) -> list[_StoredHunk]:
    hunks = []
    for item in data["hunks"]:
        if item["kind"] not in ("added", "removed", "modified"):
            raise ValueError(f"unknown hunk kind {item['kind']!r}")
        words = tuple((str(op), str(text)) for op, text in item.get("words") or ())
        if not words:  # added / removed blocks carry their text, not word ops
            op = "insert" if item["kind"] == "added" else "delete"
            words = ((op, str(item.get("new_text") or item.get("old_text") or "")),)
        hunks.append(
            _StoredHunk(
                kind=item["kind"],
                heading_path=tuple(item.get("heading_path") or ()),
                old_index=item.get("old_index"),
                new_index=item.get("new_index"),
                words=words,
            )
        )
    return hunks


def _load_hunks(diff_json: str | None) -> list[_ExcerptHunk]:
    """Parse a stored diff into shortened hunks; nothing if it is missing or unreadable."""
    if not diff_json:
        return []
    try:
        stored = _stored_hunks(json.loads(diff_json))
    except (ValueError, TypeError, KeyError, AttributeError):
        return []
    out = []
    for hunk in stored:
        shortened = _shorten(hunk)
        if shortened.words:
            out.append(shortened)
    return out


def _shorten(hunk: _StoredHunk) -> _ExcerptHunk:
    """Strip the block markers, cut unchanged runs to some context and long changes short."""
    words = [(op, _SPACE_RE.sub(" ", clean_text(text))) for op, text in hunk.words]
    words = [(op, text) for op, text in words if text]
    is_title = hunk.kind == "modified" and (hunk.old_index == 0 or hunk.new_index == 0)
    note = ""
    if words and is_title:
        words[0] = (words[0][0], words[0][1].removeprefix("# "))
    elif words and (match := _LINE_PREFIX_RE.match(words[0][1])):
        op, first = words[0]
        if hunk.kind != "modified" or op == "equal":
            words[0] = (op, first[match.end() :])
            if match.group("row") and words[-1][0] == op:
                words[-1] = (op, words[-1][1].removesuffix(" |"))
            if match.group("heading") and hunk.kind != "modified":
                note = "New heading: " if hunk.kind == "added" else "Removed heading: "
    if hunk.kind == "removed" and not note:
        note = "Removed: "
    out = []
    last = len(words) - 1
    for i, (op, text) in enumerate(words):
        if op == "equal":
            text = _context(text, first=i == 0, last=i == last)
        elif _count_words(text) > MAX_CHANGE_WORDS:
            text = _head(text, MAX_CHANGE_WORDS) + " …"
        if text:
            out.append((op, text))
    if is_title:
        label = "Page title"
    else:
        parts = [one_line(part) for part in hunk.heading_path]
        label = PATH_SEPARATOR.join(p for p in parts if p) or "Top of the page"
    return _ExcerptHunk(label, note, tuple(out))


def _context(text: str, *, first: bool, last: bool) -> str:
    """Cut an unchanged run to CONTEXT_WORDS words next to the changes around it."""
    if first and last:
        return text
    n = _count_words(text)
    if first:
        return text if n <= CONTEXT_WORDS else "… " + _tail(text, CONTEXT_WORDS)
    if last:
        return text if n <= CONTEXT_WORDS else _head(text, CONTEXT_WORDS) + " …"
    if n <= 2 * CONTEXT_WORDS:
        return text
    return _head(text, CONTEXT_WORDS) + " … " + _tail(text, CONTEXT_WORDS)


def _count_words(text: str) -> int:
    """Count whitespace-separated words."""
    return len(text.split())


def _head(text: str, n: int) -> str:
    """The first n words of text, keeping leading space."""
    parts = _WORD_SPLIT_RE.split(text)
    kept: list[str] = []
    count = 0
    for part in parts:
        if part and not part.isspace():
            if count == n:
                break
            count += 1
        kept.append(part)
    return "".join(kept).rstrip()


def _tail(text: str, n: int) -> str:
    """The last n words of text, keeping trailing space."""
    kept: list[str] = []
    count = 0
    for part in reversed(_WORD_SPLIT_RE.split(text)):
        if part and not part.isspace():
            if count == n:
                break
            count += 1
        kept.append(part)
    return "".join(reversed(kept)).lstrip()


def _excerpt_text(hunks: list[_ExcerptHunk], more: int) -> str:
    """The plain-text excerpt: heading path lines, then indented marked-up text."""
    lines: list[str] = []
    last_label: str | None = None
    for hunk in hunks:
        if hunk.label != last_label:
            lines.append(hunk.label)
            last_label = hunk.label
        body = "".join(_text_word(op, text) for op, text in hunk.words)
        lines.append(_indent(hunk.note + body))
    if more:
        lines.append(_more(more))
    return "\n".join(lines)


def _text_word(op: str, text: str) -> str:
    """Mark one word run the way ``git diff --word-diff`` does."""
    if op == "insert":
        return f"{{+{text}+}}"
    if op == "delete":
        return f"[-{text}-]"
    return text


def _excerpt_html(hunks: list[_ExcerptHunk], more: int) -> str:
    """The HTML excerpt: a small grey heading path over each block's marked-up text."""
    parts = ['<div style="margin:0 0 12px 0;">']
    last_label: str | None = None
    for hunk in hunks:
        if hunk.label != last_label:
            parts.append(f'<p style="{_EXCERPT_PATH}">{_esc(hunk.label)}</p>')
            last_label = hunk.label
        note = f"<em>{_esc(hunk.note)}</em>" if hunk.note else ""
        body = "".join(_html_word(op, text) for op, text in hunk.words)
        parts.append(f'<p style="{_EXCERPT_TEXT}">{note}{body}</p>')
    if more:
        parts.append(f'<p style="{_META}">{_esc(_more(more))}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def _html_word(op: str, text: str) -> str:
    """Render one word run, escaped, in a styled <ins> or <del>, or as plain text."""
    if op == "insert":
        return f'<ins style="{_INS}">{_esc(text)}</ins>'
    if op == "delete":
        return f'<del style="{_DEL}">{_esc(text)}</del>'
    return _esc(text)


def _more(count: int) -> str:
    """The line saying how many changed blocks the excerpt leaves out."""
    return f"… and {count} more change{'' if count == 1 else 's'} on the page."


# --- shared pieces -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Meta:
    """The source / detected / score lines of an item, in both forms."""

    text: list[str]
    html: str


def _item_meta(item: AlertItem) -> _Meta:
    """Source link, when detected and the relevance score."""
    name = one_line(item.source_name) or one_line(item.source_id)
    link = safe_url(item.url)
    detected = f"Detected {_when(item.detected_at)} · relevance score {item.score:.2f}"
    source_text = f"Source: {name} <{link}>" if link else f"Source: {name} ({one_line(item.url)})"
    source_html = _link(link, name) if link else f"{_esc(name)} ({_esc(one_line(item.url))})"
    return _Meta(
        [source_text, detected],
        f'<p style="{_META}">Source: {source_html}<br>{_esc(detected)}</p>',
    )


def _text_links(item: AlertItem) -> list[str]:
    """The review and source links of an alert, as text lines."""
    lines = []
    if review := safe_url(item.review_url):
        lines.append(f"Review this draft: {review}")
    if source := safe_url(item.url):
        lines.append(f"Source page: {source}")
    return lines


def _html_links(item: AlertItem) -> list[str]:
    """The review button and source link of an alert."""
    out = []
    if review := safe_url(item.review_url):
        out.append(
            f'<p style="margin:20px 0 12px 0;"><a href="{_esc(review)}" style="{_BUTTON}">'
            "Review this draft</a></p>"
        )
    if source := safe_url(item.url):
        out.append(f'<p style="{_P}">{_link(source, "Open the source page")}</p>')
    return out


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) link, else None (never link javascript: and the like)."""
    if not url:
        return None
    url = url.strip()
    if _CONTROL_RE.search(url) or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def _link(url: str, label: str) -> str:
    """An escaped <a> to a URL already checked by :func:`safe_url`."""
    return f'<a href="{_esc(url)}" style="{_LINK}">{_esc(label)}</a>'


def clean_text(text: str) -> str:
    """Drop control characters (other than tab and newline) from untrusted text."""
    return _CONTROL_RE.sub("", text)


def one_line(text: str | None) -> str:
    """Untrusted text as one line: control characters dropped, whitespace runs one space."""
    if not text:
        return ""
    return " ".join(clean_text(text).split())


def _subject(text: str) -> str:
    """One line, at most MAX_SUBJECT characters (cut with "…")."""
    text = one_line(text)
    if len(text) > MAX_SUBJECT:
        text = text[: MAX_SUBJECT - 1].rstrip() + "…"
    return text


def _date(moment: datetime) -> str:
    """``28 Nov 2026``."""
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def _when(moment: datetime) -> str:
    """``28 Nov 2026, 14:05 UTC`` (the time zone name only when the datetime has one)."""
    zone = moment.tzname() if moment.tzinfo else None
    return f"{_date(moment)}, {moment:%H:%M}" + (f" {zone}" if zone else "")


def _esc(text: str) -> str:
    """Escape text for HTML element content and attribute values."""
    return html.escape(text, quote=True)


def _indent(text: str, spaces: int = 2) -> str:
    """Indent every line of text."""
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.split("\n"))


def _text_doc(lines: list[str]) -> str:
    """Join the plain-text part, ending in one newline."""
    return "\n".join(lines).rstrip() + "\n"


def _html_doc(title: str, body: list[str]) -> str:
    """Wrap body parts in a complete HTML document with a centred 640px column."""
    content = "\n".join(body)
    return (
        "<!doctype html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n"
        "</head>\n"
        f'<body style="{_BODY}">\n'
        f'<div style="{_COLUMN}">\n{content}\n</div>\n'
        "</body>\n"
        "</html>\n"
    )
