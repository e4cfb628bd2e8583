"""``govuk-search``: documents on GOV.UK matching a query, through the GOV.UK Search API.

The source ``url`` is the API endpoint, ``https://www.gov.uk/api/search.json``; the options
say what to ask (``q``, ``filters`` → ``filter_<field>``, ``reject`` → ``reject_<field>``,
``order``, ``count``, ``fields``; see ``alphagov/search-api``,
``docs/using-the-search-api.md``). The query URL keeps the source URL's scheme, host and path,
and any query parameters written on it, except those the options set (``order``, ``count``
and ``fields`` always come from the options, with their defaults).

The document is titled ``GOV.UK search: <query and filters>`` and holds one heading,
"Results", then one link block per result::

    <title> — <document type> — <organisation titles> — <public_timestamp date> (<GOV.UK URL>)

**Identity, not rank.** The blocks are sorted by the result's ``link``, not by the API's
order, so a re-ranked or re-ordered response is unchanged, a new document is one added block
wherever it ranks, and a document seen before is never new again. A re-published document
(``public_timestamp`` moves on a major update) or a retitled one shows as a modified block.

**The window.** Only the first ``count`` results are read, so with
``order: -public_timestamp`` every new document pushes the oldest one out of the window,
where it shows as removed. ``extract`` sees only the current response, so it cannot tell
"fell out of the window" from "was removed"; to keep removals meaningful, fix the start of
the window with a date filter, e.g. ``filters: {public_timestamp: "from:2024-01-01"}``, and
a ``count`` large enough (up to 1500) to hold everything since then: the set then only grows.

**Broken responses are failed checks, never "everything was removed".** A body that is not
JSON (an HTML error page), JSON without a ``results`` list, a result without a ``link`` or
``title``, or an empty ``results`` list raises :class:`ContentMissing` with the reason. An
empty list fails even when ``total`` is 0: a query that matched documents before and now
matches none is far more likely a broken index than every document being deleted, and
``extract`` cannot see the previous version to tell the two apart.

**Following results** (``follow: true``, ``discover``): each result, newest first by
``public_timestamp`` (results without one last), at most ``max_follow``, is also watched as a
``govuk`` source of its own (relation ``follow``). Relative links resolve against the source
URL's scheme and host; an absolute link to another host than GOV.UK's is watched as ``html``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.config import Source
from monitor.document import Block, BlockKind, Document
from monitor.errors import ContentMissing
from monitor.fetch import FetchRequest, FetchResult
from monitor.normalise import normalise_document, normalise_text
from monitor.sources.base import Discovery
from monitor.sources.feed import SEPARATOR, display_date, snippet

JSON_TYPES = ("application/json",)
WEBSITE = "https://www.gov.uk"
WEBSITE_HOST = "www.gov.uk"
_OLDEST = datetime.min.replace(tzinfo=UTC)
DEFAULT_FIELDS = (
    "title",
    "link",
    "public_timestamp",
    "description",
    "content_store_document_type",
    "organisations",
    "content_id",
)
REQUIRED_FIELDS = ("title", "link")  # every result must have these (see _check_result)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

FilterValues = dict[str, str | list[str]]


class GovukSearchOptions(BaseModel):
    """Options of the ``govuk-search`` kind: the Search API query."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str | None = None
    filters: FilterValues = Field(default_factory=dict)
    reject: FilterValues = Field(default_factory=dict)
    order: str = Field("-public_timestamp", pattern=r"^-?[a-z_]+$")
    count: int = Field(50, ge=1, le=1500)
    fields: tuple[str, ...] = DEFAULT_FIELDS
    follow: bool = False  # also watch each result found, as a govuk source of its own
    max_follow: int = Field(20, ge=0, le=200)  # at most this many, newest first

    @field_validator("filters", "reject")
    @classmethod
    def _check_filters(cls, value: FilterValues) -> FilterValues:
        for name, values in value.items():
            if not _NAME.match(name) or name.startswith(("filter_", "reject_")):
                raise ValueError(
                    f"{name!r} is not a search field name (write e.g. organisations, not "
                    "filter_organisations)"
                )
            if not values or any(not v.strip() for v in _as_list(values)):
                raise ValueError(f"{name}: give at least one non-empty value")
        return value

    @field_validator("fields")
    @classmethod
    def _check_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [f for f in value if not _NAME.match(f)]
        if bad:
            raise ValueError(f"not search field names: {', '.join(bad)}")
        return value


def _as_list(values: str | list[str]) -> list[str]:
    return [values] if isinstance(values, str) else list(values)


def option_params(options: GovukSearchOptions) -> list[tuple[str, str]]:
    """The options as query parameters (repeated for lists), in a stable order."""
    params = [("q", options.q)] if options.q else []
    for prefix, groups in (("filter_", options.filters), ("reject_", options.reject)):
        for name in sorted(groups):
            params += [(prefix + name, v) for v in _as_list(groups[name])]
    params += [("order", options.order), ("count", str(options.count))]
    fields = dict.fromkeys((*options.fields, *REQUIRED_FIELDS))
    return params + [("fields", f) for f in fields]


def search_url(source: Source) -> str:
    """The source URL with the query: its own parameters, except those the options set."""
    options = source.options
    if not isinstance(options, GovukSearchOptions):
        options = GovukSearchOptions()
    parts = urlsplit(source.url)
    ours = option_params(options)
    names = {name for name, _ in ours}
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names]
    query = urlencode(kept + ours, doseq=True)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def describe_query(url: str) -> str:
    """``"kinship care"; organisations: department-for-education; not …`` from a query URL."""
    q: list[str] = []
    groups: dict[str, list[str]] = {}
    for name, value in parse_qsl(urlsplit(url).query):
        if name == "q":
            q.append(f"“{value}”")
        elif name.startswith("filter_"):
            groups.setdefault(name.removeprefix("filter_"), []).append(value)
        elif name.startswith("reject_"):
            groups.setdefault("not " + name.removeprefix("reject_"), []).append(value)
    parts = q + [f"{name}: {', '.join(values)}" for name, values in groups.items()]
    return "; ".join(parts) or "all documents"


class GovukSearchKind:
    """Watch a GOV.UK Search API query for new documents."""

    name: ClassVar[str] = "govuk-search"
    Options: ClassVar[type[BaseModel]] = GovukSearchOptions

    def requests(self, source: Source) -> list[FetchRequest]:
        """The query URL, asking for JSON."""
        return [
            FetchRequest(
                url=search_url(source), accept="application/json", content_types=JSON_TYPES
            )
        ]

    def extract(self, source: Source, fetched: FetchResult) -> Document:
        """One link block per result, sorted by link; a malformed response fails the check."""
        results = read_results(fetched.body)
        by_link: dict[str, str] = {}
        for result in results:
            url = absolute(result["link"])
            by_link.setdefault(url, result_line(result, url))
        blocks = [Block(BlockKind.HEADING, "Results", level=2)]
        blocks += [Block(BlockKind.LINK_LIST, by_link[url]) for url in sorted(by_link)]
        title = f"GOV.UK search: {describe_query(fetched.url)}"
        return normalise_document(Document(title=title, blocks=tuple(blocks)))

    def discover(self, source: Source, fetched: FetchResult) -> list[Discovery]:
        """With ``follow``: the results, newest first, at most ``max_follow``, each URL once."""
        options = source.options
        if not isinstance(options, GovukSearchOptions) or not options.follow:
            return []
        base = fetched.final_url or fetched.url
        found: dict[str, Discovery] = {}
        for result in sorted(read_results(fetched.body), key=newest_first):
            url = urldefrag(urljoin(base, result["link"].strip())).url
            if urlsplit(url).scheme in ("http", "https"):
                found.setdefault(url, follow_discovery(url, result["title"], base))
        return list(found.values())[: options.max_follow]


def newest_first(result: dict[str, Any]) -> tuple[bool, float]:
    """Sort key: results with a ``public_timestamp`` first, newest first."""
    stamp = result.get("public_timestamp")
    moment = parse_timestamp(stamp) if isinstance(stamp, str) else None
    return (moment is None, -(moment or _OLDEST).timestamp())


def parse_timestamp(stamp: str) -> datetime | None:
    """An ISO 8601 timestamp (naive ones read as UTC); ``None`` if it is not one."""
    try:
        moment = datetime.fromisoformat(stamp.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def follow_discovery(url: str, title: str, base: str) -> Discovery:
    """A followed result: ``govuk`` on GOV.UK (or the API's own host), else ``html``."""
    host = urlsplit(url).hostname
    kind = "govuk" if host in (WEBSITE_HOST, urlsplit(base).hostname) else "html"
    return Discovery(url=url, kind=kind, name=normalise_text(title), relation="follow")


# -- reading the response --------------------------------------------------------------------


def read_results(body: bytes) -> list[dict[str, Any]]:
    """The ``results`` list, checked; :class:`ContentMissing` says what is wrong."""
    try:
        data = json.loads(body)
    except ValueError:
        raise ContentMissing(
            f"the GOV.UK Search API answered with something that is not JSON: {snippet(body)}"
        ) from None
    if not isinstance(data, dict):
        raise ContentMissing("the GOV.UK Search API answered with JSON that is not an object")
    results = data.get("results")
    if not isinstance(results, list):
        raise ContentMissing("the GOV.UK Search API response has no 'results' list")
    for position, result in enumerate(results, start=1):
        _check_result(position, result)
    if not results:
        total = data.get("total")
        if isinstance(total, int) and total > 0:
            raise ContentMissing(
                f"the GOV.UK Search API sent an empty 'results' list although 'total' is "
                f"{total}: a broken response"
            )
        raise ContentMissing(
            "the GOV.UK search found no documents (empty 'results', total 0): nothing is "
            "stored until it finds some"
        )
    return results


def _check_result(position: int, result: object) -> None:
    if not isinstance(result, dict):
        raise ContentMissing(f"GOV.UK search result {position} is not a JSON object")
    for name in REQUIRED_FIELDS:
        value = result.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ContentMissing(f"GOV.UK search result {position} has no '{name}'")


def absolute(link: str) -> str:
    """``/government/…`` → ``https://www.gov.uk/government/…``; absolute links unchanged."""
    link = link.strip()
    return WEBSITE + link if link.startswith("/") else link


def result_line(result: dict[str, Any], url: str) -> str:
    """``<title> — <type> — <organisations> — <date> (<url>)``, empty parts left out."""
    doc_type = result.get("content_store_document_type") or result.get("format")
    parts = [
        normalise_text(result["title"]),
        humanise(doc_type) if isinstance(doc_type, str) else "",
        ", ".join(organisation_titles(result.get("organisations"))),
        display_date(ts) if isinstance(ts := result.get("public_timestamp"), str) else "",
    ]
    return SEPARATOR.join(p for p in parts if p) + f" ({url})"


def humanise(slug: str) -> str:
    """``statutory_guidance`` → ``Statutory guidance``."""
    text = normalise_text(slug.replace("_", " "))
    return text[:1].upper() + text[1:]


def organisation_titles(organisations: object) -> list[str]:
    """Titles of expanded organisations (or slugs, when the API gives only those)."""
    if not isinstance(organisations, list):
        return []
    titles = []
    for org in organisations:
        if isinstance(org, dict):
            org = org.get("title") or org.get("acronym") or org.get("slug")
        if isinstance(org, str) and (title := normalise_text(org)):
            titles.append(title)
    return titles
