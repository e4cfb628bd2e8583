"""The long-running service: leader lock, scheduler, the review app, signals, file watch.

The web side is the whole review app (:func:`monitor.web.app.create_app`, with /healthz and
/metrics), served by waitress in this process unless ``--no-web``; a standby serves it too.
SIGTERM / SIGINT: stop taking new checks, let running ones finish (up to the stop timeout),
release the leader lock, exit 0. SIGHUP, or sources.yaml changing on disk (looked at every
``watch_every`` seconds): reload sources.yaml; an invalid file is logged and the running
schedule kept. Every check writes its results in one transaction, so a kill -9 at any moment
leaves the database consistent and the next start simply carries on (sources that were due run
again).
"""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from monitor.errors import MonitorError
from monitor.leader import LeaderLock, leader_lock
from monitor.scheduler import OUTBOX_EVERY, Health, Service
from monitor.web.health import Metrics, serve_in_thread
from storage.store import Store

log = logging.getLogger("policy_monitor.run")
STANDBY_POLL = 5.0  # seconds between attempts to become the leader
WATCH_EVERY = 5.0  # seconds between looks at sources.yaml for changes
SETTLE = 1.0  # seconds a changed sources.yaml must be left alone before it is reloaded


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
    watch_every: float = WATCH_EVERY  # 0: reload only on SIGHUP
    outbox_every: float = OUTBOX_EVERY


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """While in this block, SIGTERM stops the process as Ctrl-C does, and it exits 0.

    For ``kill``, a supervisor or a CI job's timeout: the demo prints its summary, ``serve``
    closes its sockets.

    Only in the main thread, where Python runs signal handlers; elsewhere nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
        watch = ConfigWatch(options.config_path) if options.watch_every > 0 else None
        service = Service(
            options.config_path,
            store,
            workers=options.workers,
            health=health,
            on_outcome=metrics.observe,
            email=options.email,
            outbox_every=options.outbox_every,
        )
        service.start()
        _main_loop(service, signals, watch, options.watch_every)
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
    return start_web(store, options.config_path, health, metrics, options.host, options.port)


def start_web(
    store: Store, config_path: Path, health: Health, metrics: Metrics, host: str, port: int
) -> Any:
    """Serve the review app (with /healthz and /metrics) in a thread; return the server."""
    from monitor.web.app import create_app

    app = create_app(store, config_path, health=health, metrics=metrics)
    try:
        server = serve_in_thread(app, host, port)
    except OSError as exc:
        raise MonitorError(
            f"cannot serve the review app on {host}:{port} ({exc.strerror or exc}): "
            "is something else using the port? Pick another with --port"
        ) from None
    log.info(
        "review app on http://%s:%s/ (health on /healthz, metrics on /metrics)",
        host,
        server.effective_port,
    )
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


def _main_loop(
    service: Service, signals: _Signals, watch: ConfigWatch | None, watch_every: float
) -> None:
    next_look = time.monotonic() + watch_every
    while not signals.stop.wait(0.5):
        reload = signals.reload.is_set()
        signals.reload.clear()
        if watch is not None and time.monotonic() >= next_look:
            next_look = time.monotonic() + watch_every
            if watch.changed():
                log.info("%s changed on disk: reloading", service.config_path)
                reload = True
        if reload:
            _reload(service, watch)


def _reload(service: Service, watch: ConfigWatch | None) -> None:
    """Rebuild the schedule; a failure is logged and the service keeps running."""
    if watch is not None:
        # what is loaded now is the new baseline, also after a SIGHUP on a file written a
        # moment ago: the watch must not reload the same content again once it has settled
        watch.refresh()
    try:
        service.reload()  # logs and keeps the old schedule when the file is invalid
    except Exception:  # noqa: BLE001 - a reload must never stop the service
        log.exception("reload of %s failed; the current schedule is kept", service.config_path)


class ConfigWatch:
    """Notices when a file's content changes: size and mtime first, then a hash of the bytes.

    A ``touch`` or a rewrite with the same text is not a change; a file that is missing for a
    moment (an editor replacing it) is not either, until it is back with new content. A file
    written less than :data:`SETTLE` seconds ago is looked at next time, so a file caught
    half-written is not loaded.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp = self._stat()
        self._digest = self._hash()

    def refresh(self) -> None:
        """Take the file as it is now as the baseline: it is being loaded (a reload).

        A missing file leaves the baseline as it was (it is not loaded either).
        """
        stamp, digest = self._stat(), self._hash()
        if stamp is not None and digest is not None:
            self._stamp, self._digest = stamp, digest

    def changed(self) -> bool:
        """True once per change of the file's content since the last call."""
        stamp = self._stat()
        if stamp == self._stamp or stamp is None:
            return False
        if 0 <= time.time() - stamp[0] / 1e9 < SETTLE:
            return False  # still being written, perhaps
        self._stamp = stamp
        digest = self._hash()
        if digest is None or digest == self._digest:
            return False
        self._digest = digest
        return True

    def _stat(self) -> tuple[int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def _hash(self) -> str | None:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return None
