"""CLI commands for the classify and draft stages: assess, changes, drafts.

Registered on the same ``cli`` group as the everyday commands (see the end of monitor/cli.py).
"""

from __future__ import annotations

import json
import mimetypes
import sys
from pathlib import Path
from typing import Any

import click

from monitor.cli import Context, _errors, cli, pass_ctx
from monitor.config import Defaults, Schedule, Source
from monitor.errors import DecidedError, NotFoundError

SUFFIX_TYPES = {
    ".json": "application/json",
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".txt": "text/plain",
}


def _document(kind_name: str, path: Path, source: Source) -> Any:
    """Read a saved body (as 'show --raw' writes it) with the kind's own extractor."""
    from monitor.fetch import FetchResult, Validators
    from monitor.sources import get_kind

    content_type = SUFFIX_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    fetched = FetchResult(
        url=source.url,
        final_url=source.url,
        status=200,
        body=path.read_bytes(),
        content_type=content_type or "text/html",
        validators=Validators(),
        elapsed=0.0,
    )
    return get_kind(kind_name).extract(source, fetched)


def _adhoc_source(kind_name: str, url: str, sections: tuple[str, ...]) -> Source:
    from monitor.sources import get_kind

    kind = get_kind(kind_name)
    return Source(
        id="adhoc",
        name=url,
        url=url,
        kind=kind_name,
        schedule=Schedule.parse("1d"),
        select=(),
        ignore=(),
        sections=sections,
        tags=(),
        options=kind.Options.model_construct(),
        defaults=Defaults(),
    )


@cli.command()
@click.argument("before", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("after", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    "kind_name",
    default="html",
    show_default=True,
    help="Source kind whose extractor reads the files (html, govuk, pdf, ...).",
)
@click.option(
    "--url",
    default="https://www.gov.uk/",
    show_default=True,
    help="The page's address (used in drafts and for GOV.UK organisation names).",
)
@click.option(
    "--section",
    "sections",
    multiple=True,
    help="A tracker section id the source is configured with (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="The assessment and draft as JSON.")
def assess(
    before: Path, after: Path, kind_name: str, url: str, sections: tuple[str, ...], as_json: bool
) -> None:
    """Assess the change between two saved versions of a page, without the database.

    Prints the assessment (relevant, score, sections, kind, reasons) and, when relevant, the
    drafted tracker update. Save versions with 'policy-monitor show SOURCE --raw'.
    """
    from monitor.classify import Relevance, classify
    from monitor.diff import diff_documents
    from monitor.pipeline import diffable
    from monitor.relevance import default_profiles

    with _errors():
        source = _adhoc_source(kind_name, url, sections)
        old, new = _document(kind_name, before, source), _document(kind_name, after, source)
        changes = diff_documents(diffable(old), diffable(new))
        assessment, drafted = classify(
            Relevance(default_profiles(), None), source, old, new, changes
        )
    if as_json:
        click.echo(
            json.dumps({"assessment": assessment, "draft": drafted}, indent=2, ensure_ascii=False)
        )
        return
    _print_assessment(assessment)
    if drafted:
        _print_draft(drafted)


def _print_assessment(assessment: dict[str, Any]) -> None:
    verdict = "relevant" if assessment["relevant"] else "not relevant"
    sections = ", ".join(assessment["sections"]) or "-"
    click.echo(
        f"{verdict} (score {assessment['score']:.2f}), kind {assessment['kind']}, "
        f"sections: {sections}"
    )
    for reason in assessment["reasons"]:
        click.echo(f"  - {reason}")


def _print_draft(drafted: dict[str, Any]) -> None:
    click.echo(f"\nUpdate history: {drafted['history_line']}")
    click.echo(f"What's happening now: {drafted['paragraph']}")
    suggestion = drafted.get("status_suggestion")
    if suggestion:
        click.echo(f"Suggested status: {suggestion['status']} ({suggestion['reason']})")


@cli.group()
def changes() -> None:
    """Detected changes and their assessments."""


@changes.command("list")
@click.option("--relevant", is_flag=True, help="Only changes judged relevant.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
@pass_ctx
def changes_list(ctx: Context, relevant: bool, limit: int, as_json: bool) -> None:
    """List assessed changes, newest first."""
    with _errors():
        rows = ctx.store().assessments(relevant=True if relevant else None, limit=limit)
    items = [_assessment_item(row) for row in rows]
    if as_json:
        click.echo(json.dumps(items, indent=2, default=str, ensure_ascii=False))
        return
    for item in items:
        mark = "relevant" if item["relevant"] else "-"
        click.echo(
            f"{item['detected_at']:%Y-%m-%d %H:%M}  {item['source']:<36} {mark:<9} "
            f"{item['score']:.2f} {item['kind']:<16} {', '.join(item['sections'])}"
        )


def _assessment_item(row: Any) -> dict[str, Any]:
    data = json.loads(row.data_json)
    return {
        "id": row.id,
        "source": row.source_id,
        "change": row.change_id,
        "snapshot": row.snapshot_id,
        "from_snapshot": row.from_snapshot_id,
        "detected_at": row.created_at,
        "relevant": row.relevant,
        "score": row.score,
        "kind": row.kind,
        "sections": data.get("sections", []),
        "reasons": data.get("reasons", []),
    }


@cli.group()
def drafts() -> None:
    """Drafted tracker updates waiting for review."""


@drafts.command("list")
@click.option(
    "--status",
    type=click.Choice(["pending", "approved", "rejected"]),
    default="pending",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
@pass_ctx
def drafts_list(ctx: Context, status: str, as_json: bool) -> None:
    """List drafts, highest score first."""
    with _errors():
        rows = ctx.store().drafts(status=status)
    items = [_draft_item(row) for row in rows]
    if as_json:
        click.echo(json.dumps(items, indent=2, default=str, ensure_ascii=False))
        return
    if not items:
        click.echo(f"no {status} drafts")
    for item in items:
        click.echo(
            f"#{item['id']:<5} {item['score']:.2f} [{item['section'] or '-'}] "
            f"{item['history_line']}"
        )


def _draft_item(row: Any, assessment: Any = None) -> dict[str, Any]:
    item = {
        "id": row.id,
        "source": row.source_id,
        "status": row.status,
        "score": row.score,
        "section": row.primary_section,
        "history_line": row.history_line,
        "paragraph": row.paragraph,
        "version": row.version,
        "created_at": row.created_at,
        **json.loads(row.data_json),
    }
    if assessment is not None:
        item["assessment"] = _assessment_item(assessment)
    return item


@drafts.command("show")
@click.argument("draft_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="The draft and its assessment as JSON.")
@pass_ctx
def drafts_show(ctx: Context, draft_id: int, as_json: bool) -> None:
    """Show one draft with the evidence it rests on."""
    with _errors():
        found = ctx.store().draft(draft_id)
        if found is None:
            raise NotFoundError(f"no draft {draft_id}; see 'policy-monitor drafts list'")
    item = _draft_item(*found)
    if as_json:
        click.echo(json.dumps(item, indent=2, default=str, ensure_ascii=False))
        return
    click.echo(f"Draft #{item['id']} ({item['status']}) for {item['source']}: {item['url']}")
    _print_assessment(item["assessment"])
    _print_draft(item)
    click.echo("\nEvidence:")
    for quote in item.get("evidence", []):
        click.echo(f"  > {quote}")


@drafts.command("decide")
@click.argument("draft_id", type=int)
@click.argument("action", type=click.Choice(["approve", "reject"]))
@click.option(
    "--reason",
    type=click.Choice(["not-relevant", "wrong-section", "duplicate", "other"]),
    help="Why a draft is rejected.",
)
@click.option("--section", "corrected_section", help="The right section (with wrong-section).")
@click.option("--note", help="Free text kept with the decision.")
@click.option(
    "--reviewer",
    default=lambda: __import__("getpass").getuser(),
    show_default="your user name",
    help="Who decided.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Overturn a draft that was approved or rejected already (the old decision stays in "
    "the audit trail).",
)
@pass_ctx
def drafts_decide(
    ctx: Context,
    draft_id: int,
    action: str,
    reason: str | None,
    corrected_section: str | None,
    note: str | None,
    reviewer: str,
    force: bool,
) -> None:
    """Approve or reject a draft; rejections teach the relevance rules (docs/relevance.md).

    A draft decided already is left alone unless --force is given.
    """
    if action == "reject" and reason is None:
        raise click.UsageError("a rejection needs --reason")
    if reason == "wrong-section" and not corrected_section:
        raise click.UsageError("--reason wrong-section needs --section (the right one)")
    with _errors():
        store = ctx.store()
        found = store.draft(draft_id)
        if found is None:
            raise NotFoundError(f"no draft {draft_id}; see 'policy-monitor drafts list'")
        if found[0].status != "pending" and not force:
            raise DecidedError(
                f"draft #{draft_id} is {found[0].status} already; add --force to overturn "
                f"that decision"
            )
        store.decide(
            draft_id,
            action=action,
            reviewer=reviewer,
            reason=reason,
            note=note,
            corrected_section=corrected_section,
        )
    click.echo(
        f"draft #{draft_id} {action}d"
        if action == "approve"
        else f"draft #{draft_id} rejected ({reason})"
    )
    sys.stdout.flush()
