"""``pdf``: a PDF file, read as text with pypdf (GOV.UK attachments on
``assets.publishing.service.gov.uk``, say).

The document is titled with the PDF's own title (its metadata), else the file name in the
source URL, and holds one heading per page, ``Page N``, followed by that page's paragraphs.
Text is read in pypdf's layout mode, which keeps vertical gaps as blank lines: a blank line
ends a paragraph, the lines within one are joined (a line ending in ``-`` after a letter is
joined without a space), and a line starting with a bullet starts a new one.

**Bounded work.** Only the first ``max_pages`` pages are read; a final paragraph says how many
were left out, so raising the option later shows as an honest change.

**Unreadable PDFs are failed checks.** A body pypdf cannot open (an HTML error page served as
``application/pdf``, a truncated download, an encrypted file) or one without any text (a
scanned image) raises :class:`ContentMissing` with the reason, never a new empty version.
"""

from __future__ import annotations

import io
import logging
import re
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # pypdf is imported when a PDF is read: most runs never read one
    from pypdf import PageObject, PdfReader

from monitor.config import Source
from monitor.document import Block, BlockKind, Document, Metadata
from monitor.errors import ContentMissing
from monitor.fetch import FetchRequest, FetchResult
from monitor.normalise import normalise_document, normalise_text

PDF_TYPES = ("application/pdf", "application/octet-stream")
ACCEPT = "application/pdf, application/octet-stream;q=0.5"
NO_TEXT = "PDF has no extractable text (a scan?)"
UNREADABLE_PAGE = "[The text of this page could not be read.]"
_BLANK_LINE = re.compile(r"\n[ \t\f\r]*\n")
_BULLET = re.compile(r"^[•●▪◦‣∙·■□➢✓*–-]\s")
_HYPHENATED = re.compile(r"[^\W\d_]-$")

# pypdf logs recoverable damage ("EOF marker not found") as warnings; without a handler they
# would reach stderr through logging's last resort. An application that configures logging
# still receives them through propagation.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


class PdfOptions(BaseModel):
    """Options of the ``pdf`` kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_pages: int = Field(300, ge=1, le=10_000)  # pages read at most


class PdfKind:
    """Watch one PDF file."""

    name: ClassVar[str] = "pdf"
    Options: ClassVar[type[BaseModel]] = PdfOptions

    def requests(self, source: Source) -> list[FetchRequest]:
        """The URL, accepting PDF (and the generic binary type some servers send)."""
        return [FetchRequest(url=source.url, accept=ACCEPT, content_types=PDF_TYPES)]

    def extract(self, source: Source, fetched: FetchResult) -> Document:
        """One ``Page N`` heading per page read, then its paragraphs."""
        options = source.options if isinstance(source.options, PdfOptions) else PdfOptions()
        reader = open_pdf(fetched.body)
        total = page_count(reader)
        blocks, has_text = read_pages(reader, min(total, options.max_pages))
        if not has_text:
            raise ContentMissing(NO_TEXT)
        if total > options.max_pages:
            blocks.append(Block(BlockKind.PARAGRAPH, skipped_note(options.max_pages, total)))
        title = pdf_title(reader) or file_name(source.url) or source.name
        document = Document(title, tuple(blocks), Metadata(document_type="pdf"))
        return normalise_document(document)


# -- reading ---------------------------------------------------------------------------------


def open_pdf(body: bytes) -> PdfReader:
    """A reader for ``body``; :class:`ContentMissing` when pypdf cannot open it."""
    if not body.strip():
        raise ContentMissing("PDF cannot be read: the body is empty")
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(body))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ContentMissing("PDF cannot be read: it is encrypted")
    except ContentMissing:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        raise ContentMissing(f"PDF cannot be read: {_reason(exc)}") from None
    return reader


def page_count(reader: PdfReader) -> int:
    """The number of pages; :class:`ContentMissing` when the page tree is broken."""
    try:
        return len(reader.pages)
    except Exception as exc:  # a damaged page tree
        raise ContentMissing(f"PDF cannot be read: {_reason(exc)}") from None


def read_pages(reader: PdfReader, count: int) -> tuple[list[Block], bool]:
    """Blocks of the first ``count`` pages, and whether any page had text."""
    blocks: list[Block] = []
    has_text = False
    for number in range(1, count + 1):
        blocks.append(Block(BlockKind.HEADING, f"Page {number}", level=2))
        text = page_text(reader, number - 1)
        paragraphs = paragraphs_of(text) if text is not None else [UNREADABLE_PAGE]
        has_text = has_text or (text is not None and bool(paragraphs))
        blocks += [Block(BlockKind.PARAGRAPH, p) for p in paragraphs]
    return blocks, has_text


def page_text(reader: PdfReader, index: int) -> str | None:
    """The page's text in layout mode (plain mode if that fails); ``None`` if unreadable."""
    try:
        page: PageObject = reader.pages[index]
    except Exception:  # a damaged page object
        return None
    for mode in ("layout", "plain"):
        try:
            return page.extract_text(extraction_mode=mode)
        except Exception:  # try the next mode
            continue
    return None


def paragraphs_of(text: str) -> list[str]:
    """Paragraphs: split on blank lines and before bullets; lines within one joined."""
    found: list[str] = []
    for chunk in _BLANK_LINE.split(text):
        lines: list[str] = []
        for line in (stripped for raw in chunk.splitlines() if (stripped := raw.strip())):
            if lines and _BULLET.match(line):
                found.append(join_lines(lines))
                lines = []
            lines.append(line)
        if lines:
            found.append(join_lines(lines))
    return [p for p in found if normalise_text(p)]


def join_lines(lines: list[str]) -> str:
    """Lines of one paragraph as one string (``well-`` + ``known`` → ``well-known``)."""
    text = lines[0]
    for line in lines[1:]:
        text += line if _HYPHENATED.search(text) else " " + line
    return text


# -- naming ----------------------------------------------------------------------------------


def pdf_title(reader: PdfReader) -> str:
    """The title in the PDF's metadata, or ``""``."""
    try:
        title = reader.metadata.title if reader.metadata is not None else None
    except Exception:  # a damaged metadata dictionary
        return ""
    return normalise_text(title) if isinstance(title, str) else ""


def file_name(url: str) -> str:
    """``…/ALH_Review_Letter.pdf`` → ``ALH_Review_Letter.pdf``; ``""`` without one."""
    return normalise_text(unquote(urlsplit(url).path.rsplit("/", 1)[-1]))


def skipped_note(read: int, total: int) -> str:
    """The closing paragraph of a PDF longer than ``max_pages``."""
    return (
        f"Only the first {read} of {total} pages were read (option max_pages); "
        f"the other {total - read} are not watched."
    )


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
