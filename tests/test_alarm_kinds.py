"""Every alarm kind, end to end through the one rule module and the state machine.

Each case builds what the evaluator hands the ``Rulebook`` (the wall's snapshot with its
KPIs judged by the shipped ``kpis.toml``, database metric views of the shipped
``metrics.toml``, the ingest health) and checks the conditions an operator would see:
kind, district (None for city-wide), the severity the shipped ``alarms.toml`` gives,
and a message in each language. Then the two promises around them: one outage is one
alarm, and a condition shorter than its kind's on-delay raises nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from ioc.alarms.conditions import IngestHealth, Rulebook
from ioc.alarms.machine import Timers, step
from ioc.alarms.rules import load_rules
from ioc.areas import AreaCatalogue
from ioc.config import DEFAULT_ALARMS_FILE, DEFAULT_KPIS_FILE, DEFAULT_METRICS_FILE, ROOT
from ioc.i18n import t
from ioc.metrics.catalogue import load_catalogue
from ioc.model.alarm import KINDS, Alarm, Condition
from ioc.model.metric import MetricView
from ioc.model.wall import CITY, SHARE_KPIS, AreaState, Kpi, WallSnapshot
from ioc.services.kpis import load_kpis
from ioc.status import status_of, worst

T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
# The shipped file as written, read apart from the loader, so a mapping slip shows.
SHIPPED = tomllib.loads(DEFAULT_ALARMS_FILE.read_text(encoding="utf-8"))
KPIS = load_kpis(DEFAULT_KPIS_FILE)
METRICS = load_catalogue(DEFAULT_METRICS_FILE, root=ROOT)
CITY_METRIC = "on_time_share"  # % resolved on time: warn below 98, alarm below 95
DISTRICT_METRIC = "on_time_share_by_district"
# A healthy district: (value, share) per KPI, all inside kpis.toml's thresholds.
HEALTHY: dict[str, tuple[float, float | None]] = {
    "traffic_flow": (42.0, None),
    "traffic_speed": (34.0, None),  # km/h: warn below 25, alarm below 15
    "wifi_up": (48.0, 100.0),  # access points up, judged by their share
    "wifi_uptime": (99.6, None),
    "backlog_pending": (17.0, None),
    "backlog_overdue": (0.0, 0.0),
    "backlog_on_time": (30.0, 100.0),  # judged by the share: warn below 95, alarm below 90
}
NORMAL_INGEST = IngestHealth(store_refusing=False, broker_lost=False, dead_letters_per_minute=0.0)


def kpi(key: str, value: float | None, share: float | None = None, *, stale: bool = False) -> Kpi:
    """One KPI as the wall service judges it (shares for the share KPIs)."""
    judged = share if key in SHARE_KPIS else value
    status = KPIS.status(key, None if stale else judged, stale=stale)
    return Kpi(key, None if stale else value, status, T0 - timedelta(minutes=1), share=share)


def stale(*keys: str) -> dict[str, Kpi]:
    """KPIs whose feed has sent nothing within its hold."""
    return {key: kpi(key, None, stale=True) for key in keys}


@dataclass
class World:
    """The inputs of one evaluator cycle, healthy unless a case changes them."""

    areas: AreaCatalogue
    changed: dict[str, dict[str, Kpi]] = field(default_factory=dict)
    offline: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)  # no presence message yet
    city_metric: float = 99.8
    city_metric_error: str | None = None
    district_metric: dict[str, float] = field(default_factory=dict)
    ingest: IngestHealth | None = NORMAL_INGEST

    def area(self, slug: str, name_vi: str, name_en: str, online: bool | None) -> AreaState:
        kpis = {key: kpi(key, value, share) for key, (value, share) in HEALTHY.items()}
        kpis.update(self.changed.get(slug, {}))
        known = [k.status for k in kpis.values() if k.status != "no_data"]
        return AreaState(slug, name_vi, name_en, online, T0 - timedelta(hours=2), kpis,
                         worst(known) if known else "no_data")  # fmt: skip

    def views(self) -> tuple[MetricView, ...]:
        city, by_district = METRICS.get(CITY_METRIC), METRICS.get(DISTRICT_METRIC)
        assert city is not None and by_district is not None
        values = {a.slug: self.district_metric.get(a.slug, 99.8) for a in self.areas.areas}
        judged = {
            s: (v, status_of(v, by_district.thresholds, stale=False)) for s, v in values.items()
        }
        city_status = status_of(self.city_metric, city.thresholds, stale=False)
        return (
            MetricView(city, self.city_metric, city_status, T0, self.city_metric_error),
            MetricView(
                by_district, None, worst([s for _v, s in judged.values()]), T0, None, judged
            ),
        )

    def snapshot(self) -> WallSnapshot:
        districts = tuple(
            self.area(a.slug, a.name_vi, a.name_en,
                      None if a.slug in self.unknown else a.slug not in self.offline)
            for a in self.areas.areas
        )  # fmt: skip
        city = self.area(CITY, "Toàn thành phố", "Whole city", None)
        return WallSnapshot(T0, city, districts, (), (), (), (), (), (), self.views())

    def conditions(self, rulebook: Rulebook) -> list[Condition]:
        """What the evaluator's cycle finds: the snapshot's metrics, as it passes them."""
        snapshot = self.snapshot()
        return rulebook.conditions(snapshot, snapshot.metrics, self.ingest)


@pytest.fixture(scope="module")
def rules(areas):
    return load_rules(DEFAULT_ALARMS_FILE, areas.slugs)


@pytest.fixture(scope="module")
def rulebook(rules, areas):
    return Rulebook(rules, areas)


def severity(kind: str, *, warn: bool = False) -> str:
    """The severity the shipped file gives a kind (its warn_severity for a warning)."""
    return SHIPPED["kinds"][kind]["warn_severity" if warn else "severity"]


# --- each kind raises what the issue says ----------------------------------------------
# (name, how the world differs from a healthy one, [(kind, district, subject, warn?)])
Change = Callable[[World], None]
RAISING: list[tuple[str, Change, list[tuple[str, str | None, str, bool]]]] = [
    ("ioc_offline", lambda w: w.offline.add("cai-rang"),
     [("ioc_offline", "cai-rang", "ioc", False)]),
    # Both wifi KPIs stale are one feed: one alarm, named for the feed.
    ("feed_stale", lambda w: w.changed.update({"ninh-kieu": stale("wifi_up", "wifi_uptime")}),
     [("feed_stale", "ninh-kieu", "wifi", False)]),
    ("kpi_alarm district", lambda w: w.changed.update({"o-mon": {
        "traffic_speed": kpi("traffic_speed", 12.0)}}),
     [("kpi_alarm", "o-mon", "traffic_speed", False)]),
    ("kpi_alarm warn is lower", lambda w: w.changed.update({"o-mon": {
        "traffic_speed": kpi("traffic_speed", 20.0)}}),
     [("kpi_alarm", "o-mon", "traffic_speed", True)]),
    ("kpi_alarm city-wide", lambda w: w.changed.update({CITY: {
        "backlog_on_time": kpi("backlog_on_time", 880.0, 88.0)}}),
     [("kpi_alarm", None, "backlog_on_time", False)]),
    ("metric_alarm city-wide", lambda w: setattr(w, "city_metric", 94.0),
     [("metric_alarm", None, CITY_METRIC, False)]),
    ("metric_alarm by district", lambda w: w.district_metric.update({"binh-thuy": 90.0}),
     [("metric_alarm", "binh-thuy", DISTRICT_METRIC, False)]),
    ("metric_error", lambda w: setattr(w, "city_metric_error", "database is locked"),
     [("metric_error", None, CITY_METRIC, False)]),
    ("ingest store refuses writes", lambda w: setattr(w, "ingest", IngestHealth(True, False, 0.0)),
     [("ingest_degraded", None, "store_refused", False)]),
    ("ingest broker lost", lambda w: setattr(w, "ingest", IngestHealth(False, True, 0.0)),
     [("ingest_degraded", None, "broker_lost", False)]),
    ("ingest dead letters", lambda w: setattr(w, "ingest", IngestHealth(False, False, 75.0)),
     [("ingest_degraded", None, "dead_letters", False)]),
]  # fmt: skip


def case(name: str) -> Change:
    """One raising case's change, by its name."""
    return next(change for case_name, change, _expected in RAISING if case_name == name)


def test_a_healthy_city_raises_nothing(rulebook, areas):
    assert World(areas).conditions(rulebook) == []


def test_the_cases_cover_every_kind():
    assert {kind for _n, _c, expected in RAISING for kind, *_ in expected} == set(KINDS)


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in RAISING],
                         ids=[c[0] for c in RAISING])  # fmt: skip
def test_each_kind_is_raised_with_its_place_and_shipped_severity(rulebook, areas, change,
                                                                 expected):  # fmt: skip
    world = World(areas)
    change(world)
    found = world.conditions(rulebook)
    assert [(c.kind, c.district, c.subject, c.severity) for c in found] == [
        (kind, district, subject, severity(kind, warn=warn))
        for kind, district, subject, warn in expected
    ]
    for condition in found:
        assert condition.key == f"{condition.kind}:{condition.district or CITY}:{condition.subject}"
        vi, en = condition.message_vi, condition.message_en
        assert vi.strip() and en.strip() and vi != en
        for message in (vi, en):  # no untranslated key, no unfilled field
            assert "alarm_msg" not in message and "{" not in message


@pytest.mark.parametrize(
    ("change", "place_vi", "place_en"),
    [
        (case("ioc_offline"), "Cái Răng", "Cai Rang"),
        (case("feed_stale"), "Ninh Kiều", "Ninh Kieu"),
        (case("kpi_alarm district"), "Ô Môn", "O Mon"),
        (case("kpi_alarm city-wide"), t("alarm_city", "vi"), t("alarm_city", "en")),
        (case("metric_alarm by district"), "Bình Thủy", "Binh Thuy"),
    ],
    ids=["offline", "stale", "kpi", "city kpi", "district metric"],
)
def test_a_message_names_the_place_in_its_language(rulebook, areas, change, place_vi, place_en):
    world = World(areas)
    change(world)
    (condition,) = world.conditions(rulebook)
    assert place_vi in condition.message_vi and place_en in condition.message_en


def test_messages_carry_what_the_operator_acts_on(rulebook, areas):
    world = World(areas)
    case("kpi_alarm district")(world)  # o-mon speed 12 km/h
    world.city_metric_error = "database is locked"
    world.ingest = IngestHealth(False, False, 75.0)
    texts = {c.kind: (c.message_vi, c.message_en) for c in world.conditions(rulebook)}
    assert "12" in texts["kpi_alarm"][0] and "12" in texts["kpi_alarm"][1]
    assert t("kpi_traffic_speed", "en") in texts["kpi_alarm"][1]
    assert all("database is locked" in m for m in texts["metric_error"])
    assert "75" in texts["ingest_degraded"][1] and "60" in texts["ingest_degraded"][1]


# --- a normal input next to each kind raises nothing -------------------------------------
NORMAL: list[tuple[str, Change]] = [
    # A district that never said anything yet is unknown, not offline.
    ("ioc_offline: presence unknown", lambda w: w.unknown.add("cai-rang")),
    ("feed_stale: a KPI with no data yet is not a stale feed", lambda w: w.changed.update(
        {"ninh-kieu": {"wifi_uptime": kpi("wifi_uptime", None)}})),
    ("kpi_alarm: speed just inside warn", lambda w: w.changed.update(
        {"o-mon": {"traffic_speed": kpi("traffic_speed", 25.0)}})),
    ("kpi_alarm: an informational KPI however low", lambda w: w.changed.update(
        {"o-mon": {"traffic_flow": kpi("traffic_flow", 0.0)}})),
    # The shipped file gives metric_alarm no warn_severity: a warning raises nothing.
    ("metric_alarm: city metric at warn", lambda w: setattr(w, "city_metric", 97.0)),
    ("metric_alarm: district metric at warn", lambda w: w.district_metric.update(
        {"binh-thuy": 97.0})),
    ("metric_error: evaluated fine", lambda w: setattr(w, "city_metric_error", None)),
    ("ingest_degraded: dead letters at the limit, not above", lambda w: setattr(
        w, "ingest", IngestHealth(False, False, float(SHIPPED["ingest"][
            "dead_letters_per_minute"])))),
    ("ingest_degraded: no health known", lambda w: setattr(w, "ingest", None)),
]  # fmt: skip


@pytest.mark.parametrize("change", [c[1] for c in NORMAL], ids=[c[0] for c in NORMAL])
def test_a_normal_input_raises_nothing(rulebook, areas, change):
    world = World(areas)
    change(world)
    assert world.conditions(rulebook) == []


def test_the_shipped_file_raises_metric_warnings_not_at_all(rules):
    assert "warn_severity" not in SHIPPED["kinds"]["metric_alarm"]
    assert rules.kinds["metric_alarm"].warn_severity is None
    assert rules.kinds["kpi_alarm"].warn_severity == SHIPPED["kinds"]["kpi_alarm"]["warn_severity"]


# --- the ingest health as /healthz writes it -------------------------------------------


def health(*, refusing: bool, connected: bool, ingestors: int = 1) -> dict[str, object]:
    """The parts of ``OpsService.health``'s document the rules read."""
    beats = [{"id": f"ingest-{i}", "broker": "mqtt://127.0.0.1:1883", "connected": connected,
              "last_seen": "2026-11-25T00:59:58Z", "reconnects": 0, "session_losses": 0}
             for i in range(ingestors)]  # fmt: skip
    return {"status": "ok", "store": {"refusing": refusing, "refused_recently": int(refusing)},
            "mqtt": {"connected": connected, "ingestors": beats}}  # fmt: skip


@pytest.mark.parametrize(
    ("doc", "dead", "subjects"),
    [
        (health(refusing=False, connected=True), 0.0, []),
        (health(refusing=True, connected=True), 0.0, ["store_refused"]),
        (health(refusing=False, connected=False), 0.0, ["broker_lost"]),
        # No ingestor has beaten yet: nothing says the broker was ever there to lose.
        (health(refusing=False, connected=False, ingestors=0), 0.0, []),
        (health(refusing=True, connected=False), 61.0,
         ["store_refused", "broker_lost", "dead_letters"]),
    ],
    ids=["healthy", "refusing", "broker lost", "no ingestor yet", "all three"],
)  # fmt: skip
def test_ingest_health_from_the_health_document(rulebook, areas, doc, dead, subjects):
    world = World(areas, ingest=IngestHealth.from_health(doc, dead))
    found = world.conditions(rulebook)
    assert [(c.kind, c.district, c.subject, c.severity) for c in found] == [
        ("ingest_degraded", None, s, severity("ingest_degraded")) for s in subjects
    ]


# --- one outage, one alarm --------------------------------------------------------------


def test_an_offline_district_raises_only_its_offline_alarm(rulebook, areas):
    world = World(areas, offline={"cai-rang"})
    # Its feeds went silent with it, and one KPI still held from before is at alarm.
    world.changed["cai-rang"] = {**stale("traffic_flow", "traffic_speed", "wifi_up",
                                         "wifi_uptime"),
                                 "backlog_overdue": kpi("backlog_overdue", 9.0, 12.0)}  # fmt: skip
    assert world.snapshot().district("cai-rang").kpis["backlog_overdue"].status == "alarm"
    found = world.conditions(rulebook)
    assert [(c.kind, c.district, c.subject) for c in found] == [("ioc_offline", "cai-rang", "ioc")]


def test_the_suppression_is_for_the_offline_district_only(rulebook, areas):
    world = World(areas, offline={"cai-rang"})
    world.changed["cai-rang"] = stale("wifi_up", "wifi_uptime")
    world.changed["ninh-kieu"] = stale("wifi_up", "wifi_uptime")
    found = world.conditions(rulebook)
    assert sorted((c.kind, c.district, c.subject) for c in found) == [
        ("feed_stale", "ninh-kieu", "wifi"), ("ioc_offline", "cai-rang", "ioc")]  # fmt: skip


def test_back_online_with_its_feeds_still_silent_raises_the_stale_feeds(rulebook, areas):
    world = World(areas)  # cai-rang online again, its wifi not yet reporting
    world.changed["cai-rang"] = stale("wifi_up", "wifi_uptime")
    found = world.conditions(rulebook)
    assert [(c.kind, c.district, c.subject) for c in found] == [("feed_stale", "cai-rang", "wifi")]


# --- the on-delay, through the state machine -------------------------------------------


def stored(condition: Condition, at: datetime) -> Alarm:
    """The alarm the evaluator stores for a raise step."""
    return Alarm(1, condition.key, condition.kind, condition.district, condition.subject,
                 condition.severity, "active_unacked", condition.message_vi,
                 condition.message_en, at)  # fmt: skip


def run(rules, rulebook, cycles: list[tuple[float, World]]) -> list[tuple[float, str]]:
    """Evaluate cycles (seconds after T0, the world then), keeping the alarms raised open."""
    timers, open_alarms, steps = Timers(), [], []
    for second, world in cycles:
        now = T0 + timedelta(seconds=second)
        for change in step(rules, timers, open_alarms, world.conditions(rulebook), now):
            steps.append((second, change.action))
            if change.action == "raise" and change.condition is not None:
                open_alarms.append(stored(change.condition, now))
    return steps


def world_of(areas, kind: str) -> World:
    world = World(areas)
    next(change for _name, change, expected in RAISING if expected[0][0] == kind)(world)
    return world


@pytest.mark.parametrize("kind", KINDS)
def test_a_condition_shorter_than_its_on_delay_raises_nothing(rules, rulebook, areas, kind):
    delay = SHIPPED["kinds"][kind]["on_delay_s"]
    if delay == 0:
        assert rules.kinds[kind].on_delay_s == 0  # raised at once: nothing is too short
        assert len(run(rules, rulebook, [(0, world_of(areas, kind))])) == 1
        return
    abnormal, normal = world_of(areas, kind), World(areas)
    # Held for delay - 1 s, normal for a cycle, back for delay - 1 s: never long enough.
    cycles = [(0, abnormal), (delay / 2, abnormal), (delay - 1, abnormal), (delay, normal),
              (delay + 1, abnormal), (2 * delay, abnormal)]  # fmt: skip
    assert run(rules, rulebook, cycles) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_condition_longer_than_its_on_delay_raises_exactly_one_alarm(rules, rulebook, areas,
                                                                       kind):  # fmt: skip
    delay = SHIPPED["kinds"][kind]["on_delay_s"]
    abnormal = world_of(areas, kind)
    seconds = [0, delay / 2, delay, delay + 1, delay + 30, 3 * delay + 60]
    steps = run(rules, rulebook, [(s, abnormal) for s in sorted(set(seconds))])
    assert steps == [(delay, "raise")]
