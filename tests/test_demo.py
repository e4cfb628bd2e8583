"""`policy-monitor demo` as a real process: checks, diffs, caught email, and the review app."""

from __future__ import annotations

import email
import email.policy
import http.cookiejar
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EMAIL_LINE = re.compile(r"^email    to (\S+): (.+)  \[(\d{3}\.eml)\]$", re.M)


class Demo:
    """The demo as a subprocess, its output collected line by line as it comes."""

    def __init__(self, folder: Path, log: Path) -> None:
        self.lines: list[str] = []
        self.log = log
        with log.open("w") as errors:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "monitor", "demo", "--interval", "1"),
                    *("--duration", "100", "--until-done", "--port", "0", "--dir", str(folder)),
                ],
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                cwd=REPO,
            )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := re.search(pattern, line):
                    return found
            assert self.process.poll() is None, "\n".join(self.lines)
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines))

    def finish(self, timeout: float = 150) -> tuple[int, str, str]:
        status = self.process.wait(timeout)
        self._reader.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return status, "\n".join(self.lines), self.log.read_text()


def log_in(app: str, user: str, password: str) -> str:
    """Log in through the form (CSRF token and all); the page the login lands on."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(app + "login", timeout=5) as response:
        form = response.read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, form
    data = {"csrf_token": token.group(1), "email": user, "password": password, "next": ""}
    body = urllib.parse.urlencode(data).encode()
    with opener.open(app + "login", data=body, timeout=5) as response:
        assert response.status == 200 and response.url == app, response.url
        return str(response.read().decode())


def status_of(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:
        return int(response.status)


def test_demo_checks_catches_email_and_serves_the_review_app(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    demo = Demo(folder, tmp_path / "demo.log")
    try:
        app = demo.wait_for_line(r"review app:\s+(http://127\.0\.0\.1:\d+/)").group(1)
        login = demo.wait_for_line(r"log in as:\s+(\S+)\s+password: (\S+)")
        assert status_of(app + "healthz") == 200
        assert status_of(app + "login") == 200
        queue = log_in(app, login.group(1), login.group(2))
        assert "demo@example.org (admin)" in queue
    finally:
        status, out, errors = demo.finish()

    assert status == 0, errors
    assert "Traceback" not in out + errors
    for source in ("bill", "asf", "govuk-search-kinship", "dfe-feed", "tracker-legal-aid"):
        assert f"new      {source}" in out and f"changed  {source}" in out, source
    assert "{+- Committee stage (House of Commons): sitting 21 April 2021+}" in out
    assert "every recorded version has been shown" in out
    assert (folder / "demo.db").exists()
    # the commands it suggests run as printed, venv active or not
    [suggested] = [line.strip() for line in out.splitlines() if line.endswith(" drafts list")]
    listed = subprocess.run(suggested, shell=True, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and "#1" in listed.stdout, (suggested, listed.stderr)

    caught = EMAIL_LINE.findall(out)
    assert caught, out
    assert sorted(p.name for p in (folder / "emails").glob("*.eml")) == sorted(
        name for _, _, name in caught
    )
    assert f"emails caught: {len(caught)}," in out
    for recipient, subject, name in caught:
        message = email.message_from_bytes(
            (folder / "emails" / name).read_bytes(), policy=email.policy.default
        )
        assert (message["To"], message["Subject"]) == (recipient, subject)
        assert recipient == "policy-team@example.org"
        text = message.get_body(("plain",))
        assert text is not None and f"{app}drafts/" in text.get_content()


def test_a_demo_that_cannot_start_leaves_no_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.demo import run_demo
    from monitor.errors import MonitorError

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(MonitorError, match="cannot serve the review app"):
            run_demo(interval=1, duration=5, folder=None, port=port, echo=lambda _: None)
    assert list(tmp_path.glob("policy-monitor-demo-*")) == []


def test_sigterm_stops_the_demo_like_ctrl_c(tmp_path: Path) -> None:
    demo = Demo(tmp_path / "demo", tmp_path / "demo.log")
    try:
        demo.wait_for_line(r"review app:\s+http://")
        demo.wait_for_line(r"^new ")
    finally:
        demo.process.send_signal(signal.SIGTERM)
        status, out, errors = demo.finish(timeout=60)
    assert status == 0, errors
    assert "Traceback" not in out + errors
    assert "emails caught:" in out  # the summary, as after Ctrl-C
