"""Tests for monitor.render: terminal word-diff, escaped HTML and JSON round trips."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import lxml.html
import pytest

from monitor.diff import ChangeSet, Hunk, WordOp, changes_from_dict, diff_documents
from monitor.document import Block, BlockKind, Document
from monitor.render import (
    changes_to_dict,
    render_html_inline,
    render_html_side_by_side,
    render_json,
    render_terminal,
)

ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")

MODIFIED = Hunk(
    "modified",
    ("Guidance", "Eligibility"),
    "Children up to 21.",
    "Children and young people up to 21.",
    (
        WordOp("equal", "Children "),
        WordOp("insert", "and young people "),
        WordOp("equal", "up to 21."),
    ),
    4,
    4,
)
REMOVED = Hunk(
    "removed", ("Guidance",), "Old advice.", None, (WordOp("delete", "Old advice."),), 2, None
)
ADDED = Hunk("added", (), None, "## Complaints", (WordOp("insert", "## Complaints"),), None, 9)
REPLACED = Hunk(
    "modified",
    ("Funding",),
    "Pays for therapy.",
    "Pays for counselling.",
    (
        WordOp("equal", "Pays for "),
        WordOp("delete", "therapy"),
        WordOp("insert", "counselling"),
        WordOp("equal", "."),
    ),
    6,
    6,
)
CHANGES = ChangeSet((MODIFIED, REMOVED, ADDED, REPLACED))
EMPTY = ChangeSet(())

HTML_RENDERERS: list[Callable[[ChangeSet], str]] = [render_html_inline, render_html_side_by_side]


# --- terminal -------------------------------------------------------------------------


def test_terminal_without_colour_uses_word_diff_brackets() -> None:
    assert render_terminal(CHANGES, color=False) == (
        "@@ Guidance › Eligibility @@\n"
        "Children {+and young people +}up to 21.\n"
        "\n"
        "@@ Guidance @@\n"
        "[-Old advice.-]\n"
        "\n"
        "@@ (top) @@\n"
        "{+## Complaints+}\n"
        "\n"
        "@@ Funding @@\n"
        "Pays for [-therapy-]{+counselling+}."
    )


def test_terminal_with_colour_adds_ansi_around_the_same_text() -> None:
    coloured = render_terminal(CHANGES, color=True)
    assert "\x1b[36m@@ Guidance › Eligibility @@\x1b[0m" in coloured
    assert "\x1b[31m[-therapy-]\x1b[0m" in coloured
    assert "\x1b[32m{+counselling+}\x1b[0m" in coloured
    assert ANSI_RE.sub("", coloured) == render_terminal(CHANGES, color=False)


def test_terminal_colour_is_the_default() -> None:
    assert render_terminal(CHANGES) == render_terminal(CHANGES, color=True)


@pytest.mark.parametrize("color", [True, False])
def test_terminal_empty_changeset(color: bool) -> None:
    assert render_terminal(EMPTY, color=color) == "No changes."


def test_terminal_neutralises_control_characters_from_the_page() -> None:
    evil = "Safe\x1b[2J\x1b]0;pwned\x07 text\rover"
    changes = ChangeSet(
        (Hunk("added", ("Head\x1b[31m",), None, evil, (WordOp("insert", evil),), None, 1),)
    )
    out = render_terminal(changes, color=False)
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert "{+Safe\\x1b[2J\\x1b]0;pwned\\x07 text\\x0dover+}" in out
    assert "@@ Head\\x1b[31m @@" in out
    coloured = render_terminal(changes, color=True)
    assert ANSI_RE.sub("", coloured).count("\x1b") == 0


# --- HTML -----------------------------------------------------------------------------


def test_inline_html_marks_words_with_del_and_ins() -> None:
    out = render_html_inline(CHANGES)
    assert out.startswith('<div class="diff-inline">') and out.endswith("</div>")
    assert "<html" not in out and "<body" not in out
    assert "Children <ins>and young people </ins>up to 21." in out
    assert "<del>Old advice.</del>" in out
    assert "<ins>## Complaints</ins>" in out
    assert "Pays for <del>therapy</del><ins>counselling</ins>." in out
    assert '<h3 class="diff-heading">Guidance › Eligibility</h3>' in out
    assert out.count('<section class="diff-hunk') == 4


def test_side_by_side_html_splits_old_and_new_columns() -> None:
    out = render_html_side_by_side(CHANGES)
    table = lxml.html.fragment_fromstring(out)
    assert table.tag == "table" and table.get("class") == "diff-side-by-side"
    assert [th.text_content() for th in table.xpath("thead/tr/th")] == ["Before", "After"]
    rows = table.xpath("tbody/tr[not(@class='diff-heading')]")
    cells = [(r.get("class"), *(td.text_content() for td in r.xpath("td"))) for r in rows]
    assert cells == [
        ("diff-modified", "Children up to 21.", "Children and young people up to 21."),
        ("diff-removed", "Old advice.", ""),
        ("diff-added", "", "## Complaints"),
        ("diff-modified", "Pays for therapy.", "Pays for counselling."),
    ]
    assert table.xpath("tbody/tr/td[@class='diff-old']//ins") == []
    assert table.xpath("tbody/tr/td[@class='diff-new']//del") == []
    headings = table.xpath("tbody/tr[@class='diff-heading']/th")
    assert [th.text_content() for th in headings] == [
        "Guidance › Eligibility",
        "Guidance",
        "(top)",
        "Funding",
    ]


@pytest.mark.parametrize("render", HTML_RENDERERS)
def test_html_empty_changeset(render: Callable[[ChangeSet], str]) -> None:
    assert render(EMPTY) == '<p class="diff-empty">No changes.</p>'


PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "</td></tr></table><iframe src=javascript:alert(1)>",
    "Tom & Jerry's <b>bold</b> claim",
]


def _hostile_changes(payload: str) -> ChangeSet:
    """Put the payload everywhere page text can reach: path, old, new, every word op."""
    old = Document("Title", (Block(BlockKind.HEADING, payload, 2), Block(BlockKind.PARAGRAPH, "a")))
    new = Document(
        f"Title {payload}",
        (
            Block(BlockKind.HEADING, payload, 2),
            Block(BlockKind.PARAGRAPH, f"a {payload}"),
            Block(BlockKind.PARAGRAPH, payload),
        ),
    )
    removed = Hunk("removed", (payload,), payload, None, (WordOp("delete", payload),), 1, None)
    return ChangeSet((*diff_documents(old, new).hunks, removed))


@pytest.mark.parametrize("render", HTML_RENDERERS)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_renderers_escape_page_text(render: Callable[[ChangeSet], str], payload: str) -> None:
    changes = _hostile_changes(payload)
    assert {h.kind for h in changes.hunks} == {"modified", "added", "removed"}
    out = render(changes)
    assert payload not in out
    tree = lxml.html.fragment_fromstring(out, create_parent="div")
    assert tree.xpath("//script | //img | //svg | //iframe | //b") == []
    assert tree.xpath("//@*[starts-with(name(), 'on')]") == []
    # The text is all still there, shown literally.
    assert payload in tree.text_content()
    assert set(tree.xpath("//@class")) <= {
        "diff-inline",
        "diff-hunk diff-modified",
        "diff-hunk diff-added",
        "diff-hunk diff-removed",
        "diff-heading",
        "diff-text",
        "diff-side-by-side",
        "diff-modified",
        "diff-added",
        "diff-removed",
        "diff-old",
        "diff-new",
    }


@pytest.mark.parametrize("render", HTML_RENDERERS)
def test_html_script_payload_comes_out_escaped(render: Callable[[ChangeSet], str]) -> None:
    out = render(_hostile_changes("<script>alert(1)</script>"))
    assert "<script" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    out = render(_hostile_changes("<img src=x onerror=alert(1)>"))
    assert "<img" not in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out


# --- JSON -----------------------------------------------------------------------------


def test_changes_to_dict_shape() -> None:
    data = changes_to_dict(ChangeSet((MODIFIED,)))
    assert data == {
        "hunks": [
            {
                "kind": "modified",
                "heading_path": ["Guidance", "Eligibility"],
                "old_text": "Children up to 21.",
                "new_text": "Children and young people up to 21.",
                "words": [
                    ["equal", "Children "],
                    ["insert", "and young people "],
                    ["equal", "up to 21."],
                ],
                "old_index": 4,
                "new_index": 4,
            }
        ],
        "stats": {
            "added": 0,
            "removed": 0,
            "modified": 1,
            "words_added": 3,
            "words_removed": 0,
        },
    }


@pytest.mark.parametrize(
    "changes",
    [CHANGES, EMPTY, _hostile_changes("<script>alert('é…')</script>")],
    ids=["mixed", "empty", "hostile-unicode"],
)
def test_json_round_trip(changes: ChangeSet) -> None:
    text = render_json(changes)
    data = json.loads(text)
    assert data == changes_to_dict(changes)
    assert data["stats"] == changes.stats()
    assert changes_from_dict(data) == changes


def test_json_keeps_unicode_readable() -> None:
    hunk = Hunk("added", ("Eligibility › Children’s homes",), None, "£5,000", (), None, 1)
    text = render_json(ChangeSet((hunk,)))
    assert "Children’s homes" in text and "£5,000" in text
