"""Slow down password guessing: too many failed logins lock an account for a while.

Written by hand rather than with Flask-Limiter: only *failed* attempts count, keyed by the
account, and a good login clears them. That is a dozen lines here; Flask-Limiter (with
``deduct_when``) would do it with three more dependencies for one route.

Keyed by account, not by client address: behind the reverse proxy the docs ask for, every
request comes from the proxy's address, and one guesser could lock everybody out. The counts
live in this process's memory: a restart clears them, and with several web processes each
counts its own (a guesser still gets only a few tries per window from each).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

FAILURES = 5  # failed logins for one account within WINDOW before it is locked
WINDOW = 15 * 60.0  # seconds
MAX_KEYS = 10_000  # accounts (tried names) remembered at most: guessing names costs no memory


class LoginThrottle:
    """Failed logins per account in a sliding window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, email: str) -> int:
        """Minutes until ``email`` may try to log in again (0: it may try now)."""
        key = _key(email)
        with self._lock:
            times = self._failures.get(key)
            if times is None:
                return 0
            now = self._clock()
            while times and times[0] <= now - WINDOW:
                times.popleft()
            if not times:
                del self._failures[key]
                return 0
            return math.ceil((times[0] + WINDOW - now) / 60) if len(times) >= FAILURES else 0

    def failed(self, email: str) -> None:
        """Count one failed login."""
        with self._lock:
            now = self._clock()
            if len(self._failures) >= MAX_KEYS:
                self._forget(now)
            self._failures.setdefault(_key(email), deque()).append(now)

    def _forget(self, now: float) -> None:
        """Drop the names whose failures are all older than the window; if that is not enough
        (someone trying many names at once), the ones failed longest ago."""
        for key in [k for k, times in self._failures.items() if times[-1] <= now - WINDOW]:
            del self._failures[key]
        excess = len(self._failures) - MAX_KEYS // 2
        if excess > 0:
            oldest = sorted(self._failures, key=lambda k: self._failures[k][-1])[:excess]
            for key in oldest:
                del self._failures[key]

    def succeeded(self, email: str) -> None:
        """A good login clears the account's failures."""
        with self._lock:
            self._failures.pop(_key(email), None)


def _key(email: str) -> str:
    return email.strip().lower()
