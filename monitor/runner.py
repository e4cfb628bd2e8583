"""The long-running service: leader lock, scheduler, health endpoint, signals.

SIGTERM / SIGINT: stop taking new checks, let running ones finish (up to the stop timeout),
release the leader lock, exit 0. SIGHUP: reload sources.yaml. Every check writes its results in
one transaction, so a kill -9 at any moment leaves the database consistent and the next start
simply carries on (sources that were due run again).
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from monitor.leader import LeaderLock, leader_lock
from monitor.scheduler import Health, Service
from monitor.web.health import Metrics, make_app, serve_in_thread
from storage.store import Store

log = logging.getLogger("policy_monitor.run")
STANDBY_POLL = 5.0  # seconds between attempts to become the leader


@dataclass(frozen=True)
class RunOptions:
    """How ``policy-monitor run`` runs."""

    config_path: Path
    web: bool = True
    email: bool = True
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 4
    stop_timeout: float = 30.0
    standby_poll: float = STANDBY_POLL


class _Signals:
    """Signal flags, set from handlers and read by the main loop."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.reload = threading.Event()

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: shutting down", signal.Signals(signum).name)
        self.stop.set()

    def _on_reload(self, _signum: int, _frame: FrameType | None) -> None:
        self.reload.set()


def run_service(store: Store, options: RunOptions) -> int:
    """Run until SIGTERM/SIGINT; return the exit status."""
    signals = _Signals()
    signals.install()
    health = Health()
    metrics = Metrics(store, health)
    server = _start_web(store, health, metrics, options)
    lock = leader_lock(store.engine)
    try:
        if not _become_leader(lock, signals, options):
            return 0
        health.leader = True
        service = Service(
            options.config_path,
            store,
            workers=options.workers,
            health=health,
            on_outcome=metrics.observe,
            email=options.email,
        )
        service.start()
        _main_loop(service, signals)
        clean = service.stop(options.stop_timeout)
        log.info("stopped %s", "cleanly" if clean else "after the stop timeout")
        return 0
    finally:
        lock.release()
        if server is not None:
            server.close()


def _start_web(store: Store, health: Health, metrics: Metrics, options: RunOptions) -> Any:
    if not options.web:
        return None
    server = serve_in_thread(make_app(store, health, metrics), options.host, options.port)
    log.info("health and metrics on http://%s:%d/healthz and /metrics", options.host, options.port)
    return server


def _become_leader(lock: LeaderLock, signals: _Signals, options: RunOptions) -> bool:
    announced = False
    while not signals.stop.is_set():
        if lock.try_acquire():
            log.info("this process is the active scheduler")
            return True
        if not announced:
            log.info("another scheduler is active on this database: waiting as a standby")
            announced = True
        signals.stop.wait(options.standby_poll)
    return False


def _main_loop(service: Service, signals: _Signals) -> None:
    while not signals.stop.wait(0.5):
        if signals.reload.is_set():
            signals.reload.clear()
            service.reload()
