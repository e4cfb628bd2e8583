"""SMTP over STARTTLS and implicit TLS, with login, against real aiosmtpd servers.

Each server listens on a free loopback port with a certificate signed by a throwaway CA made
here with ``openssl``; the client trusts that CA through ``POLICY_MONITOR_SMTP_CA_FILE`` and
verifies the certificate as it would in production (chain and host name).
"""

from __future__ import annotations

import email
import email.policy
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from monitor import alerts
from monitor.cli import cli
from notifications.smtp import SmtpSettings, send_due
from storage.store import Store
from tests.test_email import free_port

USER, PASSWORD = "monitor", "correct horse battery staple"
FROM = "monitor@example.org"

CA_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
x509_extensions = ca
[dn]
CN = policy-monitor test CA
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


@dataclass(frozen=True)
class Certs:
    ca: Path  # the CA certificate the client trusts (PEM)
    cert: Path  # the server's certificate, for 127.0.0.1 and localhost
    key: Path


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """A throwaway CA and a server certificate it signed (valid for two days)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the TLS tests need the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("certs")
    config = folder / "openssl.cnf"
    config.write_text(CA_CONFIG)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]

    def run(*args: str) -> None:
        done = subprocess.run([openssl, *args], cwd=folder, capture_output=True, text=True)
        assert done.returncode == 0, f"openssl {' '.join(args)} failed: {done.stderr}"

    run(
        "req",
        "-config",
        "openssl.cnf",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
    )
    run(
        "req",
        "-config",
        "openssl.cnf",
        "-new",
        *ec,
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    )
    run(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-set_serial", "2", "-days", "2", "-out", "server.pem",
        "-extfile", "openssl.cnf", "-extensions", "leaf",
    )  # fmt: skip
    return Certs(ca=folder / "ca.pem", cert=folder / "server.pem", key=folder / "server.key")


class Mailbox:
    """An aiosmtpd handler and authenticator: keeps messages, logins and the TLS in use."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.tls: list[str | None] = []  # TLS version of the session of each message
        self.logins: list[tuple[str, str, bool]] = []  # (mechanism, user, accepted)
        self.authenticated: list[bool] = []  # whether each message's session had logged in

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        tls = server.transport.get_extra_info("ssl_object")
        self.tls.append(tls.version() if tls else None)
        self.authenticated.append(bool(session.authenticated))
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        user = auth_data.login.decode()
        accepted = user == USER and auth_data.password.decode() == PASSWORD
        self.logins.append((mechanism, user, accepted))
        # handled=False: aiosmtpd answers a refusal itself (535)
        return AuthResult(success=accepted, handled=False)


class TlsServer:
    """A real SMTP server that wants TLS (STARTTLS or implicit) and a login."""

    def __init__(self, certs: Certs, *, implicit: bool, mechanisms: tuple[str, ...]) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certs.cert, certs.key)
        tls: dict[str, Any] = (
            # the whole connection is TLS, so AUTH is safe from the first command; aiosmtpd
            # only knows about STARTTLS, and warns when AUTH is required without it, so
            # here the handler checks that the session logged in
            {"ssl_context": context, "auth_require_tls": False, "auth_required": False}
            if implicit
            # plain until STARTTLS, which comes before anything else, AUTH included
            else {
                "tls_context": context,
                "require_starttls": True,
                "auth_require_tls": True,
                "auth_required": True,
            }
        )
        self.controller = Controller(
            self.mailbox,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self.mailbox,
            auth_exclude_mechanism=[m for m in ("LOGIN", "PLAIN") if m not in mechanisms],
            **tls,
        )
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def servers(certs: Certs) -> Iterator[Any]:
    """Start TLS servers on demand; all are stopped at the end of the test."""
    started: list[TlsServer] = []

    def start(
        implicit: bool = False, mechanisms: tuple[str, ...] = ("LOGIN", "PLAIN")
    ) -> TlsServer:
        server = TlsServer(certs, implicit=implicit, mechanisms=mechanisms)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def settings(
    server: TlsServer, security: str, certs: Certs | None, password: str = PASSWORD
) -> SmtpSettings:
    """The client settings, read from POLICY_MONITOR_SMTP_* as in production."""
    env = {
        "POLICY_MONITOR_SMTP_HOST": "127.0.0.1",
        "POLICY_MONITOR_SMTP_PORT": str(server.port),
        "POLICY_MONITOR_SMTP_SECURITY": security,
        "POLICY_MONITOR_SMTP_USER": USER,
        "POLICY_MONITOR_SMTP_PASSWORD": password,
        "POLICY_MONITOR_SMTP_TIMEOUT": "5",
    }
    if certs is not None:
        env["POLICY_MONITOR_SMTP_CA_FILE"] = str(certs.ca)
    return SmtpSettings.from_env(env)


def queue_one(store: Store, to: str = "someone@example.org") -> dict[str, Any]:
    message = alerts.test_message(to)
    assert store.enqueue([message]) == 1
    return message


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_starttls_with_login(store: Store, servers: Any, certs: Certs, mechanism: str) -> None:
    server = servers(mechanisms=(mechanism,))
    message = queue_one(store)
    report = send_due(store, settings(server, "starttls", certs), FROM)
    assert (report.sent, report.failed, report.error) == (1, 0, None)
    [mail] = server.mailbox.messages
    assert mail["Message-ID"] == message["message_id"] and mail["To"] == "someone@example.org"
    assert server.mailbox.logins == [(mechanism, USER, True)]
    assert server.mailbox.tls[0] in ("TLSv1.2", "TLSv1.3")  # the message went over TLS
    assert server.mailbox.authenticated == [True]
    assert store.outbox_counts() == {"sent": 1, "queued": 0, "failing": 0}


def test_implicit_tls_with_login(store: Store, servers: Any, certs: Certs) -> None:
    server = servers(implicit=True)
    message = queue_one(store)
    report = send_due(store, settings(server, "tls", certs), FROM)
    assert (report.sent, report.failed, report.error) == (1, 0, None)
    [mail] = server.mailbox.messages
    assert mail["Message-ID"] == message["message_id"]
    assert server.mailbox.tls[0] in ("TLSv1.2", "TLSv1.3")
    assert [(user, ok) for _, user, ok in server.mailbox.logins] == [(USER, True)]
    assert server.mailbox.authenticated == [True]
    assert store.outbox_counts() == {"sent": 1, "queued": 0, "failing": 0}


def test_a_wrong_password_keeps_the_message_until_it_is_fixed(
    store: Store, servers: Any, certs: Certs
) -> None:
    server = servers()
    message = queue_one(store)
    wrong = send_due(store, settings(server, "starttls", certs, password="wrong"), FROM)
    assert (wrong.sent, wrong.failed) == (0, 1)
    assert wrong.error is not None
    assert f"the SMTP server 127.0.0.1:{server.port} refused the login as 'monitor'" in wrong.error
    assert "535" in wrong.error and "POLICY_MONITOR_SMTP_PASSWORD" in wrong.error
    [row] = store.outbox(status="queued")
    assert row.attempts == 1 and row.last_error == wrong.error
    assert server.mailbox.messages == [] and server.mailbox.logins[0][2] is False
    assert store.outbox_counts() == {"sent": 0, "queued": 1, "failing": 1}

    # not due again before its retry time, even with the password fixed
    fixed = settings(server, "starttls", certs)
    assert send_due(store, fixed, FROM).sent == 0
    later = datetime.now(UTC) + timedelta(minutes=5)
    first, again = send_due(store, fixed, FROM, now=later), send_due(store, fixed, FROM, now=later)
    assert (first.sent, first.failed, again.sent, again.failed) == (1, 0, 0, 0)
    [mail] = server.mailbox.messages
    assert mail["Message-ID"] == message["message_id"]
    assert store.outbox_counts() == {"sent": 1, "queued": 0, "failing": 0}


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_certificate_from_an_unknown_ca_is_refused(
    store: Store, servers: Any, security: str
) -> None:
    """Without POLICY_MONITOR_SMTP_CA_FILE only the system's CAs are trusted: nothing sent."""
    server = servers(implicit=security == "tls")
    queue_one(store)
    report = send_due(store, settings(server, security, None), FROM)
    assert (report.sent, report.failed) == (0, 1)
    assert report.error is not None
    assert f"the TLS certificate of the SMTP server 127.0.0.1:{server.port} is not trusted" in (
        report.error
    )
    assert "POLICY_MONITOR_SMTP_CA_FILE" in report.error
    assert server.mailbox.messages == [] and server.mailbox.logins == []  # no password sent
    assert store.outbox_counts()["queued"] == 1


def test_no_login_in_clear_text(store: Store, servers: Any) -> None:
    """Security ``none`` against a server that wants STARTTLS: no password goes out."""
    server = servers()
    queue_one(store)
    report = send_due(store, settings(server, "none", None), FROM)
    assert (report.sent, report.failed) == (0, 1)
    assert report.error is not None and "POLICY_MONITOR_SMTP_SECURITY=starttls" in report.error
    assert server.mailbox.logins == [] and server.mailbox.messages == []
    assert store.outbox_counts()["queued"] == 1


def test_an_unreadable_ca_file_is_named(store: Store, servers: Any, tmp_path: Path) -> None:
    server = servers()
    queue_one(store)
    missing = tmp_path / "nowhere.pem"
    env = {
        "POLICY_MONITOR_SMTP_PORT": str(server.port),
        "POLICY_MONITOR_SMTP_SECURITY": "starttls",
        "POLICY_MONITOR_SMTP_CA_FILE": str(missing),
    }
    with pytest.raises(ValueError, match=f"POLICY_MONITOR_SMTP_CA_FILE: no such file '{missing}'"):
        SmtpSettings.from_env(env)  # refused when read: 'run' does not start with it
    broken = tmp_path / "broken.pem"
    broken.write_text("not a certificate\n")
    env["POLICY_MONITOR_SMTP_CA_FILE"] = str(broken)
    report = send_due(store, SmtpSettings.from_env(env), FROM)
    assert report.failed == 1 and report.error is not None
    assert report.error.startswith(f"cannot use POLICY_MONITOR_SMTP_CA_FILE={broken}: ")
    assert store.outbox_counts()["queued"] == 1


def test_notify_test_over_starttls_from_the_environment(
    servers: Any, certs: Certs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What an operator runs to check the settings: every value from the environment."""
    server = servers()
    for name, value in {
        "HOST": "127.0.0.1",
        "PORT": str(server.port),
        "SECURITY": "starttls",
        "USER": USER,
        "PASSWORD": PASSWORD,
        "CA_FILE": str(certs.ca),
    }.items():
        monkeypatch.setenv(f"POLICY_MONITOR_SMTP_{name}", value)
    config = tmp_path / "sources.yaml"
    config.write_text(f"notifications: {{from_address: {FROM}}}\nsources: []\n")
    database = f"sqlite:///{tmp_path / 'monitor.db'}"
    args = ["--config", str(config), "--database-url", database, "notify", "test", "a@example.org"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0 and "sent a test message" in result.output, result.output
    [mail] = server.mailbox.messages
    assert mail["Subject"] == "policy-monitor test message" and mail["From"] == FROM
