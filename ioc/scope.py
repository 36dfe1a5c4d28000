"""Which districts a viewer may see: an input to every district page, never decided inside one.

Access control lives outside the pages. A proxy that knows who the viewer is
puts the allowed districts in a request header (``IOC_SCOPE_HEADER``); pages,
CSV exports and the district JSON take the resulting ``Scope`` and show only
what it allows. Without the setting, every viewer sees every district.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import flask

from ioc.areas import SLUG


@dataclass(frozen=True)
class Scope:
    """All districts (``districts`` is None) or the named ones (possibly none)."""

    districts: frozenset[str] | None = None

    def allows(self, slug: str) -> bool:
        """Tell whether the viewer may see a district."""
        return self.districts is None or slug in self.districts

    @classmethod
    def everything(cls) -> Scope:
        """Every district."""
        return cls(None)

    @classmethod
    def only(cls, *slugs: str) -> Scope:
        """Just these districts."""
        return cls(frozenset(slugs))


def scope_from_headers(header: str | None, headers: Mapping[str, str]) -> Scope:
    """Read the viewer's scope from the request headers; no header setting means all."""
    if header is None:
        return Scope.everything()
    value = (headers.get(header) or "").strip()
    if value == "*":
        return Scope.everything()
    return Scope.only(*[s.strip() for s in value.split(",") if SLUG.match(s.strip())])


def viewer_scope() -> Scope:
    """The scope of the viewer of the current request."""
    from ioc.services import get_services  # the services import the pages' helpers

    return scope_from_headers(get_services().settings.scope_header, flask.request.headers)
