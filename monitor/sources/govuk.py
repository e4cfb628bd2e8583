"""``govuk``: a page on www.gov.uk, read through the GOV.UK Content API.

The Content API (``/api/content/<path>``) gives the body, attachments, dates and the
department's own change notes without any page chrome, so it is tried first. If the API
cannot serve the page (say a 404 for a path the API does not cover) the HTML page is fetched
instead and read with the ``govuk`` extraction profile, which drops GOV.UK's banners,
feedback form, related links and footer.

**Attachments** (``discover``): the HTML publications and PDF files attached to the page are
found in the same response and watched as derived sources of their own, since they, not the
parent page, usually carry the substance of an update. From a Content API item:
``details.attachments`` (``attachment_type`` ``html`` → kind ``govuk``; ``file`` that is a PDF
→ kind ``pdf``; anything else skipped), featured attachments first, then the links in the
deprecated pre-rendered ``details.documents``. From the HTML page: the title link of each
attachment component (``.gem-c-attachment``, old ``section.attachment``). At most
``max_attachments``, in page order, each URL once; none when ``attachments`` is false.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from lxml.cssselect import CSSSelector
from pydantic import BaseModel, ConfigDict, Field

from monitor.config import Source
from monitor.document import Document
from monitor.errors import ContentMissing
from monitor.extract import _parse as parse_html
from monitor.extract import extract_govuk_content, extract_html
from monitor.fetch import FetchRequest, FetchResult
from monitor.normalise import normalise_text
from monitor.sources.base import Discovery

JSON_TYPES = ("application/json",)
HTML_TYPES = ("text/html", "application/xhtml+xml")
WEBSITE_HOST = "www.gov.uk"
ATTACHMENT_CSS = CSSSelector(".gem-c-attachment, section.attachment")
# An HTML attachment's page: /government/<publications|consultations|…>/<parent>/[…/]<slug>
_HTML_PUBLICATION = re.compile(
    r"^/government/(?:publications|consultations|calls-for-evidence)/[^/]+(?:/[^/]+)?/[^/.]+/?$"
)


class GovukOptions(BaseModel):
    """Options of the ``govuk`` kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    use_api: bool = True  # false: always read the HTML page
    attachments: bool = True  # discover attached HTML publications and PDFs
    max_attachments: int = Field(20, ge=0, le=200)  # at most this many, in page order


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
        if is_json(fetched):
            return extract_govuk_content(read_item(fetched.body))
        return extract_html(
            fetched.body,
            url=fetched.final_url,
            select=source.select,
            ignore=source.ignore,
            profile="govuk",
        )

    def discover(self, source: Source, fetched: FetchResult) -> list[Discovery]:
        """The page's HTML publications and PDFs, in page order, at most ``max_attachments``."""
        options = source.options if isinstance(source.options, GovukOptions) else GovukOptions()
        if not options.attachments or options.max_attachments == 0:
            return []
        base = fetched.final_url or fetched.url
        if is_json(fetched):
            found = item_attachments(read_item(fetched.body), base)
        else:
            found = html_attachments(fetched.body, base)
        return unique(found)[: options.max_attachments]


def is_json(fetched: FetchResult) -> bool:
    """Whether the response is a Content API item (JSON) rather than the HTML page."""
    return fetched.content_type.split(";", 1)[0].strip().lower() in JSON_TYPES


def read_item(body: bytes) -> dict[str, Any]:
    """The Content API item; :class:`ContentMissing` for invalid JSON or a non-object."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ContentMissing(f"Content API answered with invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ContentMissing("Content API answered with JSON that is not an object")
    return data


# -- attachments of a Content API item -------------------------------------------------------


def item_attachments(item: Mapping[str, Any], base: str) -> list[Discovery]:
    """``details.attachments`` (featured first), then links in ``details.documents``."""
    details = item.get("details")
    details = details if isinstance(details, Mapping) else {}
    found = [d for a in ordered_attachments(details) if (d := api_attachment(a, base))]
    documents = details.get("documents")
    for html in documents if isinstance(documents, list) else []:
        if isinstance(html, str) and html.strip():
            found += html_attachments(html, base, any_link=True)
    return found


def ordered_attachments(details: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The attachment objects, those listed in ``featured_attachments`` first, in that order."""
    attachments = details.get("attachments")
    items = (
        [a for a in attachments if isinstance(a, Mapping)] if isinstance(attachments, list) else []
    )
    featured = details.get("featured_attachments")
    order = {str(i): n for n, i in enumerate(featured)} if isinstance(featured, list) else {}
    return sorted(items, key=lambda a: order.get(str(a.get("id")), len(order)))


def api_attachment(attachment: Mapping[str, Any], base: str) -> Discovery | None:
    """An ``html`` attachment → ``govuk``; a PDF ``file`` → ``pdf``; anything else ``None``."""
    href = attachment.get("url")
    if not isinstance(href, str) or not href.strip():
        return None
    url = absolute_url(base, href)
    kind = api_attachment_kind(attachment, url)
    if kind is None or urlsplit(url).scheme not in ("http", "https"):
        return None
    title = normalise_text(str(attachment.get("title") or attachment.get("filename") or ""))
    return Discovery(url=url, kind=kind, name=title or url, relation="attachment")


def api_attachment_kind(attachment: Mapping[str, Any], url: str) -> str | None:
    """``govuk`` for an HTML publication, ``pdf`` for a PDF file, else ``None``."""
    attachment_type = attachment.get("attachment_type")
    if attachment_type == "html":
        return "govuk"
    if attachment_type == "file" and is_pdf(attachment, url):
        return "pdf"
    return None


def is_pdf(attachment: Mapping[str, Any], url: str) -> bool:
    """A file attachment that is a PDF, by its content type or its URL."""
    content_type = str(attachment.get("content_type") or "").lower()
    return content_type.startswith("application/pdf") or urlsplit(url).path.lower().endswith(".pdf")


# -- attachments on the HTML page ------------------------------------------------------------


def html_attachments(body: bytes | str, base: str, *, any_link: bool = False) -> list[Discovery]:
    """The title link of each attachment component (``any_link``: else every link)."""
    root = parse_html(body)
    if root is None:
        return []
    components = ATTACHMENT_CSS(root)
    if components:
        links = [link for c in components if (link := title_link(c)) is not None]
    else:
        links = [a for a in root.iter("a") if any_link and _link_text(a)]
    return [d for a in links if (d := link_discovery(a, base))]


def title_link(component: Any) -> Any | None:
    """The first link with text in an attachment (the thumbnail link before it has none)."""
    return next((a for a in component.iter("a") if a.get("href") and _link_text(a)), None)


def link_discovery(a: Any, base: str) -> Discovery | None:
    """An HTML publication link → ``govuk``, a ``.pdf`` link → ``pdf``, else ``None``."""
    url = absolute_url(base, a.get("href") or "")
    kind = link_kind(url, {WEBSITE_HOST, urlsplit(base).hostname or ""})
    if kind is None:
        return None
    return Discovery(url=url, kind=kind, name=_link_text(a) or url, relation="attachment")


def link_kind(url: str, home_hosts: set[str]) -> str | None:
    """``pdf`` for a PDF anywhere; ``govuk`` for an HTML attachment page on GOV.UK."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    if parts.path.lower().endswith(".pdf"):
        return "pdf"
    if parts.hostname in home_hosts and _HTML_PUBLICATION.match(parts.path):
        return "govuk"
    return None


# -- helpers ---------------------------------------------------------------------------------


def absolute_url(base: str, href: str) -> str:
    """``href`` resolved against the fetched URL (so its scheme and host), fragment dropped."""
    return urldefrag(urljoin(base, href.strip())).url


def unique(found: Iterable[Discovery]) -> list[Discovery]:
    """The first discovery of each URL, in order."""
    seen: dict[str, Discovery] = {}
    for discovery in found:
        seen.setdefault(discovery.url, discovery)
    return list(seen.values())


def _link_text(a: Any) -> str:
    return normalise_text("".join(a.itertext()))
