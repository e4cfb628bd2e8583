"""Every command, option, setting and source kind is documented, and YAML examples load.

In the spirit of datasette's ``tests/test_docs.py``: the lists come from the code (the click
group, the pydantic models, the kind registry, the CLI docstring), so adding a command or a
setting without documenting it fails here.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml
from pydantic import BaseModel

from monitor import cli as cli_module
from monitor.config import (
    Channel,
    Defaults,
    HostPolicy,
    NotificationSettings,
    Recipient,
    RelevanceSettings,
    ReviewSettings,
    SourceConfig,
    SourcesFile,
    load_config,
)
from monitor.pipeline import Outcome
from monitor.sources import REGISTRY

DOCS = Path(__file__).resolve().parents[1] / "docs"
PROG = "policy-monitor"

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_YAML_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)```ya?ml[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_ROW_SETTING = re.compile(r"^\|\s*`([^`]+)`")


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


# -- markdown helpers ---------------------------------------------------------------------------


def sections(markdown: str) -> dict[str, str]:
    """Map each heading's text to the text under it, up to the next heading of its level or
    higher. Lines inside fenced code blocks are never headings."""
    found: list[tuple[int, str, int]] = []  # (level, title, line index)
    lines = markdown.splitlines()
    in_fence = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence and (match := _HEADING.match(line)):
            found.append((len(match.group(1)), match.group(2), index))
    result = {}
    for position, (level, title, start) in enumerate(found):
        end = next((i for lvl, _, i in found[position + 1 :] if lvl <= level), len(lines))
        result[title] = "\n".join(lines[start + 1 : end])
    return result


def table_settings(markdown: str) -> dict[str, str]:
    """Backticked names in the first cell of table rows, and in headings, with their row."""
    names = {}
    in_fence = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (match := _ROW_SETTING.match(line)):
            names[match.group(1)] = line
        elif not in_fence and _HEADING.match(line):
            for name in re.findall(r"`([^`]+)`", line):
                names.setdefault(name, line)
    return names


def mentions(text: str, option: str) -> bool:
    """True when ``option`` (e.g. ``--to``) occurs as a whole word (not ``--tolerance``)."""
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


# -- (a) CLI commands and options ---------------------------------------------------------------


def walk_commands(
    command: click.Command, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, click.Command]]:
    """The root group, then every command and subcommand, depth first."""
    yield " ".join((PROG, *path)), command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk_commands(sub, (*path, name))


COMMANDS = dict(walk_commands(cli_module.cli))


@pytest.fixture(scope="session")
def cli_sections() -> dict[str, str]:
    return sections(read("cli.md"))


def test_commands_were_found() -> None:
    assert {"policy-monitor check", "policy-monitor sources check"} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS)
def test_command_has_heading(cli_sections: dict[str, str], path: str) -> None:
    assert path in cli_sections, f"docs/cli.md needs a '### {path}' heading"


@pytest.mark.parametrize(
    ("path", "option"),
    [
        (path, name)
        for path, command in COMMANDS.items()
        for param in command.params
        if isinstance(param, click.Option)
        for name in (*param.opts, *param.secondary_opts)
        if name.startswith("--")
    ],
)
def test_option_is_documented(cli_sections: dict[str, str], path: str, option: str) -> None:
    section = cli_sections.get(path, "")
    assert mentions(section, option), f"{option} is not described under '### {path}'"


@pytest.mark.parametrize(
    ("path", "argument"),
    [
        (path, param.human_readable_name)
        for path, command in COMMANDS.items()
        for param in command.params
        if isinstance(param, click.Argument)
    ],
)
def test_argument_is_documented(cli_sections: dict[str, str], path: str, argument: str) -> None:
    assert argument in cli_sections.get(path, ""), f"{argument} missing under '### {path}'"


def test_no_heading_for_a_command_that_does_not_exist(cli_sections: dict[str, str]) -> None:
    documented = {title for title in cli_sections if title.startswith(PROG)}
    assert documented <= set(COMMANDS)


def test_check_json_keys_are_documented(cli_sections: dict[str, str]) -> None:
    section = cli_sections["policy-monitor check"]
    for field in dataclasses.fields(Outcome):
        assert f"`{field.name}`" in section, f"check --json key {field.name!r} undocumented"


# -- (b) sources.yaml settings ------------------------------------------------------------------

MODELS: list[tuple[type[BaseModel], str]] = [
    (SourcesFile, ""),
    (Defaults, "defaults."),
    (RelevanceSettings, "relevance."),
    (NotificationSettings, "notifications."),
    (ReviewSettings, "review."),
    (Recipient, "notifications.recipients[]."),
    (Channel, "notifications.channels[]."),
    (HostPolicy, "defaults.host."),
    (HostPolicy, "hosts.<host>."),
    (SourceConfig, "sources[]."),
]
KIND_OPTIONS = {
    f"sources[].options.{field}": kind
    for kind, implementation in REGISTRY.items()
    for field in implementation.Options.model_fields
}
SETTINGS = [prefix + field for model, prefix in MODELS for field in model.model_fields]


@pytest.fixture(scope="session")
def documented_settings() -> dict[str, str]:
    return table_settings(read("configuration.md"))


def test_settings_were_found() -> None:
    assert {"defaults.max_body_mb", "hosts.<host>.rate", "sources[].select"} <= set(SETTINGS)
    assert "sources[].options.use_api" in KIND_OPTIONS


@pytest.mark.parametrize("setting", SETTINGS)
def test_setting_is_documented(documented_settings: dict[str, str], setting: str) -> None:
    assert setting in documented_settings, (
        f"docs/configuration.md needs a table row or heading with `{setting}`"
    )


@pytest.mark.parametrize(("setting", "kind"), KIND_OPTIONS.items())
def test_kind_option_is_documented(
    documented_settings: dict[str, str], setting: str, kind: str
) -> None:
    assert setting in documented_settings, f"option of kind {kind!r} undocumented: `{setting}`"
    assert f"`{kind}`" in documented_settings[setting], f"row of `{setting}` must name `{kind}`"


def test_no_documented_setting_that_does_not_exist(documented_settings: dict[str, str]) -> None:
    dotted = {name for name in documented_settings if re.fullmatch(r"[\w<>\[\].]+\.\w+", name)}
    known = set(SETTINGS) | set(KIND_OPTIONS) | {"hosts.<host>", "sources[].options"}
    assert dotted <= known, f"documented but not in the models: {sorted(dotted - known)}"


@pytest.mark.parametrize("kind", REGISTRY)
def test_kind_has_heading(kind: str) -> None:
    assert f"`{kind}`" in sections(read("source-kinds.md")), f"no '## `{kind}`' heading"


# -- (c) YAML examples load ---------------------------------------------------------------------


def yaml_blocks() -> Iterator[tuple[str, str]]:
    """``(file:line, text)`` of every ```yaml block in docs/*.md."""
    for path in sorted(DOCS.glob("*.md")):
        markdown = path.read_text(encoding="utf-8")
        for match in _YAML_BLOCK.finditer(markdown):
            line = markdown.count("\n", 0, match.start()) + 1
            yield f"{path.name}:{line}", textwrap.dedent(match.group("body"))


YAML_BLOCKS = dict(yaml_blocks())
# A block is a whole sources.yaml when it has a top-level ``sources:`` key; others are fragments.
FULL_FILES = {
    where: text for where, text in YAML_BLOCKS.items() if re.search(r"^sources:", text, re.M)
}


def test_configuration_has_a_complete_example() -> None:
    assert any(where.startswith("configuration.md:") for where in FULL_FILES)


@pytest.mark.parametrize("where", YAML_BLOCKS)
def test_yaml_block_parses(where: str) -> None:
    yaml.safe_load(YAML_BLOCKS[where])


@pytest.mark.parametrize("where", FULL_FILES)
def test_yaml_example_is_a_valid_sources_file(tmp_path: Path, where: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(FULL_FILES[where], encoding="utf-8")
    config = load_config(path)  # raises ConfigError, listing every problem, if invalid
    assert config.sources, f"{where}: the example defines no sources"


# -- (d) exit codes -----------------------------------------------------------------------------


def docstring_exit_codes() -> dict[int, str]:
    doc = cli_module.__doc__ or ""
    listing = doc.partition("Exit codes:")[2]
    return {int(code): text for code, text in re.findall(r"^\s+(\d+)\s+(.+)$", listing, re.M)}


def test_exit_codes_in_cli_docstring() -> None:
    codes = docstring_exit_codes()
    assert set(codes) >= {
        0,
        cli_module.EXIT_FAILED_SOURCES,
        cli_module.EXIT_USAGE,
        cli_module.EXIT_STORAGE,
    }


def test_exit_codes_are_documented(cli_sections: dict[str, str]) -> None:
    section = cli_sections.get("Exit codes", "")
    documented = {int(code) for code in re.findall(r"^\|\s*`(\d+)`\s*\|", section, re.M)}
    assert documented == set(docstring_exit_codes())
