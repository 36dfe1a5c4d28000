"""The district page's header: one card per headline KPI beside the city median, the IOC's link."""

from __future__ import annotations

import math
from datetime import datetime

from dash import html

from ioc.i18n import t
from ioc.i18n.format import local_stamp, number, short_stamp
from ioc.model.district import DistrictReport, HeaderKpi
from ioc.model.wall import SHARE_KPIS
from widgets.mark import mark

KPI_DIGITS = {"traffic_speed": 1, "wifi_uptime": 1}


def _kpi_value(kpi: HeaderKpi, lang: str) -> tuple[str, str]:
    if kpi.value is None:
        return "—", ""
    text = number(kpi.value, lang, KPI_DIGITS.get(kpi.key, 0))
    unit = t(f"unit_{kpi.key}", lang)
    if kpi.total is not None:
        unit = f"/ {number(kpi.total, lang)} {unit}"
    return text, unit


def _versus(kpi: HeaderKpi, lang: str) -> str:
    judged, median = kpi.judged, kpi.median
    digits = 1 if kpi.key in SHARE_KPIS or kpi.key in KPI_DIGITS else 0
    if median is None:
        return ""
    suffix = " %" if kpi.key in SHARE_KPIS else ""
    base = t("city_median", lang, value=number(median, lang, digits) + suffix)
    if judged is None:
        return base
    if not median or math.isclose(judged, median, rel_tol=0.005):
        return f"{base} · {t('vs_median_same', lang)}"
    pct = number(abs(judged - median) / abs(median) * 100, lang)
    word = "vs_median_above" if judged > median else "vs_median_below"
    return f"{base} · {t(word, lang, pct=pct)}"


def kpi_card(kpi: HeaderKpi, lang: str, now: datetime) -> html.Div:
    """One headline KPI: value, status (mark and word), time, and the city median beside it."""
    value, unit = _kpi_value(kpi, lang)
    share = ""
    if kpi.key in SHARE_KPIS and kpi.share is not None:
        share = t(f"share_{kpi.key}", lang, pct=number(kpi.share, lang, 1))
    return html.Div(
        [
            html.Div(t(f"kpi_{kpi.key}", lang), className="kpi-label"),
            html.Div(
                [html.Span(value, className="kpi-value"), html.Span(unit, className="kpi-unit")]
            ),
            html.Div(share, className="kpi-share") if share else None,
            html.Div(
                [
                    mark(kpi.status, lang),
                    html.Span(
                        f"· {t('as_of', lang)} {short_stamp(kpi.as_of, now)}" if kpi.as_of else "",
                        className="kpi-time",
                    ),
                ],
                className="kpi-status",
            ),
            html.Div(_versus(kpi, lang), className="kpi-median"),
            # What it counts, over which period, from which source (the metrics table
            # below has figures of its own, from another source).
            html.Div(t(f"kpi_basis_{kpi.key}", lang), className="kpi-basis"),
        ],
        className=f"kpi-card kpi-card--{kpi.status}",
        **{"data-kpi": kpi.key, "data-status": kpi.status},
    )


def presence(report: DistrictReport, lang: str) -> html.Span:
    """The district IOC's link state and since when."""
    if report.online is None:
        text, state = t("ioc_unknown", lang), "unknown"
    elif report.online:
        text = t("ioc_online_since", lang, time=local_stamp(report.online_since))
        state = "online"
    else:
        text = t("ioc_offline_since", lang, time=local_stamp(report.online_since))
        state = "offline"
    return html.Span(text, className=f"presence presence--{state}", id="district-presence")


def kpi_cards(report: DistrictReport, lang: str) -> list:
    """The header's KPI cards and the time they were read."""
    return [
        html.Div([kpi_card(k, lang, report.now) for k in report.kpis], className="kpi-row"),
        html.Div(
            [
                presence(report, lang),
                html.Span(
                    t("data_as_of", lang, time=local_stamp(report.now, seconds=True)),
                    className="as-of",
                ),
            ],
            className="header-meta",
        ),
    ]
