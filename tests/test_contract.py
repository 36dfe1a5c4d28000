"""The wire contract: every rejection code, the accepted shapes, and no crash on any input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ioc.contract import (
    REASONS,
    BacklogPayload,
    Reading,
    Rejection,
    StatusReport,
    TrafficPayload,
    WifiPayload,
    validate,
)

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # 10:00 in Can Tho
DISTRICTS = frozenset({"ninh-kieu", "vinh-thanh"})
TS = int(NOW.timestamp()) - 30
TRAFFIC = {"ts": TS, "vehicles": 42, "speed_kmh": 31.5}


def check(topic, payload):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return validate(topic, body, districts=DISTRICTS, now=NOW)


REJECTION_CASES = [
    ("ioc/v2/ninh-kieu/traffic/cam-1", TRAFFIC, "bad_topic"),
    ("ioc/v1/ninh-kieu/traffic", TRAFFIC, "bad_topic"),
    ("ioc/v1/ninh-kieu/traffic/cam-1/extra", TRAFFIC, "bad_topic"),
    ("ioc/v1/ninh-kieu/traffic/Cam-1", TRAFFIC, "bad_topic"),
    ("ioc/v1/ninh-kieu/traffic/-cam", TRAFFIC, "bad_topic"),
    ("ioc/v1/ninh-kieu/traffic/" + "c" * 65, TRAFFIC, "bad_topic"),
    ("", TRAFFIC, "bad_topic"),
    (None, TRAFFIC, "bad_topic"),
    ("ioc/v1/hau-giang/traffic/cam-1", TRAFFIC, "unknown_district"),
    ("ioc/v1/Ninh-Kieu/status", {"online": True, "ts": TS}, "unknown_district"),
    ("ioc/v1/ninh-kieu/parking/lot-1", TRAFFIC, "unknown_feed"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", b"{" + b" " * 16 * 1024 + b"}", "too_large"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", b"not json", "bad_json"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", b"\xff\xfe", "bad_json"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", b"[1, 2]", "bad_json"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", b"[" * 5000, "bad_json"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", {"vehicles": 1, "speed_kmh": 3}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", {**TRAFFIC, "vehicles": -1}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", {**TRAFFIC, "vehicles": 4.5}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", {**TRAFFIC, "vehicles": "4"}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", {**TRAFFIC, "vehicles": True}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", {**TRAFFIC, "speed_kmh": 200.5}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", {**TRAFFIC, "interval_s": 0}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", {**TRAFFIC, "occupancy": 1.2}, "invalid_payload"),
    (
        "ioc/v1/ninh-kieu/traffic/cam-1",
        b'{"ts": 1, "vehicles": 1, "speed_kmh": NaN}',
        "invalid_payload",
    ),
    (
        "ioc/v1/ninh-kieu/traffic/cam-1",
        b'{"ts": 1, "vehicles": 1, "speed_kmh": Infinity}',
        "invalid_payload",
    ),
    ("ioc/v1/ninh-kieu/traffic/cam-1", {**TRAFFIC, "ts": "2026-11-22 10:00"}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", {**TRAFFIC, "ts": "yesterday"}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", {**TRAFFIC, "ts": -5}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", {**TRAFFIC, "seq": -1}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", {**TRAFFIC, "name": "x" * 121}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/wifi/ap-1", {"ts": TS, "up": 1}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/wifi/ap-1", {"ts": TS, "up": True, "clients": -3}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/backlog/desk", {"ts": TS, "pending": 3, "overdue": 4}, "invalid_payload"),
    (
        "ioc/v1/ninh-kieu/backlog/desk",
        {"ts": TS, "pending": 3, "overdue": 1, "resolved_today": 2, "resolved_on_time_today": 3},
        "invalid_payload",
    ),
    ("ioc/v1/ninh-kieu/status", {"online": "yes", "ts": TS}, "invalid_payload"),
    ("ioc/v1/ninh-kieu/traffic/cam-1", {**TRAFFIC, "ts": TS + 301 + 30}, "future_timestamp"),
    ("ioc/v1/ninh-kieu/status", {"online": True, "ts": "2027-01-01T00:00:00Z"}, "future_timestamp"),
]


@pytest.mark.parametrize(("topic", "payload", "reason"), REJECTION_CASES)
def test_rejections(topic, payload, reason):
    result = check(topic, payload)
    assert isinstance(result, Rejection)
    assert result.reason == reason
    assert result.detail


def test_every_reason_code_is_exercised():
    assert {reason for _topic, _payload, reason in REJECTION_CASES} == set(REASONS)


@pytest.mark.parametrize(
    ("topic", "payload", "values"),
    [
        (
            "ioc/v1/ninh-kieu/traffic/cam-1",
            TRAFFIC,
            {"vehicles": 42, "interval_s": 60, "speed_kmh": 31.5, "occupancy": None},
        ),
        (
            "ioc/v1/ninh-kieu/traffic/cam-1",
            {**TRAFFIC, "speed_kmh": 30, "extra": "ignored"},
            {"vehicles": 42, "interval_s": 60, "speed_kmh": 30.0, "occupancy": None},
        ),
        (
            "ioc/v1/vinh-thanh/wifi/ap-thanh-loi",
            {"ts": TS, "up": False},
            {"up": False, "clients": None},
        ),
        (
            "ioc/v1/ninh-kieu/backlog/hotline-1022",
            {
                "ts": TS,
                "pending": 5,
                "overdue": 5,
                "resolved_today": 2,
                "resolved_on_time_today": 2,
            },
            {
                "pending": 5,
                "overdue": 5,
                "received_today": None,
                "resolved_today": 2,
                "resolved_on_time_today": 2,
            },
        ),
    ],
)
def test_accepted_readings(topic, payload, values):
    result = check(topic, payload)
    assert isinstance(result, Reading), result
    assert result.values == values
    assert result.ts == datetime.fromtimestamp(TS, UTC)


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        (TS, datetime.fromtimestamp(TS, UTC)),
        (TS + 0.5, datetime.fromtimestamp(TS + 0.5, UTC)),
        ("2026-11-22T09:59:00+07:00", datetime(2026, 11, 22, 2, 59, tzinfo=UTC)),
        ("2026-11-22T02:59:00Z", datetime(2026, 11, 22, 2, 59, tzinfo=UTC)),
        # Within the 5-minute tolerance for district clocks running ahead.
        ((NOW + timedelta(minutes=4)).isoformat(), NOW + timedelta(minutes=4)),
    ],
)
def test_timestamps_are_utc(ts, expected):
    result = check("ioc/v1/ninh-kieu/wifi/ap-1", {"ts": ts, "up": True})
    assert isinstance(result, Reading), result
    assert result.ts == expected and result.ts.tzinfo == UTC


def test_status_report():
    result = check("ioc/v1/ninh-kieu/status", {"online": False, "ts": TS})
    assert result == StatusReport("ninh-kieu", False, datetime.fromtimestamp(TS, UTC))


@pytest.mark.parametrize(
    "payload",
    [
        TrafficPayload(ts=NOW, vehicles=3, speed_kmh=22.5, seq=7, name="Cầu Cái Răng"),
        WifiPayload(ts=NOW, up=True, clients=12, name="Ấp Thạnh Lợi"),
        BacklogPayload(
            ts=NOW,
            pending=10,
            overdue=1,
            received_today=4,
            resolved_today=3,
            resolved_on_time_today=3,
        ),
    ],
)
def test_models_round_trip_through_validate(payload):
    feed = {TrafficPayload: "traffic", WifiPayload: "wifi", BacklogPayload: "backlog"}
    result = check(f"ioc/v1/ninh-kieu/{feed[type(payload)]}/src-1", payload.to_json().encode())
    assert isinstance(result, Reading)
    assert result.ts == NOW and result.name == payload.name and result.seq == payload.seq


TOPIC_PARTS = st.sampled_from(
    [
        "ioc",
        "v1",
        "ninh-kieu",
        "vinh-thanh",
        "traffic",
        "wifi",
        "backlog",
        "status",
        "cam-1",
        "+",
        "#",
        "",
        "Ninh Kiều",
        "\x00",
        "a/b",
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    topic=st.one_of(
        st.none(),
        st.text(max_size=80),
        st.lists(TOPIC_PARTS, min_size=1, max_size=6).map("/".join),
    ),
    payload=st.one_of(
        st.binary(max_size=300),
        st.dictionaries(
            st.sampled_from(
                [
                    "ts",
                    "vehicles",
                    "speed_kmh",
                    "up",
                    "pending",
                    "overdue",
                    "seq",
                    "interval_s",
                    "online",
                    "name",
                    "clients",
                    "occupancy",
                ]
            ),
            st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
        ).map(lambda d: json.dumps(d).encode()),
    ),
)
def test_any_message_gets_an_answer_and_never_raises(topic, payload):
    result = validate(topic, payload, districts=DISTRICTS, now=NOW)
    assert isinstance(result, Reading | StatusReport | Rejection)
    if isinstance(result, Rejection):
        assert result.reason in REASONS


# --- the optional position (lat/lon, WGS 84): an extra field, still contract v1 -------------


def test_a_position_is_kept_with_the_reading():
    found = check("ioc/v1/ninh-kieu/wifi/ap-1", {"ts": TS, "up": True, "lat": 10.03, "lon": 105.78})
    assert isinstance(found, Reading)
    assert (found.lat, found.lon) == (10.03, 105.78)
    plain = check("ioc/v1/ninh-kieu/wifi/ap-1", {"ts": TS, "up": True})
    assert isinstance(plain, Reading) and (plain.lat, plain.lon) == (None, None)


@pytest.mark.parametrize(
    ("position", "detail"),
    [
        ({"lat": 90.5, "lon": 105.78}, "lat: Input should be less than or equal to 90"),
        ({"lat": -91, "lon": 105.78}, "lat: Input should be greater than or equal to -90"),
        ({"lat": 10.03, "lon": 180.01}, "lon: Input should be less than or equal to 180"),
        ({"lat": 10.03, "lon": -200}, "lon: Input should be greater than or equal to -180"),
        ({"lat": "10.03", "lon": 105.78}, "lat: Input should be a valid number"),
        ({"lat": 10.03}, "lat and lon come together"),
        ({"lon": 105.78}, "lat and lon come together"),
    ],
)
def test_a_bad_position_is_refused_with_its_reason(position, detail):
    found = check("ioc/v1/ninh-kieu/traffic/cam-1", {**TRAFFIC, **position})
    assert isinstance(found, Rejection)
    assert found.reason == "invalid_payload"
    assert detail in found.detail
