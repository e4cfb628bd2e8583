"""Turn a fetched page into a :class:`~monitor.document.Document` of headed blocks.

Two entry points:

* :func:`extract_html` for any HTML page (with a ``govuk`` profile that knows GOV.UK's
  page furniture and metadata components);
* :func:`extract_govuk_content` for a GOV.UK Content API item (``/api/content/<path>``).

Both walk HTML with the same block walker, so a page fetched as HTML and the same page fetched
from the API produce comparable blocks.

Performance: this is the hot path of every check. It uses lxml directly, not BeautifulSoup:
the budget is about 2 ms of CPU for a 70 KB page, and building a BeautifulSoup tree of the same
page costs about 13 ms on its own. BeautifulSoup's ``UnicodeDammit`` is still used, but only to
guess the encoding of the rare page that declares none and is not valid UTF-8.

Link lists: a ``<ul>``/``<ol>`` whose every item is nothing but one link becomes one
``LINK_LIST`` block per link, ``"Link text (href)"`` (href resolved against ``url``; same-page
``#fragment`` links give just the text). Such lists are "see also" or document lists, where
*which* page is linked is the content. Everywhere else links contribute only their text, so
markup-only changes (attributes, tracking parameters) never change a block.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urljoin

import lxml.html
from bs4 import UnicodeDammit
from lxml import etree
from lxml.cssselect import CSSSelector

from monitor.document import Block, BlockKind, Document, Metadata
from monitor.normalise import normalise_document, normalise_text

Profile = Literal["generic", "govuk"]
Element = Any  # lxml ships no type stubs; lxml.html.HtmlElement at runtime

EMPTY_DOCUMENT = Document(title="", blocks=())

# --- what to throw away --------------------------------------------------------------------
# Never visible text. Removed from the whole tree, whatever the profile.
_JUNK_TAGS = (
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed",
    "canvas", "input", "button", "select", "textarea", "option", "datalist",
)  # fmt: skip
# ``hidden="until-found"`` is searchable collapsed content (GOV.UK accordions): keep it.
_JUNK_CSS = ('[hidden]:not([hidden="until-found"])', '[aria-hidden="true"]')
# Site furniture that is never document content. ``header``/``footer`` only count as noise
# outside the main content (an article's own <header> holds its h1). Cookie banners are matched
# by banner-like names, not by ``[id*=cookie]``, which would also drop headings such as
# ``<h2 id="how-we-use-cookies">`` on cookie policy pages.
UNIVERSAL_NOISE: tuple[str, ...] = (
    "nav", "[role=navigation]", "[role=banner]", "[role=contentinfo]", "[role=search]",
    "header", "footer", ".govuk-header", ".govuk-footer", ".govuk-skip-link", ".skip-link",
    "[class*=breadcrumb]", "[id*=breadcrumb]", "[id^=onetrust]", "[id*=CybotCookiebot]",
    "[id*=cookie-banner]", "[id*=cookie-consent]", "[id*=cookie-message]", "[id*=cookie-notice]",
    "[id*=cookie-bar]", "[id*=cookiebanner]", "[id*=cookieconsent]", "[class*=cookie-banner]",
    "[class*=cookie-consent]", "[class*=cookie-message]", "[class*=cookie-notice]",
    "[class*=cookie-bar]", "[class*=cookiebanner]", "[class*=cookieconsent]",
)  # fmt: skip
# GOV.UK furniture inside main#content (DATA-SOURCES.md section 4), current and old markup.
GOVUK_NOISE: tuple[str, ...] = (
    "#global-cookie-message", ".gem-c-cookie-banner", ".gem-c-feedback", "#feedback",
    ".gem-c-contextual-sidebar", ".gem-c-related-navigation", ".gem-c-contextual-footer",
    ".gem-c-contextual-breadcrumbs", ".gem-c-breadcrumbs", ".gem-c-step-nav-header",
    ".gem-c-single-page-notification-button", ".gem-c-print-link", ".gem-c-back-to-top-link",
    ".app-c-back-to-top", ".gem-c-layout-super-navigation-header", ".gem-c-layout-header",
    ".gem-c-layout-footer", ".gem-c-emergency-banner", ".gem-c-global-banner",
    ".gem-c-phase-banner", ".gem-c-intervention", "[class*=recruitment-banner]",
    ".gem-c-contents-list", ".app-c-contents-list", ".app-c-print-link", ".gem-c-share-links",
    ".app-c-related-navigation", ".print-meta-data", ".gem-c-published-dates__toggle",
    ".app-c-published-dates__toggle", ".gem-c-metadata__definition-link",
)  # fmt: skip
_ATTACHMENT_CSS = ".gem-c-attachment, section.attachment"
_ATTACHMENT_TITLE_CSS = ".gem-c-attachment__title, .title"
_ATTACHMENT_META_CSS = (
    ".gem-c-attachment__metadata--compact, .gem-c-attachment__attribute, p.metadata"
)
_MAIN_CANDIDATES = ("main#content", "main", "[role=main]", "article")
_CONTENT_TAGS = frozenset({"main", "article"})
_TITLE_SUFFIX = re.compile(r"\s+[-–—|]\s+GOV\.UK$")

# --- how tags map to blocks ----------------------------------------------------------------
_HEADING_LEVEL = {f"h{n}": n for n in range(1, 7)}
_PARAGRAPH_TAGS = frozenset(
    {"p", "dt", "dd", "figcaption", "caption", "pre", "address", "summary", "legend"}
)
_LIST_TAGS = frozenset({"ul", "ol", "menu"})
# Containers: their loose text becomes a paragraph, flushed at their start and end.
_CONTAINER_TAGS = frozenset({"html", "body", "div", "section", "article", "main", "aside",
                             "header", "footer", "nav", "blockquote", "figure", "details", "dl",
                             "form", "fieldset", "table", "thead", "tbody", "tfoot", "center",
                             "hgroup", "search", "hr"})  # fmt: skip
# Tags whose boundaries separate words when an element's text is flattened.
_SPACED_TAGS = (
    _CONTAINER_TAGS
    | _PARAGRAPH_TAGS
    | _LIST_TAGS
    | set(_HEADING_LEVEL)
    | {"br", "li", "tr", "td", "th", "img"}
)

# Charset declaration in the first 1 KB (where the HTML spec's prescan looks).
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@lru_cache(maxsize=256)
def _css(selector: str) -> CSSSelector:
    """Compile ``selector`` once (compiling costs far more than matching)."""
    return CSSSelector(selector, translator="html")


# --- parsing -------------------------------------------------------------------------------
def _declared_charset(head: bytes) -> str | None:
    """The encoding a BOM or ``<meta charset>`` declares, if Python knows it."""
    if head.startswith(_BOMS):
        return "bom"
    match = _META_CHARSET.search(head)
    if not match:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None


def _decodes(body: bytes, encoding: str) -> bool:
    """True when ``body`` is valid in ``encoding`` (a BOM always counts as valid)."""
    if encoding == "bom":
        return True
    try:
        body.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _guess_text(body: bytes) -> str:
    """Decode a page with no usable declaration that is not UTF-8 (bs4's guesser)."""
    text = UnicodeDammit(body, is_html=True).unicode_markup
    text = text if text is not None else body.decode("utf-8", "replace")
    return _XML_DECLARATION.sub("", text)  # lxml rejects str input with an XML declaration


def _parse(body: bytes | str) -> Element | None:
    """Parse a page; ``None`` when there is nothing to parse."""
    try:
        if isinstance(body, str):
            return lxml.html.document_fromstring(_XML_DECLARATION.sub("", body))
        declared = _declared_charset(body[:1024])
        if declared and _decodes(body, declared):
            return lxml.html.document_fromstring(body)  # lxml honours the declaration
        if _decodes(body, "utf-8"):
            return lxml.html.document_fromstring(body, parser=_UTF8_PARSER)
        return lxml.html.document_fromstring(_guess_text(body))
    except (etree.ParserError, ValueError):  # empty document, or nothing but comments
        return None


# --- cleaning and finding the content ------------------------------------------------------
def _remove_junk(root: Element, ignore: Sequence[str]) -> None:
    """Drop invisible elements, comments, processing instructions and ``ignore`` matches."""
    etree.strip_elements(root, *_JUNK_TAGS, with_tail=False)
    etree.strip_tags(root, etree.Comment, etree.ProcessingInstruction)
    for el in _css(", ".join((*_JUNK_CSS, *ignore)))(root):
        el.drop_tree()


def _noise_css(profile: Profile) -> str:
    """One selector matching all the noise of ``profile``."""
    return ", ".join(UNIVERSAL_NOISE + (GOVUK_NOISE if profile == "govuk" else ()))


def _is_protected(el: Element, roots: frozenset[Element]) -> bool:
    """True for a header/footer that belongs to the content, not to the site."""
    if el.tag not in ("header", "footer"):
        return False
    return any(a.tag in _CONTENT_TAGS or a in roots for a in el.iterancestors())


def _remove_noise(scope: Element, css: str, roots: frozenset[Element] = frozenset()) -> None:
    """Drop noise elements inside ``scope`` (never ``scope`` itself)."""
    for el in _css(css)(scope):
        if el is not scope and not _is_protected(el, roots):
            el.drop_tree()


def _outermost(elements: list[Element]) -> list[Element]:
    """Drop elements nested inside another element of the list (keeps document order)."""
    chosen = set(elements)
    return [el for el in elements if not any(a in chosen for a in el.iterancestors())]


def _selected_roots(root: Element, select: Sequence[str], noise: str) -> list[Element]:
    """The union of ``select`` matches in document order, with their noise removed."""
    roots = _outermost(_css(", ".join(select))(root))
    for el in roots:
        _remove_noise(el, noise, frozenset(roots))
    return roots


def _link_density(el: Element) -> float:
    """Share of ``el``'s text that sits inside links."""
    total = len(el.text_content()) or 1
    return sum(len(a.text_content()) for a in el.iter("a")) / total


def _densest(body: Element) -> Element:
    """Readability-style guess: the element whose paragraphs hold the most non-link text."""
    scores: dict[Element, float] = {}
    for p in body.iter("p", "pre"):
        length = len(p.text_content().strip())
        parent = p.getparent()
        if length < 25 or parent is None:  # 25: too short to be body text
            continue
        scores[parent] = scores.get(parent, 0) + length
        if (grand := parent.getparent()) is not None:
            scores[grand] = scores.get(grand, 0) + length / 2
    if not scores:
        return body
    return max(scores, key=lambda el: scores[el] * (1 - _link_density(el)))


def _main_roots(root: Element, noise: str) -> list[Element]:
    """The main content: a main/article landmark, else the densest text block."""
    _remove_noise(root, noise)
    body = root.find("body")
    if body is None:
        return []
    for selector in _MAIN_CANDIDATES:
        if found := _css(selector)(root):
            return [found[0]]
    return [_densest(body)]


# --- flattening text -----------------------------------------------------------------------
def _collect(el: Element, parts: list[str]) -> None:
    """Append the text under ``el`` to ``parts``, spacing at block and <br> boundaries."""
    if el.text:
        parts.append(el.text)
    for child in el:
        spaced = child.tag in _SPACED_TAGS
        if spaced:
            parts.append(" ")
        _collect(child, parts)
        if spaced:
            parts.append(" ")
        if child.tail:
            parts.append(child.tail)


def _text(el: Element) -> str:
    """All text under ``el``, words at element boundaries kept apart."""
    parts: list[str] = []
    _collect(el, parts)
    return "".join(parts)


def _texts(scope: Element, css: str) -> list[str]:
    """Normalised, non-empty texts of the ``css`` matches under ``scope``."""
    return [t for el in _css(css)(scope) if (t := normalise_text(_text(el)))]


# --- the block walker ----------------------------------------------------------------------
class _Walker:
    """Walk elements in document order, emitting blocks."""

    def __init__(self, url: str, attachments: Iterable[Element] = ()) -> None:
        self.url = url
        self.attachments = set(attachments)
        self.blocks: list[Block] = []
        self.pending: list[str] = []  # loose text of the enclosing container

    def emit(self, kind: BlockKind, text: str, level: int = 0) -> None:
        """Close any pending paragraph, then add a block."""
        self.flush()
        self.blocks.append(Block(kind, text, level))

    def flush(self) -> None:
        """Turn pending loose text into a paragraph."""
        text = "".join(self.pending)
        self.pending.clear()
        if not text.isspace() and text:
            self.blocks.append(Block(BlockKind.PARAGRAPH, text))

    def walk(self, el: Element) -> None:
        """Emit the blocks of ``el``, then keep its tail as loose text."""
        self.visit(el)
        if el.tail:
            self.pending.append(el.tail)

    def visit(self, el: Element) -> None:
        """Dispatch on what ``el`` is."""
        tag = el.tag
        if el in self.attachments:
            self.attachment(el)
        elif tag in _HEADING_LEVEL:
            self.emit(BlockKind.HEADING, _text(el), _HEADING_LEVEL[tag])
        elif tag in _PARAGRAPH_TAGS:
            self.emit(BlockKind.PARAGRAPH, _text(el))
        elif tag in _LIST_TAGS:
            self.listing(el)
        elif tag == "li":
            self.item(el)
        elif tag == "tr":
            self.row(el)
        else:
            self.container(el)

    def container(self, el: Element) -> None:
        """Walk children; loose text joins the pending paragraph."""
        boundary = el.tag in _CONTAINER_TAGS
        if boundary:
            self.flush()
        elif el.tag == "br":
            self.pending.append(" ")
        if el.text:
            self.pending.append(el.text)
        for child in el:
            self.walk(child)
        if boundary:
            self.flush()

    def listing(self, el: Element) -> None:
        """A list of bare links becomes link blocks; any other list, list items."""
        items = [child for child in el if child.tag == "li"]
        links = [_sole_link(li) for li in items]
        if not items or any(link is None for link in links):
            self.container(el)
            return
        for link in links:
            self.emit(BlockKind.LINK_LIST, self.link_text(link))

    def item(self, li: Element) -> None:
        """A list item's own text, then any lists nested in it."""
        parts, nested = [li.text or ""], []
        for child in li:
            if child.tag in _LIST_TAGS or child.tag == "table":
                nested.append(child)
            else:
                parts += [" ", _text(child), " "]
            parts.append(child.tail or "")
        self.emit(BlockKind.LIST_ITEM, "".join(parts))
        for child in nested:
            self.visit(child)

    def row(self, tr: Element) -> None:
        """A table row: its cells joined with `` | ``."""
        cells = [normalise_text(_text(c)) for c in tr if c.tag in ("td", "th")]
        if any(cells):
            self.emit(BlockKind.TABLE_ROW, " | ".join(cells))

    def attachment(self, el: Element) -> None:
        """A GOV.UK attachment: its title and metadata (type, size, pages) in one block."""
        titles = _texts(el, _ATTACHMENT_TITLE_CSS) or [normalise_text(_text(el))]
        meta = ", ".join(_texts(el, _ATTACHMENT_META_CSS))
        self.emit(BlockKind.PARAGRAPH, f"Attachment: {titles[0]}" + (f" ({meta})" if meta else ""))

    def link_text(self, a: Element) -> str:
        """``"text (href)"``, the href resolved; same-page links give just the text."""
        text, href = _text(a), (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:")):
            return text
        return f"{text} ({urljoin(self.url, href) if self.url else href})"


def _sole_link(li: Element) -> Element | None:
    """The one link that makes up all of ``li``'s text, if there is one."""
    links = li.findall(".//a")
    if len(links) != 1 or links[0].get("href") is None:
        return None
    if any(True for _ in li.iter(*_LIST_TAGS)):
        return None
    return links[0] if _text(li).split() == _text(links[0]).split() else None


def _walk(roots: Iterable[Element], url: str = "") -> list[Block]:
    """Blocks of each root in turn."""
    blocks: list[Block] = []
    for root in roots:
        walker = _Walker(url, _css(_ATTACHMENT_CSS)(root))
        walker.visit(root)
        walker.flush()
        blocks += walker.blocks
    return blocks


# --- title and GOV.UK page metadata --------------------------------------------------------
def _title(root: Element, roots: list[Element]) -> str:
    """``<title>`` without the `` - GOV.UK`` suffix, else the first h1."""
    title = normalise_text(root.findtext(".//title") or "")
    if title:
        return _TITLE_SUFFIX.sub("", title)
    for scope in (*roots, root):
        if (h1 := next(scope.iter("h1"), None)) is not None:
            return _text(h1)
    return ""


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december")  # fmt: skip
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_HUMAN_DATE = re.compile(r"\b(\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4})\b", re.I)


def _iso_date(text: str) -> str | None:
    """``"3 April 2020"`` (anywhere in ``text``) as ``"2020-04-03"``."""
    if not (m := _HUMAN_DATE.search(text)):
        return None
    return f"{m.group(3)}-{_MONTHS[m.group(2).lower()]:02d}-{int(m.group(1)):02d}"


def _timestamp_key(stamp: str) -> datetime:
    """Sort key for an ISO 8601 timestamp; unparseable ones sort first."""
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _sorted_history(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(timestamp, note)`` pairs, oldest first."""
    return sorted(pairs, key=lambda pair: _timestamp_key(pair[0]))


def _html_history(root: Element) -> list[tuple[str, str]]:
    """The change history of a GOV.UK page (``published-dates`` component), oldest first."""
    pairs = []
    css = ".gem-c-published-dates__change-item, .app-c-published-dates__change-item"
    for item in _css(css)(root):
        times = _css("time[datetime]")(item)
        stamp = times[0].get("datetime") if times else ""
        note = _texts(item, "[class*=published-dates__change-note]")
        pairs.append((stamp.strip(), note[0] if note else ""))
    return _sorted_history(pairs)


def _metadata_terms(root: Element) -> dict[str, str]:
    """The ``.gem-c-metadata`` list as ``{"published": "3 April 2020", ...}``."""
    terms = {}
    for dt in _css(".gem-c-metadata dt")(root):
        dd = dt.getnext()
        if dd is not None and dd.tag == "dd":
            terms[normalise_text(_text(dt)).rstrip(":").lower()] = normalise_text(_text(dd))
    return terms


def _stated_dates(root: Element) -> tuple[str | None, str | None]:
    """(published, updated) as ISO dates, from the words on the page."""
    terms = _metadata_terms(root)
    published = _iso_date(terms.get("published", ""))
    updated = _iso_date(terms.get("last updated", ""))
    for text in _texts(root, ".gem-c-published-dates, .app-c-published-dates"):
        published = published or _iso_date(text.partition("Published")[2])
        updated = updated or _iso_date(text.partition("Last updated")[2])
    for text in _texts(root, ".publication-header__last-changed, .gem-c-inverse-header__subtext"):
        updated = updated or _iso_date(text)
    return published, updated


def _withdrawn_notice(root: Element) -> str | None:
    """Text of the withdrawal notice, if the page has one."""
    notices = _texts(root, ".gem-c-notice, .app-c-notice, .withdrawal-notice")
    return next((n for n in notices if "withdrawn" in n.lower()), None)


def _govuk_metadata(root: Element) -> Metadata:
    """Dates, change note, withdrawal and document type from GOV.UK page components."""
    history = _html_history(root)
    published, updated = _stated_dates(root)
    doc_type = _texts(root, ".gem-c-title__context")
    return Metadata(
        published=history[0][0] if history else published,
        updated=history[-1][0] if history else updated,
        change_note=history[-1][1] if history else None,
        document_type=doc_type[0] if doc_type else None,
        withdrawn=_withdrawn_notice(root),
        extra=tuple(("change_history", f"{stamp}: {note}") for stamp, note in history),
    )


# --- public API ----------------------------------------------------------------------------
def extract_html(
    body: bytes,
    *,
    url: str = "",
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    profile: Profile = "generic",
) -> Document:
    """Extract the main content of an HTML page as a normalised :class:`Document`.

    ``select``: CSS selectors whose matches (in document order) are the content, instead of
    the automatic main-content guess. ``ignore``: CSS selectors to drop first. ``url``
    resolves relative links in link lists.
    """
    root = _parse(body)
    if root is None:
        return EMPTY_DOCUMENT
    _remove_junk(root, ignore)
    metadata = _govuk_metadata(root) if profile == "govuk" else Metadata()
    noise = _noise_css(profile)
    roots = _selected_roots(root, select, noise) if select else _main_roots(root, noise)
    document = Document(_title(root, roots), tuple(_walk(roots, url)), metadata)
    return normalise_document(document)


def _fragment_blocks(html: str | None) -> list[Block]:
    """Blocks of an HTML fragment such as a Content API ``details.body``."""
    root = _parse(html) if html and html.strip() else None
    if root is None:
        return []
    _remove_junk(root, ())
    body = root.find("body")
    return _walk([body] if body is not None else [])


def _html_text(html: str | None) -> str:
    """The visible text of an HTML fragment, on one line."""
    return normalise_text(" ".join(b.text for b in _fragment_blocks(html)))


def _body_html(body: Any) -> str | None:
    """A body given as HTML, or as a list of ``{content_type, content}`` alternatives."""
    if isinstance(body, str):
        return body
    if isinstance(body, list):
        html = [b.get("content") for b in body if b.get("content_type") == "text/html"]
        return html[0] if html else None
    return None


def _attachment_block(att: Mapping[str, Any]) -> Block:
    """``"Attachment: <title> (<type>, <size> bytes)"``."""
    facts = [str(att.get("content_type") or att.get("attachment_type") or "")]
    if att.get("file_size") is not None:
        facts.append(f"{att['file_size']} bytes")
    described = ", ".join(f for f in facts if f)
    text = f"Attachment: {att.get('title') or att.get('filename') or ''}"
    return Block(BlockKind.PARAGRAPH, f"{text} ({described})" if described else text)


def _parts_blocks(parts: Iterable[Mapping[str, Any]]) -> list[Block]:
    """Each part of a multi-part item: its title as a heading, then its body."""
    blocks: list[Block] = []
    for part in parts:
        blocks.append(Block(BlockKind.HEADING, str(part.get("title") or ""), 2))
        blocks += _fragment_blocks(_body_html(part.get("body")))
    return blocks


def _collection_blocks(data: Mapping[str, Any]) -> list[Block]:
    """A document collection's groups: heading, body and one link block per document."""
    linked = {d.get("content_id"): d for d in (data.get("links") or {}).get("documents") or []}
    blocks: list[Block] = []
    for group in (data.get("details") or {}).get("collection_groups") or []:
        blocks.append(Block(BlockKind.HEADING, str(group.get("title") or ""), 2))
        blocks += _fragment_blocks(_body_html(group.get("body")))
        for doc in (linked.get(cid) for cid in group.get("documents") or []):
            if doc:
                text = f"{doc.get('title', '')} ({doc.get('base_path', '')})"
                blocks.append(Block(BlockKind.LINK_LIST, text))
    return blocks


# Scalar ``details`` fields worth a line of their own (statistics announcements, consultations).
_DETAIL_FIELDS = (
    ("display_date", "Release date"),
    ("previous_display_date", "Previous release date"),
    ("state", "State"),
    ("opening_date", "Opens"),
    ("closing_date", "Closes"),
)


def _detail_blocks(details: Mapping[str, Any]) -> list[Block]:
    """One ``"Label: value"`` paragraph per scalar detail field present."""
    return [
        Block(BlockKind.PARAGRAPH, f"{label}: {details[key]}")
        for key, label in _DETAIL_FIELDS
        if isinstance(details.get(key), str)
    ]


def _api_history(details: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``details.change_history`` as ``(public_timestamp, note)`` pairs, oldest first."""
    items = details.get("change_history") or []
    return _sorted_history(
        (str(i.get("public_timestamp", "")), str(i.get("note", ""))) for i in items
    )


def _api_withdrawn(data: Mapping[str, Any]) -> str | None:
    """``"<explanation> (withdrawn at <withdrawn_at>)"`` for a withdrawn item."""
    notice = data.get("withdrawn_notice") or {}
    if not notice:
        return None
    explanation = _html_text(notice.get("explanation")) or "Withdrawn"
    at = notice.get("withdrawn_at")
    return f"{explanation} (withdrawn at {at})" if at else explanation


def _api_metadata(data: Mapping[str, Any], withdrawn: str | None) -> Metadata:
    """Dates, type, change note and change history; never the noisy fields."""
    details = data.get("details") or {}
    history = _api_history(details)
    notes = (history[-1][1] if history else None, details.get("change_note"),
             data.get("change_note"), details.get("latest_change_note"))  # fmt: skip
    return Metadata(
        published=data.get("first_published_at") or details.get("first_public_at"),
        updated=data.get("public_updated_at"),
        change_note=next((n for n in notes if n), None),
        document_type=data.get("document_type"),
        withdrawn=withdrawn,
        extra=tuple(("change_history", f"{stamp}: {n}") for stamp, n in history),
    )


def _api_blocks(data: Mapping[str, Any], withdrawn: str | None) -> list[Block]:
    """Withdrawal, description, body, parts, collections, documents, attachments, details."""
    details = data.get("details") or {}
    blocks = [Block(BlockKind.PARAGRAPH, f"Withdrawn: {withdrawn}")] if withdrawn else []
    blocks.append(Block(BlockKind.PARAGRAPH, str(data.get("description") or "")))
    blocks += _fragment_blocks(_body_html(details.get("body")))
    blocks += _parts_blocks(details.get("parts") or [])
    blocks += _collection_blocks(data)
    for html in details.get("documents") or []:
        blocks += _fragment_blocks(_body_html(html))
    blocks += [_attachment_block(a) for a in details.get("attachments") or []]
    return blocks + _detail_blocks(details)


def extract_govuk_content(data: Mapping[str, Any]) -> Document:
    """Build a normalised :class:`Document` from a GOV.UK Content API item.

    Deliberately ignores ``updated_at``, ``publishing_request_id`` and the links'
    ``public_updated_at``: they move without any visible change (DATA-SOURCES.md 1.2).
    """
    withdrawn = _api_withdrawn(data)
    document = Document(
        title=str(data.get("title") or ""),
        blocks=tuple(_api_blocks(data, withdrawn)),
        metadata=_api_metadata(data, withdrawn),
    )
    return normalise_document(document)


__all__ = ["GOVUK_NOISE", "UNIVERSAL_NOISE", "Profile", "extract_govuk_content", "extract_html"]
