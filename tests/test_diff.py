"""Tests for monitor.diff: block alignment, pairing, word diffs and heading paths."""

from __future__ import annotations

import time
from pathlib import Path

import lxml.html
import pytest

from monitor.diff import (
    ChangeSet,
    Hunk,
    WordOp,
    changes_from_dict,
    diff_documents,
    heading_paths,
    tokenize,
)
from monitor.document import Block, BlockKind, Document, Metadata

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "gitgovuk"
ASF = FIXTURES / "adoption-support-fund-asf"
CORONAVIRUS = FIXTURES / "coronavirus-covid-19-guidance-for-childrens-social-care-services"
ATTACHMENT = FIXTURES / "covid-19-guidance-for-childrens-social-care-services__html-attachment"


# --- helpers --------------------------------------------------------------------------


def block(line: str) -> Block:
    """Build a block from shorthand: '## text' is a heading, '- text' a list item."""
    marks, _, rest = line.partition(" ")
    if marks and set(marks) == {"#"}:
        return Block(BlockKind.HEADING, rest, len(marks))
    if marks == "-":
        return Block(BlockKind.LIST_ITEM, rest)
    return Block(BlockKind.PARAGRAPH, line)


def doc(*lines: str, title: str = "Adoption support fund") -> Document:
    """Build a document from shorthand block lines."""
    return Document(title, tuple(block(line) for line in lines))


def summary(changes: ChangeSet) -> list[tuple[str, tuple[str, ...], str | None, str | None]]:
    """Reduce hunks to (kind, heading path, old text, new text) for easy comparison."""
    return [(h.kind, h.heading_path, h.old_text, h.new_text) for h in changes.hunks]


_FIXTURE_TAGS = ("h2", "h3", "h4", "p", "li")


def document_from_fixture(path: Path) -> Document:
    """Turn a recorded GOV.UK <main> fragment into a Document (h1 title, h2-h4/p/li blocks)."""
    root = lxml.html.fromstring(path.read_text(encoding="utf-8"))
    title = " ".join(root.xpath("string(//main//h1)").split())
    blocks = []
    for element in root.iter(*_FIXTURE_TAGS):
        text = " ".join(element.text_content().split())
        if not text or (element.tag == "li" and element.xpath(".//p")):
            continue
        if element.tag.startswith("h"):
            blocks.append(Block(BlockKind.HEADING, text, int(element.tag[1])))
        elif element.tag == "li":
            blocks.append(Block(BlockKind.LIST_ITEM, text))
        else:
            blocks.append(Block(BlockKind.PARAGRAPH, text))
    return Document(title, tuple(blocks))


def fixture(folder: Path, version_prefix: str) -> Document:
    """Load the one recorded version of a page whose folder starts with version_prefix."""
    (path,) = folder.glob(f"{version_prefix}*/*.html")
    return document_from_fixture(path)


# --- identical and trivial ------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        doc(),
        doc("Intro", "## Eligibility", "Children up to 21.", "- item one", "- item one"),
        Document("Only a title", ()),
    ],
)
def test_identical_documents_give_an_empty_changeset(document: Document) -> None:
    copy = Document(document.title, tuple(document.blocks))
    changes = diff_documents(document, copy)
    assert changes.is_empty
    assert changes.hunks == ()
    assert (changes.added, changes.removed, changes.modified) == (0, 0, 0)
    assert changes.stats() == {
        "added": 0,
        "removed": 0,
        "modified": 0,
        "words_added": 0,
        "words_removed": 0,
    }


def test_metadata_alone_is_not_a_change() -> None:
    old = doc("Body text.")
    new = Document(old.title, old.blocks, Metadata(updated="2022-07-11"))
    assert diff_documents(old, new).is_empty


# --- word-level diffs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("old_text", "new_text", "expected"),
    [
        pytest.param(
            "The fund pays for therapy.",
            "The fund pays for counselling.",
            [
                ("equal", "The fund pays for "),
                ("delete", "therapy"),
                ("insert", "counselling"),
                ("equal", "."),
            ],
            id="one-word-replaced",
        ),
        pytest.param(
            "The ASF is available for children up to 21.",
            "The ASF is available for children and young people up to 21.",
            [
                ("equal", "The ASF is available for children "),
                ("insert", "and young people "),
                ("equal", "up to 21."),
            ],
            id="words-inserted",
        ),
        pytest.param(
            "Apply using the online form today.",
            "Apply using the form today.",
            [("equal", "Apply using the "), ("delete", "online "), ("equal", "form today.")],
            id="word-deleted",
        ),
        pytest.param(
            "Funding is capped at £2,500 per child.",
            "Funding is capped at £5,000 per child.",
            [
                ("equal", "Funding is capped at £"),
                ("delete", "2,500"),
                ("insert", "5,000"),
                ("equal", " per child."),
            ],
            id="semantic-cleanup-absorbs-a-lone-comma",
        ),
    ],
)
def test_one_modified_block_gets_word_ops(
    old_text: str, new_text: str, expected: list[tuple[str, str]]
) -> None:
    changes = diff_documents(doc("## Funding", old_text), doc("## Funding", new_text))
    (hunk,) = changes.hunks
    assert hunk.kind == "modified"
    assert hunk.heading_path == ("Funding",)
    assert (hunk.old_text, hunk.new_text) == (old_text, new_text)
    assert (hunk.old_index, hunk.new_index) == (2, 2)
    assert [(w.op, w.text) for w in hunk.words] == expected
    old_side = "".join(w.text for w in hunk.words if w.op != "insert")
    new_side = "".join(w.text for w in hunk.words if w.op != "delete")
    assert (old_side, new_side) == (old_text, new_text)


def test_word_ops_never_split_a_word() -> None:
    changes = diff_documents(doc("The fund pays for therapy."), doc("The fund pays for theatre."))
    (hunk,) = changes.hunks
    changed = [w.text for w in hunk.words if w.op != "equal"]
    assert changed == ["therapy", "theatre"]


def test_tokenize_keeps_everything() -> None:
    text = "Children’s homes (CEV) – 5,000  items!\n"
    assert "".join(tokenize(text)) == text
    assert tokenize("up to 21, or 25") == ["up", " ", "to", " ", "21", ",", " ", "or", " ", "25"]


# --- block-level alignment and heading paths ------------------------------------------


BASE = (
    "Lead paragraph.",
    "## Guidance",
    "Overview of the guidance.",
    "### Eligibility",
    "Children up to 21 are eligible.",
    "### How to apply",
    "Apply through your local authority.",
    "## Contact",
    "Email the ASF team.",
)


@pytest.mark.parametrize(
    ("new_lines", "expected"),
    [
        pytest.param(
            BASE[:5] + ("Special guardianship families are eligible too.",) + BASE[5:],
            [
                (
                    "added",
                    ("Guidance", "Eligibility"),
                    None,
                    "Special guardianship families are eligible too.",
                )
            ],
            id="paragraph-added-under-h3",
        ),
        pytest.param(
            BASE + ("## Complaints", "The complaints procedure is available."),
            [
                ("added", (), None, "## Complaints"),
                ("added", ("Complaints",), None, "The complaints procedure is available."),
            ],
            id="section-added-at-end",
        ),
        pytest.param(
            BASE[:6] + BASE[7:],
            [
                (
                    "removed",
                    ("Guidance", "How to apply"),
                    "Apply through your local authority.",
                    None,
                )
            ],
            id="paragraph-removed-uses-old-path",
        ),
        pytest.param(
            ("New lead.",) + BASE,
            [("added", (), None, "New lead.")],
            id="added-before-any-heading",
        ),
        pytest.param(
            BASE[:7] + ("- Phone 0800 000 000.",) + BASE[7:],
            [("added", ("Guidance", "How to apply"), None, "- Phone 0800 000 000.")],
            id="list-item-keeps-marker",
        ),
    ],
)
def test_blocks_added_and_removed_under_heading_path(
    new_lines: tuple[str, ...], expected: list[tuple[str, tuple[str, ...], str, str]]
) -> None:
    assert summary(diff_documents(doc(*BASE), doc(*new_lines))) == expected


def test_removed_block_path_comes_from_old_document() -> None:
    old = doc("## Old section", "Gone paragraph.", "## Kept", "Kept paragraph.")
    new = doc("## Kept", "Kept paragraph.")
    assert summary(diff_documents(old, new)) == [
        ("removed", (), "## Old section", None),
        ("removed", ("Old section",), "Gone paragraph.", None),
    ]
    assert [h.old_index for h in diff_documents(old, new).hunks] == [1, 2]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            ["## A", "p", "### B", "p", "#### C", "p", "### D", "p", "## E", "p"],
            [
                (),
                ("A",),
                ("A",),
                ("A", "B"),
                ("A", "B"),
                ("A", "B", "C"),
                ("A",),
                ("A", "D"),
                (),
                ("E",),
            ],
            id="nested-then-closed",
        ),
        pytest.param(
            ["### Deep first", "p", "## Shallow", "p", "### Child", "p"],
            [(), ("Deep first",), (), ("Shallow",), ("Shallow",), ("Shallow", "Child")],
            id="h3-before-any-h2",
        ),
        pytest.param(
            ["## A", "#### Skipped level", "p", "### Sibling of skipped", "p"],
            [(), ("A",), ("A", "Skipped level"), ("A",), ("A", "Sibling of skipped")],
            id="skipped-level",
        ),
        pytest.param(
            ["# Part one", "## A", "p", "# Part two", "p"],
            [(), ("Part one",), ("Part one", "A"), (), ("Part two",)],
            id="level-1-headings-in-body",
        ),
    ],
)
def test_heading_paths_follow_levels(lines: list[str], expected: list[tuple[str, ...]]) -> None:
    paths = heading_paths(doc(*lines))
    assert paths[0] == ()  # the title line
    assert paths[1:] == expected


def test_reordered_sections_are_removed_then_added_under_new_paths() -> None:
    old = doc("## Eligibility", "Who can apply.", "## Funding", "### Limits", "Up to £5,000.")
    new = doc("## Funding", "### Limits", "Up to £5,000.", "## Eligibility", "Who can apply.")
    assert summary(diff_documents(old, new)) == [
        ("removed", (), "## Eligibility", None),
        ("removed", ("Eligibility",), "Who can apply.", None),
        ("added", (), None, "## Eligibility"),
        ("added", ("Eligibility",), None, "Who can apply."),
    ]


def test_heading_promoted_a_level_is_modified_with_its_new_path() -> None:
    old = doc("## Guidance", "### Eligibility", "Who can apply.", "Another line.")
    new = doc("## Guidance", "## Eligibility", "Who can apply.", "Another line, edited.")
    assert summary(diff_documents(old, new)) == [
        ("modified", (), "### Eligibility", "## Eligibility"),
        ("modified", ("Eligibility",), "Another line.", "Another line, edited."),
    ]


def test_block_added_under_deeper_heading_after_shallower_one_closes() -> None:
    old = doc("## A", "### B", "In B.", "## C", "In C.")
    new = doc("## A", "### B", "In B.", "## C", "In C.", "#### D", "In D.")
    assert summary(diff_documents(old, new)) == [
        ("added", ("C",), None, "#### D"),
        ("added", ("C", "D"), None, "In D."),
    ]


def test_title_change_is_modified_hunk_at_top() -> None:
    old = doc("Body.", title="Adoption support fund")
    new = doc("Body.", title="Adoption support fund (ASF)")
    (hunk,) = diff_documents(old, new).hunks
    assert hunk.kind == "modified"
    assert hunk.heading_path == ()
    assert (hunk.old_index, hunk.new_index) == (0, 0)
    assert (hunk.old_text, hunk.new_text) == (
        "# Adoption support fund",
        "# Adoption support fund (ASF)",
    )
    assert [w.op for w in hunk.words if w.op != "equal"] == ["insert"]


def test_title_change_stays_modified_even_when_unrecognisable() -> None:
    old, new = doc(title="Old name"), doc(title="Completely different heading here")
    assert [h.kind for h in diff_documents(old, new).hunks] == ["modified"]


def test_title_never_aligns_with_a_level_1_body_heading() -> None:
    old = Document("Guide", (Block(BlockKind.PARAGRAPH, "Text."),))
    new = Document(
        "Other", (Block(BlockKind.HEADING, "Guide", 1), Block(BlockKind.PARAGRAPH, "Text."))
    )
    assert summary(diff_documents(old, new)) == [
        ("modified", (), "# Guide", "# Other"),
        ("added", (), None, "# Guide"),
    ]


# --- pairing deletes with inserts -----------------------------------------------------


def test_uneven_run_pairs_the_similar_block_and_adds_the_rest() -> None:
    old = doc("## Contact", "Email the ASF team at asf@example.org for help.", "## End")
    new = doc(
        "## Contact",
        "A brand new opening paragraph.",
        "Email the ASF team at asf@example.gov.uk for help.",
        "- Telephone support is available too.",
        "## End",
    )
    assert [(h.kind, h.old_index, h.new_index) for h in diff_documents(old, new).hunks] == [
        ("added", None, 2),
        ("modified", 2, 3),
        ("added", None, 4),
    ]


def test_dissimilar_replacement_is_removed_plus_added() -> None:
    old = doc("## Funding", "The fund pays for therapy sessions.", "## End")
    new = doc("## Funding", "Contact your regional adoption agency.", "## End")
    assert summary(diff_documents(old, new)) == [
        ("removed", ("Funding",), "The fund pays for therapy sessions.", None),
        ("added", ("Funding",), None, "Contact your regional adoption agency."),
    ]


def test_equal_sized_run_pairs_in_order() -> None:
    old = doc("First rule applies to adopters.", "Second rule applies to guardians.")
    new = doc("First rule applies to all adopters.", "Second rule applies to special guardians.")
    hunks = diff_documents(old, new).hunks
    assert [(h.kind, h.old_index, h.new_index) for h in hunks] == [
        ("modified", 1, 1),
        ("modified", 2, 2),
    ]


def test_pairs_never_cross() -> None:
    old = doc("alpha beta gamma delta", "one two three four")
    new = doc("one two three four five", "alpha beta gamma delta epsilon")
    hunks = diff_documents(old, new).hunks
    pairs = [(h.old_index or 0, h.new_index or 0) for h in hunks if h.kind == "modified"]
    assert pairs == sorted(pairs)
    assert sorted(pairs, key=lambda p: p[1]) == pairs
    assert len(hunks) == 3  # one modified pair, one removed, one added


def test_kind_change_with_same_text_is_modified() -> None:
    (hunk,) = diff_documents(doc("Eligibility"), doc("## Eligibility")).hunks
    assert hunk.kind == "modified"
    assert [(w.op, w.text) for w in hunk.words] == [("insert", "## "), ("equal", "Eligibility")]


def test_block_with_newline_is_one_unit() -> None:
    old = Document("T", (Block(BlockKind.PARAGRAPH, "line one\nline two"),))
    new = Document("T", (Block(BlockKind.PARAGRAPH, "line one\nline 2"),))
    (hunk,) = diff_documents(old, new).hunks
    assert (hunk.kind, hunk.old_index, hunk.new_index) == ("modified", 1, 1)


def test_repeated_blocks_align() -> None:
    old = doc("## Q1", "Yes", "## Q2", "Yes", "## Q3", "Yes")
    new = doc("## Q1", "Yes", "## Q2", "No", "## Q3", "Yes")
    assert summary(diff_documents(old, new)) == [
        ("removed", ("Q2",), "Yes", None),
        ("added", ("Q2",), None, "No"),
    ]


# --- stats and dict round trip --------------------------------------------------------


def test_stats_count_blocks_and_words() -> None:
    old = doc("## A", "Keep this.", "Remove these three words.", "Change one word here.")
    new = doc("## A", "Keep this.", "Change one term here.", "Brand new paragraph.")
    changes = diff_documents(old, new)
    assert changes.stats() == {
        "added": 1,
        "removed": 1,
        "modified": 1,
        "words_added": 4,  # "term" + "Brand new paragraph"
        "words_removed": 5,  # "word" + "Remove these three words"
    }


def test_changes_from_dict_rebuilds_hunks() -> None:
    data = {
        "hunks": [
            {
                "kind": "modified",
                "heading_path": ["Guidance", "Eligibility"],
                "old_text": "a b",
                "new_text": "a c",
                "words": [["equal", "a "], ["delete", "b"], ["insert", "c"]],
                "old_index": 3,
                "new_index": 4,
            }
        ],
        "stats": {"ignored": 1},
    }
    expected = Hunk(
        "modified",
        ("Guidance", "Eligibility"),
        "a b",
        "a c",
        (WordOp("equal", "a "), WordOp("delete", "b"), WordOp("insert", "c")),
        3,
        4,
    )
    assert changes_from_dict(data) == ChangeSet((expected,))


@pytest.mark.parametrize(
    "bad_hunk",
    [
        {"kind": "renamed", "heading_path": [], "words": []},
        {"kind": "added", "heading_path": [], "words": [["replace", "x"]]},
    ],
)
def test_changes_from_dict_rejects_unknown_values(bad_hunk: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="expected one of"):
        changes_from_dict({"hunks": [bad_hunk]})


# --- real recorded pages --------------------------------------------------------------


def test_asf_complaints_procedure_is_added() -> None:
    old, new = fixture(ASF, "20220401"), fixture(ASF, "20220711")
    changes = diff_documents(old, new)
    added = {h.new_text: h for h in changes.hunks if h.kind == "added"}
    procedure = "The ASF complaints procedure (PDF, 121 KB, 4 pages) is available."
    assert procedure in added
    assert added[procedure].heading_path == ("Complaints",)
    assert added["## Complaints"].heading_path == ()
    assert changes.removed == 0


def test_asf_eligibility_wording_is_a_word_level_change() -> None:
    changes = diff_documents(fixture(ASF, "20220401"), fixture(ASF, "20220711"))
    (hunk,) = (h for h in changes.hunks if h.kind == "modified")
    assert hunk.heading_path == ("Funding eligibility",)
    assert [(w.op, w.text) for w in hunk.words if w.op != "equal"] == [
        ("insert", "and young people ")
    ]


def test_attribute_order_only_refetch_is_empty() -> None:
    old, new = fixture(CORONAVIRUS, "20210331"), fixture(CORONAVIRUS, "20210401")
    assert len(old.blocks) > 10
    assert diff_documents(old, new).is_empty


def test_real_attachment_update_is_consistent() -> None:
    old, new = fixture(ATTACHMENT, "20220222"), fixture(ATTACHMENT, "20220225")
    changes = diff_documents(old, new)
    assert not changes.is_empty
    for hunk in changes.hunks:
        if hunk.old_text is not None:
            assert old.lines()[hunk.old_index or 0] == hunk.old_text
        if hunk.new_text is not None:
            assert new.lines()[hunk.new_index or 0] == hunk.new_text


# --- performance ----------------------------------------------------------------------


def _big_document(changed: bool) -> Document:
    """Build a 500-block document; when changed, alter three blocks."""
    lines = []
    for i in range(500):
        if i % 25 == 0:
            lines.append(f"## Section {i}")
        else:
            lines.append(f"Paragraph {i} sets out rule {i * 7} and who it applies to.")
    if changed:
        lines[40] = lines[40].replace("rule", "the revised rule")
        del lines[260]
        lines.insert(420, "A completely new paragraph about appeals.")
    return doc(*lines)


def test_500_block_documents_with_three_changes_diff_quickly() -> None:
    old, new = _big_document(False), _big_document(True)
    best = min(_timed(old, new) for _ in range(5))
    changes = diff_documents(old, new)
    assert (changes.modified, changes.removed, changes.added) == (1, 1, 1)
    assert best < 0.05  # a few ms in practice; generous for slow CI machines


def _timed(old: Document, new: Document) -> float:
    """Time one diff in seconds."""
    start = time.perf_counter()
    diff_documents(old, new)
    return time.perf_counter() - start


def test_a_title_shown_as_the_top_heading_changes_in_one_place() -> None:
    from monitor.document import Block, BlockKind, Document

    def page(title: str) -> Document:
        return Document(
            title,
            (Block(BlockKind.HEADING, title, 1), Block(BlockKind.PARAGRAPH, "Body text here.")),
        )

    changes = diff_documents(page("Kinship care leave"), page("Kinship care leave and pay"))
    assert len(changes.hunks) == 1
    assert changes.hunks[0].kind == "modified"
    # a title that is not on the page as its top heading is still a change of its own
    plain = Document("Old title", (Block(BlockKind.PARAGRAPH, "Body text here."),))
    renamed = Document("New title", (Block(BlockKind.PARAGRAPH, "Body text here."),))
    assert len(diff_documents(plain, renamed).hunks) == 1
