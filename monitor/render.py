"""Turn a :class:`~monitor.diff.ChangeSet` into text for people and JSON for storage.

Page text is untrusted. The HTML renderers pass every piece of it through
:func:`html.escape`, and the terminal renderer replaces control characters (so a page
cannot smuggle ANSI escape sequences into someone's terminal).
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from monitor.diff import ChangeSet, Hunk, WordOp

NO_CHANGES = "No changes."
PATH_SEPARATOR = " › "
TOP_OF_PAGE = "(top)"

_RED, _GREEN, _CYAN, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[0m"
# C0 and C1 control characters apart from tab and newline, plus DEL.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def heading_label(hunk: Hunk) -> str:
    """Join a hunk's heading path for display."""
    return PATH_SEPARATOR.join(hunk.heading_path) or TOP_OF_PAGE


# --- terminal -------------------------------------------------------------------------


def render_terminal(changes: ChangeSet, *, color: bool = True) -> str:
    """Render like ``git diff --word-diff``: [-removed-] and {+added+}, optionally coloured."""
    if changes.is_empty:
        return NO_CHANGES
    return "\n\n".join(_terminal_hunk(hunk, color) for hunk in changes.hunks)


def _terminal_hunk(hunk: Hunk, color: bool) -> str:
    """Render one hunk: its header line, then its body."""
    header = _paint(f"@@ {_safe_terminal(heading_label(hunk))} @@", _CYAN, color)
    body = "".join(_terminal_word(word, color) for word in hunk.words)
    return f"{header}\n{body}"


def _terminal_word(word: WordOp, color: bool) -> str:
    """Render one word op with git's word-diff brackets."""
    text = _safe_terminal(word.text)
    if word.op == "delete":
        return _paint(f"[-{text}-]", _RED, color)
    if word.op == "insert":
        return _paint(f"{{+{text}+}}", _GREEN, color)
    return text


def _paint(text: str, code: str, color: bool) -> str:
    """Wrap text in an ANSI colour when colour is on."""
    return f"{code}{text}{_RESET}" if color else text


def _safe_terminal(text: str) -> str:
    """Show control characters as \\xNN so page text cannot drive the terminal."""
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


# --- HTML -----------------------------------------------------------------------------


def render_html_inline(changes: ChangeSet) -> str:
    """Render an HTML fragment with each change inline, using <del> and <ins>."""
    if changes.is_empty:
        return f'<p class="diff-empty">{NO_CHANGES}</p>'
    sections = "\n".join(_inline_hunk(hunk) for hunk in changes.hunks)
    return f'<div class="diff-inline">\n{sections}\n</div>'


def _inline_hunk(hunk: Hunk) -> str:
    """Render one hunk as a <section> with a heading and a paragraph."""
    kind = _esc(hunk.kind)
    body = "".join(_html_word(word) for word in hunk.words)
    return (
        f'<section class="diff-hunk diff-{kind}">'
        f'<h3 class="diff-heading">{_esc(heading_label(hunk))}</h3>'
        f'<p class="diff-text">{body}</p></section>'
    )


def render_html_side_by_side(changes: ChangeSet) -> str:
    """Render an HTML fragment: a two-column before/after table."""
    if changes.is_empty:
        return f'<p class="diff-empty">{NO_CHANGES}</p>'
    rows = "\n".join(_side_by_side_rows(hunk) for hunk in changes.hunks)
    return (
        '<table class="diff-side-by-side">\n'
        "<thead><tr><th>Before</th><th>After</th></tr></thead>\n"
        f"<tbody>\n{rows}\n</tbody>\n</table>"
    )


def _side_by_side_rows(hunk: Hunk) -> str:
    """Render one hunk as a heading row and a before/after row."""
    old = "".join(_html_word(w) for w in hunk.words if w.op != "insert")
    new = "".join(_html_word(w) for w in hunk.words if w.op != "delete")
    return (
        f'<tr class="diff-heading"><th colspan="2">{_esc(heading_label(hunk))}</th></tr>\n'
        f'<tr class="diff-{_esc(hunk.kind)}">'
        f'<td class="diff-old">{old}</td><td class="diff-new">{new}</td></tr>'
    )


def _html_word(word: WordOp) -> str:
    """Render one word op, escaped, in <del>, <ins> or as plain text."""
    text = _esc(word.text)
    if word.op == "delete":
        return f"<del>{text}</del>"
    if word.op == "insert":
        return f"<ins>{text}</ins>"
    return text


def _esc(text: str) -> str:
    """Escape text for HTML element content and attribute values."""
    return html.escape(text, quote=True)


# --- JSON -----------------------------------------------------------------------------


def changes_to_dict(changes: ChangeSet) -> dict[str, Any]:
    """Convert to plain JSON-ready data; ``diff.changes_from_dict`` reverses it."""
    return {"hunks": [_hunk_to_dict(hunk) for hunk in changes.hunks], "stats": changes.stats()}


def _hunk_to_dict(hunk: Hunk) -> dict[str, Any]:
    """Convert one hunk to plain data."""
    return {
        "kind": hunk.kind,
        "heading_path": list(hunk.heading_path),
        "old_text": hunk.old_text,
        "new_text": hunk.new_text,
        "words": [[word.op, word.text] for word in hunk.words],
        "old_index": hunk.old_index,
        "new_index": hunk.new_index,
    }


def render_json(changes: ChangeSet) -> str:
    """Serialise to JSON text (UTF-8 kept readable, keys in a stable order)."""
    return json.dumps(changes_to_dict(changes), ensure_ascii=False, indent=2)
