"""Content-addressed, compressed storage for raw response bodies.

Why not plain gzip per body: a policy monitor keeps years of versions of pages that differ by
a sentence, and GOV.UK pages share most of their markup. So each body is compressed with
zstd *against an earlier body* used as a raw-content dictionary (zstd's "patch-from"):

* a new version of a source is compressed against that source's previous body, so a one-line
  edit costs a few hundred bytes;
* a source's first body is compressed against a *keyframe* of the same host (the first body
  stored for that host), so shared page chrome is stored once per host, not once per page.

A chain never grows past :data:`MAX_DEPTH`; the next body then starts a fresh chain from the
keyframe. Reading a body decompresses at most ``MAX_DEPTH`` bases, with an LRU cache.
Identical bodies are stored once (the id is the SHA-256 of the raw bytes).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import zstandard
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storage.errors import StorageError
from storage.models import BlobRow

MAX_DEPTH = 8
LEVEL = 3  # level 9 stores ~10% less but costs 2.5x the CPU per body (benchmarks)
CACHE_ITEMS = 64
MAX_KNOWN = 100_000  # ids whose existence we remember (~10 MB at most)


def blob_id(raw: bytes) -> str:
    """The content address of ``raw``."""
    return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """What :meth:`BlobStore.put` wrote (or found already there)."""

    id: str
    size: int
    stored_size: int
    created: bool


class _Lru(OrderedDict[str, bytes]):
    def remember(self, key: str, value: bytes) -> bytes:
        self[key] = value
        self.move_to_end(key)
        while len(self) > CACHE_ITEMS:
            self.popitem(last=False)
        return value


class BlobStore:
    """Put and get raw bodies; one instance may be shared by a run (not thread-safe)."""

    def __init__(self) -> None:
        self._raw = _Lru()
        self._keyframes: dict[str, tuple[str, int]] = {}
        # What we know exists (id -> chain depth), so a batch does not ask row by row; ids
        # written in the open transaction are in _pending until commit() or rollback().
        self._depths: dict[str, int] = {}
        self._absent: set[str] = set()
        self._pending: list[str] = []

    def prefetch(self, session: Session, ids: Iterable[str]) -> None:
        """Learn in one query which of ``ids`` exist (and their depths) before a batch."""
        wanted = {i for i in ids if i not in self._depths}
        if not wanted:
            return
        query = select(BlobRow.id, BlobRow.depth).where(BlobRow.id.in_(wanted))
        found: dict[str, int] = {row[0]: row[1] for row in session.execute(query)}
        self._depths.update(found)
        self._absent = wanted - found.keys()

    def commit(self) -> None:
        """The transaction holding the last puts committed: keep what we learnt."""
        self._pending.clear()
        self._absent.clear()
        if len(self._depths) > MAX_KNOWN:
            self._depths.clear()

    def rollback(self) -> None:
        """The transaction failed: forget every blob it would have written."""
        for ident in self._pending:
            self._depths.pop(ident, None)
            self._raw.pop(ident, None)
        self._keyframes = {g: k for g, k in self._keyframes.items() if k[0] not in self._pending}
        self._pending.clear()
        self._absent.clear()

    def put(self, session: Session, raw: bytes, *, group: str, previous: str | None) -> StoredBlob:
        """Store ``raw`` (if new), delta-compressed against ``previous`` or the group keyframe."""
        ident = blob_id(raw)
        if self._depth(session, ident) is not None:
            return StoredBlob(ident, len(raw), 0, created=False)
        base_id, depth = self._choose_base(session, group, previous)
        codec, data = self._compress(session, raw, base_id)
        values = {
            "id": ident,
            "size": len(raw),
            "group_key": group,
            "base_id": base_id,
            "depth": depth,
            "codec": codec,
            "data": data,
        }
        session.execute(insert(BlobRow), [values])
        self._depths[ident] = depth
        self._pending.append(ident)
        self._raw.remember(ident, raw)
        if base_id is None:
            self._keyframes[group] = (ident, 0)
        return StoredBlob(ident, len(raw), len(data), created=True)

    def _depth(self, session: Session, ident: str) -> int | None:
        """The chain depth of a stored blob, or None when it is not stored."""
        if ident in self._depths:
            return self._depths[ident]
        if ident in self._absent:
            return None
        depth = session.scalar(select(BlobRow.depth).where(BlobRow.id == ident))
        if depth is not None:
            self._depths[ident] = depth
        return depth

    def get(self, session: Session, ident: str) -> bytes:
        """The raw bytes of blob ``ident``."""
        cached = self._raw.get(ident)
        if cached is not None:
            return cached
        row = session.get(BlobRow, ident)
        if row is None:
            raise StorageError(f"blob {ident} is missing from the database")
        base = self.get(session, row.base_id) if row.base_id else None
        return self._raw.remember(ident, _decompress(row.data, base))

    def _choose_base(
        self, session: Session, group: str, previous: str | None
    ) -> tuple[str | None, int]:
        if previous is not None:
            depth = self._depth(session, previous)
            if depth is not None and depth < MAX_DEPTH:
                return previous, depth + 1
        keyframe = self._keyframe(session, group)
        return (keyframe, 1) if keyframe else (None, 0)

    def _keyframe(self, session: Session, group: str) -> str | None:
        if group not in self._keyframes:
            query = select(BlobRow.id).where(BlobRow.group_key == group, BlobRow.depth == 0)
            found = session.scalars(query.limit(1)).first()
            if found is None:
                return None
            self._keyframes[group] = (found, 0)
        return self._keyframes[group][0]

    def _compress(self, session: Session, raw: bytes, base_id: str | None) -> tuple[str, bytes]:
        if base_id is None:
            return "zstd", zstandard.ZstdCompressor(level=LEVEL).compress(raw)
        base = zstandard.ZstdCompressionDict(
            self.get(session, base_id), dict_type=zstandard.DICT_TYPE_RAWCONTENT
        )
        return "zstd-delta", zstandard.ZstdCompressor(level=LEVEL, dict_data=base).compress(raw)


def _decompress(data: bytes, base: bytes | None) -> bytes:
    if base is None:
        return zstandard.ZstdDecompressor().decompress(data)
    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(data)
