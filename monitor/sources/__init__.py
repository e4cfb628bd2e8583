"""Source kinds, registered by name in one visible place.

To add a kind: write ``monitor/sources/<kind>.py`` with a class implementing
:class:`monitor.sources.base.SourceKind` (a ``name``, an ``Options`` model, ``requests()`` and
``extract()``), then add one line to :data:`REGISTRY` below.
"""

from __future__ import annotations

from monitor.errors import ConfigError
from monitor.sources.base import SourceKind
from monitor.sources.govuk import GovukKind
from monitor.sources.html import HtmlKind

REGISTRY: dict[str, SourceKind] = {
    "html": HtmlKind(),
    "govuk": GovukKind(),
}


def get_kind(name: str) -> SourceKind:
    """The kind registered as ``name``; the error lists the known kinds."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ConfigError([f"kind: unknown kind {name!r}; known kinds: {known}"]) from None
