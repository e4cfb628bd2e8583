"""sources.yaml validation: every error names file, entry and field in one line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import Schedule, load_config
from monitor.errors import ConfigError
from monitor.sources import REGISTRY

REPO = Path(__file__).resolve().parents[1]

GOOD = """
defaults: {every: 6h}
sources:
  - id: dfe-page
    name: A DfE page
    url: https://www.gov.uk/government/publications/x
    kind: govuk
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return info.value.problems


def test_repository_sources_yaml_is_valid() -> None:
    config = load_config(REPO / "sources.yaml")
    assert len(config.sources) >= 5
    assert {s.kind for s in config.sources} <= set(REGISTRY)
    assert "policy-monitor" in config.user_agent and "http" in config.user_agent


def test_defaults_apply(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    source = config.sources[0]
    assert source.schedule.interval == timedelta(hours=6)
    assert source.defaults.max_body_mb == 20
    assert config.host_policy("www.gov.uk").concurrency == 2


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("url: not a url", "sources.yaml: entry 1 (dfe-page) -> url: Input should be a valid URL"),
        ("colour: blue", "sources.yaml: entry 1 (dfe-page) -> colour: unknown setting"),
        (
            "every: fortnightly",
            "sources.yaml: entry 1 (dfe-page) -> every: 'fortnightly'",
        ),
        (
            "kind: word",
            "sources.yaml: entry 1 (dfe-page) -> kind: unknown kind 'word'; known kinds: "
            + ", ".join(sorted(REGISTRY)),
        ),
        (
            "options: {use_apj: false}",
            "sources.yaml: entry 1 (dfe-page) -> options.use_apj: unknown option for this kind",
        ),
    ],
)
def test_entry_errors_name_the_entry_and_field(tmp_path: Path, entry: str, expected: str) -> None:
    base = (
        "sources:\n  - id: dfe-page\n    name: N\n    url: https://example.org/\n    kind: html\n"
    )
    lines = base.splitlines()
    key = entry.split(":", 1)[0]
    lines = [line for line in lines if not line.strip().startswith(f"{key}:")]
    text = "\n".join(lines) + f"\n    {entry}\n"
    found = problems(tmp_path, text)
    assert any(line.startswith(expected) for line in found), found
    assert all("\n" not in line for line in found)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = """
sources:
  - {id: a, name: A, url: https://example.org/a, kind: html}
  - {id: a, name: B, url: https://example.org/b, kind: html}
  - {id: Bad_Id, name: C, url: https://example.org/c, kind: html}
  - {id: d, url: https://example.org/d, kind: html}
"""
    found = problems(tmp_path, text)
    assert any("entry 3 (Bad_Id) -> id: String should match pattern" in p for p in found)
    assert any("entry 4 (d) -> name: Field required" in p for p in found)
    # duplicates are found after field validation, so fix the others first
    fixed = text.replace("Bad_Id", "c").replace("{id: d, url", "{id: d, name: D, url")
    assert problems(tmp_path, fixed) == [
        "sources.yaml: entry 2 (a) -> id: duplicate id, also used by entry 1"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sources: [\n  - id: x\n", "sources.yaml: line"),
        ("- just a list\n", "top level must be a mapping"),
        ("sources: {}\n", "sources.yaml: sources: Input should be a valid list"),
        ("srcs: []\n", "sources.yaml: srcs: unknown setting"),
        ("defaults: {every: 0m}\n", "sources.yaml: defaults.every: interval must be"),
        (
            "hosts: {www.gov.uk: {rate: -1}}\n",
            "sources.yaml: hosts.www.gov.uk.rate: Input should be",
        ),
    ],
)
def test_file_level_errors(tmp_path: Path, text: str, expected: str) -> None:
    found = problems(tmp_path, text)
    assert any(line.startswith(expected) or expected in line for line in found), found


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read file"):
        load_config(tmp_path / "nope.yaml")


def test_empty_file_means_no_sources(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")).sources == ()


@pytest.mark.parametrize(
    ("text", "interval", "cron"),
    [
        ("30m", timedelta(minutes=30), None),
        ("6h", timedelta(hours=6), None),
        ("1d", timedelta(days=1), None),
        ("2w", timedelta(weeks=2), None),
        ("0 7 * * 1-5", None, "0 7 * * 1-5"),
    ],
)
def test_schedule_parse(text: str, interval: timedelta | None, cron: str | None) -> None:
    schedule = Schedule.parse(text)
    assert (schedule.interval, schedule.cron) == (interval, cron)


def test_cron_weekdays_follow_crontab_not_apscheduler() -> None:
    """crontab: 0 and 7 are Sunday, 1-5 Monday to Friday (APScheduler 3 alone gets it wrong)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    trigger = Schedule.parse("0 7 * * 1-5").trigger()
    assert trigger is not None
    saturday = datetime(2026, 11, 28, 8, 0, tzinfo=ZoneInfo("Europe/London"))
    fire = trigger.get_next_fire_time(None, saturday)
    assert fire is not None and fire.strftime("%a %H:%M") == "Mon 07:00"
    assert str(Schedule.parse("0 7 * * 0").trigger()).count("sun") == 1


def test_schedule_prints_as_written() -> None:
    assert [str(Schedule.parse(t)) for t in ("1w", "90m", "6h", "1d")] == ["1w", "90m", "6h", "1d"]


@pytest.mark.parametrize("host", ["https://www.gov.uk", "www.gov.uk:443", "www.gov.uk/api"])
def test_host_keys_must_be_bare_host_names(tmp_path: Path, host: str) -> None:
    found = problems(tmp_path, f"hosts:\n  '{host}': {{rate: 1}}\n")
    assert found == [
        f"sources.yaml: hosts: {host!r} is not a bare host name: write it like www.gov.uk "
        "(no scheme, port or path)"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "sources: []\nsources:\n  - {id: a, name: A, url: 'https://x.org/a', kind: html}\n",
            "line 2, column 1: not valid YAML: the key 'sources' is given twice in one "
            "mapping (first on line 1)",
        ),
        (
            "sources:\n  - id: a\n    name: A\n    url: https://x.org/a\n    kind: html\n"
            "    every: 1h\n    every: 2h\n",
            "line 7, column 5: not valid YAML: the key 'every' is given twice",
        ),
    ],
)
def test_a_key_given_twice_is_an_error_not_a_silent_override(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert problem in str(error.value)


def test_yaml_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - &page {id: a, name: A, url: 'https://x.org/a', kind: html, every: 1h}\n"
        "  - <<: *page\n    id: b\n    url: 'https://x.org/b'\n"
    )
    config = load_config(path)
    assert [(s.id, s.url, str(s.schedule)) for s in config.sources] == [
        ("a", "https://x.org/a", "1h"),
        ("b", "https://x.org/b", "1h"),
    ]
