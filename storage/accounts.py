"""Accounts for the review app and API: users, API tokens, shared settings, the audit log.

Password hashing lives in :mod:`monitor.web.auth` (storage keeps only hashes). API tokens are
random 32-byte values; only their SHA-256 is stored, which is enough for secrets of that much
entropy (a slow hash protects guessable passwords, not random tokens).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.errors import RecordExists, RecordNotFound, StorageError
from storage.models import ApiTokenRow, AuditRow, SettingRow, UserRow
from storage.store import utcnow

#: What counts as an email address, for accounts and recipients (CLI and review app alike).
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES = ("viewer", "reviewer", "admin")
TOKEN_PREFIX = "pm_"


@dataclass(frozen=True, slots=True)
class User:
    """A user as the web app sees one (never carries the password hash)."""

    id: int
    email: str
    role: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None

    def can(self, role: str) -> bool:
        """Whether this user has ``role`` or a stronger one."""
        return self.active and ROLES.index(self.role) >= ROLES.index(role)


def _user(row: UserRow) -> User:
    return User(row.id, row.email, row.role, row.active, row.created_at, row.last_login_at)


def hash_token(token: str) -> str:
    """The stored form of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """Users, tokens, settings and audit entries in one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def session(self) -> Session:
        """A new ORM session (objects stay readable after commit)."""
        return Session(self.engine, expire_on_commit=False)

    # users -------------------------------------------------------------------------------
    def add_user(self, email: str, password_hash: str, role: str, *, actor: str) -> User:
        """Create a user; a clear error when the address is taken or the role unknown."""
        _check_role(role)
        email = email.strip().lower()
        row = UserRow(
            email=email, password_hash=password_hash, role=role, active=True, created_at=utcnow()
        )
        try:
            with self.session() as session, session.begin():
                session.add(row)
                session.flush()
                _audit(session, actor, "user-add", email, {"role": role})
        except IntegrityError as error:
            raise RecordExists(f"a user {email} already exists") from error
        return _user(row)

    def users(self) -> list[User]:
        """Every user, by email."""
        with self.session() as session:
            return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.email))]

    def user(self, user_id: int) -> User | None:
        """One user by id."""
        with self.session() as session:
            row = session.get(UserRow, user_id)
            return _user(row) if row else None

    def credentials(self, email: str) -> tuple[User, str] | None:
        """A user and their password hash, for logging in."""
        query = select(UserRow).where(UserRow.email == email.strip().lower())
        with self.session() as session:
            row = session.scalar(query)
            return (_user(row), row.password_hash) if row else None

    def session_user(self, user_id: int) -> tuple[User, str] | None:
        """A logged-in user and their password hash, to check their session is still good."""
        with self.session() as session:
            row = session.get(UserRow, user_id)
            return (_user(row), row.password_hash) if row else None

    def logged_in(self, user_id: int) -> None:
        """Record a successful login."""
        with self.session() as session, session.begin():
            row = session.get(UserRow, user_id)
            if row is not None:
                row.last_login_at = utcnow()

    def update_user(
        self,
        email: str,
        *,
        actor: str,
        role: str | None = None,
        active: bool | None = None,
        password_hash: str | None = None,
    ) -> User:
        """Change a user's role, active flag or password."""
        with self.session() as session, session.begin():
            row = session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
            if row is None:
                raise RecordNotFound(f"no user {email}")
            detail: dict[str, Any] = {}
            if role is not None:
                _check_role(role)
                row.role, detail["role"] = role, role
            if active is not None:
                row.active, detail["active"] = active, active
            if password_hash is not None:
                row.password_hash, detail["password"] = password_hash, "changed"
            _audit(session, actor, "user-update", row.email, detail)
            return _user(row)

    # tokens ------------------------------------------------------------------------------
    def create_token(self, email: str, name: str, *, actor: str) -> str:
        """A new API token for a user; returned once, stored only as a hash."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.session() as session, session.begin():
            user = session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
            if user is None:
                raise RecordNotFound(f"no user {email}; create it with 'policy-monitor users add'")
            session.add(
                ApiTokenRow(
                    user_id=user.id,
                    name=name,
                    token_hash=hash_token(token),
                    prefix=token[:10],
                    created_at=utcnow(),
                )
            )
            _audit(session, actor, "token-create", user.email, {"name": name})
        return token

    def token_user(self, token: str) -> User | None:
        """The active user a (not revoked) token belongs to."""
        query = select(ApiTokenRow, UserRow).join(UserRow, UserRow.id == ApiTokenRow.user_id)
        query = query.where(ApiTokenRow.token_hash == hash_token(token))
        with self.session() as session, session.begin():
            found = session.execute(query).first()
            if found is None or found[0].revoked_at is not None or not found[1].active:
                return None
            found[0].last_used_at = utcnow()
            return _user(found[1])

    def tokens(self) -> list[tuple[ApiTokenRow, str]]:
        """Every token with its user's email."""
        query = select(ApiTokenRow, UserRow.email).join(UserRow, UserRow.id == ApiTokenRow.user_id)
        with self.session() as session:
            return [(t, e) for t, e in session.execute(query.order_by(ApiTokenRow.id))]

    def revoke_token(self, token_id: int, *, actor: str) -> None:
        """Revoke a token by id."""
        with self.session() as session, session.begin():
            row = session.get(ApiTokenRow, token_id)
            if row is None:
                raise RecordNotFound(f"no token {token_id}")
            row.revoked_at = utcnow()
            _audit(session, actor, "token-revoke", f"token {token_id}", {"name": row.name})

    # settings and audit --------------------------------------------------------------------
    def setting(self, key: str, default: str) -> str:
        """A shared setting, created with ``default`` the first time it is asked for."""
        with self.session() as session, session.begin():
            row = session.get(SettingRow, key)
            if row is not None:
                return row.value
        try:
            with self.session() as session, session.begin():
                session.execute(insert(SettingRow), [{"key": key, "value": default}])
            return default
        except IntegrityError:  # another process created it first: use theirs
            with self.session() as session:
                row = session.get(SettingRow, key)
                assert row is not None
                return row.value

    def audit(self, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
        """Record an action outside draft decisions."""
        with self.session() as session, session.begin():
            _audit(session, actor, action, target, detail)

    def audit_log(self, limit: int = 200) -> list[AuditRow]:
        """Recent audit entries, newest first."""
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        with self.session() as session:
            return list(session.scalars(query))


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise StorageError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")


def _audit(session: Session, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
    session.add(
        AuditRow(
            at=utcnow(),
            actor=actor,
            action=action,
            target=target,
            detail=json.dumps(detail, sort_keys=True) if detail else None,
        )
    )
