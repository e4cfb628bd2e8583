"""CLI commands for the review app: users, tokens, serve.

Registered on the same ``cli`` group as the everyday commands (see the end of monitor/cli.py).
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import click

from monitor.cli import Context, _errors, cli, pass_ctx
from monitor.errors import MonitorError
from storage.accounts import EMAIL, ROLES, Accounts

CLI_ACTOR = "cli"


def _one_of(**flags: bool) -> None:
    """Refuse two options that contradict each other, rather than quietly picking one."""
    given = [name for name, on in flags.items() if on]
    if len(given) > 1:
        raise click.UsageError(f"choose one of {' and '.join(given)}, not both")


def _read_password(from_stdin: bool, generate: bool) -> str:
    """A new password: generated, one line of stdin, or typed twice at a hidden prompt."""
    if generate:
        return secrets.token_urlsafe(12)
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def _hash(password: str) -> str:
    from monitor.web.auth import hash_password

    try:
        return hash_password(password)
    except ValueError as error:
        raise MonitorError(str(error)) from None


@cli.group()
def users() -> None:
    """People who can log in to the review app (viewer, reviewer, admin)."""


@users.command("add")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="reviewer",
    show_default=True,
    help="What they can do.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of stdin.")
@click.option("--generate", is_flag=True, help="Generate a password and print it once.")
@pass_ctx
def users_add(ctx: Context, email: str, role: str, password_stdin: bool, generate: bool) -> None:
    """Create an account; viewers read, reviewers decide drafts, admins also manage users.

    Without --password-stdin or --generate the password is prompted for (twice, hidden).
    """
    _one_of(**{"--password-stdin": password_stdin, "--generate": generate})
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise click.BadParameter(f"{email!r} is not an email address like name@example.org")
    with _errors():
        accounts = Accounts(ctx.store().engine)
        password = _read_password(password_stdin, generate)
        user = accounts.add_user(email, _hash(password), role, actor=CLI_ACTOR)
    click.echo(f"added {user.email} ({user.role})")
    if generate:
        click.echo(f"password: {password}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array.")
@pass_ctx
def users_list(ctx: Context, as_json: bool) -> None:
    """List accounts with their role and last login."""
    with _errors():
        rows = Accounts(ctx.store().engine).users()
    if as_json:
        items = [
            {
                "email": u.email,
                "role": u.role,
                "active": u.active,
                "created_at": u.created_at.isoformat(),
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in rows
        ]
        click.echo(json.dumps(items, indent=2))
        return
    if not rows:
        click.echo("no users yet; add one with 'policy-monitor users add EMAIL --role admin'")
    for u in rows:
        state = "" if u.active else "  (deactivated)"
        last = f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else "never"
        click.echo(f"{u.email:<40} {u.role:<9} last login {last}{state}")


@users.command("set")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), help="A new role.")
@click.option("--active", "activate", is_flag=True, help="Allow logging in again.")
@click.option("--inactive", "deactivate", is_flag=True, help="Stop logging in (keeps history).")
@click.option("--password", "new_password", is_flag=True, help="Set a new password (prompted).")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin.")
@pass_ctx
def users_set(
    ctx: Context,
    email: str,
    role: str | None,
    activate: bool,
    deactivate: bool,
    new_password: bool,
    password_stdin: bool,
) -> None:
    """Change an account's role, deactivate or reactivate it, or reset its password."""
    _one_of(**{"--active": activate, "--inactive": deactivate})
    _one_of(**{"--password": new_password, "--password-stdin": password_stdin})
    if not (role or activate or deactivate or new_password or password_stdin):
        raise click.UsageError("nothing to change: give --role, --active, --inactive or --password")
    active = True if activate else False if deactivate else None
    with _errors():
        accounts = Accounts(ctx.store().engine)
        password_hash = None
        if new_password or password_stdin:
            password_hash = _hash(_read_password(password_stdin, False))
        user = accounts.update_user(
            email, actor=CLI_ACTOR, role=role, active=active, password_hash=password_hash
        )
    click.echo(f"{user.email}: {user.role}, {'active' if user.active else 'deactivated'}")


@cli.group()
def tokens() -> None:
    """API tokens (Authorization: Bearer TOKEN); each acts with its user's role."""


@tokens.command("create")
@click.argument("email")
@click.option("--name", default="api", show_default=True, help="What the token is for.")
@pass_ctx
def tokens_create(ctx: Context, email: str, name: str) -> None:
    """Create a token for a user and print it once (only its hash is stored)."""
    with _errors():
        token = Accounts(ctx.store().engine).create_token(email, name, actor=CLI_ACTOR)
    click.echo(token)


@tokens.command("list")
@pass_ctx
def tokens_list(ctx: Context) -> None:
    """List tokens: id, user, name, prefix, last use, revoked."""
    with _errors():
        rows = Accounts(ctx.store().engine).tokens()
    if not rows:
        click.echo("no tokens")
    for token, email in rows:
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
        revoked = "  REVOKED" if token.revoked_at else ""
        click.echo(f"#{token.id:<4} {email:<36} {token.name:<20} {token.prefix}…  {used}{revoked}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@pass_ctx
def tokens_revoke(ctx: Context, token_id: int) -> None:
    """Revoke a token by its id (see 'tokens list')."""
    with _errors():
        Accounts(ctx.store().engine).revoke_token(token_id, actor=CLI_ACTOR)
    click.echo(f"revoked token #{token_id}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port."
)
@click.option(
    "--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Worker threads."
)
@pass_ctx
def serve(ctx: Context, host: str, port: int, threads: int) -> None:
    """Serve the review app and JSON API with waitress (no scheduler; see 'run').

    Stops cleanly (exit 0) on Ctrl-C or SIGTERM. Also serves /healthz and /metrics. Put it
    behind a TLS-terminating proxy in production.
    """
    from waitress import serve as waitress_serve

    from monitor.runner import sigterm_as_ctrl_c
    from monitor.web.app import create_app
    from monitor.web.health import bind

    with _errors():
        ctx.config()
        app = create_app(ctx.store(migrate=True), Path(ctx.config_path))
        try:
            sock = bind(host, port)
        except OSError as exc:
            raise MonitorError(
                f"cannot serve the review app on {host}:{port} ({exc.strerror or exc}): "
                "is something else using the port? Pick another with --port"
            ) from None
    port = sock.getsockname()[1]
    click.echo(f"review app on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    with sigterm_as_ctrl_c():  # waitress closes its sockets on either; exit 0
        waitress_serve(app, sockets=[sock], threads=threads, clear_untrusted_proxy_headers=True)
    click.echo("review app stopped", err=True)
