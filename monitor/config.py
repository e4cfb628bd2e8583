"""Load and validate ``sources.yaml``: what to watch, how often, and how politely.

Validation happens here, at the edge, with pydantic models that reject unknown keys. Every
problem becomes one line naming the file, the entry (index and id) and the field, e.g.::

    sources.yaml: entry 3 (dfe-feed) -> url: Input should be a valid URL

Nothing past this module ever sees a raw dict from the YAML file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

from monitor.errors import ConfigError

DEFAULT_USER_AGENT = (
    "policy-monitor/0.1 (+https://github.com/policy-monitor/policy-monitor; "
    "watches public policy documents for the Kinship policy team)"
)
SLUG = r"^[a-z0-9][a-z0-9-]*$"
_HOST = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
_INTERVAL = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class Schedule(BaseModel):
    """When a source is checked: a fixed interval or a cron expression."""

    model_config = ConfigDict(frozen=True)

    interval: timedelta | None = None
    cron: str | None = None

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """Parse ``30m`` / ``6h`` / ``1d`` / ``2w`` or a five-field cron expression."""
        match = _INTERVAL.match(text.strip())
        if match:
            amount = int(match.group(1))
            if amount <= 0:
                raise ValueError("interval must be greater than zero")
            return cls(interval=timedelta(**{_UNITS[match.group(2)]: amount}))
        try:
            cron_trigger(text)
        except ValueError as exc:
            raise ValueError(
                f"{text!r} is neither an interval like 30m, 6h, 1d nor a cron expression ({exc})"
            ) from None
        return cls(cron=text.strip())

    def __str__(self) -> str:
        if self.cron:
            return self.cron
        seconds = int(self.interval.total_seconds()) if self.interval else 0
        for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
            if seconds % size == 0:
                return f"{seconds // size}{unit}"
        return f"{seconds}s"

    def trigger(self) -> CronTrigger | None:
        """An APScheduler cron trigger for a cron schedule (None for an interval)."""
        return cron_trigger(self.cron) if self.cron else None


_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cron_trigger(expression: str) -> CronTrigger:
    """Parse a standard five-field crontab line.

    Written by hand because APScheduler 3's ``CronTrigger.from_crontab`` numbers weekdays from
    Monday = 0, unlike crontab (Sunday = 0 or 7): ``1-5`` would mean Tuesday to Saturday.
    Numeric weekdays are turned into names first, so ``0 7 * * 1-5`` means Monday to Friday.
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"a cron expression has 5 fields, this has {len(fields)}")
    weekday = re.sub(r"(?<![/\w])[0-7](?!\w)", lambda m: _DOW_NAMES[int(m.group())], fields[4])
    return CronTrigger(
        minute=fields[0], hour=fields[1], day=fields[2], month=fields[3], day_of_week=weekday
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HostPolicy(_Strict):
    """Politeness towards one host."""

    rate: float = Field(2.0, ge=0, description="requests per second; 0 means no limit")
    concurrency: int = Field(2, ge=1, le=64, description="requests in flight at once")


class Defaults(_Strict):
    """Settings every source inherits unless it sets its own."""

    every: str = "6h"
    timeout: float = Field(30.0, gt=0, description="read timeout in seconds")
    connect_timeout: float = Field(10.0, gt=0)
    retries: int = Field(3, ge=0, le=10)
    max_body_mb: float = Field(20.0, gt=0)
    respect_robots: bool = True
    host: HostPolicy = HostPolicy()

    @field_validator("every")
    @classmethod
    def _check_every(cls, value: str) -> str:
        Schedule.parse(value)
        return value


class SourceConfig(_Strict):
    """One watched page, as written in sources.yaml."""

    id: str = Field(pattern=SLUG, max_length=80)
    name: str = Field(min_length=1)
    url: HttpUrl
    kind: str
    every: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("every")
    @classmethod
    def _check_every(cls, value: str | None) -> str | None:
        if value is not None:
            Schedule.parse(value)
        return value


class RelevanceSettings(_Strict):
    """How changes are judged (see docs/relevance.md)."""

    enabled: bool = True  # false: store diffs only, no assessments or drafts
    profiles: str | None = None  # a section-profiles YAML file, relative to sources.yaml


_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class Recipient(_Strict):
    """One person and what they want to receive."""

    email: str
    sections: tuple[str, ...] = ()  # tracker section ids; empty means every section
    immediate: bool = True  # an email per relevant change at or above alert_min_score
    digest: bool = True  # the daily digest
    ops: bool = False  # a source failing (and recovering)

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an email address")
        return value

    def wants(self, section: str | None) -> bool:
        """Whether this person follows ``section``."""
        return not self.sections or section in self.sections


class Channel(_Strict):
    """A chat or webhook channel (Slack, Teams, a webhook ...) reached through Apprise.

    The Apprise URL holds the channel's secret, so it is never in sources.yaml: ``url_env``
    names the environment variable that holds it (read when a message is sent).
    """

    name: str = Field(pattern=SLUG, max_length=60)  # outbox recipient "channel:NAME"
    url_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=100)
    sections: tuple[str, ...] = ()  # tracker section ids; empty means every section
    immediate: bool = True  # a message per relevant change at or above alert_min_score
    digest: bool = True  # the daily digest
    ops: bool = False  # a source failing (and recovering)

    def wants(self, section: str | None) -> bool:
        """Whether this channel follows ``section``."""
        return not self.sections or section in self.sections


class NotificationSettings(_Strict):
    """Who gets which emails (the SMTP server comes from environment variables)."""

    from_address: str = "policy-monitor@localhost"
    alert_min_score: float = Field(0.6, ge=0, le=1)
    digest_time: str = Field("07:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    digest_when_empty: bool = False
    failure_threshold: int = Field(3, ge=1, le=100)
    review_url: str | None = None  # e.g. "https://monitor.example.org/drafts/{id}"
    recipients: tuple[Recipient, ...] = ()
    channels: tuple[Channel, ...] = ()  # chat and webhook channels, through Apprise

    @field_validator("channels")
    @classmethod
    def _unique_channel_names(cls, channels: tuple[Channel, ...]) -> tuple[Channel, ...]:
        names = [c.name for c in channels]
        if twice := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"channel names must be unique: {', '.join(twice)} given twice")
        return channels


class ReviewSettings(_Strict):
    """The review web app (see docs/review-app.md); secrets come from environment variables."""

    public_feed: bool = True  # the Atom feed of approved updates readable without logging in
    feed_title: str = "Kinship care policy tracker: approved updates"
    secure_cookies: bool = True  # session cookie only over HTTPS; false for plain-HTTP setups
    session_hours: float = Field(12.0, gt=0, le=24 * 30)  # how long a login lasts


class SourcesFile(_Strict):
    """The whole of sources.yaml."""

    user_agent: str = DEFAULT_USER_AGENT
    defaults: Defaults = Defaults()
    relevance: RelevanceSettings = RelevanceSettings()
    notifications: NotificationSettings = NotificationSettings()
    review: ReviewSettings = ReviewSettings()
    hosts: dict[str, HostPolicy] = Field(default_factory=dict)
    sources: list[SourceConfig] = Field(default_factory=list)

    @field_validator("hosts")
    @classmethod
    def _bare_host_names(cls, hosts: dict[str, HostPolicy]) -> dict[str, HostPolicy]:
        for name in hosts:
            if not _HOST.match(name):
                raise ValueError(
                    f"{name!r} is not a bare host name: write it like www.gov.uk "
                    "(no scheme, port or path)"
                )
        return {name.lower(): policy for name, policy in hosts.items()}


class Source(BaseModel):
    """A validated source with defaults applied and kind options parsed: what the pipeline uses."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    id: str
    name: str
    url: str
    kind: str
    schedule: Schedule
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    sections: tuple[str, ...]
    tags: tuple[str, ...]
    options: BaseModel
    defaults: Defaults
    parent: str | None = None  # set for derived sources (attachments, followed items)
    relation: str | None = None  # "attachment" or "follow" when derived
    parent_name: str | None = None  # the parent's name, for "X added to 'Y'"

    @property
    def host(self) -> str:
        """The host part of the URL (politeness is per host)."""
        from urllib.parse import urlsplit

        return urlsplit(self.url).hostname or ""


class Config(BaseModel):
    """Everything loaded from one sources.yaml."""

    model_config = ConfigDict(frozen=True)

    path: Path
    user_agent: str
    defaults: Defaults
    hosts: dict[str, HostPolicy]
    sources: tuple[Source, ...]
    relevance: RelevanceSettings = RelevanceSettings()
    notifications: NotificationSettings = NotificationSettings()
    review: ReviewSettings = ReviewSettings()
    format: Literal["v1"] = "v1"

    def host_policy(self, host: str) -> HostPolicy:
        """Politeness for ``host``: its own entry, else the default."""
        return self.hosts.get(host, self.defaults.host)

    def get(self, source_id: str) -> Source:
        """The source with this id; :class:`UnknownSourceError` names the known ones."""
        from monitor.errors import UnknownSourceError

        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources) or "(none)"
        raise UnknownSourceError(f"no source {source_id!r} in {self.path.name}; known: {known}")


def load_config(path: Path) -> Config:
    """Read, validate and resolve ``path``; raise :class:`ConfigError` listing every problem."""
    raw = _read_yaml(path)
    try:
        parsed = SourcesFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(path, raw, exc)) from None
    return _resolve(path, parsed)


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (libyaml's when PyYAML has it: faster and far lighter on a long
    sources.yaml), refusing a key given twice in one mapping. Plain YAML loaders keep the last
    one silently: a second ``sources:`` would drop the first list, a second ``every:`` would
    override the first without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<: *anchor': the base class merges it; its keys may repeat
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                continue  # a complex key: the base class says what it makes of it
            if key in lines:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the key {key!r} is given twice in one mapping (first on line "
                    f"{lines[key] + 1})",
                    key_node.start_mark,
                )
            lines[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read file: {exc.strerror or exc}"]) from None
    try:
        # libyaml's loader when PyYAML has it: faster and far lighter on a long sources.yaml
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{path.name}:{where}: not valid YAML: {problem}"]) from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError([f"{path.name}: top level must be a mapping with a 'sources:' list"])
    return data


def _describe(path: Path, raw: Any, exc: ValidationError) -> list[str]:
    """Flatten pydantic errors into one line each, naming the entry by index and id."""
    lines = []
    for error in exc.errors():
        loc = list(error["loc"])
        where = _where(raw, loc)
        field = ".".join(str(part) for part in loc) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown setting (check the spelling; see docs/configuration.md)"
        lines.append(f"{path.name}: {where}{field}: {message}")
    return lines


def _where(raw: Any, loc: list[Any]) -> str:
    """Turn a location like ['sources', 2, 'url'] into 'entry 3 (id) -> ' and trim loc."""
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
        index = loc[1]
        entries = raw.get("sources") if isinstance(raw, Mapping) else None
        entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
        ident = entry.get("id") if isinstance(entry, Mapping) else None
        del loc[:2]
        label = f"entry {index + 1}" + (f" ({ident})" if ident else "")
        return f"{label} -> "
    return ""


def _resolve(path: Path, parsed: SourcesFile) -> Config:
    """Apply defaults, check ids are unique and kinds known, and parse kind options."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    sources = []
    for index, entry in enumerate(parsed.sources):
        label = f"{path.name}: entry {index + 1} ({entry.id}) -> "
        if entry.id in seen:
            problems.append(f"{label}id: duplicate id, also used by entry {seen[entry.id] + 1}")
        seen.setdefault(entry.id, index)
        try:
            sources.append(_resolve_source(entry, parsed.defaults))
        except ConfigError as exc:
            problems.extend(label + problem for problem in exc.problems)
    if problems:
        raise ConfigError(problems)
    return Config(
        path=path,
        user_agent=parsed.user_agent,
        defaults=parsed.defaults,
        hosts=parsed.hosts,
        sources=tuple(sources),
        relevance=parsed.relevance,
        notifications=parsed.notifications,
        review=parsed.review,
    )


def _option_problem(error: Any) -> str:
    field = ".".join(str(p) for p in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown option for this kind (see docs/source-kinds.md)"
    return f"options.{field}: {message}"


def _resolve_source(entry: SourceConfig, defaults: Defaults) -> Source:
    from monitor.sources import get_kind

    kind = get_kind(entry.kind)
    try:
        options = kind.Options.model_validate(entry.options)
    except ValidationError as exc:
        raise ConfigError([_option_problem(e) for e in exc.errors()]) from None
    return Source(
        id=entry.id,
        name=entry.name,
        url=str(entry.url),
        kind=entry.kind,
        schedule=Schedule.parse(entry.every or defaults.every),
        select=entry.select,
        ignore=entry.ignore,
        sections=entry.sections,
        tags=entry.tags,
        options=options,
        defaults=defaults,
    )
