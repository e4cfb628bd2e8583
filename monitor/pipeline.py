"""Run checks: fetch → extract → normalise → compare → (diff) → store.

:func:`inspect` is the per-source part and runs in worker threads: it touches the network but
not the database. :func:`run_cycle` feeds a bounded pool of workers and writes their results in
batches from one thread, diffing the few sources whose document changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

from monitor.alerts import check_messages
from monitor.classify import Relevance, classify, first_sight
from monitor.config import Config, Source
from monitor.derived import derived_sources, to_spec
from monitor.derived import event as derived_event
from monitor.diff import ChangeSet, diff_documents
from monitor.document import Block, BlockKind, Document
from monitor.errors import BadContentType, CheckFailed, ContentMissing, FetchError
from monitor.fetch import Fetcher, FetchRequest, FetchResult, NotModified, Validators
from monitor.normalise import is_content_missing
from monitor.recipients import with_stored_recipients
from monitor.render import changes_to_dict
from monitor.sources import get_kind
from monitor.sources.base import Discovery
from storage.blobs import blob_id
from storage.store import (
    ChangeRecord,
    CheckRecord,
    DerivedSpec,
    SnapshotInfo,
    SourceSpec,
    SourceState,
    Store,
    Written,
    utcnow,
)

FALLBACK_STATUSES = (404, 406)  # the first URL of a kind cannot serve this page; try the next
BATCH = 50  # records per write transaction (each holds its raw body until written)


@dataclass(frozen=True, slots=True)
class Inspection:
    """What a worker found: the record to write, plus the document when it may have changed."""

    record: CheckRecord
    document: Document | None = None
    discoveries: tuple[Discovery, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one check, as the CLI reports it."""

    source: str
    status: str
    snapshot: int | None
    change: int | None
    error: str | None
    duration_ms: int
    stats: dict[str, int] | None = None
    parent: str | None = None  # for an attachment or followed item: the source that found it
    relevant: bool | None = None  # the change's assessment (None: not assessed)
    event: str | None = None  # e.g. "Evaluation report added to 'Family Network Pilot'"


def spec(source: Source) -> SourceSpec:
    """The store's view of a configured source."""
    return SourceSpec(id=source.id, name=source.name, kind=source.kind, url=source.url)


def inspect(source: Source, state: SourceState, fetcher: Fetcher) -> Inspection:
    """Check one source without touching the database."""
    started, clock = utcnow(), time.monotonic()
    try:
        return _inspect(source, state, fetcher, started, clock)
    except CheckFailed as exc:
        return Inspection(_failed(source, started, clock, exc))


def _inspect(
    source: Source, state: SourceState, fetcher: Fetcher, started: datetime, clock: float
) -> Inspection:
    request, fetched = fetch_with_fallback(source, state, fetcher)
    base = CheckRecord(
        source_id=source.id, started_at=started, duration_ms=0, status="", url=request.url
    )
    if isinstance(fetched, NotModified):
        return Inspection(_finish(base, clock, "not-modified", fetched.validators, http=304))
    record = replace(
        base,
        final_url=fetched.final_url,
        http_status=fetched.status,
        body=fetched.body,
        group=urlsplit(fetched.final_url).hostname or "",
        content_type=fetched.content_type,
    )
    if state.last_hash and blob_id(fetched.body) == state.last_body_id:
        # Byte-identical to the last body: no need to parse (servers without ETag support).
        return Inspection(_finish(record, clock, "unchanged", fetched.validators))
    return _compare(source, state, record, fetched, clock)


def _compare(
    source: Source, state: SourceState, record: CheckRecord, fetched: FetchResult, clock: float
) -> Inspection:
    document = get_kind(source.kind).extract(source, fetched)
    reason = is_content_missing(document, state.last_text_length)
    if reason:
        raise ContentMissing(f"content missing: {reason}", http_status=fetched.status)
    digest = document.content_hash()
    if state.last_snapshot_id is None:
        status = "new"
    else:
        status = "unchanged" if digest == state.last_hash else "changed"
    record = replace(
        record, content_hash=digest, title=document.title, text_length=document.text_length()
    )
    record = _finish(record, clock, status, fetched.validators)
    if status in ("new", "changed"):
        record = replace(record, tracker_sections=_tracker_sections(source, fetched))
    found = _discover(source, fetched) if status in ("new", "changed") else ()
    keep = status == "changed" or (status == "new" and source.relation == "follow")
    return Inspection(record, document if keep else None, found)


def _tracker_sections(source: Source, fetched: FetchResult) -> tuple[dict, ...] | None:
    """For a tracker kind: the parsed sections to store with the new version."""
    parse = getattr(get_kind(source.kind), "tracker_sections", None)
    return tuple(parse(source, fetched)) if parse is not None else None


def _discover(source: Source, fetched: FetchResult) -> tuple[Discovery, ...]:
    """Attachments and followed items of a new or changed version (never for derived ones)."""
    discover = getattr(get_kind(source.kind), "discover", None)
    if discover is None or source.parent is not None:
        return ()
    return tuple(discover(source, fetched))


def fetch_with_fallback(
    source: Source, state: SourceState, fetcher: Fetcher
) -> tuple[FetchRequest, FetchResult | NotModified]:
    """Fetch the kind's first URL; fall back to the next when that URL cannot serve the page."""
    kind = get_kind(source.kind)
    # getattr, not isinstance(kind, Collects): a runtime Protocol check costs ~0.1 ms per call
    collect = getattr(kind, "collect", None)
    if collect is not None:
        result = collect(source, lambda request: fetcher.fetch(source, request))
        return FetchRequest(url=result.url), result
    candidates = kind.requests(source)
    for position, request in enumerate(candidates):
        request = _with_validators(request, state)
        try:
            return request, fetcher.fetch(source, request)
        except (BadContentType, FetchError) as exc:
            last = position == len(candidates) - 1
            fixable = isinstance(exc, BadContentType) or exc.http_status in FALLBACK_STATUSES
            if last or not fixable:
                raise
    raise FetchError(f"source kind {source.kind!r} gave no URL to fetch")


def _with_validators(request: FetchRequest, state: SourceState) -> FetchRequest:
    if state.validators_url != request.url:
        return request
    return replace(request, validators=Validators(state.etag, state.last_modified))


def _finish(
    record: CheckRecord, clock: float, status: str, validators: Validators, http: int | None = None
) -> CheckRecord:
    return replace(
        record,
        status=status,
        duration_ms=int((time.monotonic() - clock) * 1000),
        etag=validators.etag,
        last_modified=validators.last_modified,
        http_status=http or record.http_status,
    )


def _failed(source: Source, started: datetime, clock: float, exc: CheckFailed) -> CheckRecord:
    return CheckRecord(
        source_id=source.id,
        started_at=started,
        duration_ms=int((time.monotonic() - clock) * 1000),
        status="error",
        url=source.url,
        http_status=exc.http_status,
        error_reason=exc.reason,
        error=str(exc),
    )


# -- diffing (runs in the writer thread) ------------------------------------------------------


def diffable(document: Document) -> Document:
    """The document plus its metadata as trailing blocks, so a new change note is a change."""
    meta = document.metadata
    fields = [
        ("Published", meta.published),
        ("Updated", meta.updated),
        ("Change note", meta.change_note),
        ("Withdrawn", meta.withdrawn),
        ("Document type", meta.document_type),
        *meta.extra,
    ]
    lines = [Block(BlockKind.PARAGRAPH, f"{name}: {value}") for name, value in fields if value]
    if not lines:
        return document
    heading = Block(BlockKind.HEADING, "Page metadata", level=2)
    return replace(document, blocks=(*document.blocks, heading, *lines))


def document_at(store: Store, source: Source, snapshot: SnapshotInfo) -> Document:
    """Re-extract a stored version from its raw body (with today's extraction settings)."""
    fetched = FetchResult(
        url=snapshot.url,
        final_url=snapshot.final_url,
        status=200,
        body=store.body(snapshot.body_id),
        content_type=snapshot.content_type,
        validators=Validators(),
        elapsed=0.0,
    )
    return get_kind(source.kind).extract(source, fetched)


def previous_document(store: Store, source: Source, state: SourceState) -> Document | None:
    """The source's last stored version, re-extracted."""
    if state.last_snapshot_id is None:
        return None
    snapshot = store.snapshot(state.last_snapshot_id)
    return document_at(store, source, snapshot) if snapshot else None


def attach_change(
    store: Store,
    source: Source,
    state: SourceState,
    inspection: Inspection,
    relevance: Relevance | None = None,
) -> CheckRecord:
    """Diff a changed document against the previous version; assess it and draft an update."""
    record, document = inspection.record, inspection.document
    if document is None:
        return record
    if record.status == "new":  # a followed item seen for the first time: a new publication
        return _judged(record, relevance, source, None, document, None)
    old = previous_document(store, source, state)
    if old is None:
        return replace(record, status="new")
    changes = diff_documents(diffable(old), diffable(document))
    if changes.is_empty:
        # Same visible text under a different hash (e.g. the extractor improved): keep the
        # new snapshot so later diffs compare like with like, but report no change.
        return replace(record, status="changed", change=None)
    record = replace(record, change=_change_record(changes))
    return _judged(record, relevance, source, old, document, changes)


def _judged(
    record: CheckRecord,
    relevance: Relevance | None,
    source: Source,
    old: Document | None,
    new: Document,
    changes: ChangeSet | None,
) -> CheckRecord:
    if relevance is None:
        return record
    if changes is None:
        assessment, drafted = first_sight(relevance, source, new)
    else:
        assessment, drafted = classify(relevance, source, old, new, changes)
    return replace(record, assessment=assessment, draft=drafted)


def _change_record(changes: ChangeSet) -> ChangeRecord:
    import json

    stats = changes.stats()
    return ChangeRecord(
        added=stats["added"],
        removed=stats["removed"],
        modified=stats["modified"],
        words_added=stats["words_added"],
        words_removed=stats["words_removed"],
        diff_json=json.dumps(changes_to_dict(changes), ensure_ascii=False),
    )


# -- the cycle --------------------------------------------------------------------------------


def run_cycle(
    config: Config,
    sources: Sequence[Source],
    store: Store,
    *,
    workers: int = 4,
    on_outcome: Callable[[Outcome], None] | None = None,
    fetcher: Fetcher | None = None,
    relevance: Relevance | None = None,
) -> list[Outcome]:
    """Check ``sources`` once, concurrently, and store every result.

    Documents that these checks discover (attachments, followed items) are stored as derived
    sources and checked once straight away, so their history starts the day they appear.
    """
    config = with_stored_recipients(config, store.engine)  # admins edit them in the app
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(config)
    if relevance is None and config.relevance.enabled:
        relevance = Relevance.load(config, store)
    try:
        outcomes, found = _cycle(config, sources, store, workers, on_outcome, fetcher, relevance)
        if found:
            more, _ = _cycle(config, found, store, workers, on_outcome, fetcher, relevance)
            outcomes += more
    finally:
        if own_fetcher:
            fetcher.close()
    return outcomes


def _cycle(
    config: Config,
    sources: Sequence[Source],
    store: Store,
    workers: int,
    on_outcome: Callable[[Outcome], None] | None,
    fetcher: Fetcher,
    relevance: Relevance | None,
) -> tuple[list[Outcome], list[Source]]:
    store.sync_sources(spec(s) for s in sources if s.parent is None)
    states = store.states([s.id for s in sources])
    outcomes: list[Outcome] = []
    pending: list[tuple[Source, CheckRecord]] = []
    discovered: list[DerivedSpec] = []
    for source, inspection in _inspect_all(sources, states, fetcher, workers):
        record = attach_change(store, source, states[source.id], inspection, relevance)
        if config.notifications.recipients or config.notifications.channels:
            messages = check_messages(config, source, states[source.id], record)
            record = replace(record, messages=messages)
        pending.append((source, record))
        discovered += [to_spec(source, d) for d in inspection.discoveries]
        if len(pending) >= BATCH:
            outcomes += _flush(store, pending, on_outcome)
    outcomes += _flush(store, pending, on_outcome)
    return outcomes, _new_derived(store, sources, discovered)


def _new_derived(
    store: Store, sources: Sequence[Source], discovered: list[DerivedSpec]
) -> list[Source]:
    """Store new discoveries as derived sources and return them as Sources to check."""
    new = store.add_derived(discovered)
    if not new:
        return []
    parents = {s.id: s for s in sources}
    rows = [r for r in store.derived() if r.id in {n.id for n in new}]
    return derived_sources(parents, rows)


def _inspect_all(
    sources: Sequence[Source], states: dict[str, SourceState], fetcher: Fetcher, workers: int
) -> Iterator[tuple[Source, Inspection]]:
    """Yield inspections as they finish, keeping at most workers + 2 results in memory."""
    queue = list(reversed(sources))
    running: dict[Future[Inspection], Source] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="check") as pool:
        while queue or running:
            while queue and len(running) < workers + 2:
                source = queue.pop()
                running[pool.submit(inspect, source, states[source.id], fetcher)] = source
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield running.pop(future), future.result()


def _flush(
    store: Store,
    pending: list[tuple[Source, CheckRecord]],
    on_outcome: Callable[[Outcome], None] | None,
) -> list[Outcome]:
    if not pending:
        return []
    written = store.write([record for _, record in pending])
    outcomes = [
        _outcome(source, record, ids)
        for (source, record), ids in zip(pending, written, strict=True)
    ]
    pending.clear()
    for outcome in outcomes:
        if on_outcome:
            on_outcome(outcome)
    return outcomes


def _outcome(source: Source, record: CheckRecord, written: Written) -> Outcome:
    change = record.change
    stats = None
    if change is not None:
        stats = {
            "added": change.added,
            "removed": change.removed,
            "modified": change.modified,
            "words_added": change.words_added,
            "words_removed": change.words_removed,
        }
    status = record.status
    if status == "changed" and change is None:
        status = "unchanged"  # a rehash with no visible difference
    return Outcome(
        event=derived_event(source, status),
        relevant=record.assessment.get("relevant") if record.assessment else None,
        parent=source.parent,
        source=record.source_id,
        status=status,
        snapshot=written.snapshot_id,
        change=written.change_id,
        error=record.error,
        duration_ms=record.duration_ms,
        stats=stats,
    )
