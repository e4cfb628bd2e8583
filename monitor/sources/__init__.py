"""Source kinds, registered by name in one visible place.

To add a kind: write ``monitor/sources/<kind>.py`` with a class implementing
:class:`monitor.sources.base.SourceKind` (a ``name``, an ``Options`` model, ``requests()`` and
``extract()``), then add one line to :data:`REGISTRY` below.
"""

from __future__ import annotations

from monitor.errors import ConfigError
from monitor.sources.base import SourceKind
from monitor.sources.feed import FeedKind
from monitor.sources.govuk import GovukKind
from monitor.sources.govuk_search import GovukSearchKind
from monitor.sources.html import HtmlKind
from monitor.sources.parliament_bill import ParliamentBillKind
from monitor.sources.pdf import PdfKind
from monitor.sources.tracker import TrackerKind

REGISTRY: dict[str, SourceKind] = {
    "html": HtmlKind(),
    "govuk": GovukKind(),
    "parliament-bill": ParliamentBillKind(),
    "govuk-search": GovukSearchKind(),
    "feed": FeedKind(),
    "tracker": TrackerKind(),
    "pdf": PdfKind(),
}


def get_kind(name: str) -> SourceKind:
    """The kind registered as ``name``; the error lists the known kinds."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ConfigError([f"kind: unknown kind {name!r}; known kinds: {known}"]) from None
