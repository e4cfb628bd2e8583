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

Links: a list item that is nothing but one link becomes a ``LINK_LIST`` block,
``"Link text (href)"`` (href resolved against ``url``; same-page ``#fragment`` links give just
the text). Such items are "see also" or document lists, where *which* page is linked is the
content. The decision is per item, not per list, so editing one item never changes the kind
of its siblings. Everywhere else links contribute only their text, so markup-only changes
(attributes, tracking parameters) never change a block.
"""

from __future__ import annotations

import codecs
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from monitor.document import Block, BlockKind, Document, Metadata
from monitor.normalise import normalise_document, normalise_text

Profile = Literal["generic", "govuk"]
Element = Any  # lxml ships no type stubs; lxml.etree._Element at runtime
ClassIndex = dict[str, list[Any]]  # class name -> elements carrying it, in document order

EMPTY_DOCUMENT = Document(title="", blocks=())

# --- what to throw away --------------------------------------------------------------------
# Never visible text. Removed from the whole tree, whatever the profile.
_JUNK_TAGS = (
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed",
    "canvas", "input", "button", "select", "textarea", "option", "datalist",
)  # fmt: skip
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
# GOV.UK furniture (DATA-SOURCES.md section 4), current gem-c-* and older app-c-* markup.
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
_ATTACHMENT_TITLE_CSS = ".gem-c-attachment__title, .title"
_ATTACHMENT_META_CSS = (
    ".gem-c-attachment__metadata--compact, .gem-c-attachment__attribute, p.metadata"
)
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
                             "hgroup", "search", "hr", "ul", "ol", "menu"})  # fmt: skip
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
_PARSERS = threading.local()
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Declared labels that browsers read as another encoding (WHATWG Encoding Standard). Old pages
# that say iso-8859-1 are full of windows-1252 curly quotes, which libxml2 would turn into
# C1 control characters; a UTF-16 label on ASCII-compatible bytes can only be wrong.
_BROWSER_READS_AS = {"iso8859-1": "cp1252", "ascii": "cp1252", "utf-16": "utf-8",
                     "utf-16-le": "utf-8", "utf-16-be": "utf-8", "utf-32": "utf-8"}  # fmt: skip


@lru_cache(maxsize=256)
def _css(selector: str) -> CSSSelector:
    """Compile ``selector`` once (compiling costs far more than matching)."""
    return CSSSelector(selector, translator="html")


_SIMPLE_SELECTOR = re.compile(
    r"^(?P<tag>[a-z][a-z0-9]*)$|^\.(?P<cls>[\w-]+)$|^#(?P<id>[\w-]+)$"
    r"|^\[(?P<attr>[\w-]+)(?:(?P<op>[*^]?=)(?P<val>[\w-]+))?\]$"
)


@dataclass(frozen=True)
class _Matcher:
    """Simple selectors (``tag``, ``.class``, ``#id``, ``[attr]``, ``[attr=v]``, ``[attr*=v]``,
    ``[attr^=v]``) tested together: tags and classes by set lookup, attributes by one regex each.

    Why not one ``CSSSelector("a, b, ...")``: libxml2 walks the tree once per selector and its
    XPath string functions are slow, so 60 noise selectors cost ~6 ms on a 70 KB page; this
    costs a few tenths of a millisecond inside a walk we make anyway.
    """

    tags: frozenset[str]
    classes: frozenset[str]
    attrs: tuple[tuple[str, re.Pattern[str]], ...]

    @classmethod
    def compile(cls, selectors: Iterable[str]) -> _Matcher:
        """Compile ``selectors``; raise ValueError for anything but a simple selector."""
        tags: set[str] = set()
        classes: set[str] = set()
        attrs: defaultdict[str, list[str]] = defaultdict(list)
        for selector in selectors:
            if not (m := _SIMPLE_SELECTOR.match(selector)):
                raise ValueError(f"not a simple selector: {selector!r}")
            if m["tag"] or m["cls"]:
                (tags if m["tag"] else classes).add(m["tag"] or m["cls"])
            else:
                attr, op, value = ("id", "=", m["id"]) if m["id"] else m.group("attr", "op", "val")
                attrs[attr].append(_ATTR_PATTERNS[op or ""].format(re.escape(value or "")))
        patterns = tuple((a, re.compile("|".join(p))) for a, p in attrs.items())
        return cls(frozenset(tags), frozenset(classes), patterns)

    def __call__(self, el: Element, classes: list[str]) -> bool:
        """True when ``el`` (whose class attribute splits into ``classes``) matches."""
        if el.tag in self.tags or not self.classes.isdisjoint(classes):
            return True
        for attr, pattern in self.attrs:
            value = el.get(attr)
            if value is not None and pattern.search(value):
                return True
        return False


# How each attribute operator becomes a regex alternative.
_ATTR_PATTERNS = {"": "", "=": r"\A{}\Z", "*=": "{}", "^=": r"\A{}"}


@lru_cache(maxsize=4)
def _noise(profile: Profile) -> _Matcher:
    """The noise matcher of ``profile``."""
    return _Matcher.compile(UNIVERSAL_NOISE + (GOVUK_NOISE if profile == "govuk" else ()))


# --- parsing -------------------------------------------------------------------------------
def _parser(encoding: str | None = None) -> etree.HTMLParser:
    """This thread's HTML parser for ``encoding`` (``None``: as the document declares).

    Plain etree parsers, not lxml.html's: lxml.html looks up a Python element class for every
    element proxy it creates, which costs ~10% of extraction and buys nothing here. One per
    thread, because a shared lxml parser serialises concurrent parses on a lock.
    """
    cache: dict[str | None, etree.HTMLParser] = _PARSERS.__dict__.setdefault("by_encoding", {})
    if encoding not in cache:
        cache[encoding] = etree.HTMLParser(encoding=encoding)
    return cache[encoding]


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
    """Decode a page whose declaration is missing or wrong and that is not UTF-8.

    bs4's UnicodeDammit tries any declared encoding (meta or XML declaration) and then, like
    an English-locale browser, windows-1252. Statistical guessing is not reached: on short
    pages it confuses windows-1252 with windows-1250 (``crèche`` -> ``crčche``), and a guess
    that changes between fetches would show up as a change.
    """
    from bs4 import UnicodeDammit  # imported on first use: most pages never need it

    text = UnicodeDammit(body, user_encodings=["windows-1252"], is_html=True).unicode_markup
    text = text if text is not None else body.decode("utf-8", "replace")
    return _XML_DECLARATION.sub("", text)  # lxml rejects str input with an XML declaration


def _decode(body: bytes, encoding: str) -> str:
    """``body`` decoded as ``encoding``, or as guessed if it is not valid in it."""
    try:
        return body.decode(encoding)
    except UnicodeDecodeError:
        return _guess_text(body)


def _parse(body: bytes | str) -> Element | None:
    """Parse a page; ``None`` when there is nothing to parse."""
    try:
        if isinstance(body, str):
            return lxml.html.document_fromstring(_XML_DECLARATION.sub("", body), _parser())
        declared = _declared_charset(body[:1024])
        if declared in _BROWSER_READS_AS:
            text = _XML_DECLARATION.sub("", _decode(body, _BROWSER_READS_AS[declared]))
            return lxml.html.document_fromstring(text, _parser())
        if declared and _decodes(body, declared):
            return lxml.html.document_fromstring(body, _parser())  # lxml reads the declaration
        if _decodes(body, "utf-8"):
            return lxml.html.document_fromstring(body, _parser("utf-8"))
        return lxml.html.document_fromstring(_guess_text(body), _parser())
    except (etree.ParserError, ValueError):  # empty document, or nothing but comments
        return None


# --- cleaning and finding the content ------------------------------------------------------
def _is_hidden(el: Element) -> bool:
    """``hidden`` (but not ``hidden="until-found"``, searchable accordions) or aria-hidden."""
    return el.get("hidden", "until-found") != "until-found" or el.get("aria-hidden") == "true"


def _drop_tree(el: Element) -> None:
    """Remove ``el`` and its children, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


def _strip_junk(root: Element, ignore: Sequence[str]) -> None:
    """Drop never-visible elements, comments, processing instructions and ``ignore`` matches."""
    etree.strip_elements(root, *_JUNK_TAGS, with_tail=False)
    etree.strip_tags(root, etree.Comment, etree.ProcessingInstruction)
    for el in _css(", ".join(ignore))(root) if ignore else ():
        _drop_tree(el)


def _clean(scope: Element, noise: _Matcher | None = None) -> ClassIndex:
    """Drop hidden elements and (if given) ``noise`` inside ``scope``; index what is left.

    One pass does both: the index (class name -> elements) makes finding GOV.UK components
    later a dict lookup instead of another walk of the tree.
    """
    doomed, index = [], defaultdict(list)
    for el in scope.iter():
        classes = (el.get("class") or "").split()
        if el is not scope and (
            _is_hidden(el) or (noise is not None and _is_noise(el, classes, noise))
        ):
            doomed.append(el)
            continue  # its descendants still get indexed, harmlessly: they are never walked
        for name in classes:
            index[name].append(el)
    for el in doomed:
        _drop_tree(el)
    return index


def _is_noise(
    el: Element, classes: list[str], noise: _Matcher, roots: frozenset[Element] = frozenset()
) -> bool:
    """True for site furniture; a header/footer of the content itself is not furniture."""
    return noise(el, classes) and not _is_protected(el, roots)


def _is_protected(el: Element, roots: frozenset[Element]) -> bool:
    """True for a header/footer that belongs to the content, not to the site."""
    if el.tag not in ("header", "footer"):
        return False
    return any(a.tag in _CONTENT_TAGS or a in roots for a in el.iterancestors())


def _remove_noise(scope: Element, noise: _Matcher, roots: frozenset[Element]) -> None:
    """Drop noise elements inside ``scope`` (never ``scope`` itself)."""
    for el in [
        el
        for el in scope.iterdescendants()
        if _is_noise(el, (el.get("class") or "").split(), noise, roots)
    ]:
        _drop_tree(el)


def _outermost(elements: list[Element]) -> list[Element]:
    """Drop elements nested inside another element of the list (keeps document order)."""
    chosen = set(elements)
    return [el for el in elements if not any(a in chosen for a in el.iterancestors())]


def _selected_roots(root: Element, select: Sequence[str], noise: _Matcher) -> list[Element]:
    """The union of ``select`` matches in document order, with their noise removed."""
    roots = _outermost(_css(", ".join(select))(root))
    for el in roots:
        _remove_noise(el, noise, frozenset(roots))
    return roots


def _text_length(el: Element) -> int:
    """Characters of text under ``el`` (whitespace included; used for scoring only)."""
    return sum(len(t) for t in el.itertext())


def _link_density(el: Element) -> float:
    """Share of ``el``'s text that sits inside links."""
    return sum(_text_length(a) for a in el.iter("a")) / (_text_length(el) or 1)


def _densest(body: Element) -> Element:
    """Readability-style guess: the element whose paragraphs hold the most non-link text."""
    scores: dict[Element, float] = {}
    for p in body.iter("p", "pre"):
        length = len(normalise_text("".join(p.itertext())))
        parent = p.getparent()
        if length < 25 or parent is None:  # 25: too short to be body text
            continue
        scores[parent] = scores.get(parent, 0) + length
        if (grand := parent.getparent()) is not None:
            scores[grand] = scores.get(grand, 0) + length / 2
    if not scores:
        return body
    return max(scores, key=lambda el: scores[el] * (1 - _link_density(el)))


def _landmark(root: Element) -> Element | None:
    """The first of ``main#content``, ``main``, ``[role=main]``, ``article``."""
    mains = list(root.iter("main"))
    if mains:
        return next((m for m in mains if m.get("id") == "content"), mains[0])
    if roles := _css("[role=main]")(root):
        return roles[0]
    return next(root.iter("article"), None)


def _content(
    root: Element, select: Sequence[str], noise: _Matcher
) -> tuple[list[Element], ClassIndex]:
    """The content roots, cleaned, and the class index of what was cleaned.

    Without ``select``: a main/article landmark, else the densest text block of the body.
    Only that landmark is cleaned and indexed: the rest of the page is never read, so the
    site header and footer (often half of a page's markup) cost nothing beyond parsing.
    """
    if select:
        index = _clean(root)
        return _selected_roots(root, select, noise), index
    body = root.find("body")
    if body is None:
        return [], {}
    landmark = _landmark(root)
    index = _clean(landmark if landmark is not None else body, noise)
    return [landmark if landmark is not None else _densest(body)], index


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

    def visit(self, el: Element) -> None:
        """Dispatch on what ``el`` is."""
        tag = el.tag
        if el in self.attachments:
            self.attachment(el)
        elif tag in _HEADING_LEVEL:
            self.emit(BlockKind.HEADING, _text(el), _HEADING_LEVEL[tag])
        elif tag in _PARAGRAPH_TAGS:
            self.emit(BlockKind.PARAGRAPH, _text(el))
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
        for child in el:  # two stack frames per level: libxml2 caps depth at 255
            self.visit(child)
            if child.tail:
                self.pending.append(child.tail)
        if boundary:
            self.flush()

    def item(self, li: Element) -> None:
        """A bare link's link block, or the item's own text then any lists nested in it."""
        if (link := _sole_link(li)) is not None:
            self.emit(BlockKind.LINK_LIST, self.link_text(link))
            return
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
    if li.text and not li.text.isspace():
        return None
    links = list(li.iter("a"))
    if len(links) != 1 or links[0].get("href") is None:
        return None
    if next(li.iter(*_LIST_TAGS), None) is not None:
        return None
    return links[0] if _text(li).split() == _text(links[0]).split() else None


def _attachments(index: ClassIndex) -> list[Element]:
    """GOV.UK attachment components, current (``.gem-c-attachment``) and old markup."""
    old = [el for el in index.get("attachment", ()) if el.tag == "section"]
    return index.get("gem-c-attachment", []) + old


def _walk(roots: Iterable[Element], url: str = "", index: ClassIndex | None = None) -> list[Block]:
    """Blocks of each root in turn."""
    walker = _Walker(url, _attachments(index or {}))
    for root in roots:
        walker.visit(root)
        walker.flush()
    return walker.blocks


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


def _by_class(index: ClassIndex, *names: str) -> list[Element]:
    """Elements carrying any of the class ``names``."""
    return [el for name in names for el in index.get(name, ())]


def _class_texts(index: ClassIndex, *names: str) -> list[str]:
    """Normalised, non-empty texts of the elements carrying any of the class ``names``."""
    return [t for el in _by_class(index, *names) if (t := normalise_text(_text(el)))]


def _change_item(item: Element) -> tuple[str, str]:
    """``(datetime, note)`` of one ``published-dates__change-item``."""
    time = next((t for t in item.iter("time") if t.get("datetime")), None)
    notes = (el for el in item.iter() if "published-dates__change-note" in (el.get("class") or ""))
    note = next(notes, None)
    return (
        time.get("datetime").strip() if time is not None else "",
        normalise_text(_text(note)) if note is not None else "",
    )


def _html_history(index: ClassIndex) -> list[tuple[str, str]]:
    """The change history of a GOV.UK page (``published-dates`` component), oldest first."""
    items = _by_class(
        index, "gem-c-published-dates__change-item", "app-c-published-dates__change-item"
    )
    return _sorted_history(_change_item(item) for item in items)


def _metadata_terms(index: ClassIndex) -> dict[str, str]:
    """The ``.gem-c-metadata`` list as ``{"published": "3 April 2020", ...}``."""
    terms = {}
    for dt in (dt for box in _by_class(index, "gem-c-metadata") for dt in box.iter("dt")):
        dd = dt.getnext()
        if dd is not None and dd.tag == "dd":
            terms[normalise_text(_text(dt)).rstrip(":").lower()] = normalise_text(_text(dd))
    return terms


def _stated_dates(index: ClassIndex) -> tuple[str | None, str | None]:
    """(published, updated) as ISO dates, from the words on the page."""
    terms = _metadata_terms(index)
    published = _iso_date(terms.get("published", ""))
    updated = _iso_date(terms.get("last updated", ""))
    for text in _class_texts(index, "gem-c-published-dates", "app-c-published-dates"):
        published = published or _iso_date(text.partition("Published")[2])
        updated = updated or _iso_date(text.partition("Last updated")[2])
    for text in _class_texts(
        index, "publication-header__last-changed", "gem-c-inverse-header__subtext"
    ):
        updated = updated or _iso_date(text)
    return published, updated


def _withdrawn_notice(index: ClassIndex) -> str | None:
    """Text of the withdrawal notice, if the page has one."""
    notices = _class_texts(index, "gem-c-notice", "app-c-notice", "withdrawal-notice")
    return next((n for n in notices if "withdrawn" in n.lower()), None)


def _govuk_metadata(index: ClassIndex) -> Metadata:
    """Dates, change note, withdrawal and document type from GOV.UK page components."""
    history = _html_history(index)
    published, updated = _stated_dates(index)
    doc_type = _class_texts(index, "gem-c-title__context")
    return Metadata(
        published=history[0][0] if history else published,
        updated=history[-1][0] if history else updated,
        change_note=history[-1][1] if history else None,
        document_type=doc_type[0] if doc_type else None,
        withdrawn=_withdrawn_notice(index),
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
    _strip_junk(root, ignore)
    roots, index = _content(root, select, _noise(profile))
    metadata = _govuk_metadata(index) if profile == "govuk" else Metadata()
    document = Document(_title(root, roots), tuple(_walk(roots, url, index)), metadata)
    return normalise_document(document)


def _fragment_blocks(html: str | None, url: str = "") -> list[Block]:
    """Blocks of an HTML fragment such as a Content API ``details.body``."""
    root = _parse(html) if html and html.strip() else None
    if root is None:
        return []
    _strip_junk(root, ())
    index = _clean(root)
    body = root.find("body")
    return _walk([body] if body is not None else [], url, index)


def _html_text(html: str | None) -> str:
    """The visible text of an HTML fragment, on one line."""
    return normalise_text(" ".join(b.text for b in _fragment_blocks(html)))


# --- GOV.UK Content API items --------------------------------------------------------------
GOVUK_ROOT = "https://www.gov.uk"


def _mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one (API data is not trusted)."""
    return value if isinstance(value, Mapping) else {}


def _objects(value: Any) -> list[Mapping[str, Any]]:
    """The JSON objects in ``value`` if it is a list, else none."""
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _string(value: Any) -> str | None:
    """``value`` if it is a non-empty string, else ``None``."""
    return value if isinstance(value, str) and value else None


def _body_html(body: Any) -> str | None:
    """A body given as HTML, or as a list of ``{content_type, content}`` alternatives."""
    if isinstance(body, str):
        return body
    html = [b.get("content") for b in _objects(body) if b.get("content_type") == "text/html"]
    return _string(html[0]) if html else None


def _attachment_block(att: Mapping[str, Any]) -> Block:
    """``"Attachment: <title> (<type>, <size> bytes)"``."""
    facts = [str(att.get("content_type") or att.get("attachment_type") or "")]
    if att.get("file_size") is not None:
        facts.append(f"{att['file_size']} bytes")
    described = ", ".join(f for f in facts if f)
    text = f"Attachment: {att.get('title') or att.get('filename') or ''}"
    return Block(BlockKind.PARAGRAPH, f"{text} ({described})" if described else text)


def _parts_blocks(parts: list[Mapping[str, Any]], url: str) -> list[Block]:
    """Each part of a multi-part item: its title as a heading, then its body."""
    blocks: list[Block] = []
    for part in parts:
        blocks.append(Block(BlockKind.HEADING, str(part.get("title") or ""), 2))
        blocks += _fragment_blocks(_body_html(part.get("body")), url)
    return blocks


def _collection_blocks(data: Mapping[str, Any], url: str) -> list[Block]:
    """A document collection's groups: heading, body and one link block per document."""
    linked = {
        d.get("content_id"): d for d in _objects(_mapping(data.get("links")).get("documents"))
    }
    blocks: list[Block] = []
    for group in _objects(_mapping(data.get("details")).get("collection_groups")):
        blocks.append(Block(BlockKind.HEADING, str(group.get("title") or ""), 2))
        blocks += _fragment_blocks(_body_html(group.get("body")), url)
        for doc in (linked.get(cid) for cid in group.get("documents") or []):
            if doc:
                href = urljoin(url, str(doc.get("base_path") or ""))
                blocks.append(Block(BlockKind.LINK_LIST, f"{doc.get('title', '')} ({href})"))
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
    items = _objects(details.get("change_history"))
    return _sorted_history(
        (str(i.get("public_timestamp") or ""), str(i.get("note") or "")) for i in items
    )


def _api_withdrawn(data: Mapping[str, Any]) -> str | None:
    """``"<explanation> (withdrawn at <withdrawn_at>)"`` for a withdrawn item."""
    notice = _mapping(data.get("withdrawn_notice"))
    if not notice:
        return None
    explanation = _html_text(_string(notice.get("explanation"))) or "Withdrawn"
    at = _string(notice.get("withdrawn_at"))
    return f"{explanation} (withdrawn at {at})" if at else explanation


def _api_metadata(data: Mapping[str, Any], withdrawn: str | None) -> Metadata:
    """Dates, type, change note and change history; never the noisy fields."""
    details = _mapping(data.get("details"))
    history = _api_history(details)
    notes = (history[-1][1] if history else None, details.get("change_note"),
             data.get("change_note"), details.get("latest_change_note"))  # fmt: skip
    published = _string(data.get("first_published_at")) or _string(details.get("first_public_at"))
    return Metadata(
        published=published,
        updated=_string(data.get("public_updated_at")),
        change_note=next((n for n in map(_string, notes) if n), None),
        document_type=_string(data.get("document_type")),
        withdrawn=withdrawn,
        extra=tuple(("change_history", f"{stamp}: {n}") for stamp, n in history),
    )


def _api_blocks(data: Mapping[str, Any], withdrawn: str | None) -> list[Block]:
    """Withdrawal, description, body, parts, collections, documents, attachments, details."""
    details = _mapping(data.get("details"))
    url = urljoin(GOVUK_ROOT, _string(data.get("base_path")) or "/")
    blocks = [Block(BlockKind.PARAGRAPH, f"Withdrawn: {withdrawn}")] if withdrawn else []
    blocks.append(Block(BlockKind.PARAGRAPH, str(data.get("description") or "")))
    blocks += _fragment_blocks(_body_html(details.get("body")), url)
    blocks += _parts_blocks(_objects(details.get("parts")), url)
    blocks += _collection_blocks(data, url)
    documents = details.get("documents")  # deprecated: pre-rendered HTML strings
    for html in documents if isinstance(documents, list) else []:
        blocks += _fragment_blocks(_body_html(html), url)
    blocks += [_attachment_block(a) for a in _objects(details.get("attachments"))]
    return blocks + _detail_blocks(details)


def extract_govuk_content(data: Mapping[str, Any]) -> Document:
    """Build a normalised :class:`Document` from a GOV.UK Content API item.

    Relative links resolve against the item's www.gov.uk address, as on the HTML page.
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


__all__ = [
    "EMPTY_DOCUMENT",
    "GOVUK_NOISE",
    "UNIVERSAL_NOISE",
    "Profile",
    "extract_govuk_content",
    "extract_html",
]
