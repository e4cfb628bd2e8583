"""``policy-monitor demo``: the whole product offline, in one command.

A local server replays recorded GOV.UK, Parliament and feed responses (tests/fixtures, real
public data; see FIXTURES.md there) and moves each page to its next recorded version every few
seconds. The scheduler of ``policy-monitor run`` checks them against a SQLite database in a
temporary folder, and every change is printed as it is found, with its diff. Relevant changes
get a draft and an email alert: the email goes to a local SMTP server (aiosmtpd) in this
process, which prints a line per message and saves it as a .eml file. The review app is served
as ``run`` serves it, with a demo admin account printed on the terminal. Nothing leaves this
machine.

The replay server is written here rather than reused from the test suite because the demo
ships with the package and must not import tests; it is deliberately tiny (ETag and 304 only).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import json
import os
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from monitor.errors import MonitorError

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
GITGOVUK = FIXTURES / "gitgovuk"
EXAMPLES = FIXTURES / "publishing-api" / "content_schemas" / "examples"
SNOMMOC = FIXTURES / "snommoc/backend/crawlers/parliamentdotuk/tasks/openapi/bills/tests/data"
HTML, JSON = "text/html; charset=utf-8", "application/json; charset=utf-8"
ATOM, RSS = "application/atom+xml; charset=utf-8", "application/rss+xml; charset=utf-8"


@dataclass(frozen=True)
class Page:
    """One path and its recorded versions, oldest first."""

    path: str
    versions: tuple[bytes, ...]
    content_type: str = HTML


@dataclass(frozen=True)
class DemoSource:
    """A source of the demo's sources.yaml and the pages it reads."""

    id: str
    name: str
    kind: str
    path: str
    pages: tuple[Page, ...]
    options: str = ""


class _QuietServer(ThreadingHTTPServer):
    """A client hanging up mid-request (as the checker does at shutdown) is not an error."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ReplayServer:
    """Serve every page at its current version; :meth:`advance` moves them all on by one."""

    def __init__(self, pages: list[Page]) -> None:
        self.pages = {page.path: page for page in pages}
        self.step = 0
        self.steps = max(len(page.versions) for page in pages)
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True

    @property
    def base(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        """Serve in a daemon thread."""
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def advance(self) -> bool:
        """Move every page to its next version; False once all were shown."""
        if self.step + 1 >= self.steps:
            return False
        self.step += 1
        return True

    def current(self, path: str) -> tuple[bytes, str] | None:
        page = self.pages.get(path)
        if page is None:
            return None
        return page.versions[min(self.step, len(page.versions) - 1)], page.content_type

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                """Quiet."""

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                found = replay.current(self.path.split("?", 1)[0])
                if found is None:
                    self._send(404, b"Not found", "text/plain", None)
                    return
                body, content_type = found
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", content_type, etag)
                else:
                    self._send(200, body, content_type, etag)

            def _send(self, status: int, body: bytes, kind: str, etag: str | None) -> None:
                self.send_response(status)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(0 if status == 304 else len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        return Handler


def _gitgovuk(slug: str) -> tuple[bytes, ...]:
    return tuple(p.read_bytes() for p in sorted((GITGOVUK / slug).glob("*/*.html")))


def _json(data: Any) -> bytes:
    return json.dumps(data).encode()


def _bill_versions() -> dict[str, tuple[bytes, ...]]:
    """Bill 2818 as recorded, then at a committee stage, then with amendments decided."""
    parliament = FIXTURES / "parliament"
    bill = json.loads((parliament / "bill-2818.json").read_text())
    stages = json.loads((SNOMMOC / "bill-2818_stages.json").read_text())
    later = json.loads((parliament / "bill-2818_stages_committee.json").read_text())
    publications = json.loads((SNOMMOC / "bill-2818_publications.json").read_text())
    publications["billId"] = 2818  # the recording is bill 512's (see FIXTURES.md)
    committee = {**bill, "currentStage": later["items"][-1], "lastUpdate": "2021-04-21T16:02:11"}
    empty = {"items": [], "totalResults": 0, "itemsPerPage": 100}
    amend = str(parliament / "bill-2818_stage-12656_amendments_{}.json")
    versions = {
        "/api/v1/Bills/2818": (_json(bill), _json(committee)),
        "/api/v1/Bills/2818/Stages": (_json(stages), _json(later)),
        "/api/v1/Bills/2818/Publications": (_json(publications),),
        "/api/v1/Bills/2818/Stages/12656/Amendments": (
            _json(empty),
            Path(amend.format("tabled")).read_bytes(),
            Path(amend.format("decided")).read_bytes(),
        ),
    }
    for stage in later["items"]:
        versions.setdefault(f"/api/v1/Bills/2818/Stages/{stage['id']}/Amendments", (_json(empty),))
    return versions


TRACKER_PAGE = """<!doctype html><html><head><title>Demo tracker section - Kinship</title></head>
<body><main><h1>Family justice and legal aid</h1>
<p>A demonstration page written for policy-monitor's demo (not Kinship's words).</p>
<p>{status}</p><p>Previous status: {previous}</p>
<h2>Current action</h2><p>{now}</p>
<h2>What should happen next</h2><p>Demo text: legal aid for every kinship carer.</p>
</main></body></html>"""


def _tracker_versions() -> tuple[bytes, ...]:
    first = TRACKER_PAGE.format(
        status="Slow progress",
        previous="Good progress (September 2023)",
        now="Demo text: a consultation on legal aid is expected.",
    )
    second = TRACKER_PAGE.format(
        status="Good progress",
        previous="Slow progress (March 2025)",
        now="Demo text: the consultation response was published.",
    )
    return first.encode(), second.encode()


def demo_sources() -> list[DemoSource]:
    """The sources the demo watches, with their recorded versions."""
    examples = EXAMPLES
    bill_pages = tuple(Page(path, v, JSON) for path, v in _bill_versions().items())
    return [
        DemoSource(
            "asf",
            "Adoption and Special Guardianship Support Fund",
            "govuk",
            "/guidance/adoption-support-fund-asf",
            (Page("/guidance/adoption-support-fund-asf", _gitgovuk("adoption-support-fund-asf")),),
        ),
        DemoSource(
            "childrens-social-care-covid-guidance",
            "Coronavirus (COVID-19): guidance for children's social care services",
            "html",
            "/government/publications/covid-childrens-social-care",
            (
                Page(
                    "/government/publications/covid-childrens-social-care",
                    _gitgovuk("coronavirus-covid-19-guidance-for-childrens-social-care-services"),
                ),
            ),
        ),
        DemoSource(
            "national-review",
            "National review: Arthur Labinjo-Hughes and Star Hobson",
            "html",
            "/government/publications/national-review",
            (
                Page(
                    "/government/publications/national-review",
                    _gitgovuk("national-review-arthur-labinjo-hughes"),
                ),
            ),
        ),
        DemoSource(
            "html-publication",
            "An HTML publication (Content API)",
            "govuk",
            "/government/publications/demo/html-publication",
            (
                Page(
                    "/api/content/government/publications/demo/html-publication",
                    tuple(
                        (examples / "html_publication/frontend" / f"{n}.json").read_bytes()
                        for n in ("published", "updated")
                    ),
                    JSON,
                ),
            ),
        ),
        DemoSource(
            "news-withdrawn",
            "A news story that is withdrawn (Content API)",
            "govuk",
            "/government/news/demo-story",
            (
                Page(
                    "/api/content/government/news/demo-story",
                    tuple(
                        (examples / "news_article/frontend" / f"{n}.json").read_bytes()
                        for n in ("news_article", "news_article_withdrawn")
                    ),
                    JSON,
                ),
            ),
        ),
        DemoSource(
            "bill",
            "Abolition of Business Rates Bill (Bills API)",
            "parliament-bill",
            "/bills/2818",
            bill_pages,
            options="{bill: 2818, api: '{base}/api/v1'}",
        ),
        DemoSource(
            "govuk-search-kinship",
            "GOV.UK search: kinship",
            "govuk-search",
            "/api/search.json",
            (
                Page(
                    "/api/search.json",
                    tuple(
                        (FIXTURES / "govuk-search" / f"kinship-2025070{d}.json").read_bytes()
                        for d in (1, 4)
                    ),
                    JSON,
                ),
            ),
            options="{q: kinship}",
        ),
        DemoSource(
            "dfe-feed",
            "GOV.UK search feed: kinship (Atom)",
            "feed",
            "/search/all.atom",
            (
                Page(
                    "/search/all.atom",
                    tuple(
                        (FIXTURES / "feeds" / f"govuk-search-kinship-2025070{d}.atom").read_bytes()
                        for d in (1, 4)
                    ),
                    ATOM,
                ),
            ),
        ),
        DemoSource(
            "parliament-bills-feed",
            "UK Parliament: all bills (RSS)",
            "feed",
            "/api/v1/Rss/allbills.rss",
            (
                Page(
                    "/api/v1/Rss/allbills.rss",
                    tuple(
                        (FIXTURES / "feeds" / f"parliament-allbills-2025{d}.rss").read_bytes()
                        for d in ("0201", "0204", "0318")
                    ),
                    RSS,
                ),
            ),
        ),
        DemoSource(
            "tracker-legal-aid",
            "Demo tracker section: Family justice and legal aid",
            "tracker",
            "/policy-tracker/family-justice-and-legal-aid/",
            (Page("/policy-tracker/family-justice-and-legal-aid/", _tracker_versions()),),
        ),
    ]


HOST = "127.0.0.1"
DEMO_USER = "demo@example.org"  # an admin of the demo's review app
DEMO_RECIPIENT = "policy-team@example.org"  # gets the demo's email alerts (caught locally)


@dataclass(frozen=True)
class DemoOptions:
    """How the demo runs: the options of ``policy-monitor demo``."""

    interval: float = 5.0
    duration: float | None = None
    port: int = 8080  # of the review app; 0 picks a free one
    until_done: bool = False


def write_demo_config(
    folder: Path, base: str, sources: list[DemoSource], every: str, web_port: int = 8080
) -> Path:
    """A sources.yaml pointing every demo source at the replay server."""
    lines = [
        "# Written by 'policy-monitor demo': every URL is the local replay server.",
        "defaults: {retries: 1, timeout: 10, respect_robots: false}",
        "hosts: {127.0.0.1: {rate: 0, concurrency: 4}}",
        *_settings_lines(web_port),
        "sources:",
    ]
    for s in sources:
        options = f", options: {s.options.replace('{base}', base)}" if s.options else ""
        lines.append(
            f"  - {{id: {s.id}, name: \"{s.name}\", url: '{base}{s.path}', "
            f"kind: {s.kind}, every: {every}{options}}}"
        )
    path = folder / "sources.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _settings_lines(web_port: int) -> list[str]:
    """Alerts to a demo recipient, linking to the demo's review app (plain HTTP, so no
    secure-only cookie)."""
    return [
        "review: {secure_cookies: false}",
        "notifications:",
        "  alert_min_score: 0.5",
        f"  review_url: 'http://{HOST}:{web_port}/drafts/{{id}}'",
        f"  recipients: [{{email: {DEMO_RECIPIENT}}}]",
    ]


def check_fixtures() -> None:
    """Fail clearly when run from an installation without the recorded pages."""
    if not GITGOVUK.is_dir():
        raise MonitorError(
            f"the demo replays the recorded pages in {FIXTURES}, which this installation "
            "does not have: run it from a checkout of the repository (pip install -e .)"
        )


class Printer:
    """The demo's terminal output: lines from several threads, each call's lines together."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self._echo = echo
        self._lock = threading.Lock()

    def __call__(self, *lines: str) -> None:
        with self._lock:
            for line in lines:
                self._echo(line)


class _AnyPortController(Controller):
    """aiosmtpd's Controller, also on port 0: it learns the port the system picked."""

    def _trigger_server(self) -> None:
        if isinstance(self.server, asyncio.Server):
            self.port = int(self.server.sockets[0].getsockname()[1])
        super()._trigger_server()


class MailSink:
    """An SMTP server on a free loopback port that keeps every email as a .eml file."""

    def __init__(self, folder: Path, say: Printer) -> None:
        self.folder = folder
        self._say = say
        self._controller = _AnyPortController(self, hostname=HOST, port=0)
        self.count = 0  # .eml files in the folder (they are numbered on)
        self.caught = 0  # emails caught by this run

    @property
    def port(self) -> int:
        """The port it listens on (once started)."""
        return int(self._controller.port)

    def __enter__(self) -> MailSink:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = len(list(self.folder.glob("*.eml")))  # a reused --dir keeps its emails
        self._controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._controller.stop()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        """aiosmtpd's hook: save the email and say what it was."""
        content: bytes = envelope.content
        self.count += 1
        self.caught += 1
        path = self.folder / f"{self.count:03d}.eml"
        path.write_bytes(content)
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        self._say(f"email    to {', '.join(envelope.rcpt_tos)}: {parsed['Subject']}  [{path.name}]")
        return "250 OK"


SMTP_ENV = "POLICY_MONITOR_SMTP_"


@contextmanager
def smtp_env(port: int) -> Iterator[None]:
    """While the demo runs, this process's email goes to the sink on ``port`` and nowhere
    else (a user's own POLICY_MONITOR_SMTP_* settings are set aside, then restored)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith(SMTP_ENV)}
    for name in saved:
        del os.environ[name]
    os.environ[SMTP_ENV + "HOST"], os.environ[SMTP_ENV + "PORT"] = HOST, str(port)
    try:
        yield
    finally:
        for name in [k for k in os.environ if k.startswith(SMTP_ENV)]:
            del os.environ[name]
        os.environ.update(saved)


def demo_login(store: Any) -> str:
    """Create (or, in a reused --dir, reset) the demo's admin account; return its password."""
    from monitor.web.auth import hash_password
    from storage.accounts import Accounts

    password = secrets.token_urlsafe(12)
    accounts = Accounts(store.engine)
    hashed = hash_password(password)
    if accounts.credentials(DEMO_USER) is None:
        accounts.add_user(DEMO_USER, hashed, "admin", actor="demo")
    else:
        accounts.update_user(
            DEMO_USER, actor="demo", role="admin", active=True, password_hash=hashed
        )
    return password


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def run_demo(
    *,
    interval: float,
    duration: float | None,
    folder: Path | None,
    port: int,
    echo: Callable[[str], None],
    until_done: bool = False,
) -> None:
    """Run the demo until Ctrl-C (or SIGTERM), ``duration`` seconds, or (``until_done``) the
    last version.

    A demo that fails to start (its port taken, say) removes the temporary folder it made; a
    ``folder`` given is always left as it is.
    """
    check_fixtures()
    options = DemoOptions(interval, duration, port, until_done)
    made = folder is None
    workdir = folder or Path(tempfile.mkdtemp(prefix="policy-monitor-demo-"))
    started = threading.Event()
    try:
        from monitor.runner import sigterm_as_ctrl_c

        with sigterm_as_ctrl_c():
            _serve(workdir, options, Printer(echo), started)
    except BaseException:
        if made and not started.is_set():
            shutil.rmtree(workdir, ignore_errors=True)  # nothing in it worth keeping
        raise


def _serve(workdir: Path, options: DemoOptions, say: Printer, started: threading.Event) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    sources = demo_sources()
    server = ReplayServer([page for s in sources for page in s.pages])
    server.start()
    try:
        with MailSink(workdir / "emails", say) as sink, smtp_env(sink.port):
            _run(workdir, server, sources, options, say, sink, started)
    finally:
        server.stop()


def _run(
    workdir: Path,
    server: ReplayServer,
    sources: list[DemoSource],
    options: DemoOptions,
    say: Printer,
    sink: MailSink,
    started: threading.Event,
) -> None:
    """Check the replayed pages with the scheduler of 'run', and serve the review app."""
    from monitor.runner import start_web
    from monitor.scheduler import Service
    from monitor.web.health import Metrics
    from storage import db
    from storage.store import Store

    web_port = options.port or free_port()
    every = f"{max(1, int(options.interval))}s"
    config = write_demo_config(workdir, server.base, sources, every, web_port)
    url = f"sqlite:///{workdir / 'demo.db'}"
    engine = db.make_engine(url)
    try:
        db.ensure_current(engine)
        store = Store(engine)
        password = demo_login(store)
        reporter = _Reporter(store, say)
        service = Service(
            config, store, on_outcome=reporter, outbox_every=max(1.0, options.interval)
        )
        metrics = Metrics(store, service.health)
        web = start_web(store, config, service.health, metrics, HOST, web_port)
        try:
            service.health.leader = True
            say(*_banner(server, config, url, web_port, password, sink, options.interval))
            started.set()
            _watch(service, server, reporter, options, say)
        finally:
            web.close()
    finally:
        engine.dispose()
    say(*_farewell(workdir, config, url, web_port, sink))


def _watch(
    service: Any, server: ReplayServer, reporter: _Reporter, options: DemoOptions, say: Printer
) -> None:
    """Run the scheduler while the replay server moves on; stop it (flushing email) after."""
    service.start()
    try:
        _replay(server, reporter, len(service.config.sources), options, say)
    except KeyboardInterrupt:
        say("stopping…")
    finally:
        service.stop(10)


def click_style(text: str) -> str:
    """Drafts stand out in the demo's output."""
    import click

    return click.style(text, fg="cyan")


def _banner(
    server: ReplayServer,
    config: Path,
    url: str,
    web_port: int,
    password: str,
    sink: MailSink,
    interval: float,
) -> list[str]:
    app = f"http://{HOST}:{web_port}/"
    return [
        "policy-monitor demo: replaying recorded GOV.UK, Parliament and feed data "
        f"from {server.base}",
        f"  database:    {url}",
        f"  sources:     {config}",
        f"  review app:  {app}   (health: {app}healthz)",
        f"  log in as:   {DEMO_USER}   password: {password}",
        f"  email:       caught by a local SMTP server on {HOST}:{sink.port}, "
        f"saved in {sink.folder}",
        f"  sources are checked every {interval:g} s; once all have seen a version, the pages",
        "  move to their next recorded version. Ctrl-C stops.",
        "",
        "  Relevant changes get a drafted tracker update (printed in cyan) and an email alert",
        f"  to {DEMO_RECIPIENT}; open the review app to read, edit and approve the drafts.",
        "",
    ]


def _farewell(workdir: Path, config: Path, url: str, web_port: int, sink: MailSink) -> list[str]:
    prefix = f"  {_command()} --config {config} --database-url {url}"
    return [
        "",
        f"emails caught: {sink.caught}, saved in {sink.folder}",
        f"Everything is kept in {workdir}. Look around with, for example:",
        f"{prefix} serve --port {web_port}     (the review app again, same login)",
        f"{prefix} drafts list",
        f"{prefix} status",
        f"{prefix} diff bill",
    ]


def _command() -> str:
    """How to run policy-monitor from this shell: by name when it is on the PATH (an active
    venv), else by the path of the one running now (``.venv/bin/policy-monitor``)."""
    if shutil.which("policy-monitor"):
        return "policy-monitor"
    script = Path(sys.argv[0])
    if script.name == "policy-monitor" and script.exists():
        return str(script)
    return f"{sys.executable} -m monitor"


def _replay(
    server: ReplayServer,
    reporter: _Reporter,
    sources: int,
    options: DemoOptions,
    say: Printer,
) -> None:
    """Move the pages on once every source has seen the current version (or after a while)."""
    started = time.monotonic()
    step_started = started
    finished = False
    while options.duration is None or time.monotonic() - started < options.duration:
        time.sleep(0.2)
        waited = time.monotonic() - step_started
        if finished or (reporter.seen < sources and waited < options.interval * 4 + 10):
            continue
        if server.advance():
            say(f"--- the replay server moved to recorded version {server.step + 1} ---")
        else:
            say("--- every recorded version has been shown ---")
            finished = True
            if options.until_done:
                return
        reporter.reset()
        step_started = time.monotonic()


class _Reporter:
    """Print each check's outcome; for a change, a short diff."""

    def __init__(self, store: Any, say: Printer) -> None:
        self._store, self._say = store, say
        self._lock = threading.Lock()
        self._checked: set[str] = set()

    @property
    def seen(self) -> int:
        """How many sources were checked since the last :meth:`reset`."""
        with self._lock:
            return len(self._checked)

    def reset(self) -> None:
        """Start counting checks of the next version."""
        with self._lock:
            self._checked.clear()

    def __call__(self, outcome: Any) -> None:
        with self._lock:
            self._checked.add(outcome.source)
        if outcome.status not in ("new", "changed", "error"):
            return
        lines = [
            f"{outcome.status:<8} {outcome.source}"
            + (f": {outcome.error}" if outcome.error else "")
        ]
        if outcome.change is not None:
            lines.append(self._excerpt(outcome.change))
        if outcome.relevant:
            lines.append(self._draft_line(outcome.source))
        self._say(*lines)

    def _draft_line(self, source_id: str) -> str:
        drafts = [d for d in self._store.drafts(status="pending") if d.source_id == source_id]
        if not drafts:
            return "    (relevant; no draft)"
        latest = max(drafts, key=lambda d: d.id)
        return click_style(f"    draft #{latest.id}: {latest.history_line}")

    def _excerpt(self, change_id: int, lines: int = 12) -> str:
        from monitor.diff import changes_from_dict
        from monitor.render import render_terminal

        row = next(c for c in self._store.changes_by_id([change_id]))
        text = render_terminal(changes_from_dict(json.loads(row.diff_json)), color=True)
        shown = text.splitlines()
        more = f"\n    … {len(shown) - lines} more lines" if len(shown) > lines else ""
        return "\n".join("    " + line for line in shown[:lines]) + more
