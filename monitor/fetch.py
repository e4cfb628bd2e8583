"""Fetch stage: polite, bounded HTTP with conditional GET.

One :class:`Fetcher` per run wraps one ``requests.Session``. It adds what a long-running
monitor needs on top of requests: retries with backoff that honour ``Retry-After`` (urllib3's
``Retry``, capped so one host cannot park a worker for an hour), conditional GET, a streamed
body-size limit, robots.txt (cached per host) and per-host rate and concurrency limits.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from monitor.config import Config, HostPolicy, Source
from monitor.errors import BadContentType, BodyTooLarge, FetchError, RobotsDisallowed

CHUNK = 64 * 1024
MAX_RETRY_AFTER = 120.0  # seconds; a longer Retry-After fails the check and we try next cycle


@dataclass(frozen=True, slots=True)
class Validators:
    """What we send back for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """One URL to fetch, and what we will accept back."""

    url: str
    accept: str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
    content_types: tuple[str, ...] = ("text/html", "application/xhtml+xml")
    validators: Validators = field(default_factory=Validators)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A 200 response with its body read in full."""

    url: str
    final_url: str
    status: int
    body: bytes
    content_type: str
    validators: Validators
    elapsed: float


@dataclass(frozen=True, slots=True)
class NotModified:
    """The server answered 304: nothing to parse, nothing to store."""

    url: str
    validators: Validators
    elapsed: float


class _CappedRetry(Retry):
    """urllib3 Retry whose Retry-After wait is capped at :data:`MAX_RETRY_AFTER`."""

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), MAX_RETRY_AFTER)


class HostGate:
    """Per-host politeness: at most ``concurrency`` requests in flight, ``rate`` per second."""

    def __init__(self, policy: HostPolicy) -> None:
        self._slots = threading.BoundedSemaphore(policy.concurrency)
        self._interval = 1.0 / policy.rate if policy.rate > 0 else 0.0
        self._lock = threading.Lock()
        self._next_start = 0.0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a concurrency slot, after waiting for the rate limit."""
        with self._slots:
            self._wait_turn()
            yield

    def _wait_turn(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self._interval
        if start > now:
            time.sleep(start - now)


class Fetcher:
    """Fetch URLs for one run; thread-safe."""

    def __init__(self, config: Config, *, backoff_factor: float = 0.5) -> None:
        self._config = config
        self._session = _make_session(config, backoff_factor)
        self._gates: dict[str, HostGate] = {}
        self._robots: dict[str, RobotFileParser] = {}
        self._proxy_cache: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()

    def fetch(self, source: Source, request: FetchRequest) -> FetchResult | NotModified:
        """GET ``request.url`` for ``source``; raise a :class:`FetchError` subclass on failure."""
        defaults = source.defaults
        if defaults.respect_robots and not self._allowed(request.url):
            raise RobotsDisallowed(f"robots.txt disallows {request.url}")
        started = time.monotonic()
        with self._gate(request.url).slot():
            response = self._get(request, (defaults.connect_timeout, defaults.timeout))
            with response:
                return self._read(response, request, defaults.max_body_mb, started)

    def _get(self, request: FetchRequest, timeout: tuple[float, float]) -> requests.Response:
        headers = {"Accept": request.accept}
        if request.validators.etag:
            headers["If-None-Match"] = request.validators.etag
        if request.validators.last_modified:
            headers["If-Modified-Since"] = request.validators.last_modified
        try:
            return self._session.get(
                request.url,
                headers=headers,
                timeout=timeout,
                stream=True,
                proxies=self._proxies(request.url),
            )
        except requests.exceptions.RetryError as exc:
            raise FetchError(f"gave up after retries: {_reason(exc)}") from None
        except requests.exceptions.Timeout:
            raise FetchError(f"timed out after {timeout[1]:g} s") from None
        except requests.exceptions.RequestException as exc:
            if _read_timed_out(exc):  # retried reads that timed out come back as ConnectionError
                raise FetchError(
                    f"timed out after {timeout[1]:g} s waiting for the server to answer "
                    "(connected, no response), on every try"
                ) from None
            raise FetchError(f"could not connect: {_reason(exc)}") from None

    def _read(
        self, response: requests.Response, request: FetchRequest, max_mb: float, started: float
    ) -> FetchResult | NotModified:
        validators = Validators(
            etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified")
        )
        if response.status_code == 304:
            _ = response.content  # consume the (empty) body so the connection returns to the pool
            kept = validators if validators.etag or validators.last_modified else request.validators
            return NotModified(request.url, kept, time.monotonic() - started)
        if response.status_code != 200:
            raise FetchError(
                f"HTTP {response.status_code} {response.reason or ''}".strip(),
                http_status=response.status_code,
            )
        content_type = _check_type(response, request)
        body = _read_capped(response, int(max_mb * 1024 * 1024))
        return FetchResult(
            url=request.url,
            final_url=response.url,
            status=response.status_code,
            body=body,
            content_type=content_type,
            validators=validators,
            elapsed=time.monotonic() - started,
        )

    def _proxies(self, url: str) -> dict[str, str]:
        """Proxy settings from the environment, looked up once per host.

        requests re-reads os.environ on every request when ``trust_env`` is on (about 0.3 ms
        of CPU each); the session turns that off and this cache keeps HTTP(S)_PROXY/NO_PROXY
        working.
        """
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            if key not in self._proxy_cache:
                self._proxy_cache[key] = requests.utils.get_environ_proxies(key + "/")
            return self._proxy_cache[key]

    def _gate(self, url: str) -> HostGate:
        host = urlsplit(url).hostname or ""
        with self._lock:
            if host not in self._gates:
                self._gates[host] = HostGate(self._config.host_policy(host))
            return self._gates[host]

    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            parser = self._robots.get(root)
        if parser is None:
            parser = self._load_robots(root)
            with self._lock:
                self._robots[root] = parser
        return parser.can_fetch(self._config.user_agent, url)

    def _load_robots(self, root: str) -> RobotFileParser:
        """Fetch and parse robots.txt; a missing or unreachable file allows everything."""
        parser = RobotFileParser(root + "/robots.txt")
        try:
            response = self._session.get(
                root + "/robots.txt", timeout=(5, 10), proxies=self._proxies(root)
            )
        except requests.exceptions.RequestException:
            parser.parse([])
            return parser
        if response.status_code in (401, 403):
            parser.disallow_all = True  # type: ignore[attr-defined]  # the robots.txt convention for an access-denied file
        elif response.status_code == 200:
            parser.parse(response.text.splitlines())
        else:
            parser.parse([])
        return parser


def _make_session(config: Config, backoff_factor: float) -> requests.Session:
    retry = _CappedRetry(
        total=config.defaults.retries,
        connect=config.defaults.retries,
        read=config.defaults.retries,
        status=config.defaults.retries,
        backoff_factor=backoff_factor,
        backoff_max=60,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=16, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = config.user_agent
    # Environment lookups happen once per host in Fetcher._proxies, not on every request.
    session.trust_env = False
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    return session


def _check_type(response: requests.Response, request: FetchRequest) -> str:
    content_type = response.headers.get("Content-Type", "")
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime and mime not in request.content_types:
        raise BadContentType(
            f"unexpected content type {mime!r}; expected {', '.join(request.content_types)}",
            http_status=response.status_code,
        )
    return content_type


def _read_capped(response: requests.Response, limit: int) -> bytes:
    """Read the body, aborting as soon as it passes ``limit`` bytes."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"body of {int(declared):,} bytes is over the {limit:,} byte limit")
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(f"body passed the {limit:,} byte limit; download aborted")
            chunks.append(chunk)
    except requests.exceptions.RequestException as exc:
        raise FetchError(f"connection broke while reading the body: {_reason(exc)}") from None
    return b"".join(chunks)


def _read_timed_out(exc: BaseException) -> bool:
    """The server took the connection but never answered within the read timeout."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ReadTimeoutError)


def _reason(exc: BaseException) -> str:
    """A short, readable cause of a requests/urllib3 error (DNS, refused, reset, ...)."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    text = str(reason or exc)
    if isinstance(reason, NameResolutionError) or "Failed to resolve" in text:
        return f"cannot resolve host {_host_of(reason)} (no network or DNS?)"
    if "Connection refused" in text:
        return f"connection refused by {_host_of(reason)}"
    if isinstance(reason, (NewConnectionError, ConnectTimeoutError)):
        return text.split(": ", 1)[-1][:300]
    return text[:300]


def _host_of(reason: object) -> str:
    pool = getattr(reason, "conn", None) or getattr(reason, "pool", None)
    host, port = getattr(pool, "host", None), getattr(pool, "port", None)
    if host is None:
        return "the host"
    return f"{host}:{port}" if port not in (None, 80, 443) else str(host)
