"""What is abnormal now: one rule module turns the city's state into alarm conditions.

Pure: it reads the wall's snapshot (presence, feed freshness, KPI statuses under
the one status rule of ``ioc.status``), the database metrics' views and the
ingest health, and returns ``Condition``s keyed so that the same situation has the
same key in every cycle and after a restart.

A district whose IOC is offline raises ``ioc_offline`` only: its feeds going stale
and its KPIs going quiet are consequences, suppressed so one outage is one alarm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from ioc.areas import AreaCatalogue
from ioc.i18n import t
from ioc.i18n.format import number
from ioc.model.alarm import AlarmRules, Condition, Kind, Severity
from ioc.model.metric import MetricView
from ioc.model.wall import CITY, AreaState, WallSnapshot

LANGS = ("vi", "en")


@dataclass(frozen=True)
class IngestHealth:
    """What the ingest side says now (from /healthz's document and the dead letters)."""

    store_refusing: bool
    broker_lost: bool
    dead_letters_per_minute: float

    @classmethod
    def from_health(cls, doc: Mapping[str, Any], dead_per_minute: float) -> IngestHealth:
        """Read the health document: an ingestor that beats but has no broker is lost."""
        mqtt = doc.get("mqtt") or {}
        ingestors = mqtt.get("ingestors") or []
        lost = bool(ingestors) and not mqtt.get("connected", False)
        refusing = bool((doc.get("store") or {}).get("refusing", False))
        return cls(refusing, lost, dead_per_minute)


class Rulebook:
    """The rules applied to one cycle's readings."""

    def __init__(self, rules: AlarmRules, areas: AreaCatalogue) -> None:
        self.rules = rules
        self.areas = areas

    def _place(self, district: str | None, lang: str) -> str:
        area = self.areas.get(district) if district else None
        if area is None:
            return t("alarm_city", lang)
        return area.name(lang)

    def _make(
        self, kind: Kind, district: str | None, subject: str, severity: Severity,
        text_key: str, values: Callable[[str], dict[str, object]] = lambda _lang: {},
    ) -> Condition:  # fmt: skip
        key = f"{kind}:{district or CITY}:{subject}"
        texts = {
            lang: t(text_key, lang, place=self._place(district, lang), **values(lang))
            for lang in LANGS
        }
        return Condition(key, kind, district, subject, severity, texts["vi"], texts["en"])

    def conditions(
        self, snapshot: WallSnapshot, metrics: Iterable[MetricView], ingest: IngestHealth | None,
    ) -> list[Condition]:  # fmt: skip
        """Every abnormal condition now."""
        found: list[Condition] = []
        for district in snapshot.districts:
            found.extend(self._district(district))
        found.extend(self._kpis(snapshot.city, None))
        for view in metrics:
            found.extend(self._metric(view))
        if ingest is not None:
            found.extend(self._ingest(ingest))
        return found

    def _district(self, state: AreaState) -> list[Condition]:
        offline = self.rules.kinds["ioc_offline"]
        if state.online is False:
            return [self._make("ioc_offline", state.slug, "ioc", offline.severity,
                               "alarm_msg_ioc_offline")]  # fmt: skip
        stale_rule = self.rules.kinds["feed_stale"]
        found = []
        stale_feeds = sorted({k.key.split("_")[0] for k in state.kpis.values()
                              if k.status == "stale"})  # fmt: skip
        for feed in stale_feeds:
            found.append(self._make("feed_stale", state.slug, feed, stale_rule.severity,
                                    "alarm_msg_feed_stale",
                                    partial(_feed_text, feed)))  # fmt: skip
        return found + self._kpis(state, state.slug)

    def _kpis(self, state: AreaState, district: str | None) -> list[Condition]:
        rule = self.rules.kinds["kpi_alarm"]
        found = []
        for kpi in state.kpis.values():
            if kpi.status == "alarm":
                severity: Severity | None = rule.severity
            elif kpi.status == "warn":
                severity = rule.warn_severity
            else:
                severity = None
            if severity is None:
                continue
            value = kpi.share if kpi.share is not None else kpi.value
            found.append(self._make(
                "kpi_alarm", district, kpi.key, severity, f"alarm_msg_kpi_{kpi.status}",
                partial(_kpi_text, kpi.key, value),
            ))  # fmt: skip
        return found

    def _metric(self, view: MetricView) -> list[Condition]:
        metric = view.metric
        found = []
        if view.error:
            rule = self.rules.kinds["metric_error"]
            found.append(self._make("metric_error", None, metric.id, rule.severity,
                                    "alarm_msg_metric_error",
                                    lambda lang: {"metric": metric.title(lang),
                                                  "error": (view.error or "")[:120]}))  # fmt: skip
        rule = self.rules.kinds["metric_alarm"]
        places: list[tuple[str | None, str]] = (
            [(slug, status) for slug, (_v, status) in sorted(view.districts.items())]
            if metric.by_district else [(None, view.status)]
        )  # fmt: skip
        for district, status in places:
            severity = rule.severity if status == "alarm" else (
                rule.warn_severity if status == "warn" else None)  # fmt: skip
            if severity is None:
                continue
            found.append(self._make("metric_alarm", district, metric.id, severity,
                                    f"alarm_msg_metric_{status}",
                                    lambda lang: {"metric": metric.title(lang)}))  # fmt: skip
        return found

    def _ingest(self, ingest: IngestHealth) -> list[Condition]:
        rule = self.rules.kinds["ingest_degraded"]
        found = []
        if ingest.store_refusing:
            found.append(self._make("ingest_degraded", None, "store_refused", rule.severity,
                                    "alarm_msg_store_refused"))  # fmt: skip
        if ingest.broker_lost:
            found.append(self._make("ingest_degraded", None, "broker_lost", rule.severity,
                                    "alarm_msg_broker_lost"))  # fmt: skip
        if ingest.dead_letters_per_minute > self.rules.dead_letters_per_minute:
            found.append(self._make(
                "ingest_degraded", None, "dead_letters", rule.severity, "alarm_msg_dead_letters",
                lambda lang: {"rate": number(ingest.dead_letters_per_minute, lang, 1),
                              "limit": number(self.rules.dead_letters_per_minute, lang, 1)},
            ))  # fmt: skip
        return found


def _feed_text(feed: str, lang: str) -> dict[str, object]:
    return {"feed": t(feed, lang)}


def _kpi_text(key: str, value: float | None, lang: str) -> dict[str, object]:
    return {"kpi": t(f"kpi_{key}", lang), "value": number(value, lang, 1)}
