"""Tracker sections as the app shows them: ids, titles and the tracker's order."""

from __future__ import annotations

from flask import g

from monitor.relevance import default_profiles


def section_titles() -> dict[str, str]:
    """Section id → title, in tracker order; titles refreshed from the parsed tracker."""
    cached: dict[str, str] | None = g.get("section_titles")
    if cached is not None:
        return cached
    from monitor.web.app import web

    titles = {s.id: s.title for s in default_profiles().sections}
    stored = {row.section_id: row.title for row in web().store.tracker_sections() if row.title}
    titles.update({k: v for k, v in stored.items() if k in titles})
    g.section_titles = titles
    return titles


def section_order(section: str | None) -> int:
    """Position of a section in the tracker (unknown sections last)."""
    order = list(section_titles())
    return order.index(section) if section in order else len(order)
