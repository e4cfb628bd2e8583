"""What a source kind is: how to fetch a configured source and how to read what came back."""

from __future__ import annotations

from typing import ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from monitor.config import Source
from monitor.document import Document
from monitor.fetch import FetchRequest, FetchResult


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
