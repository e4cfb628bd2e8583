"""Tests for the loopback PageServer used instead of patching `requests`."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests import pageserver
from tests.pageserver import PageServer, Route, etag_for, http_date

TIMEOUT = 2.0
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def server() -> Iterator[PageServer]:
    yield from pageserver.page_server()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def test_unknown_path_is_404_with_small_html(server: PageServer, http: requests.Session) -> None:
    r = http.get(server.url("/nope"), timeout=TIMEOUT)
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/html")
    assert b"Not Found" in r.content


def test_serves_body_with_strong_etag(server: PageServer, http: requests.Session) -> None:
    server.set("/page", "<h1>hello</h1>", headers={"X-Extra": "1"})
    r = http.get(server.url("/page"), timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.text == "<h1>hello</h1>"
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["ETag"] == etag_for(b"<h1>hello</h1>")
    assert r.headers["X-Extra"] == "1"


def test_if_none_match_gives_304_without_body(server: PageServer, http: requests.Session) -> None:
    server.set("/page", b"body")
    etag = http.get(server.url("/page"), timeout=TIMEOUT).headers["ETag"]
    r = http.get(server.url("/page"), headers={"If-None-Match": etag}, timeout=TIMEOUT)
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["ETag"] == etag
    stale = http.get(server.url("/page"), headers={"If-None-Match": '"old"'}, timeout=TIMEOUT)
    assert stale.status_code == 200


def test_etag_can_be_disabled(server: PageServer, http: requests.Session) -> None:
    server.set("/page", b"body", etag=False)
    r = http.get(server.url("/page"), headers={"If-None-Match": "*"}, timeout=TIMEOUT)
    assert r.status_code == 200
    assert "ETag" not in r.headers


def test_if_modified_since_gives_304(server: PageServer, http: requests.Session) -> None:
    modified = http_date(1_700_000_000)
    server.set("/page", b"body", etag=False, last_modified=modified)
    r = http.get(server.url("/page"), timeout=TIMEOUT)
    assert r.headers["Last-Modified"] == modified
    same = http.get(server.url("/page"), headers={"If-Modified-Since": modified}, timeout=TIMEOUT)
    assert same.status_code == 304
    assert same.content == b""
    older = {"If-Modified-Since": http_date(1_600_000_000)}
    assert http.get(server.url("/page"), headers=older, timeout=TIMEOUT).status_code == 200


def test_head_sends_headers_only(server: PageServer, http: requests.Session) -> None:
    server.set("/page", b"0123456789")
    r = http.head(server.url("/page"), timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.headers["Content-Length"] == "10"
    assert r.content == b""
    assert server.requests[-1].method == "HEAD"


def test_fail_times_then_success_with_retry_after(
    server: PageServer, http: requests.Session
) -> None:
    server.set("/flaky", b"ok", fail_times=2, retry_after="1")
    first = http.get(server.url("/flaky"), timeout=TIMEOUT)
    second = http.get(server.url("/flaky"), timeout=TIMEOUT)
    third = http.get(server.url("/flaky"), timeout=TIMEOUT)
    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 200]
    assert first.headers["Retry-After"] == "1"
    assert "Retry-After" not in third.headers
    assert third.content == b"ok"


def test_fail_status_is_configurable(server: PageServer, http: requests.Session) -> None:
    server.set("/limited", b"ok", fail_times=1, fail_status=429, retry_after=http_date(0))
    r = http.get(server.url("/limited"), timeout=TIMEOUT)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "Thu, 01 Jan 1970 00:00:00 GMT"


def test_redirect(server: PageServer, http: requests.Session) -> None:
    server.set("/new", b"moved here")
    server.redirect("/old", "/new")
    raw = http.get(server.url("/old"), allow_redirects=False, timeout=TIMEOUT)
    assert raw.status_code == 301
    assert raw.headers["Location"] == server.url("/new")
    followed = http.get(server.url("/old"), timeout=TIMEOUT)
    assert followed.url == server.url("/new")
    assert [h.status_code for h in followed.history] == [301]
    assert followed.content == b"moved here"


def test_delay_causes_read_timeout(server: PageServer, http: requests.Session) -> None:
    server.set("/slow", b"late", delay=0.5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(server.url("/slow"), timeout=0.1)


def test_delay_is_applied(server: PageServer, http: requests.Session) -> None:
    server.set("/slow", b"late", delay=0.15)
    started = time.monotonic()
    r = http.get(server.url("/slow"), timeout=TIMEOUT)
    assert r.content == b"late"
    assert time.monotonic() - started >= 0.15


def test_chunked_stream_can_be_read_partially(server: PageServer, http: requests.Session) -> None:
    server.set("/huge", Route(chunked_size=50 * 1024 * 1024))
    limit = 200_000
    with http.get(server.url("/huge"), stream=True, timeout=TIMEOUT) as r:
        assert r.headers["Transfer-Encoding"] == "chunked"
        assert "Content-Length" not in r.headers
        read = 0
        for chunk in r.iter_content(64 * 1024):
            read += len(chunk)
            if read > limit:
                break
    assert read > limit
    server.set("/after", b"still alive")
    assert http.get(server.url("/after"), timeout=TIMEOUT).content == b"still alive"


def test_small_chunked_stream_is_complete(server: PageServer, http: requests.Session) -> None:
    server.set("/stream", b"", chunked_size=150_000)
    r = http.get(server.url("/stream"), timeout=TIMEOUT)
    assert len(r.content) == 150_000


def test_drop_connection(server: PageServer, http: requests.Session) -> None:
    server.set("/gone", b"never", drop_connection=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        http.get(server.url("/gone"), timeout=TIMEOUT)


def test_drop_connection_with_fail_times_drops_first_only(
    server: PageServer, http: requests.Session
) -> None:
    server.set("/blip", b"back", drop_connection=True, fail_times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        http.get(server.url("/blip"), timeout=TIMEOUT)
    assert http.get(server.url("/blip"), timeout=TIMEOUT).content == b"back"


def test_robots_default_404_then_served(server: PageServer, http: requests.Session) -> None:
    assert http.get(server.url("/robots.txt"), timeout=TIMEOUT).status_code == 404
    server.robots("User-agent: *\nDisallow: /private\n")
    r = http.get(server.url("/robots.txt"), timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    assert "Disallow: /private" in r.text


def test_version_switching_with_real_fixtures(server: PageServer, http: requests.Session) -> None:
    first, second = pageserver.versions("adoption-support-fund-asf")
    assert first.parent.name < second.parent.name
    server.set("/guidance", first.read_bytes())
    r1 = http.get(server.url("/guidance"), timeout=TIMEOUT)
    assert r1.content == first.read_bytes()
    server.set("/guidance", second.read_bytes())
    cond = {"If-None-Match": r1.headers["ETag"]}
    r2 = http.get(server.url("/guidance"), headers=cond, timeout=TIMEOUT)
    assert r2.status_code == 200
    assert r2.content == second.read_bytes()
    assert r2.headers["ETag"] != r1.headers["ETag"]


def test_set_resets_failure_countdown_and_remove(
    server: PageServer, http: requests.Session
) -> None:
    route = Route(body=b"x", fail_times=1)
    server.set("/p", route)
    assert http.get(server.url("/p"), timeout=TIMEOUT).status_code == 503
    server.set("/p", route, body=b"y")
    assert http.get(server.url("/p"), timeout=TIMEOUT).status_code == 503
    assert http.get(server.url("/p"), timeout=TIMEOUT).content == b"y"
    server.remove("/p")
    assert http.get(server.url("/p"), timeout=TIMEOUT).status_code == 404


def test_hits_and_request_log(server: PageServer, http: requests.Session) -> None:
    server.set("/a", b"a")
    http.get(server.url("/a"), headers={"User-Agent": "policy-monitor/test"}, timeout=TIMEOUT)
    http.get(server.url("/a?x=1"), timeout=TIMEOUT)
    http.get(server.url("/b"), timeout=TIMEOUT)
    assert server.hits("/a") == 2
    assert server.hits("/a?x=1") == 1
    assert server.hits("/b") == 1
    first = server.requests[0]
    assert (first.method, first.path) == ("GET", "/a")
    assert first.header("user-agent") == "policy-monitor/test"
    assert first.time <= server.requests[1].time
    server.reset_log()
    assert server.requests == []
    assert server.hits("/a") == 0


def test_concurrent_requests_are_all_recorded(server: PageServer) -> None:
    server.set("/c", b"c", delay=0.05)

    def fetch() -> None:
        with requests.Session() as s:
            s.get(server.url("/c"), timeout=TIMEOUT)

    threads = [threading.Thread(target=fetch) for _ in range(20)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert server.hits("/c") == 20
    assert time.monotonic() - started < 1.0  # served in parallel, not one by one


def test_stop_closes_socket() -> None:
    server = PageServer().start()
    url = server.url("/")
    server.stop()
    server.stop()  # idempotent
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, timeout=TIMEOUT)


def test_stop_does_not_wait_for_delayed_handler(http: requests.Session) -> None:
    server = PageServer().start()
    server.set("/slow", b"late", delay=30)
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(server.url("/slow"), timeout=0.1)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0


def test_url_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        PageServer().url("/x")


def test_fixture_loaders() -> None:
    paths = pageserver.versions("gitgovuk/national-review-arthur-labinjo-hughes")
    assert len(paths) == 3
    assert all(p.suffix == ".html" for p in paths)
    rel = paths[0].relative_to(pageserver.fixtures_dir()).as_posix()
    assert pageserver.fixture_bytes(rel) == paths[0].read_bytes()
    with pytest.raises(FileNotFoundError, match="no-such-file"):
        pageserver.fixture_bytes("no-such-file.html")


def test_missing_fixtures_dir_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(pageserver.FIXTURES_ENV, str(tmp_path / "absent"))
    with pytest.raises(FileNotFoundError, match="fixtures not found"):
        pageserver.fixture_bytes("anything")


def test_root_directory_serving(tmp_path: Path, http: requests.Session) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.html").write_text("<p>index</p>")
    (tmp_path / "data.json").write_text("{}")
    with PageServer(root=tmp_path) as server:
        assert http.get(server.url("/docs/"), timeout=TIMEOUT).text == "<p>index</p>"
        r = http.get(server.url("/data.json"), timeout=TIMEOUT)
        assert r.headers["Content-Type"].startswith("application/json")
        assert http.get(server.url("/../etc/passwd"), timeout=TIMEOUT).status_code == 404


def test_subprocess_mode(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>from disk</p>")
    cmd = [sys.executable, "-m", "tests.pageserver", "--port", "0", "--root", str(tmp_path)]
    with subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            base = proc.stdout.readline().strip()
            assert base.startswith("http://127.0.0.1:")
            r = requests.get(base + "page.html", timeout=TIMEOUT)
            assert r.text == "<p>from disk</p>"
        finally:
            proc.terminate()
            proc.wait(timeout=TIMEOUT)
    assert proc.returncode == 0
