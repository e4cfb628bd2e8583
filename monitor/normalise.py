"""Canonicalise extracted text so that only real wording changes reach the diff.

Two fetches of the same page must give equal :class:`~monitor.document.Document` s even when the
markup differs in ways a reader cannot see (attribute order, entity encoding, line wrapping,
non-breaking spaces). :func:`normalise_document` makes that so; :func:`is_content_missing`
spots pages that came back with HTTP 200 but are error or maintenance pages, or lost their
main content.
"""

from __future__ import annotations

import re
import unicodedata

from monitor.document import Block, BlockKind, Document, Metadata

# Invisible characters that editors and CMSs sprinkle into text: zero-width space / non-joiner
# / joiner, word joiner, BOM, soft hyphen. They are deleted, not turned into spaces. (This also
# strips ZWJ from emoji sequences and ZWNJ from Persian-script text; neither matters for
# English-language policy pages, and both otherwise show up as phantom diffs.)
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")

# --- is_content_missing thresholds -------------------------------------------------------
#: Below this many characters of block text a page counts as near-empty.
NEAR_EMPTY_CHARS = 200
#: The previous version must have had more than this for a shrink to be suspicious.
PREVIOUS_SUBSTANTIAL_CHARS = 1000
#: ...and the new version must be smaller than this fraction of the previous one.
MAX_SHRINK_RATIO = 0.10
#: An error-looking title or first heading only counts when the body is shorter than this,
#: so a real document that merely mentions "access denied" in its title is not rejected.
ERROR_PAGE_MAX_CHARS = 1000
#: Title / first-heading phrases of error, maintenance and bot-challenge pages. Bare
#: "maintenance" is deliberately not here: GOV.UK has many real pages about *child
#: maintenance* and *maintenance loans*; only maintenance-page wording is matched.
ERROR_PHRASES: tuple[str, ...] = (
    r"page not found",
    r"\b404\b.*not found",
    r"sorry,? there is a problem with (?:the|this) service",
    r"service (?:is )?(?:temporarily )?unavailable",
    r"\b(?:down for|under(?:going)?|scheduled|planned) maintenance\b",
    r"\bmaintenance (?:mode|page|in progress)\b",
    r"we(?:['’]re| are) (?:currently )?(?:carrying out|doing|performing) maintenance",
    r"access denied",
    r"\b403\b.*forbidden",
    r"internal server error",
    r"\b50[234]\b.*(?:bad gateway|gateway time-?out|service unavailable)",
    r"bad gateway",
    r"too many requests",
    r"just a moment",  # Cloudflare's interstitial challenge page
    r"attention required",  # Cloudflare's block page
)
_ERROR_TITLE = re.compile("|".join(f"(?:{p})" for p in ERROR_PHRASES), re.IGNORECASE)


def normalise_text(s: str) -> str:
    """Return ``s`` in NFC with invisible characters removed and whitespace collapsed."""
    if not s.isascii():
        s = _INVISIBLE.sub("", unicodedata.normalize("NFC", s))
    # str.split() with no argument splits on every Unicode whitespace character (the same set
    # as a str-pattern ``\s``: NBSP, narrow NBSP, figure and ideographic spaces, line and
    # paragraph separators, tabs, newlines) and is ~4x faster than ``re.sub(r"\s+", " ", s)``.
    return " ".join(s.split())


def _normalise_optional(s: str | None) -> str | None:
    """Normalise ``s``; empty results become ``None``."""
    return (normalise_text(s) or None) if s is not None else None


def _normalise_metadata(meta: Metadata) -> Metadata:
    """Normalise every string in ``meta``; drop ``extra`` pairs whose value is empty."""
    extra = tuple((normalise_text(k), v) for k, raw in meta.extra if (v := normalise_text(raw)))
    return Metadata(
        published=_normalise_optional(meta.published),
        updated=_normalise_optional(meta.updated),
        change_note=_normalise_optional(meta.change_note),
        document_type=_normalise_optional(meta.document_type),
        withdrawn=_normalise_optional(meta.withdrawn),
        extra=extra,
    )


def normalise_document(doc: Document) -> Document:
    """Normalise the title, block texts and metadata; drop blocks left empty."""
    blocks = tuple(
        Block(b.kind, text, b.level) for b in doc.blocks if (text := normalise_text(b.text))
    )
    return Document(
        title=normalise_text(doc.title),
        blocks=blocks,
        metadata=_normalise_metadata(doc.metadata),
    )


def _first_heading(doc: Document) -> str:
    """Text of the first heading block, or ``""``."""
    return next((b.text for b in doc.blocks if b.kind is BlockKind.HEADING), "")


def _error_phrase(doc: Document) -> str | None:
    """The error/maintenance phrase found in the title or first heading, if any."""
    for text in (doc.title, _first_heading(doc)):
        if match := _ERROR_TITLE.search(text):
            return match.group(0)
    return None


def _shrunk(length: int, previous: int | None) -> bool:
    """True when the text is near-empty now but was substantial before."""
    return (
        previous is not None
        and previous > PREVIOUS_SUBSTANTIAL_CHARS
        and length < NEAR_EMPTY_CHARS
        and length < previous * MAX_SHRINK_RATIO
    )


def is_content_missing(doc: Document, previous_text_length: int | None) -> str | None:
    """Say why ``doc`` looks like an error page or lost its content; ``None`` if it looks fine."""
    if not doc.blocks:
        return "no content blocks were extracted from the page"
    length = doc.text_length()
    phrase = _error_phrase(doc)
    if phrase and length < ERROR_PAGE_MAX_CHARS:
        return f"looks like an error or maintenance page ({phrase!r}, {length} characters)"
    if _shrunk(length, previous_text_length):
        return (
            f"main content vanished: {length} characters of text, down from {previous_text_length}"
        )
    return None


__all__ = [
    "ERROR_PAGE_MAX_CHARS",
    "ERROR_PHRASES",
    "MAX_SHRINK_RATIO",
    "NEAR_EMPTY_CHARS",
    "PREVIOUS_SUBSTANTIAL_CHARS",
    "is_content_missing",
    "normalise_document",
    "normalise_text",
]
