"""The wall's alarm ticker from the alarm log: a counter of active alarms by severity, then
one chip per active alarm, worst first then oldest, those nobody has taken marked so; past
the flood limit, one flood banner with the count instead of the alarms (ISA-18.2: a flood
is shown as a flood, not as a ticker scrolling forever).

Chips take the ticker's own styles (assets/wall.css: 28 px and up on the wall); the
severity is the one mark (critical the alarm square, high the warn triangle, low the
diamond) with its word.
"""

from __future__ import annotations

from dash import html

from ioc.i18n import t
from ioc.model.alarm import SEVERITIES, Alarm, AlarmBoard
from widgets.mark import mark

SEVERITY_STATUS = {"critical": "alarm", "high": "warn", "low": "neutral"}
CHIP_STATUS = {"critical": "alarm", "high": "warn", "low": "stale"}  # the chip's edge colour


def scope_alarms(board: AlarmBoard, district: str | None) -> list[Alarm]:
    """The active alarms of one district (None: all the viewer may see), in the board's order."""
    return [a for a in board.active if district is None or a.district == district]


def counter_chip(alarms: list[Alarm], lang: str) -> html.Span:
    """Active alarms by severity: "Đang mở: 2 khẩn cấp · 1 cao · 0 thấp"."""
    parts = []
    for severity in SEVERITIES:
        n = sum(1 for a in alarms if a.severity == severity)
        parts.append(f"{n} {t(f'alarm_sev_{severity}', lang).lower()}")
    worst = next((a.severity for a in alarms), None)
    status = CHIP_STATUS.get(worst or "", "ok")
    return html.Span(
        [html.B(t("wall_alarms_open", lang)), " " + " · ".join(parts)],
        className=f"chip chip--{status} chip--count",
    )


def alarm_chip(alarm: Alarm, lang: str) -> html.Span:
    """One active alarm: its severity's mark and word, its message, unacknowledged said."""
    parts: list = [
        mark(SEVERITY_STATUS.get(alarm.severity, "no_data"), lang, word=False,
             text=t(f"alarm_sev_{alarm.severity}", lang)),
        html.B(alarm.message(lang)),
        f" · {t(f'alarm_sev_{alarm.severity}', lang)}",
    ]  # fmt: skip
    if alarm.unacked:
        parts.append(html.B(f" · {t('wall_alarm_unacked', lang)}", className="chip-unacked"))
    cls = f"chip chip--{CHIP_STATUS.get(alarm.severity, 'stale')}"
    return html.Span(parts, className=cls + (" chip--unacked" if alarm.unacked else ""),
                     **{"data-alarm": str(alarm.id)})  # fmt: skip


def ticker_chips(board: AlarmBoard, district: str | None, lang: str) -> list:
    """The ticker: the counter, then the alarms; or the counter and one flood banner."""
    alarms = scope_alarms(board, district)
    if board.flood.flooding:
        flood = board.flood
        said = t("wall_alarm_flood", lang, n=flood.raised, minutes=flood.minutes)
        return [
            counter_chip(alarms, lang),
            html.Span([mark("alarm", lang, word=False), html.B(said)],
                      className="chip chip--alarm chip--flood", role="alert"),
        ]  # fmt: skip
    if not alarms:
        return [html.Span([mark("ok", lang, text=t("no_alarms", lang))], className="chip chip--ok")]
    return [counter_chip(alarms, lang), *(alarm_chip(a, lang) for a in alarms)]


def jump_districts(board: AlarmBoard) -> str:
    """The districts the alarm jump may show, worst alarm first then oldest (comma-separated)."""
    seen: list[str] = []
    for alarm in board.active:
        if alarm.district is not None and alarm.district not in seen:
            seen.append(alarm.district)
    return ",".join(seen)
