"""The fetch stage against a real local HTTP server (no patched requests)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from monitor.config import Config, load_config
from monitor.errors import BadContentType, BodyTooLarge, FetchError, RobotsDisallowed
from monitor.fetch import Fetcher, FetchRequest, FetchResult, NotModified, Validators
from tests.pageserver import PageServer, Route

PAGE = b"<html><head><title>T</title></head><body><main><p>Hello</p></main></body></html>"


def make_config(tmp_path: Path, url: str, extra: str = "") -> Config:
    text = f"""
defaults:
  timeout: 1
  connect_timeout: 1
  retries: 2
  max_body_mb: 1
{extra}
sources:
  - {{id: page, name: Page, url: "{url}", kind: html}}
"""
    path = tmp_path / "sources.yaml"
    path.write_text(text)
    return load_config(path)


def fetch(
    tmp_path: Path,
    server: PageServer,
    path: str = "/page",
    extra: str = "",
    validators: Validators | None = None,
) -> FetchResult | NotModified:
    config = make_config(tmp_path, server.url(path), extra)
    fetcher = Fetcher(config, backoff_factor=0.01)
    try:
        request = FetchRequest(server.url(path), validators=validators or Validators())
        return fetcher.fetch(config.sources[0], request)
    finally:
        fetcher.close()


def test_ok_records_validators_and_user_agent(tmp_path: Path, page_server: PageServer) -> None:
    page_server.set("/page", PAGE, last_modified="Wed, 01 Jan 2025 00:00:00 GMT")
    result = fetch(tmp_path, page_server)
    assert isinstance(result, FetchResult)
    assert result.body == PAGE and result.status == 200
    assert result.validators.etag and result.validators.last_modified
    assert "policy-monitor" in (page_server.requests[-1].header("User-Agent") or "")


def test_conditional_get_gives_not_modified(tmp_path: Path, page_server: PageServer) -> None:
    page_server.set("/page", PAGE)
    first = fetch(tmp_path, page_server)
    assert isinstance(first, FetchResult)
    second = fetch(tmp_path, page_server, validators=first.validators)
    assert isinstance(second, NotModified)
    assert page_server.requests[-1].header("If-None-Match") == first.validators.etag
    assert second.validators.etag == first.validators.etag


def test_if_modified_since(tmp_path: Path, page_server: PageServer) -> None:
    stamp = "Wed, 01 Jan 2025 00:00:00 GMT"
    page_server.set("/page", Route(PAGE, etag=False, last_modified=stamp))
    result = fetch(tmp_path, page_server, validators=Validators(last_modified=stamp))
    assert isinstance(result, NotModified)


def test_retries_5xx_then_succeeds(tmp_path: Path, page_server: PageServer) -> None:
    page_server.set("/page", Route(PAGE, fail_times=2, fail_status=503))
    result = fetch(tmp_path, page_server)
    assert isinstance(result, FetchResult)
    assert page_server.hits("/page") == 3


def test_honours_retry_after(tmp_path: Path, page_server: PageServer) -> None:
    page_server.set("/page", Route(PAGE, fail_times=1, fail_status=429, retry_after="1"))
    started = time.monotonic()
    result = fetch(tmp_path, page_server)
    assert isinstance(result, FetchResult)
    assert time.monotonic() - started >= 0.9


def test_gives_up_after_retries(tmp_path: Path, page_server: PageServer) -> None:
    page_server.set("/page", Route(PAGE, fail_times=10, fail_status=500))
    with pytest.raises(FetchError, match="500") as info:
        fetch(tmp_path, page_server)
    assert info.value.http_status == 500 or "retries" in str(info.value)
    assert page_server.hits("/page") == 3  # one try plus two retries


def test_404_is_not_retried(tmp_path: Path, page_server: PageServer) -> None:
    with pytest.raises(FetchError, match="HTTP 404") as info:
        fetch(tmp_path, page_server, "/missing")
    assert info.value.http_status == 404
    assert page_server.hits("/missing") == 1


def test_timeout(tmp_path: Path, page_server: PageServer) -> None:
    page_server.set("/page", Route(PAGE, delay=3))
    extra = "  # no retries here\n"
    with pytest.raises(FetchError, match="timed out after 1 s waiting for the server"):
        fetch(tmp_path, page_server, extra=extra)


def test_connection_refused(tmp_path: Path) -> None:
    config = make_config(tmp_path, "http://127.0.0.1:9/page")
    fetcher = Fetcher(config, backoff_factor=0.01)
    with pytest.raises(FetchError, match="could not connect|retries"):
        fetcher.fetch(config.sources[0], FetchRequest("http://127.0.0.1:9/page"))


def test_oversize_streamed_body_is_aborted(tmp_path: Path, page_server: PageServer) -> None:
    page_server.set("/big", Route(chunked_size=50 * 1024 * 1024))
    started = time.monotonic()
    with pytest.raises(BodyTooLarge, match="limit"):
        fetch(tmp_path, page_server, "/big")
    assert time.monotonic() - started < 10


def test_oversize_declared_body_is_refused(tmp_path: Path, page_server: PageServer) -> None:
    page_server.set("/big", b"x" * (2 * 1024 * 1024))
    with pytest.raises(BodyTooLarge, match="over the"):
        fetch(tmp_path, page_server, "/big")


def test_wrong_content_type(tmp_path: Path, page_server: PageServer) -> None:
    page_server.set("/file.pdf", Route(b"%PDF-1.4", content_type="application/pdf"))
    with pytest.raises(BadContentType, match="application/pdf"):
        fetch(tmp_path, page_server, "/file.pdf")


def test_redirect_records_final_url(tmp_path: Path, page_server: PageServer) -> None:
    page_server.set("/new", PAGE)
    page_server.redirect("/old", "/new")
    result = fetch(tmp_path, page_server, "/old")
    assert isinstance(result, FetchResult)
    assert result.final_url.endswith("/new") and result.url.endswith("/old")


def test_robots_disallow_is_respected_and_cached(tmp_path: Path, page_server: PageServer) -> None:
    page_server.robots("User-agent: *\nDisallow: /private\n")
    page_server.set("/private/page", PAGE)
    page_server.set("/page", PAGE)
    config = make_config(tmp_path, page_server.url("/page"))
    fetcher = Fetcher(config)
    source = config.sources[0]
    with pytest.raises(RobotsDisallowed):
        fetcher.fetch(source, FetchRequest(page_server.url("/private/page")))
    assert isinstance(fetcher.fetch(source, FetchRequest(page_server.url("/page"))), FetchResult)
    assert page_server.hits("/robots.txt") == 1
    assert page_server.hits("/private/page") == 0


def test_rate_limit_spaces_requests(tmp_path: Path, page_server: PageServer) -> None:
    page_server.set("/page", PAGE)
    extra = "hosts:\n  127.0.0.1: {rate: 5, concurrency: 1}\n"
    config = make_config(tmp_path, page_server.url("/page"), extra)
    fetcher = Fetcher(config)
    for _ in range(4):
        fetcher.fetch(config.sources[0], FetchRequest(page_server.url("/page")))
    times = [r.time for r in page_server.requests if r.path == "/page"]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.15, gaps
