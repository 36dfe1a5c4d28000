"""How numbers, times, durations and place names read, in Vietnamese and English.

One module, so a clock time or a district's name is written the same way on
the wall, the district page, the status page and the briefing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from babel.numbers import format_decimal

from ioc.clock import to_local
from ioc.i18n import LOCALES, t

DASH = "—"  # what a missing value shows


class Named(Protocol):
    """Anything with a Vietnamese and an English name (an area, a district's state)."""

    # Read-only, so frozen dataclasses count too.
    @property
    def name_vi(self) -> str: ...

    @property
    def name_en(self) -> str: ...


def local_name(thing: Named | dict[str, str], lang: str) -> str:
    """A place's name in a language; a record's dict (``name_vi``/``name_en``) works too."""
    if isinstance(thing, dict):
        return thing["name_vi"] if lang == "vi" else thing["name_en"]
    return thing.name_vi if lang == "vi" else thing.name_en


def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    """Format a number for a language (vi: 1.234,5; en: 1,234.5); None shows a dash."""
    if value is None:
        return DASH
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALES[lang])


def local_time(ts: datetime | str | None, *, seconds: bool = True) -> str:
    """A UTC time as Asia/Ho_Chi_Minh clock time ("07:30:05", or "07:30")."""
    local = to_local(ts)
    return DASH if local is None else local.strftime("%H:%M:%S" if seconds else "%H:%M")


def local_date(ts: datetime | str | None) -> str:
    """A UTC time as the local date ("23/11/2026")."""
    local = to_local(ts)
    return DASH if local is None else local.strftime("%d/%m/%Y")


def local_stamp(ts: datetime | str | None, *, seconds: bool = False) -> str:
    """A UTC time as local date and time ("23/11/2026 07:30", or with seconds)."""
    local = to_local(ts)
    if local is None:
        return DASH
    return local.strftime("%d/%m/%Y %H:%M" + (":%S" if seconds else ""))


def short_stamp(ts: datetime | None, now: datetime) -> str:
    """A local clock time, with the date only when it is not today's."""
    local, today = to_local(ts), to_local(now)
    if local is None or today is None:
        return DASH
    if local.date() == today.date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%d/%m %H:%M")


def dateline(place: str, ts: datetime | str, lang: str) -> str:
    """The dateline of an official document: "Cần Thơ, ngày 23 tháng 11 năm 2026"."""
    day = to_local(ts)
    assert day is not None
    if lang == "vi":
        return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    return f"{place}, {day.day} {day.strftime('%B')} {day.year}"


def age_text(seconds: float, lang: str) -> str:
    """Say how old something is, briefly ("5 phút trước" / "5 min ago")."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        amount, unit = seconds, ("giây", "s")
    elif seconds < 3600:
        amount, unit = seconds // 60, ("phút", "min")
    elif seconds < 86400:
        amount, unit = seconds // 3600, ("giờ", "h")
    else:
        amount, unit = seconds // 86400, ("ngày", "d")
    return f"{amount} {unit[0]} trước" if lang == "vi" else f"{amount} {unit[1]} ago"


def duration_text(minutes: float | None, lang: str) -> str:
    """ "35 phút", "2 giờ 5 phút", "3 ngày 4 giờ"."""
    if minutes is None:
        return DASH
    minutes = max(0, int(minutes))
    if minutes < 60:
        return t("minutes_short", lang, n=minutes)
    if minutes < 24 * 60:
        return t("hours_short", lang, h=minutes // 60, m=minutes % 60)
    return t("days_short", lang, d=minutes // 1440, h=(minutes % 1440) // 60)


def change_text(
    delta: float | None, lang: str, digits: int = 0, *, arrows: tuple[str, str] = ("▲", "▼")
) -> str:
    """A change with its arrow and sign ("▲ +12", "▼ −3,5"); nothing changed reads
    "không đổi" / "unchanged", never "▲ +0,0" (judged on the digits shown)."""
    if delta is None:
        return DASH
    if round(abs(delta), digits) == 0:
        return t("change_none", lang)
    shown = number(abs(delta), lang, digits)
    return f"{arrows[0]} +{shown}" if delta > 0 else f"{arrows[1]} −{shown}"


def count_text(value: float | int | None, lang: str) -> str:
    """A count of things (applications, access points): a whole number, never "2.934,00"."""
    return DASH if value is None else number(round(value), lang)
