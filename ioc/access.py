"""Who is asking, and what each role may do: plain data, no web and no store.

A request is made by one ``Viewer``: an account signed in (local or OpenID
Connect), a person named by a trusted proxy, a wall screen on its token, another
system on its API token, or, with ``IOC_AUTH=none``, whoever reaches the app.
What a viewer may do follows from its role alone (``may``); which districts it
sees follows from its ``districts``. ``ioc/scope.py`` is where every request and
callback is held to both.

| role       | sees                   | may                                              |
|------------|------------------------|--------------------------------------------------|
| `leader`   | everything             | read, take and export snapshots                  |
| `district` | its districts only     | read, take snapshots of its districts            |
| `operator` | everything             | as a leader, and acknowledge alarms              |
| `admin`    | everything             | everything, and manage accounts and tokens       |

A wall token reads its wall and nothing else; an API token acts with the role it
was given, on the API and the exports, never on the pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    """The four roles, from the least to the most that may be done."""

    DISTRICT = "district"
    LEADER = "leader"
    OPERATOR = "operator"
    ADMIN = "admin"


class Can(StrEnum):
    """What a request may ask to do, beyond reading what its scope shows."""

    READ = "read"
    SNAPSHOT = "snapshot"  # take, export and compare briefing snapshots
    ACKNOWLEDGE = "acknowledge"  # act on alarms
    ADMINISTER = "administer"  # accounts, tokens, the audit


ROLE_NAMES = tuple(role.value for role in Role)
ALLOWED: dict[Role, frozenset[Can]] = {
    Role.DISTRICT: frozenset({Can.READ, Can.SNAPSHOT}),
    Role.LEADER: frozenset({Can.READ, Can.SNAPSHOT}),
    Role.OPERATOR: frozenset({Can.READ, Can.SNAPSHOT, Can.ACKNOWLEDGE}),
    Role.ADMIN: frozenset(Can),
}
# How a viewer proved who it is.
Via = Literal["open", "local", "oidc", "proxy", "wall", "api"]
# Account, token and proxy user names: letters, digits and . _ @ -, 1 to 64 of them.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def parse_role(value: object) -> Role | None:
    """The role a text names (any case, surrounding blanks ignored), or None."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    return Role(text) if text in ROLE_NAMES else None


def highest_role(values: object) -> Role | None:
    """The strongest role among several (an identity provider's list of roles), or None."""
    if isinstance(values, str):
        values = [part for part in re.split(r"[\s,]+", values) if part]
    if not isinstance(values, list | tuple | set | frozenset):
        return None
    found = [role for role in (parse_role(v) for v in values) if role is not None]
    return max(found, key=list(Role).index) if found else None


@dataclass(frozen=True)
class Viewer:
    """One request's asker: its name, how it proved it, its role and its districts.

    ``districts`` is None for every district, else the districts it may see (a
    ``district`` role's own). ``scenes`` limits a wall token's rotation, if given.
    """

    name: str
    via: Via
    role: Role | None
    districts: frozenset[str] | None = None
    scenes: tuple[str, ...] = ()

    def may(self, what: Can) -> bool:
        """Tell whether this viewer may do ``what`` (a wall screen may only read its wall)."""
        if self.via == "wall":
            return what is Can.READ
        return self.role is not None and what in ALLOWED[self.role]

    @property
    def is_screen(self) -> bool:
        """A wall screen on its token: its wall and the wall's own calls, nothing else."""
        return self.via == "wall"

    @property
    def is_api(self) -> bool:
        """Another system on an API token: the API and the exports, no page."""
        return self.via == "api"

    @property
    def signed_in(self) -> bool:
        """A person who signed in here (local or OpenID Connect): may sign out."""
        return self.via in ("local", "oidc")

    @classmethod
    def open(cls) -> Viewer:
        """Whoever reaches an app run with ``IOC_AUTH=none``: everything, as today."""
        return cls("", "open", Role.ADMIN)


def districts_of(role: Role, listed: frozenset[str] | None) -> frozenset[str] | None:
    """The districts a role sees: a district role only those listed, others all unless limited."""
    if role is Role.DISTRICT:
        return listed or frozenset()
    return listed
