"""Section profiles: what each tracker section is about, as weighted terms, loadable from YAML.

A profiles file is validated with pydantic models that reject unknown keys, and every problem
becomes one line of a :class:`~monitor.errors.ConfigError`, as for ``sources.yaml``. A file
*extends* the defaults unless it says ``extends: none``: a section it names has its terms merged
into the default section's (a weight of 0 removes a term), and a section id the defaults do not
have is added. See docs/relevance.md for the format.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.config import SLUG
from monitor.errors import ConfigError
from monitor.relevance.defaults import DEFAULT_PROFILES

Unless = Literal["anchor", "kinship", "never"]
T = TypeVar("T")


# -- the file format (pydantic, strict) ---------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SectionModel(_Strict):
    """One section as written in a profiles file."""

    title: str | None = Field(None, min_length=1)
    aliases: list[str] | None = None
    publishers: list[str] | None = None
    umbrella: bool | None = None
    terms: dict[str, float] = Field(default_factory=dict)
    negative: dict[str, float] = Field(default_factory=dict)
    asks: list[str] | None = None
    counts: float | None = Field(None, ge=0)


class TopicModel(_Strict):
    """A hard-negative topic."""

    label: str = Field(min_length=1)
    terms: list[str] = Field(default_factory=list)
    hosts: list[str] = Field(default_factory=list)
    unless: Unless = "anchor"
    markers: list[str] = Field(default_factory=list)
    page: bool = False


class ScopeModel(_Strict):
    """A place outside England."""

    label: str = Field(min_length=1)
    terms: list[str] = Field(default_factory=list)
    hosts: list[str] = Field(default_factory=list)


class ProfilesFile(_Strict):
    """The whole profiles file."""

    extends: Literal["default", "none"] = "default"
    threshold: float | None = Field(None, gt=0, lt=1)
    sections: dict[str, SectionModel] = Field(default_factory=dict)
    anchors: list[str] | None = None
    topics: dict[str, TopicModel] | None = None
    scopes: dict[str, ScopeModel] | None = None
    england: list[str] | None = None


# -- the value objects the assessor uses ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SectionProfile:
    """One tracker section: its id, title, other names, weighted terms and asks."""

    id: str
    title: str
    aliases: tuple[str, ...] = ()
    terms: tuple[tuple[str, float], ...] = ()
    negative: tuple[tuple[str, float], ...] = ()
    asks: tuple[str, ...] = ()
    counts: float = 0.0  # added per count of people ("121,000 children") in the changed words
    publishers: tuple[str, ...] = ()  # bodies (names or hosts) whose remit is this section
    umbrella: bool = False  # named alongside several other sections, the change is about it

    def weight(self, term: str) -> float:
        """The weight of ``term`` in this section (0 if absent)."""
        return dict(self.terms).get(term, 0.0)

    def names(self) -> tuple[str, ...]:
        """The title and every alias."""
        return (self.title, *self.aliases)


@dataclass(frozen=True, slots=True)
class Topic:
    """A hard negative: ``terms`` (or a host) make a change about this topic."""

    id: str
    label: str
    terms: tuple[str, ...]
    hosts: tuple[str, ...] = ()
    unless: Unless = "anchor"
    markers: tuple[str, ...] = ()  # stand-alone labels; two different ones on a page mark it
    page: bool = False  # terms and markers count anywhere on the page, not only in the change


@dataclass(frozen=True, slots=True)
class Scope:
    """A place outside England, recognised by words and hosts."""

    id: str
    label: str
    terms: tuple[str, ...]
    hosts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Profiles:
    """Everything assessment needs to know about the tracker's sections."""

    sections: tuple[SectionProfile, ...]
    anchors: tuple[str, ...]
    topics: tuple[Topic, ...] = ()
    scopes: tuple[Scope, ...] = ()
    england: tuple[str, ...] = ()
    threshold: float = 0.5
    _by_id: dict[str, SectionProfile] = field(default_factory=dict, compare=False, repr=False)
    # What assessment derives from these profiles (term lists, weights), made once; a copy
    # (dataclasses.replace, with_sections) starts with an empty one.
    _memo: dict[object, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({s.id: s for s in self.sections})

    def memo(self, key: object, make: Callable[[], T]) -> T:
        """``make()``, made once for these profiles and kept under ``key``."""
        try:
            return cast(T, self._memo[key])
        except KeyError:
            value = self._memo[key] = make()
            return value

    def section(self, section_id: str) -> SectionProfile | None:
        """The section with this id, if there is one."""
        return self._by_id.get(section_id)

    def title(self, section_id: str) -> str:
        """The tracker title of a section (the id itself if unknown)."""
        found = self.section(section_id)
        return found.title if found else section_id

    def ids(self) -> tuple[str, ...]:
        """Section ids, in tracker order."""
        return tuple(s.id for s in self.sections)

    def with_sections(self, sections: tuple[SectionProfile, ...]) -> Profiles:
        """A copy with other section profiles (feedback uses this)."""
        return replace(self, sections=sections, _by_id={})


# -- building ------------------------------------------------------------------------------------


def default_profiles() -> Profiles:
    """The built-in profiles of the eleven tracker sections."""
    return _DEFAULT


def load_profiles(path: Path) -> Profiles:
    """Read a profiles YAML file; raise :class:`ConfigError` listing every problem."""
    raw = _read_yaml(path)
    return profiles_from_mapping(raw, name=path.name)


def profiles_from_mapping(raw: Mapping[str, Any], *, name: str = "profiles") -> Profiles:
    """Validate a profiles mapping (as read from YAML) and build :class:`Profiles`."""
    try:
        parsed = ProfilesFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([_describe(name, error) for error in exc.errors()]) from None
    problems = [
        f"{name}: sections.{sid}: section ids are lower-case words joined by hyphens"
        for sid in parsed.sections
        if not _is_slug(sid)
    ]
    if problems:
        raise ConfigError(problems)
    base = _base(parsed.extends)
    return _build(_merge(base, parsed), name)


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read file: {exc.strerror or exc}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        raise ConfigError([f"{path.name}:{where} not valid YAML: {exc}"]) from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError([f"{path.name}: top level must be a mapping (sections:, anchors:, ...)"])
    return data


def _describe(name: str, error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown setting (see docs/relevance.md)"
    return f"{name}: {where}: {message}"


def _is_slug(value: str) -> bool:
    import re

    return re.match(SLUG, value) is not None


def _base(extends: str) -> dict[str, Any]:
    if extends == "none":
        return {"sections": {}, "anchors": [], "topics": {}, "scopes": {}, "england": []}
    return copy.deepcopy(DEFAULT_PROFILES)


def _merge(base: dict[str, Any], parsed: ProfilesFile) -> dict[str, Any]:
    """Overlay the parsed file on the base data (sections merged term by term)."""
    sections: dict[str, dict[str, Any]] = base["sections"]
    for sid, section in parsed.sections.items():
        merged = sections.setdefault(sid, {"title": section.title or sid})
        _merge_section(merged, section)
    for key in ("anchors", "england"):
        if (value := getattr(parsed, key)) is not None:
            base[key] = value
    for key in ("topics", "scopes"):
        if (models := getattr(parsed, key)) is not None:
            base[key] = {k: m.model_dump() for k, m in models.items()}
    if parsed.threshold is not None:
        base["threshold"] = parsed.threshold
    return base


def _merge_section(merged: dict[str, Any], section: SectionModel) -> None:
    for key in ("title", "aliases", "publishers", "umbrella", "asks", "counts"):
        if (value := getattr(section, key)) is not None:
            merged[key] = value
    for key in ("terms", "negative"):
        weights = dict(merged.get(key, {}))
        weights.update(getattr(section, key))
        merged[key] = {term: w for term, w in weights.items() if w}


def _build(data: Mapping[str, Any], name: str) -> Profiles:
    sections = tuple(_section(sid, s) for sid, s in data["sections"].items())
    if not sections:
        raise ConfigError([f"{name}: sections: at least one section is needed"])
    return Profiles(
        sections=sections,
        anchors=tuple(data.get("anchors", ())),
        topics=tuple(
            Topic(
                tid,
                t["label"],
                tuple(t.get("terms", ())),
                tuple(t.get("hosts", ())),
                t.get("unless", "anchor"),
                tuple(t.get("markers", ())),
                bool(t.get("page", False)),
            )
            for tid, t in data.get("topics", {}).items()
        ),
        scopes=tuple(
            Scope(sid, s["label"], tuple(s.get("terms", ())), tuple(s.get("hosts", ())))
            for sid, s in data.get("scopes", {}).items()
        ),
        england=tuple(data.get("england", ())),
        threshold=float(data.get("threshold", 0.5)),
    )


def _section(sid: str, data: Mapping[str, Any]) -> SectionProfile:
    return SectionProfile(
        id=sid,
        title=str(data.get("title") or sid),
        aliases=tuple(data.get("aliases") or ()),
        terms=tuple((str(t), float(w)) for t, w in dict(data.get("terms") or {}).items()),
        negative=tuple((str(t), float(w)) for t, w in dict(data.get("negative") or {}).items()),
        asks=tuple(data.get("asks") or ()),
        counts=float(data.get("counts") or 0.0),
        publishers=tuple(data.get("publishers") or ()),
        umbrella=bool(data.get("umbrella", False)),
    )


_DEFAULT = _build(DEFAULT_PROFILES, "defaults")
