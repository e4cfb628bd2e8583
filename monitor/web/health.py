"""What ``/healthz`` and ``/metrics`` report, and serving a WSGI app with waitress.

The routes themselves are in the review app (:mod:`monitor.web.health_views`). /healthz
answers 200 when the database answers and the scheduler ticked recently (or this process is a
standby waiting for the leader lock), else 503; the JSON body says why. /metrics is Prometheus
text from prometheus-client.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text

from monitor.errors import MonitorError
from monitor.pipeline import Outcome
from monitor.scheduler import HEARTBEAT, Health
from storage.store import Store


class Metrics:
    """The Prometheus metrics of one process."""

    def __init__(self, store: Store, health: Health) -> None:
        self.registry = CollectorRegistry()
        self.checks = Counter(
            "policy_monitor_checks",
            "Checks by source and outcome",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.durations = Histogram(
            "policy_monitor_check_duration_seconds", "Check durations", registry=self.registry
        )
        self.changes = Counter(
            "policy_monitor_changes", "Changes detected", ["source"], registry=self.registry
        )
        self.registry.register(_StateCollector(store, health))

    def observe(self, outcome: Outcome) -> None:
        """Count one check."""
        self.checks.labels(outcome.source, outcome.status).inc()
        self.durations.observe(outcome.duration_ms / 1000)
        if outcome.change is not None:
            self.changes.labels(outcome.source).inc()


class _StateCollector(Collector):
    """Gauges read at scrape time: last successful check age per source."""

    def __init__(self, store: Store, health: Health) -> None:
        self._store, self._health = store, health
        self._configured: frozenset[str] | None = None  # the last valid sources.yaml's ids

    def current_sources(self) -> frozenset[str] | None:
        """The ids of the sources watched now (configured, or derived from configured ones).

        Under a running scheduler, what it has scheduled (after a refused reload, the schedule
        it kept); elsewhere (``serve``, a standby) what the review app's sources.yaml holds, or
        held when it was last valid. None when neither is known: every stored source is shown.
        """
        if self._health.sources is not None:
            return self._health.sources
        from flask import has_app_context

        if not has_app_context():
            return self._configured
        from monitor.derived import all_sources
        from monitor.web.app import web

        try:
            config = web().config()
        except (MonitorError, OSError):
            return self._configured  # an invalid or missing file: the last valid one
        self._configured = frozenset(s.id for s in all_sources(config, self._store))
        return self._configured

    def collect(self) -> Iterable[GaugeMetricFamily]:
        age = GaugeMetricFamily(
            "policy_monitor_last_success_age_seconds",
            "Seconds since the last successful check of each source",
            labels=["source"],
        )
        now = time.time()
        current = self.current_sources()
        for row in self._store.source_rows():
            if current is not None and row.id not in current:
                continue  # removed from sources.yaml: no age to grow and set off alerts
            if row.last_checked_at is not None and row.last_status != "error":
                age.add_metric([row.id], now - row.last_checked_at.timestamp())
        yield age
        pending = GaugeMetricFamily(
            "policy_monitor_drafts_pending", "Drafted tracker updates waiting for review"
        )
        pending.add_metric([], self._store.counts_by_status().get("pending", 0))
        yield pending
        emails = GaugeMetricFamily(
            "policy_monitor_emails", "Emails in the outbox by state", labels=["state"]
        )
        for state, count in self._store.outbox_counts().items():
            emails.add_metric([state], count)
        yield emails
        tick = GaugeMetricFamily(
            "policy_monitor_scheduler_last_tick_age_seconds", "Seconds since the last tick"
        )
        tick.add_metric([], now - self._health.last_tick if self._health.last_tick else -1)
        yield tick


def health_report(store: Store, health: Health) -> tuple[bool, dict[str, Any]]:
    """Is the service healthy, and the facts behind the answer."""
    report: dict[str, Any] = {"role": "leader" if health.leader else "standby"}
    try:
        with store.engine.connect() as connection:
            connection.execute(text("select 1"))
        report["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure here is what the check reports
        report["database"] = f"error: {exc.__class__.__name__}"
    age = time.time() - health.last_tick if health.last_tick else None
    report["last_tick_seconds_ago"] = round(age, 1) if age is not None else None
    ticking = not health.leader or (age is not None and age < 3 * HEARTBEAT)
    report["scheduler"] = "ok" if ticking else "not ticking"
    return report["database"] == "ok" and ticking, report


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (0: any free port), for waitress's ``sockets=``.

    Bound here rather than by waitress: when the address is taken, waitress has by then started
    its worker threads and opened a wake-up pipe that nothing closes. Raises OSError.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def serve_in_thread(
    app: Callable[..., Iterable[bytes]], host: str, port: int, threads: int = 4
) -> Any:
    """Serve ``app`` with waitress in a daemon thread; return the server.

    The server is bound when this returns (``.effective_port`` is the port, useful with port
    0); ``.close()`` stops it. Raises OSError when the address cannot be bound.
    """
    from waitress.server import create_server

    server = create_server(
        app, sockets=[bind(host, port)], threads=threads, clear_untrusted_proxy_headers=True
    )
    threading.Thread(target=server.run, name="web", daemon=True).start()
    return server
