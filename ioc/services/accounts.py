"""Accounts, tokens and the audit trail: who may sign in, which screens and systems hold a
token, and the record of who did what.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106). Tokens are 256
random bits, shown once; the store keeps their SHA-256. Failed sign-ins are audit rows,
and the same rows are the rate limit: every web worker and every restart counts them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from threading import Lock
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine

from ioc.access import NAME, Role, Viewer, districts_of, parse_role
from ioc.areas import AreaCatalogue
from ioc.store import accounts as rows
from ioc.wall_view import SCENES as WALL_SCENES

PASSWORD_MIN, PASSWORD_MAX = 10, 256
TOKEN_PREFIX = {"wall": "iocw_", "api": "ioca_"}  # says what a leaked token is for
TOKEN_SHAPE_MAX = 80
SEEN_EVERY = timedelta(seconds=30)  # a token's last-seen time is written at most this often
FAILURE_WINDOW = timedelta(minutes=15)
PRUNE_EVERY = timedelta(hours=1)  # audit rows past IOC_AUDIT_RETENTION_DAYS go this often
Outcome = Literal["ok", "unknown", "disabled", "wrong", "no_password", "throttled"]


class AccountError(ValueError):
    """A request to change accounts or tokens that cannot be done; the message says why."""


@dataclass(frozen=True)
class SignIn:
    """The outcome of a password sign-in, and the viewer when it succeeded."""

    outcome: Outcome
    viewer: Viewer | None = None
    epoch: int = 0


@dataclass(frozen=True)
class TokenCheck:
    """A token presented: the viewer it stands for, or why not (unknown or revoked)."""

    viewer: Viewer | None
    problem: Literal["", "unknown", "revoked"] = ""


def _now() -> datetime:
    return datetime.now(UTC)


def digest(token: str) -> str:
    """The SHA-256 (hex) the store keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _listed(text: str | None) -> frozenset[str] | None:
    return None if text is None else frozenset(s for s in text.split(",") if s)


def wall_url(base: str, token: str, district: str = "", scenes: Iterable[str] = ()) -> str:
    """The address a wall screen opens: its token, its district and scenes if it has them."""
    url = f"{base.rstrip('/')}/wall?token={token}"
    listed = ",".join(scenes)
    return (
        url
        + (f"&district={district}" if district else "")
        + (f"&scenes={listed}" if listed else "")
    )


class AccountService:
    """Accounts, tokens and the audit trail of one store."""

    def __init__(
        self,
        engine: Engine,
        areas: AreaCatalogue,
        *,
        per_account: int = 5,
        per_address: int = 20,
        audit_days: float = 400,
        session_hours: float = 12,
    ) -> None:
        self.engine = engine
        self.areas = areas
        self.per_account, self.per_address, self.audit_days = per_account, per_address, audit_days
        self.session_lifetime = timedelta(hours=session_hours)
        self.hasher = PasswordHasher()
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))  # same cost for unknown names
        self._seen: dict[int, datetime] = {}
        self._pruned: datetime | None = None
        self._seen_lock = Lock()

    # --- checks of what is asked --------------------------------------------------

    def _name(self, name: str) -> str:
        if not NAME.match(name or ""):
            raise AccountError(f"{name!r}: a name is 1-64 letters, digits and . _ @ -")
        return name

    def _role(self, role: str) -> Role:
        found = parse_role(role)
        if found is None:
            raise AccountError(f"{role!r}: the role is one of district, leader, operator, admin")
        return found

    def _districts(self, role: Role, districts: Iterable[str] | None) -> str | None:
        listed = sorted({d.strip() for d in districts or () if d.strip()})
        unknown = [d for d in listed if d not in self.areas]
        if unknown:
            raise AccountError(
                f"unknown district {', '.join(unknown)}; known: {', '.join(self.areas.slugs)}"
            )
        if role is Role.DISTRICT and not listed:
            raise AccountError("a district account needs --districts (one or more slugs)")
        return ",".join(listed) if listed else None

    def _password(self, password: str) -> str:
        if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
            raise AccountError(f"a password has {PASSWORD_MIN} to {PASSWORD_MAX} characters")
        return self.hasher.hash(password)

    # --- accounts -----------------------------------------------------------------

    def check_account(self, name: str, role: str, districts: Iterable[str] | None) -> None:
        """Raise AccountError if an account with these values could not be added."""
        self._name(name)
        self._districts(self._role(role), districts)

    def add_account(
        self,
        name: str,
        role: str,
        districts: Iterable[str] | None = None,
        password: str | None = None,
        *,
        by: str,
        address: str = "",
    ) -> None:
        """Create an account (a password may be set later with ``set_password``)."""
        found_role = self._role(role)
        row = {
            "name": self._name(name),
            "role": found_role.value,
            "districts": self._districts(found_role, districts),
            "password": None if password is None else self._password(password),
            "disabled": False,
            "epoch": 0,
            "created_at": _now(),
        }
        with self.engine.begin() as conn:
            if not rows.insert_account(conn, row):
                raise AccountError(f"an account named {name!r} exists already")
            self._audit(conn, by, "account_added", name, f"role={found_role.value}", address)

    def accounts(self) -> list[dict[str, Any]]:
        """Every account, without its password hash."""
        with self.engine.connect() as conn:
            found = rows.all_accounts(conn)
        for row in found:
            row["has_password"] = row.pop("password") is not None
        return found

    def set_password(self, name: str, password: str, *, by: str, address: str = "") -> None:
        """Set an account's password; its open sessions end."""
        hashed = self._password(password)
        with self.engine.begin() as conn:
            if not rows.change_account(conn, name, new_epoch=True, password=hashed):
                raise AccountError(f"no account named {name!r}")
            self._audit(conn, by, "password_set", name, "", address)

    def set_disabled(self, name: str, disabled: bool, *, by: str, address: str = "") -> None:
        """Disable (its sessions end at once) or enable an account; never the last admin."""
        with self.engine.begin() as conn:
            if disabled and self._last_admin(conn, name):
                raise AccountError(f"{name!r} is the last enabled admin account: add another first")
            if not rows.change_account(conn, name, new_epoch=disabled, disabled=disabled):
                raise AccountError(f"no account named {name!r}")
            action = "account_disabled" if disabled else "account_enabled"
            self._audit(conn, by, action, name, "", address)

    @staticmethod
    def _last_admin(conn: Any, name: str) -> bool:
        admins = [r for r in rows.all_accounts(conn) if r["role"] == "admin" and not r["disabled"]]
        return [r["name"] for r in admins] == [name]

    def sign_in(self, name: str, password: str, address: str) -> SignIn:
        """Check a password (rate-limited per account and per address); audit the outcome."""
        now = _now()
        name = name.strip()[:64]
        with self.engine.begin() as conn:
            since = now - FAILURE_WINDOW
            if (
                rows.count_audit(conn, "login_failed", since, target=name) >= self.per_account
                or rows.count_audit(conn, "login_failed", since, address=address)
                >= self.per_address
            ):
                self._audit(conn, "-", "login_throttled", name, "", address)
                return SignIn("throttled")
            row = rows.account(conn, name) if NAME.match(name) else None
            outcome = self._verify(row, password[:PASSWORD_MAX])
            if outcome != "ok" or row is None:
                self._audit(conn, "-", "login_failed", name, outcome, address)
                return SignIn(outcome)
            rows.change_account(conn, name, new_epoch=False, last_login_at=now)
            self._audit(conn, name, "login", name, "local", address)
        return SignIn("ok", self._viewer(row), row["epoch"])

    def _verify(self, row: dict[str, Any] | None, password: str) -> Outcome:
        hashed = row["password"] if row is not None else None
        try:
            self.hasher.verify(hashed or self._dummy, password)
            matched = hashed is not None
        except (VerificationError, InvalidHashError):
            matched = False
        if row is None:
            return "unknown"
        if row["disabled"]:
            return "disabled"
        if hashed is None:
            return "no_password"
        return "ok" if matched else "wrong"

    def _viewer(self, row: dict[str, Any]) -> Viewer:
        role = Role(row["role"])
        return Viewer(row["name"], "local", role, districts_of(role, _listed(row["districts"])))

    # --- sessions -----------------------------------------------------------------

    def start_session(self, viewer: Viewer, epoch: int = 0) -> str:
        """Record a session for someone who just proved who they are; its id, for the cookie."""
        raw = secrets.token_urlsafe(32)
        now = _now()
        where = None if viewer.districts is None else ",".join(sorted(viewer.districts))
        row = {"id": digest(raw), "name": viewer.name[:120], "via": viewer.via,
               "role": viewer.role.value if viewer.role else "", "districts": where,
               "epoch": epoch, "started_at": now}  # fmt: skip
        with self.engine.begin() as conn:
            rows.insert_session(conn, row)
            rows.prune_sessions(conn, now - self.session_lifetime)  # the table stays bounded
        return raw

    def session(self, raw: str) -> Viewer | None:
        """The viewer of a session id, while the session is open, young enough, and (local)
        its account enabled with the password it began with."""
        if not 0 < len(raw) <= TOKEN_SHAPE_MAX:
            return None
        with self.engine.connect() as conn:
            row = rows.session_row(conn, digest(raw))
            if row is None or row["ended_at"] is not None:
                return None
            if _now() - row["started_at"] > self.session_lifetime:
                return None
            if row["via"] == "local":
                account = rows.account(conn, row["name"])
                if account is None or account["disabled"] or account["epoch"] != row["epoch"]:
                    return None
                return self._viewer(account)
        role = parse_role(row["role"])
        if role is None:
            return None
        return Viewer(row["name"], row["via"], role, districts_of(role, _listed(row["districts"])))

    def end_session(self, raw: str) -> None:
        """Sign out: the session ends here, whoever still holds its cookie."""
        if 0 < len(raw) <= TOKEN_SHAPE_MAX:
            with self.engine.begin() as conn:
                rows.end_session(conn, digest(raw), _now())

    # --- tokens -------------------------------------------------------------------

    def add_token(
        self,
        kind: Literal["wall", "api"],
        name: str,
        *,
        by: str,
        role: str | None = None,
        districts: Iterable[str] | None = None,
        scenes: Iterable[str] | None = None,
        address: str = "",
    ) -> str:
        """Make a wall or API token and return it: the only time it can be read."""
        listed_scenes = [s.strip() for s in scenes or () if s.strip()]
        bad = [s for s in listed_scenes if s not in WALL_SCENES]
        if bad:
            raise AccountError(f"unknown scene {', '.join(bad)}; known: {', '.join(WALL_SCENES)}")
        found_role = self._role(role or "") if kind == "api" else Role.LEADER
        where = self._districts(found_role, districts)
        token = TOKEN_PREFIX[kind] + secrets.token_urlsafe(32)
        row = {
            "name": self._name(name),
            "kind": kind,
            "digest": digest(token),
            "role": found_role.value if kind == "api" else None,
            "districts": where,
            "scenes": ",".join(listed_scenes) or None,
            "created_at": _now(),
            "created_by": by,
        }
        with self.engine.begin() as conn:
            if not rows.insert_token(conn, row):
                raise AccountError(f"a token named {name!r} exists already")
            self._audit(conn, by, f"{kind}_token_added", name, where or "", address)
        return token

    def tokens(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Every token (of a kind), newest first, without digests."""
        with self.engine.connect() as conn:
            found = rows.all_tokens(conn, kind)
        for row in found:
            row.pop("digest")
        return found

    def revoke(self, name: str, *, by: str, address: str = "") -> None:
        """Revoke a token by name: the screen or system loses its access at its next request."""
        with self.engine.begin() as conn:
            if not rows.revoke_token(conn, name, at=_now(), by=by):
                raise AccountError(f"no token named {name!r} that is still valid")
            self._audit(conn, by, "token_revoked", name, "", address)

    def check_token(self, token: str, address: str, kind: Literal["wall", "api"]) -> TokenCheck:
        """The viewer a presented token stands for, or why it stands for none."""
        if not (0 < len(token) <= TOKEN_SHAPE_MAX and token.startswith(TOKEN_PREFIX[kind])):
            return TokenCheck(None, "unknown")
        with self.engine.connect() as conn:
            row = rows.token_by_digest(conn, digest(token))
        if row is None or row["kind"] != kind:
            return TokenCheck(None, "unknown")
        if row["revoked_at"] is not None:
            return TokenCheck(None, "revoked")
        self._note_seen(row["id"], address)
        listed = _listed(row["districts"])
        if kind == "wall":
            scenes = tuple(row["scenes"].split(",")) if row["scenes"] else ()
            return TokenCheck(Viewer(row["name"], "wall", None, listed, scenes))
        role = Role(row["role"])
        return TokenCheck(Viewer(row["name"], "api", role, districts_of(role, listed)))

    def _note_seen(self, token_id: int, address: str) -> None:
        now = _now()
        with self._seen_lock:
            last = self._seen.get(token_id)
            if last is not None and now - last < SEEN_EVERY:
                return
            self._seen[token_id] = now
        with self.engine.begin() as conn:
            rows.token_seen(conn, token_id, at=now, address=address)

    # --- the audit trail ----------------------------------------------------------

    def _audit(
        self, conn: Any, actor: str, action: str, target: str, detail: str, address: str
    ) -> None:
        now = _now()
        rows.add_audit(conn, {"at": now, "actor": actor or "-", "action": action,
                              "target": target, "detail": detail, "address": address})  # fmt: skip
        if self._pruned is None or now - self._pruned >= PRUNE_EVERY:  # the table stays bounded
            self._pruned = now
            rows.prune_audit(conn, now - timedelta(days=self.audit_days))

    def audit(
        self, actor: str, action: str, target: str = "", detail: str = "", address: str = ""
    ) -> None:
        """Append one row to the audit trail."""
        with self.engine.begin() as conn:
            self._audit(conn, actor, action, target, detail, address)

    def audit_trail(self, limit: int = 200, **where: str | None) -> list[dict[str, Any]]:
        """The newest audit rows first (``action=`` or ``actor=`` to filter)."""
        with self.engine.connect() as conn:
            return rows.audit_rows(conn, limit=limit, **where)

    def prune_audit(self) -> int:
        """Delete audit rows past the retention."""
        with self.engine.begin() as conn:
            return rows.prune_audit(conn, _now() - timedelta(days=self.audit_days))

    def signing_key(self) -> str:
        """The key that signs session cookies, made once and kept in the store."""
        with self.engine.begin() as conn:
            return rows.kept_secret(conn, "session_key", secrets.token_urlsafe(48))
