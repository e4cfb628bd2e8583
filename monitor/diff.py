"""Compare two :class:`~monitor.document.Document` s block by block, then word by word.

The block-level pass aligns the two documents' blocks with diff-match-patch, using its
"lines to chars" trick: every distinct block becomes one character, so the character diff
is a block diff. (Blocks are encoded as whole values rather than by splitting text on
newlines, so a block whose text holds a newline still counts as one unit.) The title is
compared on its own, and a changed title is always a "modified" hunk.

Runs of deleted lines followed by inserted lines are then paired by similarity into
"modified" hunks, and each pair gets a word-level diff (words mapped to characters the
same way, then ``diff_cleanupSemantic``) so a reader sees exactly which words moved.

Hunk texts are the block *lines* (``"## Heading"``, ``"- item"``, ``"# Title"``), so a
change of block kind shows up too. Hunk indices (``old_index`` / ``new_index``) are
positions in :meth:`Document.lines`: 0 is the title line and block ``i`` is line ``i + 1``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal, TypeVar, cast, get_args

from diff_match_patch import diff_match_patch

from monitor.document import BlockKind, Document

_S = TypeVar("_S", bound=str)

Op = Literal["equal", "insert", "delete"]
Kind = Literal["added", "removed", "modified"]

OPS: tuple[Op, ...] = get_args(Op)
KINDS: tuple[Kind, ...] = get_args(Kind)

#: Pair a deleted block with an inserted one only when they are at least this similar.
SIMILARITY_THRESHOLD = 0.5
#: In long runs, only compare blocks this many positions apart (keeps big rewrites linear).
PAIRING_WINDOW = 25

_DMP_OPS: dict[int, Op] = {
    diff_match_patch.DIFF_EQUAL: "equal",
    diff_match_patch.DIFF_INSERT: "insert",
    diff_match_patch.DIFF_DELETE: "delete",
}
# Words, runs of whitespace, and single other characters: "".join(tokens) == text.
_TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]")
_WORD_RE = re.compile(r"\w+")
# Encode tokens from the Private Use Area up, clear of NUL, controls and surrogates.
_FIRST_CODE_POINT = 0xE000


@dataclass(frozen=True, slots=True)
class WordOp:
    """One run of the word-level diff: text kept, inserted or deleted."""

    op: Op
    text: str


@dataclass(frozen=True, slots=True)
class Hunk:
    """One changed block, with where it sits and (for modified blocks) its word diff."""

    kind: Kind
    heading_path: tuple[str, ...]
    old_text: str | None
    new_text: str | None
    words: tuple[WordOp, ...]
    old_index: int | None
    new_index: int | None


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Every changed block between two documents, in page order."""

    hunks: tuple[Hunk, ...]

    @property
    def added(self) -> int:
        """Count the added blocks."""
        return self._count("added")

    @property
    def removed(self) -> int:
        """Count the removed blocks."""
        return self._count("removed")

    @property
    def modified(self) -> int:
        """Count the modified blocks."""
        return self._count("modified")

    @property
    def is_empty(self) -> bool:
        """Tell whether nothing changed."""
        return not self.hunks

    def stats(self) -> dict[str, int]:
        """Summarise block and word counts."""
        return {
            "added": self.added,
            "removed": self.removed,
            "modified": self.modified,
            "words_added": self._count_words("insert"),
            "words_removed": self._count_words("delete"),
        }

    def _count(self, kind: Kind) -> int:
        """Count hunks of one kind."""
        return sum(1 for hunk in self.hunks if hunk.kind == kind)

    def _count_words(self, op: Op) -> int:
        """Count the words in every word op of one type."""
        return sum(
            count_words(word.text) for hunk in self.hunks for word in hunk.words if word.op == op
        )


def count_words(text: str) -> int:
    """Count the words (runs of letters and digits) in text."""
    return len(_WORD_RE.findall(text))


def tokenize(text: str) -> list[str]:
    """Split text into words, whitespace runs and punctuation, losing nothing."""
    return _TOKEN_RE.findall(text)


def diff_documents(old: Document, new: Document, *, timeout: float = 1.0) -> ChangeSet:
    """Diff two documents into block-level hunks with word-level detail."""
    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    old_lines, new_lines = old.lines(), new.lines()
    old_paths, new_paths = heading_paths(old), heading_paths(new)
    hunks: list[Hunk] = []
    if old.title != new.title and not (_titled_by_h1(old) and _titled_by_h1(new)):
        hunks.append(_modified(dmp, (old_lines[0], 0), (new_lines[0], 0), ()))
    for deleted, inserted in _changed_runs(dmp, old.blocks, new.blocks):
        for old_i, new_i in _pair_run(deleted, inserted, old_lines, new_lines):
            if old_i is not None and new_i is not None:
                old_side, new_side = (old_lines[old_i], old_i), (new_lines[new_i], new_i)
                hunks.append(_modified(dmp, old_side, new_side, new_paths[new_i]))
            elif old_i is not None:
                hunks.append(_removed(old_lines[old_i], old_i, old_paths[old_i]))
            elif new_i is not None:
                hunks.append(_added(new_lines[new_i], new_i, new_paths[new_i]))
    return ChangeSet(tuple(hunks))


def _titled_by_h1(doc: Document) -> bool:
    """The page's first block is a top heading saying its title: the title change shows there."""
    first = doc.blocks[0] if doc.blocks else None
    return (
        first is not None
        and first.kind is BlockKind.HEADING
        and first.level == 1
        and first.text == doc.title
    )


def heading_paths(doc: Document) -> list[tuple[str, ...]]:
    """List, per line of the document, the headings that line sits under."""
    # A level-n heading closes open headings of level >= n, so its own path holds only its
    # ancestors. The title is in no path.
    paths: list[tuple[str, ...]] = [()]  # the title line
    stack: list[tuple[int, str]] = []
    for block in doc.blocks:
        is_heading = block.kind is BlockKind.HEADING
        while is_heading and stack and stack[-1][0] >= block.level:
            stack.pop()
        paths.append(tuple(text for _, text in stack))
        if is_heading:
            stack.append((block.level, block.text))
    return paths


def _encode(items: Iterable[Hashable], table: dict[Hashable, str]) -> str:
    """Map each item to one character, sharing the table between both sides."""
    chars = []
    for item in items:
        char = table.get(item)
        if char is None:
            char = table[item] = chr(_FIRST_CODE_POINT + len(table))
        chars.append(char)
    return "".join(chars)


def _changed_runs(
    dmp: diff_match_patch, old: Sequence[Hashable], new: Sequence[Hashable]
) -> Iterator[tuple[list[int], list[int]]]:
    """Align two item sequences; yield each run of deleted and inserted line indices."""
    table: dict[Hashable, str] = {}
    chars_old, chars_new = _encode(old, table), _encode(new, table)
    old_pos = new_pos = 1  # line 0 is the title, handled on its own
    deleted: list[int] = []
    inserted: list[int] = []
    for op, chars in dmp.diff_main(chars_old, chars_new, checklines=False):
        if op == dmp.DIFF_DELETE:
            deleted.extend(range(old_pos, old_pos + len(chars)))
            old_pos += len(chars)
        elif op == dmp.DIFF_INSERT:
            inserted.extend(range(new_pos, new_pos + len(chars)))
            new_pos += len(chars)
        else:
            if deleted or inserted:
                yield deleted, inserted
                deleted, inserted = [], []
            old_pos, new_pos = old_pos + len(chars), new_pos + len(chars)
    if deleted or inserted:
        yield deleted, inserted


def _pair_run(
    deleted: list[int], inserted: list[int], old_lines: list[str], new_lines: list[str]
) -> list[tuple[int | None, int | None]]:
    """Order a run as removed, added and (old, new) modified pairs, in page order."""
    pairs = _similar_pairs(deleted, inserted, old_lines, new_lines)
    out: list[tuple[int | None, int | None]] = []
    d = i = 0
    for old_i, new_i in [*pairs, (None, None)]:
        while d < len(deleted) and (old_i is None or deleted[d] < old_i):
            out.append((deleted[d], None))
            d += 1
        while i < len(inserted) and (new_i is None or inserted[i] < new_i):
            out.append((None, inserted[i]))
            i += 1
        if old_i is not None:
            out.append((old_i, new_i))
            d, i = d + 1, i + 1
    return out


def _similar_pairs(
    deleted: list[int], inserted: list[int], old_lines: list[str], new_lines: list[str]
) -> list[tuple[int, int]]:
    """Greedily pair deleted and inserted lines by similarity, never crossing."""
    candidates = _candidates(deleted, inserted, old_lines, new_lines)
    olds: list[int] = []  # chosen pairs, sorted; non-crossing, so news is sorted too
    news: list[int] = []
    for _, old_i, new_i in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        at = bisect_left(olds, old_i)
        if _fits(olds, news, at, (old_i, new_i)):
            olds.insert(at, old_i)
            news.insert(at, new_i)
    return list(zip(olds, news, strict=True))


def _fits(olds: list[int], news: list[int], at: int, pair: tuple[int, int]) -> bool:
    """Tell whether pair can go in at position at without reusing or crossing a line."""
    before_ok = at == 0 or news[at - 1] < pair[1]
    after_ok = at == len(olds) or (olds[at] > pair[0] and news[at] > pair[1])
    return before_ok and after_ok


def _candidates(
    deleted: list[int], inserted: list[int], old_lines: list[str], new_lines: list[str]
) -> list[tuple[float, int, int]]:
    """Score nearby (deleted, inserted) line pairs, keeping those similar enough."""
    if not deleted or not inserted:
        return []
    old_words = [_words(old_lines[j]) for j in deleted]
    scale = len(inserted) / len(deleted)
    found = []
    for pos_new, new_i in enumerate(inserted):
        matcher = SequenceMatcher(None, b=_words(new_lines[new_i]), autojunk=False)
        centre = round(pos_new / scale)
        for pos_old in range(max(0, centre - PAIRING_WINDOW), centre + PAIRING_WINDOW + 1):
            if pos_old < len(deleted):
                score = _similarity(matcher, old_words[pos_old])
                if score >= SIMILARITY_THRESHOLD:
                    found.append((score, deleted[pos_old], new_i))
    return found


def _words(line: str) -> list[str]:
    """Tokenise a line for similarity scoring, dropping whitespace."""
    return [token for token in tokenize(line) if not token.isspace()]


def _similarity(matcher: SequenceMatcher[str], words: list[str]) -> float:
    """Score how alike words are to the matcher's second sequence (0 to 1)."""
    matcher.set_seq1(words)
    if matcher.real_quick_ratio() < SIMILARITY_THRESHOLD:
        return 0.0
    if matcher.quick_ratio() < SIMILARITY_THRESHOLD:
        return 0.0
    return matcher.ratio()


def diff_words(dmp: diff_match_patch, old: str, new: str) -> tuple[WordOp, ...]:
    """Diff two texts word by word, cleaned up for people to read."""
    table: dict[Hashable, str] = {}
    chars_old, chars_new = _encode(tokenize(old), table), _encode(tokenize(new), table)
    tokens = {char: token for token, char in table.items()}
    diffs = dmp.diff_main(chars_old, chars_new, checklines=False)
    dmp.diff_cleanupSemantic(diffs)
    return tuple(
        WordOp(_DMP_OPS[op], "".join(cast(str, tokens[c]) for c in chars)) for op, chars in diffs
    )


def _modified(
    dmp: diff_match_patch, old: tuple[str, int], new: tuple[str, int], path: tuple[str, ...]
) -> Hunk:
    """Build a modified hunk from (text, line index) of each side."""
    words = diff_words(dmp, old[0], new[0])
    return Hunk("modified", path, old[0], new[0], words, old[1], new[1])


def _removed(text: str, index: int, path: tuple[str, ...]) -> Hunk:
    """Build a removed hunk."""
    return Hunk("removed", path, text, None, (WordOp("delete", text),), index, None)


def _added(text: str, index: int, path: tuple[str, ...]) -> Hunk:
    """Build an added hunk."""
    return Hunk("added", path, None, text, (WordOp("insert", text),), None, index)


def changes_from_dict(data: Mapping[str, Any]) -> ChangeSet:
    """Rebuild a ChangeSet from the dict that ``render.changes_to_dict`` produces."""
    return ChangeSet(tuple(_hunk_from_dict(hunk) for hunk in data["hunks"]))


def _hunk_from_dict(data: Mapping[str, Any]) -> Hunk:
    """Rebuild one hunk, rejecting unknown kinds and ops."""
    return Hunk(
        kind=_checked(data["kind"], KINDS),
        heading_path=tuple(str(part) for part in data.get("heading_path", ())),
        old_text=data.get("old_text"),
        new_text=data.get("new_text"),
        words=tuple(WordOp(_checked(op, OPS), str(text)) for op, text in data.get("words", ())),
        old_index=data.get("old_index"),
        new_index=data.get("new_index"),
    )


def _checked(value: object, allowed: tuple[_S, ...]) -> _S:
    """Return value if it is one of the allowed strings, else raise ValueError."""
    for option in allowed:
        if value == option:
            return option
    raise ValueError(f"expected one of {allowed!r}, got {value!r}")
