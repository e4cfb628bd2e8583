"""``tracker``: a Kinship-style policy tracker page, read as sections, statuses and history.

The page is extracted like any HTML page, then parsed by :mod:`monitor.tracker`; what is
stored and diffed is :func:`monitor.tracker.tracker_document`, so a change reads as "status
moved", "section rewritten" or "history entry added" under the section's heading. A page on
which no tracker section can be found (a redesign, a broken page) is a failed check, never a
version in which everything was removed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel

from monitor.config import Source
from monitor.document import Document
from monitor.errors import ContentMissing
from monitor.extract import extract_html
from monitor.fetch import FetchRequest, FetchResult
from monitor.sources.base import NoOptions
from monitor.tracker import (
    STATUS_EMOJI,
    Tracker,
    TrackerSection,
    parse_tracker_lines,
    tracker_document,
)

CONTENT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
# WordPress and others swap emoji for <img class="emoji" alt="💚">; the extractor drops images,
# so a status emoji image is put back as its text before extraction.
_IMG = re.compile(rb"<img\b[^>]*?\balt\s*=\s*(\"[^\"]*\"|'[^']*')[^>]*>", re.IGNORECASE)


def _emoji_images_as_text(body: bytes) -> bytes:
    def replace(match: re.Match[bytes]) -> bytes:
        alt = html.unescape(match.group(1)[1:-1].decode("utf-8", "replace")).strip()
        if alt.replace("\ufe0f", "") in STATUS_EMOJI:
            return alt.encode("utf-8") + b" "
        return match.group(0)

    return _IMG.sub(replace, body) if b"<img" in body.lower() else body


def _is_html(body: bytes, content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    if media in ("text/html", "application/xhtml+xml"):
        return True
    if media == "text/plain":
        return False
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body", b"<"))


def tracker_lines(document: Document) -> list[str]:
    """The document's lines for the parser (``# title`` first only if there is a title)."""
    lines = document.lines()
    return lines if document.title else lines[1:]


def parse_tracker_body(
    body: bytes,
    *,
    content_type: str = "",
    url: str = "",
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    title: str | None = None,
) -> Tracker:
    """Parse a tracker from a raw body: an HTML page, or plain text with one paragraph a line."""
    if not _is_html(body, content_type):
        text = body.decode("utf-8-sig", "replace")
        return parse_tracker_lines(text.splitlines(), title=title)
    document = extract_html(_emoji_images_as_text(body), url=url, select=select, ignore=ignore)
    return parse_tracker_lines(tracker_lines(document), title=title)


def parse_fetched(source: Source, fetched: FetchResult) -> Tracker:
    """Parse a fetched (or stored) tracker page of ``source``."""
    return parse_tracker_body(
        fetched.body,
        content_type=fetched.content_type,
        url=fetched.final_url,
        select=source.select,
        ignore=source.ignore,
    )


class TrackerKind:
    """Watch a policy tracker page (the 2023 single page, a 2025 section page or the index)."""

    name: ClassVar[str] = "tracker"
    Options: ClassVar[type[BaseModel]] = NoOptions

    def requests(self, source: Source) -> list[FetchRequest]:
        """Fetch the configured URL (HTML; plain text is read too)."""
        return [FetchRequest(url=source.url, content_types=CONTENT_TYPES)]

    def extract(self, source: Source, fetched: FetchResult) -> Document:
        """Parse the tracker and render it as the normalised tracker document."""
        tracker = parse_fetched(source, fetched)
        if not tracker.sections:
            raise ContentMissing(
                "no tracker sections found on the page (no section with a status or a "
                "'What's happening now?' / 'What should happen next?' part): "
                "has the tracker been redesigned?",
                http_status=fetched.status,
            )
        return tracker_document(tracker)

    def tracker_sections(self, source: Source, fetched: FetchResult) -> list[dict[str, Any]]:
        """The parsed sections as plain rows, stored as the targets drafts are written for."""
        return [_section_row(section) for section in parse_fetched(source, fetched).sections]


def _section_row(section: TrackerSection) -> dict[str, Any]:
    status, previous = section.status, section.previous_status
    return {
        "section_id": section.id,
        "title": section.title,
        "status": status.label if status else None,
        "status_level": status.level if status else None,
        "previous_status": previous.label if previous else None,
        "previous_status_date": section.previous_status_date,
        "happening_now": section.happening_now,
        "should_happen_next": section.should_happen_next,
    }
