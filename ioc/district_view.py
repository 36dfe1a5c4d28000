"""What a district page shows, read from its URL: tab, time range, selected source, language.

Every piece of state lives in the query string, so a link shows exactly what
its sender saw. Anything unusable falls back to its default and says so in a
notice; nothing here raises on user input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from ioc.clock import LOCAL_TZ
from ioc.contract import SOURCE
from ioc.i18n import normalise_lang, t

TABS = ("traffic", "wifi", "services")
TAB_FEED = {"traffic": "traffic", "wifi": "wifi", "services": "backlog"}
RANGES = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
DEFAULT_TAB = "traffic"
DEFAULT_RANGE = "24h"
MAX_CUSTOM = timedelta(days=92)
# Up to this span, per-source figures come from the raw readings (exact to the
# second); beyond it from the hourly per-source rollups (exact to the hour).
RAW_SPAN = timedelta(hours=6)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}$")
# No reading predates this; earlier dates (down to year 1, where adding a zone
# offset or a day overflows) are refused as bad parameters, never computed with.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DistrictView:
    """One district page's state; ``since``/``until`` are UTC, ``until`` exclusive."""

    slug: str
    lang: str
    tab: str
    range: str
    since: datetime
    until: datetime
    source: str | None = None
    custom_from: str | None = None  # as typed in the URL (local time), for custom ranges
    custom_to: str | None = None
    notices: tuple[str, ...] = field(default=())
    # False when the URL named no (usable) tab: the page then opens its worst tab.
    tab_asked: bool = True

    @property
    def feed(self) -> str:
        """The feed the tab shows."""
        return TAB_FEED[self.tab]

    @property
    def span(self) -> timedelta:
        """How long the range is."""
        return self.until - self.since

    @property
    def raw(self) -> bool:
        """Whether per-source figures are read from raw readings (short ranges)."""
        return self.span <= RAW_SPAN

    @property
    def bucket(self) -> timedelta:
        """The width of one point of a time series for this range."""
        span = self.span
        if span <= timedelta(hours=2):
            return timedelta(minutes=1)
        if span <= timedelta(hours=36):
            return timedelta(minutes=10)
        return timedelta(hours=1)

    @property
    def live(self) -> bool:
        """Whether the range ends now (it moves on as time passes)."""
        return self.range != "custom"

    def query(self, **changes: str | None) -> dict[str, str]:
        """The query parameters of this view, with some changed (None drops one)."""
        params = {"tab": self.tab, "range": self.range, "lang": self.lang}
        if self.range == "custom":
            params["from"] = self.custom_from or ""
            params["to"] = self.custom_to or ""
        if self.source:
            params["source"] = self.source
        for key, value in changes.items():
            key = key.rstrip("_")  # from_ -> from
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        if params.get("range") != "custom":
            params.pop("from", None)
            params.pop("to", None)
        return params

    def href(self, **changes: str | None) -> str:
        """This page's URL with some parameters changed."""
        return f"/district/{self.slug}?{urlencode(self.query(**changes))}"

    def path_with(self, path: str, **changes: str | None) -> str:
        """Another path carrying this view's parameters (CSV and JSON links)."""
        return f"{path}?{urlencode(self.query(**changes))}"

    def with_source(self, source: str | None) -> DistrictView:
        """The same view with another selected source."""
        return replace(self, source=source)


def _one(query: Mapping[str, object], key: str) -> object:
    value = query.get(key)
    if isinstance(value, list):  # ?a=1&a=2: the first counts
        value = value[0] if value else None
    return value


def _local(text: str, *, end: bool) -> datetime | None:
    """A local date or date-time from the URL as UTC; a date's end is the next midnight.

    None for anything unusable: malformed, no such day, or out of range (before
    EARLIEST, or so far out that the arithmetic overflows).
    """
    try:
        if _DATE.match(text):
            moment = datetime.strptime(text, "%Y-%m-%d")
            if end:
                moment += timedelta(days=1)
        elif _DATETIME.match(text):
            moment = datetime.strptime(text.replace(" ", "T"), "%Y-%m-%dT%H:%M")
        else:
            return None
        found = moment.replace(tzinfo=LOCAL_TZ).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return found if found >= EARLIEST else None


def parse_view(
    slug: str, query: Mapping[str, object], *, default_lang: str = "vi", now: datetime | None = None
) -> DistrictView:
    """Read a district page's state from its query parameters; bad values become notices."""
    now = now or datetime.now(UTC)
    lang_given = _one(query, "lang")
    lang = normalise_lang(lang_given, default_lang)
    notices: list[str] = []

    def bad(name: str, value: object) -> None:
        shown = str(value)[:40]
        notices.append(t("bad_param", lang, detail=f"{name}={shown}"))

    if lang_given not in (None, "") and lang_given != lang:
        bad("lang", lang_given)
    tab = _one(query, "tab")
    tab_asked = tab in TABS
    if tab in (None, ""):
        tab = DEFAULT_TAB
    elif tab not in TABS:
        bad("tab", tab)
        tab = DEFAULT_TAB
    range_ = _one(query, "range")
    if range_ in (None, ""):
        range_ = DEFAULT_RANGE
    since = until = None
    custom_from = custom_to = None
    if range_ == "custom":
        given_from, given_to = _one(query, "from"), _one(query, "to")
        if isinstance(given_from, str):
            custom_from = given_from
            since = _local(given_from, end=False)
        if isinstance(given_to, str):
            custom_to = given_to
            until = _local(given_to, end=True)
        usable = False
        if since is None:
            bad("from", given_from)
        elif until is None:
            bad("to", given_to)
        elif until <= since:
            notices.append(t("range_backwards", lang))
        elif since >= now:
            notices.append(t("range_future", lang))
        elif until - since > MAX_CUSTOM:
            notices.append(t("range_too_long", lang, days=MAX_CUSTOM.days))
        else:
            usable = True
            until = min(until, now)
        if not usable:
            range_, since, until, custom_from, custom_to = DEFAULT_RANGE, None, None, None, None
    elif range_ not in RANGES:
        bad("range", range_)
        range_ = DEFAULT_RANGE
    if since is None or until is None:
        until = now
        since = now - RANGES[range_]
    source = _one(query, "source")
    if source in (None, ""):
        source = None
    elif not isinstance(source, str) or not SOURCE.match(source):
        bad("source", source)
        source = None
    return DistrictView(
        slug,
        lang,
        tab,
        range_,
        since,
        until,
        source,
        custom_from,
        custom_to,
        tuple(notices),
        tab_asked,
    )
