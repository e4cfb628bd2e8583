"""``policy-monitor run``: APScheduler 3 wiring, and nothing else.

Every source is a job with its own trigger (interval with jitter, or cron), ``max_instances=1``
and ``coalesce=True``, so a slow source never piles up runs and a missed run happens once.
Checks run in a bounded thread pool; politeness per host is enforced by the shared
:class:`~monitor.fetch.Fetcher`, so a slow host only holds its own slots. The schedule is
rebuilt from sources.yaml on :meth:`Service.reload` (SIGHUP, or the runner noticing the file
changed) without a restart.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import DBAPIError

from monitor.config import Config, Source, load_config
from monitor.derived import all_sources
from monitor.fetch import Fetcher
from monitor.pipeline import Outcome, run_cycle
from storage.errors import StorageError, first_line
from storage.store import Store

log = logging.getLogger("policy_monitor.scheduler")

MISFIRE_GRACE = 15 * 60  # seconds: a run missed by less than this (e.g. a restart) still happens
HEARTBEAT = 10  # seconds between scheduler heartbeats (the health check's "ticked recently")
MAX_JITTER = 300  # seconds
OUTBOX_EVERY = 30  # seconds between outbox drains


@dataclass
class Health:
    """What /healthz and /metrics report about the running scheduler."""

    started_at: float = field(default_factory=time.time)
    last_tick: float = 0.0
    leader: bool = False
    last_outcomes: dict[str, Outcome] = field(default_factory=dict)
    # ids of the sources scheduled now (configured and derived), None until the scheduler
    # starts; /metrics reports only these, so a source removed from sources.yaml drops out
    sources: frozenset[str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tick(self) -> None:
        """Record that the scheduler is alive."""
        self.last_tick = time.time()

    def record(self, outcome: Outcome) -> None:
        """Remember the newest outcome of a source."""
        with self.lock:
            self.last_outcomes[outcome.source] = outcome


def trigger_for(source: Source) -> BaseTrigger:
    """The APScheduler trigger of a source: its interval (with jitter) or its cron line."""
    cron = source.schedule.trigger()
    if cron is not None:
        cron.jitter = 60
        return cron
    interval = source.schedule.interval or timedelta(hours=6)
    jitter = min(MAX_JITTER, int(interval.total_seconds() * 0.1))
    return IntervalTrigger(seconds=int(interval.total_seconds()), jitter=jitter or None)


def first_run(source: Source, last_checked: datetime | None, now: datetime) -> datetime:
    """When a source is first checked after start: now-ish if due, else when it falls due."""
    spread = timedelta(seconds=random.uniform(0, 5))
    interval = source.schedule.interval
    if last_checked is None or interval is None:
        return now + spread
    return max(now + spread, last_checked + interval)


class SteppedDown(StorageError):
    """A check's results were not written: the process lost the leader lock meanwhile."""


class _FencedStore:
    """The store as a check sees it: once the service has stepped down (``fence`` set), a
    check still running is not written (it raises), so a process that lost the leader lock
    cannot add versions, changes or alerts next to the new leader's."""

    def __init__(self, store: Store, fence: threading.Event) -> None:
        self._store, self._fence = store, fence

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def write(self, records: Any) -> Any:
        if self._fence.is_set():
            raise SteppedDown("not written: this process is no longer the active scheduler")
        return self._store.write(records)


def _job_name(job_id: str) -> str:
    return {"_outbox": "sending email", "_digest": "queueing digests", "_tick": "heartbeat"}.get(
        job_id, f"check {job_id}"
    )


def _log_refused(error: Exception) -> None:
    """Log a refused reload one problem per record, so every line has its time and level."""
    problems = [line for line in str(error).splitlines() if line.strip()] or [repr(error)]
    if len(problems) == 1:
        log.error("reload refused, keeping the current schedule: %s", problems[0])
        return
    log.error("reload refused, keeping the current schedule: %d problems", len(problems))
    for problem in problems:
        log.error("reload refused: %s", problem)


class Service:
    """The scheduler of one process: build, run, reload and stop the check jobs."""

    def __init__(
        self,
        config_path: Path,
        store: Store,
        *,
        workers: int = 4,
        health: Health | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        email: bool = True,
        outbox_every: float = OUTBOX_EVERY,
    ) -> None:
        self.config_path = config_path
        self.store = store
        self.health = health or Health()
        self._on_outcome = on_outcome
        self.config: Config = load_config(config_path)
        self._fetcher = Fetcher(self.config)
        self._stopping = threading.Event()
        self._fenced = threading.Event()  # stepped down: running checks must not write
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(workers), "email": ThreadPoolExecutor(1)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE,
            },
            timezone=UTC,
        )
        self.scheduler.add_listener(self._job_done, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        self.sources: dict[str, Source] = {}
        self._workers = workers
        # always, when on: recipients may also be managed in the review app or added by a
        # reload, and a drain with nothing due never connects to the SMTP server
        self._email = email
        self._executors: set[str] = set()
        self._outbox_every = outbox_every

    def start(self) -> None:
        """Schedule every source, the heartbeat and (unless off) email, then start."""
        self.health.tick()
        self.scheduler.add_job(self.health.tick, IntervalTrigger(seconds=HEARTBEAT), id="_tick")
        if self._email:
            self._schedule_email()
        self._schedule_all(self.config)
        self.scheduler.start()
        log.info("scheduler started with %d sources", len(self.config.sources))
        if not self.config.sources:
            log.warning("%s lists no sources: nothing will be checked", self.config_path)

    def reload(self) -> None:
        """Re-read sources.yaml and rebuild the schedule; keep the old one if it is invalid."""
        from monitor.errors import ConfigError

        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            _log_refused(exc)
            return
        if not config.sources and self.config.sources:
            log.error(
                "reload refused, keeping the current schedule: %s now lists no sources (it "
                "listed %d); a truncated file or a bad deploy would stop all monitoring. To "
                "watch nothing, stop the service",
                self.config_path,
                len(self.config.sources),
            )
            return
        old = dict(self.sources)
        before = [s.id for s in self.config.sources]
        self.config = config
        self._fetcher = Fetcher(config)
        current = {s.id for s in all_sources(config, self.store)}
        for job in self.scheduler.get_jobs():
            if job.id != "_tick" and job.id not in current:
                job.remove()
        changed = [s for s in all_sources(config, self.store) if old.get(s.id) != s]
        self._schedule_all(config, only={s.id for s in changed})
        after = [s.id for s in config.sources]
        added = [i for i in after if i not in before]
        removed = [i for i in before if i not in after]
        log.info(
            "reloaded %s: %d sources, %d new or changed%s%s",
            self.config_path,
            len(config.sources),
            len(changed),
            f"; added: {', '.join(added)}" if added else "",
            f"; removed: {', '.join(removed)}" if removed else "",
        )

    def stop(self, timeout: float = 30.0, *, step_down: bool = False) -> bool:
        """Stop taking new checks and wait up to ``timeout`` for running ones; True if clean.

        Then send what is queued, unless the timeout ran out (exit promptly; it waits for the
        next start, nothing is lost). ``step_down``: this process lost the leader lock, so
        another may lead already: checks still running write nothing, and the new leader
        sends the outbox.
        """
        self._stopping.set()
        if step_down:
            self._fenced.set()
        done = threading.Event()

        def shutdown() -> None:
            self.scheduler.shutdown(wait=True)
            done.set()

        threading.Thread(target=shutdown, name="shutdown", daemon=True).start()
        clean = done.wait(timeout)
        self._fetcher.close()
        if self._email and clean and not step_down:
            self._flush_email()
        elif self._email:
            log.info("email: not drained on the way out; what is queued is sent later")
        return clean

    def _flush_email(self) -> None:
        """Send what the last checks queued; on failure it stays queued for the next start."""
        try:
            self.send_email()
        except (StorageError, DBAPIError) as exc:
            log.error(
                "email: the last drain before stopping failed: database error: %s", first_line(exc)
            )
        except Exception:  # noqa: BLE001 - stopping must not fail because of email
            log.exception("email: the last drain before stopping failed")

    def _schedule_email(self) -> None:
        """Drain the outbox every ``outbox_every`` seconds and queue digests at digest_time."""
        hour, minute = self.config.notifications.digest_time.split(":")
        self.scheduler.add_job(
            self.send_email,
            IntervalTrigger(seconds=self._outbox_every),
            id="_outbox",
            executor="email",
        )
        self.scheduler.add_job(
            self.queue_digests,
            CronTrigger(hour=int(hour), minute=int(minute)),
            id="_digest",
            executor="email",
        )

    def send_email(self) -> None:
        """Send what is due in the outbox (failures stay queued, retried with backoff)."""
        from notifications.smtp import SmtpSettings, send_due

        settings = self.config.notifications
        try:
            smtp = SmtpSettings.from_env()
        except ValueError as exc:  # checked at start; the environment cannot change since
            log.error("email: not sending, the SMTP settings are wrong: %s", exc)
            return
        report = send_due(self.store, smtp, settings.from_address, channels=settings.channels)
        if report.sent or report.failed:
            log.info(
                "email: sent %d, failed %d%s",
                report.sent,
                report.failed,
                f": {report.error}" if report.error else "",
            )

    def queue_digests(self) -> None:
        """Queue today's digests (sent by the next outbox drain)."""
        from monitor.alerts import digest_messages

        log.info("email: queued %d digests", digest_messages(self.config, self.store))

    def _schedule_all(self, config: Config, only: set[str] | None = None) -> None:
        rows = {row.id: row for row in self.store.source_rows()}
        self.sources = {s.id: s for s in all_sources(config, self.store)}
        self.health.sources = frozenset(self.sources)
        now = datetime.now(UTC)
        for source in self.sources.values():
            if only is not None and source.id not in only:
                continue
            last = getattr(rows.get(source.id), "last_checked_at", None)
            self.scheduler.add_job(
                self._check,
                trigger_for(source),
                args=[source.id],
                id=source.id,
                name=source.name,
                replace_existing=True,
                next_run_time=first_run(source, last, now),
                executor=self._executor_for(source),
            )

    def _executor_for(self, source: Source) -> str:
        """One thread pool per host, sized by its politeness concurrency (at most ``workers``).

        Checks of a slow or failing host then wait in that host's own pool and never hold the
        threads other hosts' checks need.
        """
        name = f"host:{source.host}"
        if name not in self._executors:
            size = min(self._workers, self.config.host_policy(source.host).concurrency)
            self.scheduler.add_executor(ThreadPoolExecutor(size), alias=name)
            self._executors.add(name)
        return name

    def _schedule_new(self, config: Config) -> None:
        """Schedule derived sources found by the last check (already checked once)."""
        known = set(self.sources)
        for source in all_sources(config, self.store):
            if source.id not in known:
                self.sources[source.id] = source
                self.health.sources = frozenset(self.sources)
                self.scheduler.add_job(
                    self._check,
                    trigger_for(source),
                    args=[source.id],
                    id=source.id,
                    name=source.name,
                    replace_existing=True,
                    executor=self._executor_for(source),
                )

    def _check(self, source_id: str) -> None:
        if self._stopping.is_set():
            return
        config = self.config
        source = self.sources.get(source_id) or config.get(source_id)
        paused = self.store.paused_ids()
        if paused and (source.id in paused or source.parent in paused):
            log.info("check %s skipped: paused", source.id)
            return
        fenced = cast(Store, _FencedStore(self.store, self._fenced))
        outcomes = run_cycle(config, [source], fenced, workers=1, fetcher=self._fetcher)
        if any(o.source not in self.sources for o in outcomes):
            self._schedule_new(config)
        for outcome in outcomes:
            self.health.record(outcome)
            log.info(
                "check %s %s in %d ms%s",
                outcome.source,
                outcome.status,
                outcome.duration_ms,
                f": {outcome.error}" if outcome.error else "",
                extra={  # separate fields in --log-format json, for log shippers
                    "source": outcome.source,
                    "outcome": outcome.status,
                    "duration_ms": outcome.duration_ms,
                    **({"error": outcome.error} if outcome.error else {}),
                },
            )
            if self._on_outcome:
                self._on_outcome(outcome)

    def _job_done(self, event: JobExecutionEvent) -> None:
        self.health.tick()
        if event.exception is None:
            return
        if isinstance(event.exception, SteppedDown):
            log.warning("%s: %s", _job_name(event.job_id), event.exception)
            return
        if isinstance(event.exception, StorageError | DBAPIError):
            # the database is away (restart, network): one line each, /healthz says 503; the
            # job runs again on its schedule once it is back
            log.error(
                "%s failed: database error: %s",
                _job_name(event.job_id),
                first_line(event.exception),
            )
            return
        # The top-level loop: a bug in one check must not stop the service; log it whole.
        log.error(
            "%s crashed: %r", _job_name(event.job_id), event.exception, exc_info=event.exception
        )
