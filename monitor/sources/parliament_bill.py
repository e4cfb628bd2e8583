"""``parliament-bill``: one bill, read through the UK Parliament Bills API as a list of events.

One check makes these requests to the API (``options.api``, by default
``https://bills-api.parliament.uk/api/v1``), all asking for JSON:

1. ``/Bills/{bill}``: title, long title, current stage, ``lastUpdate``, ``isAct``;
2. ``/Bills/{bill}/Stages?Skip=&Take=``: every stage with its sittings (paged);
3. ``/Bills/{bill}/Publications``: bill prints, amendment papers, explanatory notes, the Act;
4. ``/Bills/{bill}/Stages/{billStageId}/Amendments?Skip=&Take=`` (paged, unless
   ``amendments: false``) for each stage that has a sitting, and for the current stage
   (amendments are tabled to it before its first sitting). Stages that never sat are
   skipped. At most ``max_amendment_pages`` pages of :data:`PAGE_SIZE` are read per stage;
   a stage with more fails the check with a message saying so, rather than storing a
   partial list that would later read as amendments being removed.

The fields used are bundled into one canonical JSON document (sorted keys and lists), which
is what is stored, and :meth:`ParliamentBillKind.extract` reads that bundle back. So the
API reordering its lists is not a change, and old versions can be re-read years later.

The document reads as a bill tracker, so that its block diff reads as events::

    # Children's Wellbeing and Schools Bill
    ## Status
    Current stage: Report stage (House of Lords)
    ## Stages
    - Report stage (House of Lords): sittings 20 January 2026, 22 January 2026
    ## Amendments
    ### Committee stage (House of Lords)
    14 amendments tabled
    - Amendment 62 (Clause 5, page 3, line 2, ...) — Negatived — Lord X, Baroness Y
    ## Publications
    - Marshalled list of amendments (Amendment Paper, 12 January 2026)

A response that is not what the API promises (HTML or invalid JSON, a missing required
field, an empty ``items`` list while ``totalResults`` says there are items, no stages for a
bill that names its current stage, the answer for another bill) raises
:class:`ContentMissing`, so that a broken response is a failed check and never a false
"everything was removed" change.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError
from pydantic.alias_generators import to_camel

from monitor.config import Source
from monitor.document import Block, BlockKind, Document, Metadata
from monitor.errors import BadContentType, CheckFailed, ContentMissing, FetchError
from monitor.fetch import FetchRequest, FetchResult, NotModified, Validators
from monitor.sources.base import Fetch

DEFAULT_API = "https://bills-api.parliament.uk/api/v1"
JSON_TYPES = ("application/json", "text/json")
#: Items asked for per page (``Take``). Paging advances by the items actually returned, so
#: an API that caps pages lower still works, at the cost of more requests.
PAGE_SIZE = 100
#: Pages of /Stages read at most (a bill has a few dozen stages at the very most).
MAX_STAGE_PAGES = 10
#: Version of the stored bundle's layout; bump it when the layout changes.
BUNDLE_FORMAT = 1
#: Longest amendment subject shown, in characters.
SUBJECT_CHARS = 90

#: The API's amendment decisions in readable words (keys lower-cased; unknown values are
#: split into words, so a decision added to the API later still reads well).
DECISIONS: dict[str, str] = {
    "nodecision": "No decision",
    "agreed": "Agreed",
    "agreedondivision": "Agreed on division",
    "disagreed": "Negatived",
    "negatived": "Negatived",
    "negativedondivision": "Negatived on division",
    "notmoved": "Not moved",
    "withdrawn": "Withdrawn",
    "withdrawnbeforedebate": "Withdrawn before debate",
    "notselected": "Not selected",
    "notcalled": "Not called",
    "questionproposed": "Question proposed",
    "stoodpart": "Stood part",
    "notstoodpart": "Did not stand part",
    "preempted": "Pre-empted",
}
HOUSES = {"commons": "House of Commons", "lords": "House of Lords"}


class ParliamentBillOptions(BaseModel):
    """Options of the ``parliament-bill`` kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bill: int = Field(gt=0, description="the bill id in the Bills API, e.g. 3909")
    api: HttpUrl = HttpUrl(DEFAULT_API)
    amendments: bool = True
    max_amendment_pages: int = Field(20, ge=1, le=1000)


# -- the API's shapes (only the fields used; anything else is ignored) -------------------------


class _ApiModel(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class _Sitting(_ApiModel):
    id: int | None = None
    date: str | None = None


class _Stage(_ApiModel):
    id: int
    stage_id: int | None = None
    description: str | None = None
    abbreviation: str | None = None
    house: str | None = None
    sort_order: int | None = None
    stage_sittings: list[_Sitting] | None = None


class _Bill(_ApiModel):
    bill_id: int
    short_title: str
    long_title: str | None = None
    last_update: str
    is_act: bool
    is_defeated: bool | None = None
    bill_withdrawn: str | None = None
    current_stage: _Stage | None = None


class _Page(_ApiModel):
    items: list[dict[str, Any]] | None
    total_results: int


class _PublicationType(_ApiModel):
    name: str | None = None


class _Publication(_ApiModel):
    id: int
    title: str | None = None
    publication_type: _PublicationType | None = None
    display_date: str | None = None
    house: str | None = None


class _Publications(_ApiModel):
    bill_id: int
    publications: list[_Publication]


class _Sponsor(_ApiModel):
    name: str | None = None
    member_id: int | None = None
    is_lead: bool | None = None
    sort_order: int | None = None


class _Amendment(_ApiModel):
    amendment_id: int
    marshalled_list_text: str | None = None
    summary_text: list[str] | None = None
    decision: str | int | None = None
    sponsors: list[_Sponsor] | None = None
    amendment_type: str | None = None
    clause: int | None = None
    schedule: int | None = None


_M = TypeVar("_M", bound=_ApiModel)


# -- the kind ----------------------------------------------------------------------------------


class ParliamentBillKind:
    """Watch one bill: its stages, sittings, amendments and publications."""

    name: ClassVar[str] = "parliament-bill"
    Options: ClassVar[type[BaseModel]] = ParliamentBillOptions

    def requests(self, source: Source) -> list[FetchRequest]:
        """The bill itself (the pipeline calls :meth:`collect`, which reads everything)."""
        options = _options(source)
        return [_json_request(f"{_base(options)}/Bills/{options.bill}")]

    def collect(self, source: Source, fetch: Fetch) -> FetchResult:
        """Read the bill, its stages, publications and amendments into one JSON bundle."""
        options = _options(source)
        started = time.monotonic()
        api = _BillsApi(fetch, _base(options), options.bill)
        bill = api.bill()
        stages = api.stages()
        if bill.current_stage is not None and not stages:
            raise ContentMissing(
                f"Bills API {api.path('/Stages')} listed no stages, although the bill's "
                f"current stage is {_stage_label(_stage_dict(bill.current_stage))!r}"
            )
        publications = api.publications()
        amendments = None
        if options.amendments:
            amendments = {
                stage.id: api.amendments(stage.id, options.max_amendment_pages)
                for stage in _amendable(stages, bill.current_stage)
            }
        bundle = _bundle(bill, stages, publications, amendments)
        return FetchResult(
            url=source.url,
            final_url=source.url,
            status=200,
            body=json.dumps(bundle, sort_keys=True, ensure_ascii=False, indent=1).encode(),
            content_type="application/json",
            validators=Validators(),
            elapsed=time.monotonic() - started,
        )

    def extract(self, source: Source, fetched: FetchResult) -> Document:
        """Turn a stored bundle into the bill's event document."""
        return bill_document(_load_bundle(fetched.body))


def _options(source: Source) -> ParliamentBillOptions:
    options = source.options
    if not isinstance(options, ParliamentBillOptions):
        raise CheckFailed(f"source {source.id!r} has no parliament-bill options")
    return options


def _base(options: ParliamentBillOptions) -> str:
    return str(options.api).rstrip("/")


def _json_request(url: str) -> FetchRequest:
    return FetchRequest(url=url, accept="application/json", content_types=JSON_TYPES)


def _amendable(stages: Sequence[_Stage], current: _Stage | None) -> list[_Stage]:
    """Stages whose amendments are read: those that sat, and the current stage."""
    current_id = current.id if current is not None else None
    return [s for s in stages if s.stage_sittings or s.id == current_id]


# -- reading the API ---------------------------------------------------------------------------


class _BillsApi:
    """GET and validate Bills API resources of one bill."""

    def __init__(self, fetch: Fetch, base: str, bill: int) -> None:
        self._fetch = fetch
        self._base = base
        self.bill_id = bill

    def path(self, suffix: str = "") -> str:
        """The resource path of this bill, as named in error messages."""
        return f"/Bills/{self.bill_id}{suffix}"

    def bill(self) -> _Bill:
        """``/Bills/{id}``, checked to be this bill."""
        label = self.path()
        bill = _validate(_Bill, self._get(label), label)
        if bill.bill_id != self.bill_id:
            raise ContentMissing(f"Bills API {label} answered with bill {bill.bill_id}")
        return bill

    def stages(self) -> list[_Stage]:
        """Every stage of the bill (paged), without duplicates."""
        label = self.path("/Stages")
        items = self._paged(label, MAX_STAGE_PAGES, "MAX_STAGE_PAGES")
        stages = [_validate(_Stage, item, f"{label} item {i}") for i, item in enumerate(items)]
        return list({stage.id: stage for stage in stages}.values())

    def publications(self) -> list[_Publication]:
        """``/Bills/{id}/Publications`` (not paged), checked to be this bill's."""
        label = self.path("/Publications")
        found = _validate(_Publications, self._get(label), label)
        if found.bill_id != self.bill_id:
            raise ContentMissing(f"Bills API {label} answered for bill {found.bill_id}")
        return found.publications

    def amendments(self, stage_id: int, max_pages: int) -> list[_Amendment]:
        """Every amendment tabled at one stage (paged), without duplicates."""
        label = self.path(f"/Stages/{stage_id}/Amendments")
        items = self._paged(label, max_pages, "options.max_amendment_pages")
        found = [_validate(_Amendment, item, f"{label} item {i}") for i, item in enumerate(items)]
        return list({a.amendment_id: a for a in found}.values())

    def _paged(self, label: str, max_pages: int, limit_name: str) -> list[dict[str, Any]]:
        """Page through a ``{items, totalResults}`` list until every item is read."""
        items: list[dict[str, Any]] = []
        for _ in range(max_pages):
            skip = len(items)
            page = _validate(_Page, self._get(f"{label}?Skip={skip}&Take={PAGE_SIZE}"), label)
            if not page.items:
                if page.total_results > skip:
                    raise ContentMissing(
                        f"Bills API {label} returned an empty items list at Skip={skip}, "
                        f"although totalResults is {page.total_results}"
                    )
                return items
            items.extend(page.items)
            if len(items) >= page.total_results:
                return items
        raise CheckFailed(
            f"Bills API {label}: more than {max_pages} page{'s' if max_pages != 1 else ''} "
            f"of {PAGE_SIZE} items; raise {limit_name} to read them all"
        )

    def _get(self, path: str) -> dict[str, Any]:
        """GET ``path`` under the API base as JSON; the reason names the resource."""
        label = path.split("?", 1)[0]
        try:
            result = self._fetch(_json_request(self._base + path))
        except BadContentType as exc:
            raise ContentMissing(
                f"Bills API {label} did not answer with JSON: {exc}", http_status=exc.http_status
            ) from None
        except FetchError as exc:
            raise type(exc)(f"Bills API {label}: {exc}", http_status=exc.http_status) from None
        if isinstance(result, NotModified):
            raise ContentMissing(f"Bills API {label} answered 304 to an unconditional request")
        return _parse_json(result.body, label)


def _parse_json(body: bytes, label: str) -> dict[str, Any]:
    """Parse a JSON object, naming HTML and empty bodies as such; keys become camelCase."""
    text = body.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text:
        raise ContentMissing(f"Bills API {label} answered with an empty body")
    if text.startswith("<"):
        raise ContentMissing(f"Bills API {label} answered with HTML instead of JSON")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ContentMissing(f"Bills API {label} answered with invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ContentMissing(f"Bills API {label} answered with JSON that is not an object")
    return _camel_keys(data)


def _camel_keys(value: Any) -> Any:
    """``{"BillId": 1}`` → ``{"billId": 1}``, recursively: the API is camelCase, be lenient."""
    if isinstance(value, dict):
        return {_lower_first(str(k)): _camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel_keys(v) for v in value]
    return value


def _lower_first(key: str) -> str:
    return key[:1].lower() + key[1:]


def _validate(model: type[_M], data: Any, label: str) -> _M:
    """Validate ``data``; a failure names the resource and the missing or wrong fields."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or '(top level)'}: {error['msg']}"
            for error in exc.errors()[:3]
        ]
        more = f" (and {exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
        raise ContentMissing(
            f"Bills API {label} answered without the expected fields: {'; '.join(problems)}{more}"
        ) from None


# -- the stored bundle -------------------------------------------------------------------------


def _bundle(
    bill: _Bill,
    stages: Sequence[_Stage],
    publications: Sequence[_Publication],
    amendments: Mapping[int, Sequence[_Amendment]] | None,
) -> dict[str, Any]:
    """The fields used, in a stable order: this is what is stored."""
    return {
        "format": BUNDLE_FORMAT,
        "bill": {
            "billId": bill.bill_id,
            "shortTitle": bill.short_title,
            "longTitle": bill.long_title,
            "lastUpdate": bill.last_update,
            "isAct": bill.is_act,
            "isDefeated": bill.is_defeated,
            "billWithdrawn": bill.bill_withdrawn,
            "currentStage": _stage_dict(bill.current_stage) if bill.current_stage else None,
        },
        "stages": sorted((_stage_dict(s) for s in stages), key=_stage_key),
        "publications": sorted((_publication_dict(p) for p in publications), key=_dated_key),
        "amendments": None
        if amendments is None
        else [
            {
                "billStageId": stage_id,
                "items": sorted((_amendment_dict(a) for a in found), key=_amendment_key),
            }
            for stage_id, found in sorted(amendments.items())
        ],
    }


def _stage_dict(stage: _Stage) -> dict[str, Any]:
    sittings = {(s.date or "", s.id or 0): s for s in stage.stage_sittings or () if s.date}
    return {
        "id": stage.id,
        "stageId": stage.stage_id,
        "description": stage.description,
        "abbreviation": stage.abbreviation,
        "house": stage.house,
        "sortOrder": stage.sort_order,
        "sittings": [{"id": s.id, "date": s.date} for _, s in sorted(sittings.items())],
    }


def _publication_dict(publication: _Publication) -> dict[str, Any]:
    kind = publication.publication_type
    return {
        "id": publication.id,
        "title": publication.title,
        "type": kind.name if kind else None,
        "displayDate": publication.display_date,
        "house": publication.house,
    }


def _amendment_dict(amendment: _Amendment) -> dict[str, Any]:
    sponsors = sorted(amendment.sponsors or (), key=_sponsor_key)
    return {
        "amendmentId": amendment.amendment_id,
        "marshalledListText": amendment.marshalled_list_text,
        "summaryText": list(amendment.summary_text or ()),
        "decision": None if amendment.decision is None else str(amendment.decision),
        "amendmentType": amendment.amendment_type,
        "clause": amendment.clause,
        "schedule": amendment.schedule,
        "sponsors": [
            {"name": s.name, "memberId": s.member_id, "isLead": s.is_lead} for s in sponsors
        ],
    }


def _sponsor_key(sponsor: _Sponsor) -> tuple[bool, int, str, int]:
    """Lead sponsor first, then the API's own order."""
    return (
        not sponsor.is_lead,
        sponsor.sort_order or 0,
        sponsor.name or "",
        sponsor.member_id or 0,
    )


def _load_bundle(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("bill"), dict):
        raise ContentMissing("the stored body is not a parliament-bill bundle")
    return data


# -- the document ------------------------------------------------------------------------------


def bill_document(bundle: Mapping[str, Any]) -> Document:
    """Build the event document of a bundle (tolerates missing parts of old bundles)."""
    bill: Mapping[str, Any] = bundle["bill"]
    stages = sorted(_dicts(bundle.get("stages")), key=_stage_key)
    title = _text(bill.get("shortTitle")) or f"Bill {bill.get('billId')}"
    blocks: list[Block] = []
    if long_title := _text(bill.get("longTitle")):
        blocks.append(_paragraph(long_title))
    blocks += _status_blocks(bill, title)
    if stages:
        blocks += [_heading("Stages"), *(_item(_stage_line(s)) for s in stages)]
    blocks += _amendment_blocks(_dicts(bundle.get("amendments")), stages)
    publications = sorted(_dicts(bundle.get("publications")), key=_dated_key)
    if publications:
        blocks += [_heading("Publications"), *(_item(_publication_line(p)) for p in publications)]
    metadata = Metadata(updated=_text(bill.get("lastUpdate")) or None, document_type="bill")
    return Document(title=title, blocks=tuple(blocks), metadata=metadata)


def _status_blocks(bill: Mapping[str, Any], title: str) -> list[Block]:
    current = bill.get("currentStage")
    lines = [
        f"Current stage: {_stage_label(current) if isinstance(current, dict) else 'not given'}"
    ]
    if bill.get("isAct"):
        lines.append(f"Royal Assent: yes — {title}")
    if bill.get("isDefeated"):
        lines.append("Defeated: yes")
    if withdrawn := bill.get("billWithdrawn"):
        lines.append(f"Withdrawn: {_day(withdrawn)}")
    return [_heading("Status"), *(_paragraph(line) for line in lines)]


def _stage_line(stage: Mapping[str, Any]) -> str:
    days = list(dict.fromkeys(_day(s.get("date")) for s in _dicts(stage.get("sittings"))))
    if not days:
        return _stage_label(stage)
    noun = "sitting" if len(days) == 1 else "sittings"
    return f"{_stage_label(stage)}: {noun} {', '.join(days)}"


def _stage_label(stage: Mapping[str, Any]) -> str:
    """``Report stage (House of Lords)``."""
    name = (
        _text(stage.get("description"))
        or _text(stage.get("abbreviation"))
        or f"Stage {stage.get('stageId') or stage.get('id')}"
    )
    house = HOUSES.get(str(stage.get("house") or "").lower())
    return f"{name} ({house})" if house else name


def _amendment_blocks(
    groups: Iterable[Mapping[str, Any]], stages: Sequence[Mapping[str, Any]]
) -> list[Block]:
    """One sub-heading per stage with amendments, in stage order."""
    position = {stage.get("id"): index for index, stage in enumerate(stages)}
    by_stage = {group.get("billStageId"): group for group in groups}
    ordered = sorted(by_stage, key=lambda sid: (position.get(sid, len(position)), sid or 0))
    blocks: list[Block] = []
    for stage_id in ordered:
        items = sorted(_dicts(by_stage[stage_id].get("items")), key=_amendment_key)
        if not items:
            continue
        stage = stages[position[stage_id]] if stage_id in position else {"id": stage_id}
        count = f"{len(items)} amendment{'s' if len(items) != 1 else ''} tabled"
        blocks += [_heading(_stage_label(stage), 3), _paragraph(count)]
        blocks += [_item(_amendment_line(a)) for a in items]
    return [_heading("Amendments"), *blocks] if blocks else []


def _amendment_line(amendment: Mapping[str, Any]) -> str:
    """``Amendment 62 (subject) — Negatived — Lord X, Baroness Y``."""
    label = _amendment_label(amendment)
    subject = _subject([str(line) for line in amendment.get("summaryText") or ()])
    parts = [
        f"{label} ({subject})" if subject else label,
        decision_words(amendment.get("decision")),
    ]
    names = [_text(s.get("name")) for s in _dicts(amendment.get("sponsors"))]
    if names := [n for n in names if n]:
        parts.append(", ".join(names))
    return " — ".join(parts)


def _amendment_label(amendment: Mapping[str, Any]) -> str:
    number = _text(amendment.get("marshalledListText"))
    if not number:
        return f"Unnumbered amendment {amendment.get('amendmentId')}"
    if match := re.fullmatch(r"N(C|S)\s*(\S+)", number, re.IGNORECASE):
        return f"New {'clause' if match[1].upper() == 'C' else 'schedule'} {match[2]}"
    return f"Amendment {number}"


_NEW_PROVISION = re.compile(r"following (?:new )?(?:clause|schedule)\W*$", re.IGNORECASE)
_QUOTES = "\"'“”‘’ "


def _subject(summary: Sequence[str]) -> str:
    """A short subject: a new clause's title, else the summary's opening words."""
    lines = [line for line in (_plain(s) for s in summary) if line]
    if not lines:
        return ""
    for line, following in zip(lines, lines[1:], strict=False):
        if _NEW_PROVISION.search(line) and following.strip(_QUOTES):
            return _shorten(following.strip(_QUOTES))
    return _shorten(" ".join(lines))


def decision_words(decision: object) -> str:
    """``NegativedOnDivision`` → ``Negatived on division``; no decision yet → ``No decision``."""
    if decision is None or str(decision).strip() == "":
        return DECISIONS["nodecision"]
    raw = str(decision).strip()
    if raw.lower() in DECISIONS:
        return DECISIONS[raw.lower()]
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", raw).replace("_", " ").split()
    return " ".join(words).capitalize()


def _publication_line(publication: Mapping[str, Any]) -> str:
    """``Marshalled list of amendments (Amendment Paper, 12 January 2026)``."""
    title = _text(publication.get("title")) or "Untitled publication"
    details = [
        d for d in (_text(publication.get("type")), _day(publication.get("displayDate"))) if d
    ]
    return f"{title} ({', '.join(details)})" if details else title


# -- ordering ----------------------------------------------------------------------------------


def _stage_key(stage: Mapping[str, Any]) -> tuple[int, int]:
    """The bill's own stage order, then id: stable whatever order the API lists them in."""
    return (_int(stage.get("sortOrder")), _int(stage.get("id")))


def _dated_key(item: Mapping[str, Any]) -> tuple[str, int]:
    """Date, then id."""
    return (str(item.get("displayDate") or ""), _int(item.get("id")))


_NUMBER = re.compile(r"([A-Za-z]*)\s*(\d+)(.*)")


def _amendment_key(amendment: Mapping[str, Any]) -> tuple[int, str, int, str, int]:
    """Marshalled-list order: 1, 2, 10, 62A, then NC1, NC2, ..., then unnumbered (by id)."""
    number = str(amendment.get("marshalledListText") or "").strip()
    identity = _int(amendment.get("amendmentId"))
    match = _NUMBER.fullmatch(number)
    if match:
        return (1 if match[1] else 0, match[1].upper(), int(match[2]), match[3], identity)
    return (2, number, 0, "", identity)


# -- small helpers -----------------------------------------------------------------------------


def _heading(text: str, level: int = 2) -> Block:
    return Block(BlockKind.HEADING, text, level=level)


def _paragraph(text: str) -> Block:
    return Block(BlockKind.PARAGRAPH, text)


def _item(text: str) -> Block:
    return Block(BlockKind.LIST_ITEM, text)


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: object) -> str:
    """Collapse whitespace; ``None`` and non-strings become ``""``."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def _plain(value: str) -> str:
    """Summary text without its markup (``<b>``) or entities."""
    return _text(html.unescape(re.sub(r"<[^>]*>", "", value)))


def _shorten(text: str) -> str:
    if len(text) <= SUBJECT_CHARS:
        return text
    cut = text[: SUBJECT_CHARS - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:—–-") + "…"


def _day(value: object) -> str:
    """``2026-01-20T00:00:00`` → ``20 January 2026`` (anything unreadable is kept as given)."""
    text = str(value or "")
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return text
    return f"{day.day} {day:%B} {day.year}"
