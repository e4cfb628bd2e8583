"""``html``: any web page. Main content is found automatically unless ``select`` is given."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from monitor.config import Source
from monitor.document import Document
from monitor.extract import extract_html
from monitor.fetch import FetchRequest, FetchResult
from monitor.sources.base import NoOptions


class HtmlKind:
    """Watch one HTML page."""

    name: ClassVar[str] = "html"
    Options: ClassVar[type[BaseModel]] = NoOptions

    def requests(self, source: Source) -> list[FetchRequest]:
        """Fetch the configured URL."""
        return [FetchRequest(url=source.url)]

    def extract(self, source: Source, fetched: FetchResult) -> Document:
        """Extract the main content with the generic profile."""
        return extract_html(
            fetched.body, url=fetched.final_url, select=source.select, ignore=source.ignore
        )
