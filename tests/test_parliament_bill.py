"""The ``parliament-bill`` kind: Bills API responses become a document whose diff reads as events.

End to end through the CLI against a local server playing the Bills API, on SQLite and
PostgreSQL. The inputs are the recorded snommoc responses for bill 2818 and the derived
recordings in ``tests/fixtures/parliament/`` (what is real and what is invented is in
``NOTES.md`` there).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from monitor.config import Source, load_config
from monitor.errors import ConfigError, ContentMissing
from monitor.fetch import FetchRequest, FetchResult, Validators
from monitor.sources import get_kind
from monitor.sources.parliament_bill import (
    ParliamentBillKind,
    ParliamentBillOptions,
    decision_words,
)
from tests.climonitor import Monitor as CliMonitor
from tests.pageserver import PageServer, fixture_bytes

SNOMMOC = "snommoc/backend/crawlers/parliamentdotuk/tasks/openapi/bills/tests/data/"
DERIVED = Path(__file__).resolve().parent / "fixtures" / "parliament"
API = "/api/v1"
BILL = 2818
COMMITTEE = 12656  # the derived committee stage
EMPTY = {"items": [], "totalResults": 0, "itemsPerPage": 100}
JSON_NOISE = ('{"', '":', '"items"', "billStageId", "stageSittings", "totalResults")
JSON = "application/json; charset=utf-8"


def recorded(name: str) -> dict[str, Any]:
    """A real snommoc recording."""
    data: dict[str, Any] = json.loads(fixture_bytes(SNOMMOC + name))
    return data


def derived(name: str) -> dict[str, Any]:
    """A derived recording from tests/fixtures/parliament/."""
    data: dict[str, Any] = json.loads((DERIVED / name).read_text(encoding="utf-8"))
    return data


def publications(*, without_act: bool = False) -> dict[str, Any]:
    """The recorded publications list, as bill 2818's (the payload is bill 512's: NOTES.md)."""
    data = recorded("bill-2818_publications.json")
    data["billId"] = BILL
    if without_act:
        data["publications"] = [p for p in data["publications"] if p["id"] != 2756]
    return data


class BillsApi:
    """The Bills API of bill 2818 on a local server: change a part, then ``serve()``."""

    def __init__(self, server: PageServer) -> None:
        self.server = server
        self.bill = derived("bill-2818.json")
        self.stages = recorded("bill-2818_stages.json")
        self.publications = publications()
        self.amendments: dict[int, dict[str, Any]] = {}

    def to_committee(self, amendments: str | None = None) -> None:
        """The derived later state: 2nd reading sat, a committee stage is under way."""
        self.stages = derived("bill-2818_stages_committee.json")
        self.bill["currentStage"] = self.stages["items"][-1]
        self.bill["lastUpdate"] = "2021-04-21T16:02:11.1234567"
        if amendments:
            self.amendments[COMMITTEE] = derived(
                f"bill-2818_stage-{COMMITTEE}_amendments_{amendments}.json"
            )

    def serve(self) -> None:
        self.set(f"/Bills/{BILL}", self.bill)
        self.set(f"/Bills/{BILL}/Stages", self.stages)
        self.set(f"/Bills/{BILL}/Publications", self.publications)
        for stage in self.stages["items"]:
            self.set(self.amendments_path(stage["id"]), self.amendments.get(stage["id"], EMPTY))

    def set(self, path: str, data: Any, content_type: str = JSON) -> None:
        body = data if isinstance(data, str) else json.dumps(data)
        self.server.set(API + path, body, content_type=content_type)

    @staticmethod
    def amendments_path(stage_id: int) -> str:
        return f"/Bills/{BILL}/Stages/{stage_id}/Amendments"

    def source(self, source_id: str = "bill", **options: Any) -> str:
        settings = {"bill": BILL, "api": self.server.url(API), **options}
        return (
            f"{{id: {source_id}, name: Abolition of Business Rates Bill, "
            f"url: 'https://bills.parliament.uk/bills/{BILL}', kind: parliament-bill, "
            f"options: {json.dumps(settings)}}}"
        )


class Monitor(CliMonitor):
    """The shared CLI driver, watching one bill (`check` returns that bill's outcome)."""

    def __init__(self, tmp_path: Path, server: PageServer, database_url: str) -> None:
        super().__init__(tmp_path, server, database_url)
        self.api = BillsApi(server)

    def check(self, source_id: str = "bill") -> dict[str, Any]:  # type: ignore[override]
        return super().check(source_id)[source_id]

    def serve_and_check(self, source_id: str = "bill") -> dict[str, Any]:
        self.api.serve()
        return self.check(source_id)

    def diff(self, source_id: str = "bill") -> str:
        return super().diff(source_id)

    def versions(self) -> int:
        return len(json.loads(self.run("history", "bill", "--json").output))


@pytest.fixture
def monitor(tmp_path: Path, page_server: PageServer, database_url: str) -> Monitor:
    watched = Monitor(tmp_path, page_server, database_url)
    watched.configure(watched.api.source())
    return watched


def assert_readable(diff: str) -> None:
    """A bill's diff is event lines, not JSON."""
    noise = [token for token in JSON_NOISE if token in diff]
    assert not noise, f"JSON noise {noise} in:\n{diff}"


# -- checks end to end ---------------------------------------------------------------------------


def test_first_check_is_new_then_unchanged(monitor: Monitor) -> None:
    first = monitor.serve_and_check()
    assert first["status"] == "new" and first["snapshot"] and first["error"] is None
    assert monitor.check()["status"] == "unchanged"

    shown = monitor.run("show", "bill").output.splitlines()
    assert shown[:6] == [
        "# Abolition of Business Rates Bill",
        "## Status",
        "Current stage: 2nd reading (House of Commons)",
        "## Stages",
        "- 1st reading (House of Commons): sitting 12 January 2021",
        "- 2nd reading (House of Commons)",
    ]
    assert (
        "- Constitutional Reform and Governance Act 2010 c.25 (Act of Parliament, 12 April 2010)"
        in shown
    )
    # the stages that sat and the current stage had their amendments read; nothing else
    assert monitor.api.server.hits(API + monitor.api.amendments_path(12654)) == 2
    assert monitor.api.server.hits(API + monitor.api.amendments_path(12655)) == 2


def test_a_new_stage_reads_as_an_event(monitor: Monitor) -> None:
    assert monitor.serve_and_check()["status"] == "new"
    monitor.api.to_committee()
    changed = monitor.serve_and_check()
    assert changed["status"] == "changed" and changed["stats"]["added"] >= 1

    diff = monitor.diff()
    assert "@@ Stages @@\n{+- Committee stage (House of Commons): sitting 21 April 2021+}" in diff
    assert "Current stage: [-2nd reading-]{+Committee stage+} (House of Commons)" in diff
    assert "2nd reading (House of Commons){+: sitting 19 March 2021+}" in diff
    assert_readable(diff)


def test_amendments_tabled_then_decided(monitor: Monitor) -> None:
    monitor.api.to_committee(amendments="tabled")
    assert monitor.serve_and_check()["status"] == "new"
    shown = monitor.run("show", "bill").output
    assert "## Amendments\n### Committee stage (House of Commons)\n2 amendments tabled\n" in shown
    assert "- Amendment 1 (Clause 1, page 1, line 6, leave out" in shown
    assert "— No decision — Alex Example, Sam Sample" in shown

    monitor.api.to_committee(amendments="decided")
    assert monitor.serve_and_check()["status"] == "changed"
    diff = monitor.diff()
    assert (
        "@@ Amendments › Committee stage (House of Commons) @@\n[-2-]{+3+} amendments tabled"
        in diff
    )
    assert (
        "{+- New clause 1 (Review of the effect on small businesses) — Negatived on division"
        " — Sam Sample, Alex Example+}" in diff
    )
    assert "— [-No decision-]{+Withdrawn+} — Alex Example, Sam Sample" in diff
    assert "[-No decision-]{+Not moved+}" in diff
    assert_readable(diff)


def test_a_new_publication_reads_as_an_event(monitor: Monitor) -> None:
    monitor.api.publications = publications(without_act=True)
    assert monitor.serve_and_check()["status"] == "new"
    monitor.api.publications = publications()
    assert monitor.serve_and_check()["status"] == "changed"
    diff = monitor.diff()
    assert (
        "@@ Publications @@\n{+- Constitutional Reform and Governance Act 2010 c.25"
        " (Act of Parliament, 12 April 2010)+}" in diff
    )
    assert_readable(diff)


def test_royal_assent(monitor: Monitor) -> None:
    monitor.serve_and_check()
    monitor.api.bill |= {"isAct": True, "shortTitle": "Abolition of Business Rates Act 2021"}
    assert monitor.serve_and_check()["status"] == "changed"
    diff = monitor.diff()
    assert "{+Royal Assent: yes — Abolition of Business Rates Act 2021+}" in diff
    assert "Abolition of Business Rates [-Bill-]{+Act 2021+}" in diff
    assert_readable(diff)


def test_reordered_api_lists_are_not_a_change(monitor: Monitor) -> None:
    monitor.api.to_committee(amendments="decided")
    monitor.serve_and_check()
    for listed in (monitor.api.stages, monitor.api.amendments[COMMITTEE]):
        listed["items"].reverse()
    monitor.api.publications["publications"].reverse()
    assert monitor.serve_and_check()["status"] == "unchanged"


def test_amendments_are_read_page_by_page(monitor: Monitor) -> None:
    monitor.api.to_committee()
    monitor.api.serve()
    decided = derived(f"bill-2818_stage-{COMMITTEE}_amendments_decided.json")
    path = API + monitor.api.amendments_path(COMMITTEE)
    # an API that gives fewer items per page than asked for: paging follows what came back
    monitor.api.server.set(
        f"{path}?Skip=0&Take=100",
        json.dumps(decided | {"items": decided["items"][:2]}),
        content_type=JSON,
    )
    monitor.api.server.set(
        f"{path}?Skip=2&Take=100",
        json.dumps(decided | {"items": decided["items"][2:]}),
        content_type=JSON,
    )
    assert monitor.check()["status"] == "new"
    assert "3 amendments tabled" in monitor.run("show", "bill").output
    assert monitor.api.server.hits(path) == 2

    monitor.configure(monitor.api.source(max_amendment_pages=1))
    failed = monitor.check()
    assert failed["status"] == "error" and "raise options.max_amendment_pages" in failed["error"]


def test_amendments_can_be_left_out(monitor: Monitor) -> None:
    monitor.configure(monitor.api.source(amendments=False))
    monitor.api.to_committee(amendments="decided")
    assert monitor.serve_and_check()["status"] == "new"
    assert "## Amendments" not in monitor.run("show", "bill").output
    assert monitor.api.server.hits(API + monitor.api.amendments_path(COMMITTEE)) == 0


# -- broken responses fail the check, never store a version ------------------------------------

HTML = (
    "<!doctype html><html><head><title>Service unavailable</title></head><body>Down</body></html>"
)


@pytest.mark.parametrize(
    ("path", "content_type", "expected"),
    [
        (
            f"/Bills/{BILL}",
            "text/html; charset=utf-8",
            f"Bills API /Bills/{BILL} did not answer with JSON",
        ),
        (
            f"/Bills/{BILL}/Stages",
            JSON,
            f"Bills API /Bills/{BILL}/Stages answered with HTML instead of JSON",
        ),
        (
            f"/Bills/{BILL}/Publications",
            "text/html",
            "did not answer with JSON: unexpected content type 'text/html'",
        ),
        (BillsApi.amendments_path(12655), JSON, "/Stages/12655/Amendments answered with HTML"),
    ],
)
def test_html_instead_of_json_fails_with_a_clear_reason(
    monitor: Monitor, path: str, content_type: str, expected: str
) -> None:
    monitor.api.serve()
    monitor.api.set(path, HTML, content_type=content_type)
    failed = monitor.check()
    assert failed["status"] == "error" and failed["snapshot"] is None
    assert expected in failed["error"]
    assert monitor.versions() == 0


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (
            lambda api: api.stages.update(items=[]),
            f"/Bills/{BILL}/Stages returned an empty items list at Skip=0, "
            "although totalResults is 3",
        ),
        (
            lambda api: api.stages.update(items=[], totalResults=0),
            "listed no stages, although the bill's current stage is "
            "'Committee stage (House of Commons)'",
        ),
        (
            lambda api: api.amendments[COMMITTEE].update(items=[]),
            f"/Stages/{COMMITTEE}/Amendments returned an empty items list at Skip=0, "
            "although totalResults is 3",
        ),
        (
            lambda api: api.publications.update(publications=None),
            "Publications answered without the expected fields: "
            "publications: Input should be a valid list",
        ),
    ],
)
def test_an_empty_list_where_there_were_items_is_an_error_not_a_change(
    monitor: Monitor, break_it: Callable[[BillsApi], None], expected: str
) -> None:
    monitor.api.to_committee(amendments="decided")
    first = monitor.serve_and_check()
    assert first["status"] == "new"
    break_it(monitor.api)
    failed = monitor.serve_and_check()
    assert failed["status"] == "error" and failed["snapshot"] is None, failed
    assert expected in failed["error"]
    assert monitor.versions() == 1
    monitor.api.to_committee(amendments="decided")
    monitor.api.publications = publications()
    assert monitor.serve_and_check()["status"] == "unchanged"  # compared with the good version


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (
            "isAct",
            f"Bills API /Bills/{BILL} answered without the expected fields: isAct: Field required",
        ),
        ("shortTitle", "shortTitle: Field required"),
        ("lastUpdate", "lastUpdate: Field required"),
    ],
)
def test_a_missing_required_field_is_an_error(monitor: Monitor, field: str, expected: str) -> None:
    del monitor.api.bill[field]
    failed = monitor.serve_and_check()
    assert failed["status"] == "error" and expected in failed["error"]
    assert monitor.versions() == 0


def test_the_answer_for_another_bill_is_an_error(monitor: Monitor) -> None:
    monitor.api.publications = recorded("bill-2818_publications.json")  # billId 512 as recorded
    failed = monitor.serve_and_check()
    assert failed["status"] == "error"
    assert f"Bills API /Bills/{BILL}/Publications answered for bill 512" in failed["error"]


def test_api_errors_name_the_resource(monitor: Monitor) -> None:
    monitor.api.serve()
    monitor.api.server.remove(API + f"/Bills/{BILL}/Publications")
    failed = monitor.check()
    assert failed["status"] == "error"
    assert failed["error"] == f"Bills API /Bills/{BILL}/Publications: HTTP 404 Not Found"


# -- the kind on its own ---------------------------------------------------------------------------


def source(**options: Any) -> Source:
    config_options = {"bill": BILL, "api": "http://api.test/api/v1", **options}
    return Source.model_validate(
        {
            "id": "bill",
            "name": "Bill",
            "url": f"https://bills.parliament.uk/bills/{BILL}",
            "kind": "parliament-bill",
            "schedule": {"interval": 86400},
            "select": (),
            "ignore": (),
            "sections": (),
            "tags": (),
            "options": ParliamentBillOptions.model_validate(config_options),
            "defaults": {},
        }
    )


def fake_api(routes: dict[str, Any]) -> Callable[[FetchRequest], FetchResult]:
    """A fetch function answering from ``routes`` (path without query → JSON)."""

    def fetch(request: FetchRequest) -> FetchResult:
        path = request.url.removeprefix("http://api.test/api/v1").split("?", 1)[0]
        body = json.dumps(routes.get(path, EMPTY)).encode()
        return FetchResult(request.url, request.url, 200, body, JSON, Validators(), 0.0)

    return fetch


def committee_routes() -> dict[str, Any]:
    stages = derived("bill-2818_stages_committee.json")
    bill = derived("bill-2818.json") | {"currentStage": stages["items"][-1]}
    return {
        f"/Bills/{BILL}": bill,
        f"/Bills/{BILL}/Stages": stages,
        f"/Bills/{BILL}/Publications": publications(),
        BillsApi.amendments_path(COMMITTEE): derived(
            f"bill-2818_stage-{COMMITTEE}_amendments_decided.json"
        ),
    }


def lines_of(routes: dict[str, Any], **options: Any) -> list[str]:
    kind = ParliamentBillKind()
    watched = source(**options)
    return kind.extract(watched, kind.collect(watched, fake_api(routes))).lines()


def test_the_kind_is_registered() -> None:
    assert isinstance(get_kind("parliament-bill"), ParliamentBillKind)


def test_document_of_bill_2818_at_committee() -> None:
    lines = lines_of(committee_routes())
    assert lines[:13] == [
        "# Abolition of Business Rates Bill",
        "## Status",
        "Current stage: Committee stage (House of Commons)",
        "## Stages",
        "- 1st reading (House of Commons): sitting 12 January 2021",
        "- 2nd reading (House of Commons): sitting 19 March 2021",
        "- Committee stage (House of Commons): sitting 21 April 2021",
        "## Amendments",
        "### Committee stage (House of Commons)",
        "3 amendments tabled",
        "- Amendment 1 (Clause 1, page 1, line 6, leave out “1 April 2022”"
        " and insert “1 April 2024”) — Not moved — Alex Example",
        "- Amendment 2 (Clause 2, page 1, line 14, at end insert— “(3) The Secretary of State must"
        " publish an…) — Withdrawn — Alex Example, Sam Sample",
        "- New clause 1 (Review of the effect on small businesses) — Negatived on division"
        " — Sam Sample, Alex Example",
    ]
    assert lines[13] == "## Publications"
    assert lines[14].endswith("(Select Committee report, 4 June 2008)")  # oldest first
    assert len(lines) == 14 + 41


def test_metadata_is_the_bills_last_update() -> None:
    kind = ParliamentBillKind()
    watched = source()
    document = kind.extract(watched, kind.collect(watched, fake_api(committee_routes())))
    assert document.metadata.updated == "2021-05-04T10:42:08.0579851"
    assert document.metadata.document_type == "bill"


def test_field_names_in_any_case_are_read() -> None:
    def pascal(value: Any) -> Any:
        if isinstance(value, dict):
            return {k[:1].upper() + k[1:]: pascal(v) for k, v in value.items()}
        if isinstance(value, list):
            return [pascal(v) for v in value]
        return value

    routes = committee_routes()
    assert lines_of({path: pascal(data) for path, data in routes.items()}) == lines_of(routes)


def test_the_stored_bundle_keeps_only_what_is_used() -> None:
    kind = ParliamentBillKind()
    watched = source()
    bundle = json.loads(kind.collect(watched, fake_api(committee_routes())).body)
    assert sorted(bundle) == ["amendments", "bill", "format", "publications", "stages"]
    first = bundle["amendments"][-1]["items"][0]
    assert "memberPhoto" not in json.dumps(first) and "partyColour" not in json.dumps(first)
    assert [group["billStageId"] for group in bundle["amendments"]] == [12654, 12655, COMMITTEE]


def test_an_unreadable_stored_body_is_content_missing() -> None:
    fetched = FetchResult("u", "u", 200, b"<html></html>", "text/html", Validators(), 0.0)
    with pytest.raises(ContentMissing, match="not a parliament-bill bundle"):
        ParliamentBillKind().extract(source(), fetched)


@pytest.mark.parametrize(
    ("decision", "words"),
    [
        ("NoDecision", "No decision"),
        (None, "No decision"),
        ("Agreed", "Agreed"),
        ("AgreedOnDivision", "Agreed on division"),
        ("Disagreed", "Negatived"),
        ("NegativedOnDivision", "Negatived on division"),
        ("NotMoved", "Not moved"),
        ("notmoved", "Not moved"),
        ("Withdrawn", "Withdrawn"),
        ("WithdrawnBeforeDebate", "Withdrawn before debate"),
        ("NotSelected", "Not selected"),
        ("NotCalled", "Not called"),
        ("StoodPart", "Stood part"),
        ("NotStoodPart", "Did not stand part"),
        ("Preempted", "Pre-empted"),
        ("SomeFutureDecision", "Some future decision"),
    ],
)
def test_decisions_read_as_words(decision: str | None, words: str) -> None:
    assert decision_words(decision) == words


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ("{}", "options.bill: Field required"),
        ("{bill: 3909, colour: blue}", "options.colour: unknown option"),
        ("{bill: 3909, api: not-a-url}", "options.api: Input should be a valid URL"),
        ("{bill: 3909, max_amendment_pages: 0}", "options.max_amendment_pages"),
    ],
)
def test_options_are_validated(tmp_path: Path, options: str, problem: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n  - {id: cws-bill, name: Children's Wellbeing and Schools Bill,"
        " url: 'https://bills.parliament.uk/bills/3909', kind: parliament-bill,"
        f" options: {options}}}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert any(problem in line for line in info.value.problems), info.value.problems


def test_the_default_api_is_the_live_bills_api(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n  - {id: cws-bill, name: CWS Bill, url: 'https://bills.parliament.uk/bills/3909',"
        " kind: parliament-bill, options: {bill: 3909}}\n"
    )
    watched = load_config(path).sources[0]
    assert [r.url for r in ParliamentBillKind().requests(watched)] == [
        "https://bills-api.parliament.uk/api/v1/Bills/3909"
    ]
