"""What a source kind is: how to fetch a configured source and how to read what came back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from monitor.config import Source
from monitor.document import Document
from monitor.fetch import FetchRequest, FetchResult, NotModified


class NoOptions(BaseModel):
    """A kind without options of its own: ``options:`` must be empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceKind(Protocol):
    """The interface every source kind implements.

    ``requests`` lists the URLs to try in order: the pipeline fetches the first and falls
    back to the next only when a fetch fails for a reason a fallback can fix (see
    :meth:`monitor.pipeline.fetch_with_fallback`). ``extract`` turns the response into a
    :class:`Document`; it never raises on messy input, only on input it cannot read at all.
    """

    name: ClassVar[str]
    Options: ClassVar[type[BaseModel]]

    def requests(self, source: Source) -> list[FetchRequest]: ...

    def extract(self, source: Source, fetched: FetchResult) -> Document: ...


Fetch = Callable[[FetchRequest], "FetchResult | NotModified"]


@runtime_checkable
class Collects(Protocol):
    """A kind whose one check needs several requests (an API with sub-resources).

    Implement ``collect`` instead of relying on ``requests()``: call ``fetch`` for each request
    (it applies retries, politeness and robots.txt and raises :class:`FetchError` subclasses),
    and return one :class:`FetchResult` whose ``body`` bundles everything read, as canonical
    JSON (sorted keys). That bundle is what is stored as the raw body, so ``extract`` can
    re-read any stored version later. Raise :class:`ContentMissing` for responses that are
    not what the API promises (missing fields, HTML instead of JSON, an empty list where there
    were items), so that a broken response is a failed check, never a false "removed" change.
    """

    def collect(self, source: Source, fetch: Fetch) -> FetchResult: ...


@dataclass(frozen=True, slots=True)
class Discovery:
    """A document found while reading a source, to be watched as a source of its own.

    ``relation`` is ``"attachment"`` (a file or HTML publication attached to the page: its
    changes are attributed to the parent) or ``"follow"`` (a new item found by a search or
    feed with ``follow: true``). ``kind`` is a registered kind name; ``options`` its options.
    """

    url: str
    kind: str
    name: str
    relation: str
    options: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Discovers(Protocol):
    """A kind that finds other documents to watch (attachments, followed search results).

    ``discover`` reads the same fetched response that ``extract`` read and returns at most
    the bounded number of discoveries its options allow; it never fetches anything itself.
    The pipeline stores new discoveries as derived sources (see docs/source-kinds.md).
    """

    def discover(self, source: Source, fetched: FetchResult) -> list[Discovery]: ...
