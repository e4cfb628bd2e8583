"""The long-running service: leader lock, scheduler, the review app, signals, file watch.

The web side is the whole review app (:func:`monitor.web.app.create_app`, with /healthz and
/metrics), served by waitress in this process unless ``--no-web``; a standby serves it too.
SIGTERM / SIGINT: stop taking new checks, let running ones finish (up to the stop timeout),
abandon those still running after it, release the leader lock, exit 0 (at once, not when the
abandoned checks' HTTP reads time out). A leader checks every few seconds that it still holds
the lock; when it lost it (PostgreSQL restarted, the connection dropped), it stops scheduling
at once and waits as a standby again. SIGHUP, or sources.yaml changing on disk (looked at every
``watch_every`` seconds): reload sources.yaml; an invalid file is logged and the running
schedule kept. Every check writes its results in one transaction, so a kill -9 at any moment
leaves the database consistent and the next start simply carries on (sources that were due run
again).
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from monitor.errors import MonitorError
from monitor.leader import LeaderLock, leader_lock
from monitor.scheduler import OUTBOX_EVERY, Health, Service
from monitor.web.health import Metrics, serve_in_thread
from storage.store import Store

log = logging.getLogger("policy_monitor.run")
STANDBY_POLL = 5.0  # seconds between attempts to become the leader
WATCH_EVERY = 5.0  # seconds between looks at sources.yaml for changes
SETTLE = 1.0  # seconds a changed sources.yaml must be left alone before it is reloaded
LOCK_CHECK_EVERY = 3.0  # seconds between checks that the leader still holds its lock
STEP_DOWN_WAIT = 1.0  # seconds a leader that lost its lock waits for its running checks


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
    lock_check_every: float = LOCK_CHECK_EVERY


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
    """Run until SIGTERM/SIGINT; return the exit status.

    Leads while this process holds the leader lock and waits as a standby otherwise, also
    after finding that it lost the lock. When checks had to be abandoned (the stop timeout, or
    a step-down while they ran), the process ends through :func:`_exit_abandoning` once the
    lock is released: their threads cannot be interrupted, and the interpreter would wait for
    them at exit.
    """
    signals = _Signals()
    signals.install()
    health = Health()
    metrics = Metrics(store, health)
    server = _start_web(store, health, metrics, options)
    lock = leader_lock(store.engine)
    abandoned = False
    try:
        first_wait = 0.0
        while _become_leader(lock, signals, options, first_wait):
            term = _lead(store, health, metrics, lock, signals, options)
            abandoned = abandoned or not term.clean
            if term.stopping:
                break
            first_wait = options.standby_poll  # let a standby that is waiting take over
    finally:
        lock.release()
        if server is not None:
            server.close()
    if abandoned:
        _exit_abandoning(0)
    return 0


@dataclass(frozen=True)
class _Term:
    """How a term as the leader ended."""

    stopping: bool  # a signal asked the process to stop (else it lost the leader lock)
    clean: bool  # no check was left running


def _lead(
    store: Store,
    health: Health,
    metrics: Metrics,
    lock: LeaderLock,
    signals: _Signals,
    options: RunOptions,
) -> _Term:
    """Schedule checks until a signal asks to stop or the leader lock is lost."""
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
    lost = _main_loop(service, signals, watch, lock, options)
    if lost is not None:
        health.leader = False
        return _Term(stopping=False, clean=_step_down(service, lost))
    clean = service.stop(options.stop_timeout)
    if clean:
        log.info("stopped cleanly")
    else:
        log.warning(
            "stop timeout of %g s reached: abandoning the checks still running (each check "
            "writes its results in one transaction, so an abandoned one leaves nothing "
            "half-written; it runs again at the next start)",
            options.stop_timeout,
        )
        log.info("stopped after the stop timeout")
    return _Term(stopping=True, clean=clean)


def _step_down(service: Service, why: str) -> bool:
    """Stop scheduling at once: another process may hold the lock and schedule already.

    Checks still running after :data:`STEP_DOWN_WAIT` are abandoned to finish or fail on their
    own (each writes in one transaction). True if none was left running.
    """
    log.error("lost the leader lock (%s): stepping down", why)
    clean = service.stop(STEP_DOWN_WAIT, step_down=True)
    if not clean:
        log.warning("stepped down with checks still running: they are abandoned")
    return clean


def _exit_abandoning(status: int) -> NoReturn:
    """End the process now, without waiting for the threads of abandoned checks.

    Python joins the check threads at exit, so a check blocked reading from a server that
    never answers would hold the exit until its HTTP timeouts and retries ran out, long after
    a supervisor's SIGKILL. Their transactions never commit: the database drops them with the
    connection. The log is flushed first; the caller has released the lock and the web server.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


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


def _become_leader(
    lock: LeaderLock, signals: _Signals, options: RunOptions, first_wait: float = 0.0
) -> bool:
    """Wait (as a standby) until this process holds the lock: True, or False on a stop signal."""
    announced = False
    if signals.stop.wait(first_wait):
        return False
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
    service: Service,
    signals: _Signals,
    watch: ConfigWatch | None,
    lock: LeaderLock,
    options: RunOptions,
) -> str | None:
    """Run until a stop signal (None) or until the leader lock is lost (why it was)."""
    next_look = time.monotonic() + options.watch_every
    next_verify = time.monotonic() + options.lock_check_every
    while not signals.stop.wait(0.5):
        if time.monotonic() >= next_verify:
            lost = lock.verify()
            if lost is not None:
                return lost
            next_verify = time.monotonic() + options.lock_check_every
        reload = signals.reload.is_set()
        signals.reload.clear()
        if watch is not None and time.monotonic() >= next_look:
            next_look = time.monotonic() + options.watch_every
            if watch.changed():
                log.info("%s changed on disk: reloading", service.config_path)
                reload = True
        if reload:
            _reload(service, watch)
    return None


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
        self._missing_looks = 0  # looks in a row that found no file (warned at the second)

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
        if stamp is None:
            self._missing_looks += 1
            if self._missing_looks == 2:  # not an editor replacing it: gone for a while
                log.warning(
                    "%s is missing: the current schedule is kept; it is reloaded when the file "
                    "is back",
                    self.path,
                )
            return False
        if self._missing_looks >= 2:
            log.info("%s is back", self.path)
        self._missing_looks = 0
        if stamp == self._stamp:
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
