"""The comparison block of a briefing document: deltas with arrows, status changes,
districts better or worse, database metrics, alarms new and cleared."""

from __future__ import annotations

from html import escape

from ioc.i18n import t
from ioc.i18n.format import local_name, local_stamp, number
from ioc.model.wall import SHARE_KPIS
from widgets.briefing_pieces import (
    ARROW,
    DIGITS,
    KPI_ORDER,
    alarm_text,
    grid,
    metric_unit,
    signed,
    status_word,
)


def change_cell(move: str, delta: float | None, lang: str, digits: int) -> str:
    """A change as shown: "không đổi" when it rounds to nothing at the digits shown (never
    "▲ +0,0"); else its sign, with an arrow only when the move is judged better or worse
    (traffic flow is not: more cars are neither)."""
    if delta is None:
        return "—"
    if round(abs(delta), digits) == 0:
        return f'<span class="move move--same">{escape(t("change_none", lang))}</span>'
    arrow = ARROW[move] + " " if move in ("better", "worse") else ""
    return (
        f'<span class="move move--{escape(move)}">{arrow}'
        f"{escape(signed(delta, lang, digits))}</span>"
    )


def _verdicts(comparison: dict, lang: str) -> str:
    """The districts that got better and those that got worse."""
    names = {a["slug"]: a for a in comparison["areas"]}

    def listed(slugs: list[str]) -> str:
        return ", ".join(escape(local_name(names[s], lang)) for s in slugs) or escape(
            t("brief_none", lang)
        )

    return (
        '<p class="verdicts"><span class="move move--better">'
        f"{ARROW['better']} {escape(t('brief_better', lang))}:</span> "
        f"{listed(comparison['better'])}<br>"
        f'<span class="move move--worse">{ARROW["worse"]} {escape(t("brief_worse", lang))}:</span> '
        f"{listed(comparison['worse'])}</p>"
    )


def _deltas(comparison: dict, lang: str) -> str:
    """One row per area: its verdict and each KPI's change, with both values."""
    head = [escape(t("district", lang))] + [escape(t("kpi_" + k, lang)) for k in KPI_ORDER]
    rows = []
    for area in comparison["areas"]:
        by_key = {r["key"]: r for r in area["kpis"]}
        cells = [f'<span class="move move--{area["verdict"]}">'
                 f'{ARROW[area["verdict"]] if area["verdict"] != "same" else ""}</span> '
                 f'<b>{escape(local_name(area, lang))}</b>']  # fmt: skip
        for key in KPI_ORDER:
            row = by_key.get(key)
            if row is None:
                cells.append("—")
                continue
            digits = DIGITS.get(key, 0)
            cells.append(
                change_cell(row["move"], row["delta"], lang, digits)
                + f'<div class="small">{escape(number(row["before"], lang, digits))} → '
                f"{escape(number(row['after'], lang, digits))}</div>"
            )
        rows.append(cells)
    return grid(head, rows, "compare")


def _status_changes(comparison: dict, lang: str) -> str:
    """IOCs that went offline or came back, and KPIs whose status changed."""
    changes = []
    for area in comparison["areas"]:
        if area["online_before"] != area["online_after"] and area["slug"] != "city":
            word = lambda v: t("unknown" if v is None else ("online" if v else "offline"), lang)  # noqa: E731
            changes.append(f'<li><b>{escape(local_name(area, lang))}</b> — '
                           f'{escape(t("district_ioc", lang))}: '
                           f'{escape(word(area["online_before"]))} → '
                           f'{escape(word(area["online_after"]))}</li>')  # fmt: skip
        for row in area["status_changes"]:
            changes.append(
                f"<li><b>{escape(local_name(area, lang))}</b> — "
                f"{escape(t('kpi_' + row['key'], lang))}: "
                f"{status_word(row['status_before'], lang)} → "
                f"{status_word(row['status_after'], lang)}</li>"
            )
    return (f'<ul class="changes">{"".join(changes)}</ul>' if changes
            else f'<p>{escape(t("brief_no_status_changes", lang))}</p>')  # fmt: skip


def _metric_changes(comparison: dict, record: dict, lang: str) -> str:
    """The database metrics' changes, each with its own digits and unit (a count never
    shows decimals); empty when neither record has one."""
    kept = {m["id"]: m for m in record.get("metrics", [])}
    metric_rows = []
    for m in comparison.get("metrics", []):
        title = m["title"].get(lang) or m["title"].get("vi", m["id"])
        own = kept.get(m["id"], m)
        digits = int(own.get("digits", 0) or 0)
        unit = metric_unit(own, lang)

        def shown(value: float | None, digits: int = digits, unit: str = unit) -> str:
            return "—" if value is None else f"{number(value, lang, digits)} {unit}".strip()

        metric_rows.append([
            escape(title), escape(shown(m["before"])), escape(shown(m["after"])),
            change_cell(m["move"], m["delta"], lang, digits),
        ])  # fmt: skip
    if not metric_rows:
        return ""
    return grid([escape(t("brief_metrics", lang)), escape(t("brief_before", lang)),
                 escape(t("brief_after", lang)), escape(t("brief_delta", lang))],
                metric_rows, "metrics")  # fmt: skip


def _alarm_changes(comparison: dict, lang: str) -> str:
    """The alarms that are new and those that cleared, side by side."""
    alarm_names = {a["slug"]: local_name(a, lang) for a in comparison["areas"]}
    record_like = {"share_kpis": SHARE_KPIS}  # a comparison keeps no record's own list
    new = "".join(alarm_text(a, alarm_names, lang, record_like) for a in comparison["alarms_new"])
    cleared = "".join(
        alarm_text(a, alarm_names, lang, record_like) for a in comparison["alarms_cleared"]
    )
    none = f"<li>{escape(t('brief_none', lang))}</li>"
    return (
        f'<div class="two"><div><h3>{escape(t("brief_alarms_new", lang))}</h3>'
        f'<ul class="alarms">{new or none}</ul></div>'
        f"<div><h3>{escape(t('brief_alarms_cleared', lang))}</h3>"
        f'<ul class="alarms">{cleared or none}</ul></div></div>'
    )


def compare_block(comparison: dict, other: dict, record: dict, lang: str) -> str:
    """Deltas with arrows, statuses that changed, districts better or worse."""
    intro = t("brief_compare_with", lang, id=other["id"], when=local_stamp(other["taken_at"]))
    return (
        f'<section class="block compare"><h2>{escape(t("brief_compare", lang))}</h2>'
        f'<p class="compare-intro">{escape(intro)}</p>{_verdicts(comparison, lang)}'
        f"{_deltas(comparison, lang)}"
        f'<p class="small">{escape(t("brief_compare_flow_note", lang))}</p>'
        f"<h3>{escape(t('brief_status_changes', lang))}</h3>{_status_changes(comparison, lang)}"
        f"{_alarm_changes(comparison, lang)}"
        f"{_metric_changes(comparison, record, lang)}</section>"
    )
