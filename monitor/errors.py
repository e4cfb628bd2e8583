"""The one exception tree of policy-monitor.

::

    MonitorError                 anything policy-monitor raises on purpose
    ├── ConfigError              sources.yaml or settings are invalid (message lists every problem)
    ├── NotFoundError            something named on the command line does not exist (a draft,
    │   │                        version, user, token, message, source in the database)
    │   └── UnknownSourceError   a source id given on the command line is not configured
    ├── DecidedError             a draft was already decided (``drafts decide`` without --force)
    └── CheckFailed              one check of one source failed; recorded, never fatal to a run
        ├── FetchError           HTTP error status, connection error, timeout
        │   ├── RobotsDisallowed robots.txt forbids the URL for our user agent
        │   ├── BodyTooLarge     the body went past the size limit while streaming
        │   └── BadContentType   the server sent a type this source kind cannot read
        └── ContentMissing       the page came back but its main content is missing or
                                 near-empty (an error or maintenance page served with 200)

``StorageError`` (the database cannot be reached or is not initialised) sits beside this
tree: it is defined in :mod:`storage.errors`, because ``storage`` must not import ``monitor``,
and re-exported here. Its subclasses ``RecordNotFound`` (no such user or token) and
``RecordExists`` (that user exists already) are the caller's mistakes, not the database's: the
CLI reports them as usage errors (exit code 2), like :class:`NotFoundError`.

``NotModified`` is not an error: the fetch stage returns it as a named outcome.
"""

from __future__ import annotations

from storage.errors import StorageError

__all__ = ["StorageError"]


class MonitorError(Exception):
    """Base class for every error policy-monitor raises on purpose."""


class ConfigError(MonitorError):
    """Configuration is invalid; ``problems`` holds one actionable line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class NotFoundError(MonitorError):
    """Something named on the command line does not exist: a usage error (exit code 2).

    The storage layer says "no user ..." with a :class:`StorageError`; the CLI raises this
    instead, so that a mistyped id is never reported as a database error (exit code 3).
    """


class UnknownSourceError(NotFoundError):
    """A source id that is not in sources.yaml."""


class DecidedError(MonitorError):
    """A draft was decided already; the CLI overturns a decision only when told to."""


class CheckFailed(MonitorError):
    """One check failed; ``reason`` is a short machine-readable code for the check table."""

    reason = "error"

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        self.http_status = http_status
        super().__init__(message)


class FetchError(CheckFailed):
    """The HTTP request failed (status, connection, timeout)."""

    reason = "fetch-error"


class RobotsDisallowed(FetchError):
    """robots.txt forbids fetching this URL."""

    reason = "robots-disallowed"


class BodyTooLarge(FetchError):
    """The response body was larger than the configured maximum."""

    reason = "body-too-large"


class BadContentType(FetchError):
    """The response had a content type this source kind cannot read."""

    reason = "bad-content-type"


class ContentMissing(CheckFailed):
    """The page's main content is missing or near-empty: an error page, not a new version."""

    reason = "content-missing"
