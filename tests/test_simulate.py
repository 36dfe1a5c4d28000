"""The demo simulator: value shapes without a broker, then a run against a real one."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.demo.broker import EmbeddedBroker
from feeds.demo.models import (
    BacklogState,
    Source,
    backlog_payload,
    backlog_start,
    backlog_step,
    bad_messages,
    is_working_time,
    sources_for,
    traffic_level,
    traffic_payload,
    wifi_level,
    wifi_payload,
    wifi_start,
    wifi_step,
    worked_hours_today,
)
from feeds.demo.places import contains, outlines
from feeds.mqtt import free_port, make_client
from feeds.simulate import Simulator, build_parser, main
from ioc.areas import load_areas
from ioc.clock import LOCAL_TZ
from ioc.config import DEFAULT_AREAS_FILE, load_settings
from ioc.contract import (
    REASONS,
    SOURCE,
    SUBSCRIPTION,
    Reading,
    Rejection,
    StatusReport,
    validate,
)

AREAS = load_areas(DEFAULT_AREAS_FILE)
BY_SLUG = {area.slug: area for area in AREAS.areas}
MONDAY = datetime(2024, 3, 4, tzinfo=LOCAL_TZ)  # a Monday
SATURDAY = MONDAY + timedelta(days=5)


def at(day: datetime, hour: int, minute: int = 0) -> datetime:
    """Return a local time on a day."""
    return day.replace(hour=hour, minute=minute)


def counts(slug: str, feed: str, scale: float = 1.0) -> int:
    """Count an area's sources of one feed."""
    return sum(1 for src in sources_for(BY_SLUG[slug], scale) if src.feed == feed)


@pytest.mark.parametrize("kind", ["quan", "huyen"])
@pytest.mark.parametrize(
    ("busy", "quiet"),
    [
        ((MONDAY, 7, 30), (MONDAY, 3, 0)),
        ((MONDAY, 17, 15), (MONDAY, 3, 0)),
        ((MONDAY, 7, 30), (MONDAY, 13, 0)),
        ((MONDAY, 17, 15), (MONDAY, 14, 0)),
        ((MONDAY, 12, 0), (MONDAY, 2, 0)),
        ((MONDAY, 7, 30), (SATURDAY, 7, 30)),
    ],
)
def test_traffic_peaks_above_quieter_times(kind, busy, quiet):
    assert traffic_level(at(*busy), kind) > traffic_level(at(*quiet), kind)


def test_urban_traffic_busier_than_rural_at_peak():
    assert traffic_level(at(MONDAY, 7, 30), "quan") > traffic_level(at(MONDAY, 7, 30), "huyen")


def test_speed_lower_at_peak_than_at_night():
    rng = random.Random(1)
    src = sources_for(BY_SLUG["ninh-kieu"])[0]
    now = datetime.now(UTC)

    def mean_speed(hour: int) -> float:
        runs = [traffic_payload(src, "quan", at(MONDAY, hour, 30), now, rng) for _ in range(50)]
        return sum(p.speed_kmh for p in runs) / len(runs)

    assert mean_speed(7) < mean_speed(3) - 10


@pytest.mark.parametrize(
    ("slug", "feed", "low", "high"),
    [
        ("ninh-kieu", "traffic", 40, 40),
        ("binh-thuy", "traffic", 15, 25),
        ("cai-rang", "traffic", 15, 25),
        ("o-mon", "traffic", 15, 25),
        ("thot-not", "traffic", 15, 25),
        ("phong-dien", "traffic", 6, 10),
        ("co-do", "traffic", 6, 10),
        ("thoi-lai", "traffic", 6, 10),
        ("vinh-thanh", "traffic", 6, 10),
        ("ninh-kieu", "wifi", 30, 30),
        ("vinh-thanh", "wifi", 54, 54),
        ("co-do", "wifi", 10, 25),
        ("o-mon", "wifi", 10, 25),
        ("thoi-lai", "backlog", 3, 3),
    ],
)
def test_source_counts(slug, feed, low, high):
    assert low <= counts(slug, feed) <= high


def test_urban_denser_than_rural_and_scale_multiplies():
    rural = [a.slug for a in AREAS.areas if a.kind == "huyen"]
    urban = [a.slug for a in AREAS.areas if a.kind == "quan"]
    assert min(counts(s, "traffic") for s in urban) > max(counts(s, "traffic") for s in rural)
    assert counts("ninh-kieu", "traffic", 2.0) == 80
    assert counts("co-do", "traffic", 0.01) == 1


def test_vinh_thanh_has_one_access_point_per_hamlet():
    aps = [s for s in sources_for(BY_SLUG["vinh-thanh"]) if s.feed == "wifi"]
    assert [s.source for s in aps] == [f"ap-{i:02d}" for i in range(1, 55)]
    assert all(s.name.startswith("Ấp ") for s in aps)


def test_source_ids_are_unique_and_valid():
    for area in AREAS.areas:
        sources = sources_for(area, 1.5)
        assert len({(s.feed, s.source) for s in sources}) == len(sources)
        assert all(SOURCE.match(s.source) and len(s.name) <= 120 for s in sources)
        assert {s.source for s in sources if s.feed == "backlog"} >= {
            "desk-1cua",
            "online",
            "hotline-1022",
        }
    assert sources_for(BY_SLUG["ninh-kieu"])[0].name == "Cầu Ninh Kiều"


@pytest.mark.parametrize(
    ("when", "working"),
    [
        (at(MONDAY, 6, 59), False),
        (at(MONDAY, 7, 0), True),
        (at(MONDAY, 11, 29), True),
        (at(MONDAY, 11, 30), False),
        (at(MONDAY, 12, 30), False),
        (at(MONDAY, 13, 30), True),
        (at(MONDAY, 16, 59), True),
        (at(MONDAY, 17, 0), False),
        (at(MONDAY + timedelta(days=4), 9, 0), True),
        (at(SATURDAY, 9, 0), False),
        (at(SATURDAY + timedelta(days=1), 9, 0), False),
    ],
)
def test_working_hours(when, working):
    assert is_working_time(when) is working


def test_worked_hours_today():
    assert worked_hours_today(at(MONDAY, 6, 0)) == 0
    assert worked_hours_today(at(MONDAY, 12, 0)) == 4.5
    assert worked_hours_today(at(MONDAY, 20, 0)) == 8
    assert worked_hours_today(at(SATURDAY, 12, 0)) == 0


def desk() -> Source:
    return next(s for s in sources_for(BY_SLUG["ninh-kieu"]) if s.source == "desk-1cua")


@pytest.mark.parametrize(
    ("when", "grows"),
    [(at(MONDAY, 9), True), (at(MONDAY, 12, 15), False), (at(SATURDAY, 9), False)],
)
def test_backlog_intake_only_in_working_hours(when, grows):
    rng, src = random.Random(3), desk()
    state = BacklogState(when.date(), pending=100)
    for minute in range(60):
        backlog_step(state, src, when + timedelta(minutes=minute / 2), 30, rng)
    assert (state.received > 0) is grows
    assert (state.resolved > 0) is grows


def test_backlog_counters_reset_at_local_midnight_and_stay_consistent():
    rng, src = random.Random(4), desk()
    state = backlog_start(src, at(MONDAY, 15), rng)
    days = []  # (resolved, on time) of each finished day
    for step in range(2 * 24 * 12):  # two days, every 5 minutes
        previous = (state.day, state.resolved, state.on_time)
        backlog_step(state, src, at(MONDAY, 15) + timedelta(minutes=5 * step), 300, rng)
        if state.day != previous[0]:
            assert state.received == state.resolved == state.on_time == 0
            days.append(previous[1:])
        payload = backlog_payload(src, state, datetime.now(UTC))
        assert payload.overdue <= 0.1 * payload.pending + 1
        assert payload.resolved_on_time_today <= payload.resolved_today
    assert len(days) == 2
    resolved, on_time = (sum(column) for column in zip(*days, strict=True))
    assert resolved > 20
    assert 0.95 <= on_time / resolved <= 1


def test_wifi_outages_are_rare_and_recover():
    rng = random.Random(5)
    states = [wifi_start(0, rng) for _ in range(500)]
    down_shares, recovered = [], 0
    for minute in range(1, 24 * 60, 5):
        for state in states:
            was_up = state.up
            wifi_step(state, minute * 60.0, 300, rng)
            recovered += state.up and not was_up
        down_shares.append(sum(not s.up for s in states) / len(states))
    assert 0.005 < sum(down_shares) / len(down_shares) < 0.08
    assert recovered > 10


def test_wifi_busier_in_the_evening():
    assert wifi_level(at(MONDAY, 20)) > wifi_level(at(MONDAY, 10)) > wifi_level(at(MONDAY, 3))
    src = next(s for s in sources_for(BY_SLUG["ninh-kieu"]) if s.feed == "wifi")
    rng, now = random.Random(6), datetime.now(UTC)
    assert wifi_payload(src, False, at(MONDAY, 20), now, rng).clients == 0


def payloads(area, local_dt, rng, now):
    """Yield (topic, payload) for every source of an area at a local time."""
    for src in sources_for(area):
        if src.feed == "traffic":
            yield src, traffic_payload(src, area.kind, local_dt, now, rng, 1)
        elif src.feed == "wifi":
            state = wifi_step(wifi_start(0, rng), 60, 60, rng)
            yield src, wifi_payload(src, state.up, local_dt, now, rng, 1)
        else:
            state = backlog_step(backlog_start(src, local_dt, rng), src, local_dt, 300, rng)
            yield src, backlog_payload(src, state, now, 1)


@pytest.mark.parametrize("hour", [0, 7, 12, 17, 21])
def test_every_generated_payload_validates(hour):
    rng, now = random.Random(hour), datetime.now(UTC)
    for area in AREAS.areas:
        for src, payload in payloads(area, at(MONDAY, hour), rng, now):
            result = validate(src.topic, payload.to_json().encode(), districts=AREAS.slugs, now=now)
            assert isinstance(result, Reading), result
            assert (result.district, result.feed, result.source) == (
                src.district,
                src.feed,
                src.source,
            )
            assert result.name == src.name


@settings(max_examples=200, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
    kind=st.sampled_from(["quan", "huyen", ""]),
    seed=st.integers(0, 2**32),
)
def test_traffic_payload_always_valid(when, kind, seed):
    src, now = sources_for(BY_SLUG["ninh-kieu"])[0], datetime.now(UTC)
    payload = traffic_payload(src, kind, when.replace(tzinfo=LOCAL_TZ), now, random.Random(seed))
    result = validate(src.topic, payload.to_json().encode(), districts=AREAS.slugs, now=now)
    assert isinstance(result, Reading)
    assert 0 < result.values["speed_kmh"] <= 80


def test_bad_messages_cover_every_rejection_reason():
    now = datetime.now(UTC)
    found = []
    for reason, topic, payload in bad_messages("ninh-kieu", now):
        result = validate(topic, payload, districts=AREAS.slugs, now=now)
        assert isinstance(result, Rejection)
        assert result.reason == reason, result
        found.append(reason)
    assert sorted(found) == sorted(REASONS)


def test_parser_defaults_and_repeatable_offline():
    args = build_parser().parse_args(["--offline", "co-do", "--offline", "o-mon", "--qos", "0"])
    assert args.offline == ["co-do", "o-mon"]
    assert (args.qos, args.speedup, args.scale, args.duration) == (0, 1.0, 1.0, None)


def test_from_settings_takes_the_simulator_knobs():
    settings = load_settings(sim_speedup=5, sim_sources_scale=2, wifi_interval_s=30)
    sim = Simulator.from_settings(settings, AREAS, "mqtt://127.0.0.1:1")
    assert (sim.speedup, sim.intervals["wifi"], sim.intervals["backlog"]) == (5, 30, 300)
    assert len(sim.sources) == sum(len(sources_for(area, 2)) for area in AREAS.areas)


def test_cli_refuses_bad_options():
    for argv in (["--offline", "atlantis"], ["--speedup", "0"], ["--qos", "3"]):
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, "--duration", "0"])
        assert exit_info.value.code == 2


def test_cli_runs_and_stops_without_a_broker(capsys):
    assert main(["--url", "mqtt://127.0.0.1:1", "--duration", "0.3", "--scale", "0.1"]) == 0
    assert "demo sources in 9 areas" in capsys.readouterr().out


def test_unknown_offline_district_is_refused():
    with pytest.raises(ValueError, match="atlantis"):
        Simulator("mqtt://127.0.0.1:1", AREAS, offline=["atlantis"])


def test_simulated_clock_runs_faster_but_timestamps_stay_real():
    sim = Simulator("mqtt://127.0.0.1:1", AREAS, speedup=3600, seed=1)
    start = time.time()
    time.sleep(0.2)
    assert sim.sim_time() - start > 600
    reading = sim.reading(sim.sources[0])
    assert abs((reading.ts - datetime.now(UTC)).total_seconds()) < 1


def subscribe(url: str) -> tuple[object, list, threading.Event]:
    """Connect a subscriber to everything under ioc/v1 and collect what arrives."""
    client, address = make_client(url, client_id="test-simulate-sub", default_username="test")
    received: list[tuple[str, bytes]] = []
    ready = threading.Event()
    client.on_connect = lambda c, *_: c.subscribe(SUBSCRIPTION, qos=1)
    client.on_subscribe = lambda *_: ready.set()
    client.on_message = lambda _c, _u, m: received.append((m.topic, m.payload))
    client.connect(address.host, address.port)
    client.loop_start()
    assert ready.wait(10), "the subscriber did not subscribe"
    return client, received, ready


def wait_for(received: list, count: int, timeout: float = 10, quiet: float = 0.5) -> None:
    """Wait until at least count messages arrived and nothing more came for a while."""
    deadline, seen, last_change = time.monotonic() + timeout, -1, time.monotonic()
    while time.monotonic() < deadline:
        if len(received) != seen:
            seen, last_change = len(received), time.monotonic()
        elif seen >= count and time.monotonic() - last_change > quiet:
            return
        time.sleep(0.05)


@pytest.mark.broker
def test_simulator_against_embedded_broker():
    broker = EmbeddedBroker(free_port())
    broker.start()
    try:
        subscriber, received, _ = subscribe(broker.url)
        sim = Simulator(
            broker.url,
            AREAS,
            speedup=120,
            scale=0.3,
            seed=11,
            bad_every=1.0,
            offline=["co-do"],
            offline_after_s=0.8,
            offline_for_s=1.0,
        )
        sim.run_for(3.5)
        wait_for(received, sum(sim.published.values()) + sum(sim.bad.values()))
        subscriber.disconnect()
        subscriber.loop_stop()
    finally:
        broker.stop()

    now = datetime.now(UTC)
    results = [validate(t, p, districts=AREAS.slugs, now=now) for t, p in received]
    readings = [r for r in results if isinstance(r, Reading)]
    feeds = defaultdict(set)
    for reading in readings:
        feeds[reading.district].add(reading.feed)
        assert reading.ts <= now
    assert feeds == {slug: {"traffic", "wifi", "backlog"} for slug in AREAS.slugs}
    assert len(readings) == sum(sim.published[f] for f in ("traffic", "wifi", "backlog"))

    statuses = defaultdict(list)
    for report in results:
        if isinstance(report, StatusReport):
            statuses[report.district].append(report.online)
    assert set(statuses) == AREAS.slugs
    assert all(seen[0] is True and seen[-1] is False for seen in statuses.values())
    assert statuses["co-do"][:3] == [True, False, True]  # Last Will, then back online

    rejections = Counter(r.reason for r in results if isinstance(r, Rejection))
    assert set(rejections) == set(REASONS)
    assert rejections == sim.bad


def test_every_simulated_source_stands_inside_its_district_and_stays_there():
    sim = Simulator("mqtt://127.0.0.1:1", AREAS)
    shapes = outlines(AREAS.geojson)
    again = {s.source + s.district + s.feed: (s.lat, s.lon) for s in Simulator("x", AREAS).sources}
    for src in sim.sources:
        assert src.lat is not None and src.lon is not None, src
        assert contains(shapes[src.district], src.lon, src.lat), src
        assert again[src.source + src.district + src.feed] == (src.lat, src.lon)
        others = [slug for slug in shapes if slug != src.district]
        assert not any(contains(shapes[slug], src.lon, src.lat) for slug in others)
    payload = sim.reading(sim.sources[0])
    assert (payload.lat, payload.lon) == (sim.sources[0].lat, sim.sources[0].lon)
