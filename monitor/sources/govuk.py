"""``govuk``: a page on www.gov.uk, read through the GOV.UK Content API.

The Content API (``/api/content/<path>``) gives the body, attachments, dates and the
department's own change notes without any page chrome, so it is tried first. If the API
cannot serve the page (say a 404 for a path the API does not cover) the HTML page is fetched
instead and read with the ``govuk`` extraction profile, which drops GOV.UK's banners,
feedback form, related links and footer.
"""

from __future__ import annotations

import json
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict

from monitor.config import Source
from monitor.document import Document
from monitor.errors import ContentMissing
from monitor.extract import extract_govuk_content, extract_html
from monitor.fetch import FetchRequest, FetchResult

JSON_TYPES = ("application/json",)
HTML_TYPES = ("text/html", "application/xhtml+xml")


class GovukOptions(BaseModel):
    """Options of the ``govuk`` kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    use_api: bool = True  # false: always read the HTML page


def content_api_url(page_url: str) -> str:
    """``https://www.gov.uk/x/y`` → ``https://www.gov.uk/api/content/x/y``."""
    parts = urlsplit(page_url)
    path = parts.path if parts.path.startswith("/api/content/") else "/api/content" + parts.path
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), parts.query, ""))


class GovukKind:
    """Watch one GOV.UK page (Content API first, HTML as a fallback)."""

    name: ClassVar[str] = "govuk"
    Options: ClassVar[type[BaseModel]] = GovukOptions

    def requests(self, source: Source) -> list[FetchRequest]:
        """The Content API URL first (if enabled), then the page itself."""
        page = FetchRequest(url=source.url, content_types=HTML_TYPES)
        if not getattr(source.options, "use_api", True):
            return [page]
        api = FetchRequest(
            url=content_api_url(source.url),
            accept="application/json",
            content_types=JSON_TYPES,
        )
        return [api, page]

    def extract(self, source: Source, fetched: FetchResult) -> Document:
        """Read a Content API item, or the HTML page with the govuk profile."""
        if fetched.content_type.split(";", 1)[0].strip().lower() in JSON_TYPES:
            try:
                data = json.loads(fetched.body)
            except ValueError as exc:
                raise ContentMissing(f"Content API answered with invalid JSON: {exc}") from None
            if not isinstance(data, dict):
                raise ContentMissing("Content API answered with JSON that is not an object")
            return extract_govuk_content(data)
        return extract_html(
            fetched.body,
            url=fetched.final_url,
            select=source.select,
            ignore=source.ignore,
            profile="govuk",
        )
