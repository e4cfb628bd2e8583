"""``feed``: an Atom or RSS feed, one block per entry, so a new entry is one added block.

Reads Atom (RFC 4287; GOV.UK offers ``.atom`` for every finder and search page, e.g.
``https://www.gov.uk/search/all.atom?keywords=kinship&order=updated-newest``), RSS 2.0 (e.g.
the Bills API's ``/api/v1/Rss/allbills.rss``) and RSS 1.0. The document is the feed's title,
one heading "Entries" and one link block per entry::

    <title> — <categories> — <stage> — <date> (<link>)

where the parts a feed does not give are left out: categories are Atom ``category`` labels or
RSS ``category`` texts (Parliament: bill type and house), the stage is an item attribute
named ``stage`` (Parliament's ``p4:stage``), and the link is the entry's alternate link.

**Identity, not position.** Entries are sorted by their identity (Atom ``id``, RSS ``guid``,
else the link), so a feed that reorders its entries is unchanged, a new entry is one added
block wherever it sits in the feed, and an entry seen before is never new again. Entries
that fall off the end of a feed (most show the newest 20-50) do show as removed.

**Which date** (option ``dates``). A changed date on an entry seen before is a change only
when the date is one the publisher moves for a real revision:

* ``auto`` (default): Atom feeds show ``updated``, which RFC 4287 defines as the last
  *significant* change (GOV.UK sets it to the document's ``public_timestamp``, which moves
  only on a major update with a change note). RSS feeds show the publication date
  (``pubDate`` or ``dc:date``) and ignore extension ``updated`` elements: Parliament's
  ``a10:updated`` moves on every edit to a bill, so a date-only move there is noise, while a
  stage change still shows (the stage is in the line).
* ``published``, ``updated`` (falling back to the publication date) or ``none`` force one
  choice for any feed.

**Broken responses are failed checks, never "everything was removed".** A body that is not
well-formed XML (an HTML error page, a truncated download), is not a feed (its root is not
``feed``/``rss``/``RDF``), or holds no usable entries raises :class:`ContentMissing` with the
reason. Parsing is strict on purpose: a recovering parser would turn a damaged feed into a
shorter one, i.e. a false removal. Because ``extract`` sees only the current body, an empty
feed cannot be told from a feed whose entries were lost, so an empty feed always fails.

**Following entries** (``follow: true``, ``discover``): each entry's link, newest first by its
date (``updated``, else published; undated entries last, in feed order), at most
``max_follow``, is also watched as a source of its own (relation ``follow``): kind ``govuk``
for links on www.gov.uk (and, for a feed served from this machine as in tests and the demo,
links on the feed's own host), kind ``html`` for any other link.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field

from monitor.config import Source
from monitor.document import Block, BlockKind, Document
from monitor.errors import ContentMissing
from monitor.fetch import FetchRequest, FetchResult
from monitor.normalise import normalise_document, normalise_text
from monitor.sources.base import Discovery

FEED_TYPES = (
    "application/atom+xml",
    "application/rss+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)
ACCEPT = "application/atom+xml, application/rss+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.7"
ATOM_NS = "http://www.w3.org/2005/Atom"
RSS1_NS = "http://purl.org/rss/1.0/"
DC_NS = "http://purl.org/dc/elements/1.1/"
SEPARATOR = " — "
SNIPPET = 60  # characters of a bad body quoted in the error
GOVUK_HOST = "www.gov.uk"
LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")  # a local replay (tests, the demo)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

DateChoice = Literal["auto", "published", "updated", "none"]
FeedFormat = Literal["atom", "rss"]


class FeedOptions(BaseModel):
    """Options of the ``feed`` kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_items: int = Field(200, ge=1, le=5000)  # entries read, in feed order, before sorting
    dates: DateChoice = "auto"
    follow: bool = False  # also watch each entry's link as a source of its own
    max_follow: int = Field(20, ge=0, le=200)  # at most this many, newest first


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed entry, reduced to what the line shows."""

    key: str  # identity: Atom id, RSS guid, else the link
    title: str
    link: str
    categories: tuple[str, ...] = ()
    stage: str = ""
    published: str = ""
    updated: str = ""

    def line(self, dates: Literal["published", "updated", "none"]) -> str:
        """``<title> — <categories> — <stage> — <date> (<link>)``, empty parts left out."""
        date = {"published": self.published, "updated": self.updated or self.published}.get(
            dates, ""
        )
        parts = [self.title or "(untitled)", ", ".join(self.categories), self.stage, date]
        return SEPARATOR.join(p for p in parts if p) + f" ({self.link or self.key})"


class FeedKind:
    """Watch an Atom or RSS feed for new entries."""

    name: ClassVar[str] = "feed"
    Options: ClassVar[type[BaseModel]] = FeedOptions

    def requests(self, source: Source) -> list[FetchRequest]:
        """Fetch the feed URL, accepting the feed and XML content types."""
        return [FetchRequest(url=source.url, accept=ACCEPT, content_types=FEED_TYPES)]

    def extract(self, source: Source, fetched: FetchResult) -> Document:
        """Parse the feed; one link block per entry, sorted by entry identity."""
        options = source.options if isinstance(source.options, FeedOptions) else FeedOptions()
        root = parse_xml(fetched.body, fetched.final_url)
        fmt, title, elements = feed_parts(root)
        entries = unique(
            entry
            for element in elements[: options.max_items]
            if (entry := read_entry(element, fmt, fetched.final_url)) is not None
        )
        if not elements:
            raise ContentMissing(
                f"the {fmt} feed has no entries; nothing is stored until it has some"
            )
        if not entries:
            raise ContentMissing(
                f"none of the {fmt} feed's {len(elements)} entries has an id or link"
            )
        dates = resolve_dates(options.dates, fmt)
        blocks = [Block(BlockKind.HEADING, "Entries", level=2)]
        blocks += [Block(BlockKind.LINK_LIST, e.line(dates)) for e in entries]
        return normalise_document(Document(title=title or source.name, blocks=tuple(blocks)))

    def discover(self, source: Source, fetched: FetchResult) -> list[Discovery]:
        """With ``follow``: entries' links, newest first, at most ``max_follow``, each once."""
        options = source.options
        if not isinstance(options, FeedOptions) or not options.follow:
            return []
        fmt, _, elements = feed_parts(parse_xml(fetched.body, fetched.final_url))
        entries = [
            entry
            for element in elements[: options.max_items]
            if (entry := read_entry(element, fmt, fetched.final_url)) is not None and entry.link
        ]
        found: dict[str, Discovery] = {}
        for entry in newest_first(entries):
            url = urldefrag(entry.link).url
            if urlsplit(url).scheme in ("http", "https"):
                found.setdefault(url, follow_discovery(url, entry, fetched.final_url))
        return list(found.values())[: options.max_follow]


def newest_first(entries: list[Entry]) -> list[Entry]:
    """Dated entries newest first (``updated``, else published), then undated, in feed order."""
    dated = [e for e in entries if _ISO_DATE.match(e.updated or e.published)]
    undated = [e for e in entries if not _ISO_DATE.match(e.updated or e.published)]
    return sorted(dated, key=lambda e: e.updated or e.published, reverse=True) + undated


def follow_discovery(url: str, entry: Entry, feed_url: str) -> Discovery:
    """``govuk`` for a GOV.UK link (or the local feed's own host), else ``html``."""
    host, feed_host = urlsplit(url).hostname, urlsplit(feed_url).hostname
    local = feed_host in LOCAL_HOSTS and host == feed_host
    kind = "govuk" if host == GOVUK_HOST or local else "html"
    return Discovery(url=url, kind=kind, name=entry.title or url, relation="follow")


# -- parsing ---------------------------------------------------------------------------------


def parse_xml(body: bytes, url: str) -> etree._Element:
    """Parse strictly (no entities, DTDs or network); a body that is not XML fails the check."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(body.lstrip(), parser, base_url=url)
    except etree.XMLSyntaxError as exc:
        raise ContentMissing(
            f"the feed is not well-formed XML ({exc.msg}); the body starts {snippet(body)}"
        ) from None


def snippet(body: bytes) -> str:
    """The start of a body, quoted, for error messages."""
    text = normalise_text(body[: SNIPPET * 4].decode("utf-8", "replace"))
    return repr(text[:SNIPPET] + ("…" if len(text) > SNIPPET else ""))


def feed_parts(root: etree._Element) -> tuple[FeedFormat, str, list[etree._Element]]:
    """The feed's format, title and entry elements; a document that is no feed fails."""
    qname = etree.QName(root)
    if qname.localname == "feed":
        ns = qname.namespace or ATOM_NS
        return "atom", text_construct(root.find(_q(ns, "title"))), root.findall(_q(ns, "entry"))
    if qname.localname == "rss":
        channel = root.find("channel")
        if channel is None:
            raise ContentMissing("the RSS document has no <channel>")
        return "rss", _text(channel.find("title")), channel.findall("item")
    if qname.localname == "RDF":
        channel = root.find(_q(RSS1_NS, "channel"))
        title = _text(channel.find(_q(RSS1_NS, "title"))) if channel is not None else ""
        return "rss", title, root.findall(_q(RSS1_NS, "item"))
    raise ContentMissing(
        f"not an Atom or RSS feed: the document's root element is <{qname.localname}>"
    )


def read_entry(element: etree._Element, fmt: FeedFormat, base: str) -> Entry | None:
    """One entry or item; ``None`` when it has neither an id nor a link."""
    entry = _atom_entry(element, base) if fmt == "atom" else _rss_item(element, base)
    return entry if entry.key else None


def _atom_entry(element: etree._Element, base: str) -> Entry:
    ns = etree.QName(element).namespace or ATOM_NS
    link = _atom_link(element, ns, base)
    categories = tuple(
        label
        for c in element.findall(_q(ns, "category"))
        if (label := normalise_text(c.get("label") or c.get("term") or ""))
    )
    return Entry(
        key=_text(element.find(_q(ns, "id"))) or link,
        title=text_construct(element.find(_q(ns, "title"))),
        link=link,
        categories=categories,
        published=display_date(_text(element.find(_q(ns, "published")))),
        updated=display_date(_text(element.find(_q(ns, "updated")))),
    )


def _atom_link(element: etree._Element, ns: str, base: str) -> str:
    for link in element.findall(_q(ns, "link")):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return urljoin(link.base or base, link.get("href", "").strip())
    return ""


def _rss_item(element: etree._Element, base: str) -> Entry:
    ns = etree.QName(element).namespace or ""  # "" for RSS 2.0, the RSS 1.0 namespace for RDF
    guid_element = element.find(_q(ns, "guid"))
    guid = _text(guid_element)
    link = _text(element.find(_q(ns, "link")))
    permalink = guid_element is not None and guid_element.get("isPermaLink") != "false"
    if not link and guid and permalink:
        link = guid  # an RSS guid is a permalink unless it says otherwise
    about = element.get(_q("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "about"), "")
    published = _text(element.find(_q(ns, "pubDate"))) or _text(element.find(_q(DC_NS, "date")))
    return Entry(
        key=guid or link or about,
        title=_text(element.find(_q(ns, "title"))),
        link=urljoin(base, link) if link else "",
        categories=tuple(t for c in element.findall(_q(ns, "category")) if (t := _text(c))),
        stage=next(
            (normalise_text(v) for k, v in element.attrib.items() if _local(k) == "stage"), ""
        ),
        published=display_date(published),
        updated=display_date(_text(element.find(_q(ATOM_NS, "updated")))),
    )


def unique(entries: Iterable[Entry]) -> list[Entry]:
    """Entries sorted by identity, the first of any duplicate kept."""
    seen: dict[str, Entry] = {}
    for entry in entries:
        seen.setdefault(entry.key, entry)
    return [seen[key] for key in sorted(seen)]


def resolve_dates(choice: DateChoice, fmt: FeedFormat) -> Literal["published", "updated", "none"]:
    """``auto`` → Atom's ``updated`` (significant changes only), RSS's publication date."""
    if choice == "auto":
        return "updated" if fmt == "atom" else "published"
    return choice


# -- small helpers ---------------------------------------------------------------------------


def display_date(value: str | None) -> str:
    """An ISO 8601 or RFC 822 timestamp as ``YYYY-MM-DD`` (the publisher's own date)."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).date().isoformat()
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return normalise_text(value)  # unreadable: shown as given


def text_construct(element: etree._Element | None) -> str:
    """The text of an Atom text construct (``type`` text, html or xhtml)."""
    if element is None:
        return ""
    if element.get("type") == "html":
        markup = element.text or ""
        if not markup.strip():
            return ""
        return normalise_text(
            lxml.html.fragment_fromstring(markup, create_parent="div").text_content()
        )
    return _text(element)


def _text(element: etree._Element | None) -> str:
    return normalise_text("".join(element.itertext())) if element is not None else ""


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}" if ns else name


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]
