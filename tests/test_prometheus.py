"""``/metrics``: what an operator's Prometheus reads, named ``ioc_…``, telling the truth."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families

from feeds.mqtt import free_port
from ioc import telemetry
from ioc.metrics.evaluate import MetricEvaluator
from pages.web import create_app
from tests.conftest import make_settings, wait_until
from tests.test_scope import _catalogue


def families(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


def value(found: dict, name: str, **labels) -> float | None:
    family = found.get(name.removesuffix("_total").removesuffix("_count").removesuffix("_sum"))
    if family is None:
        return None
    for sample in family.samples:
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return sample.value
    return None


def get(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def test_the_all_in_one_serves_metrics_that_agree_with_its_own_counts(live_app):
    def read() -> dict:
        return families(get(f"{live_app.base_url}/metrics")[1])

    stats = json.loads(get(f"{live_app.base_url}/api/v1/ingest/stats")[1])
    found = read()
    assert all(name.startswith("ioc_") for name in found), sorted(found)
    accepted = value(found, "ioc_ingest_accepted_total")
    assert accepted is not None and accepted >= stats["accepted"] > 0
    assert value(found, "ioc_ingest_batch_commit_seconds_count") > 0
    assert value(found, "ioc_ingest_queue_messages") is not None
    age = value(found, "ioc_feed_last_message_age_seconds", district="ninh-kieu", feed="traffic")
    assert age is not None and 0 <= age < 180  # the simulator reports every minute
    get(f"{live_app.base_url}/api/v1/ping")
    again = read()
    pings = value(again, "ioc_http_request_duration_seconds_count", route="/api/v1/ping",
                  method="GET")  # fmt: skip
    assert pings is not None and pings >= 1


def test_a_token_guards_metrics_and_an_app_with_accounts_needs_one(tmp_path, areas):
    url = f"sqlite:///{tmp_path / 'ioc.db'}"
    token = "prometheus-reads-this-1"
    guarded = create_app(make_settings(database_url=url, simulate=False, metrics_file=None,
                                       prometheus_token=token), areas=areas)  # fmt: skip
    client = guarded.server.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    local = create_app(make_settings(database_url=url, simulate=False, metrics_file=None,
                                     auth="local"), areas=areas)  # fmt: skip
    refused = local.server.test_client().get("/metrics")
    assert refused.status_code == 403 and "IOC_PROMETHEUS_TOKEN" in refused.get_json()["error"]
    off = create_app(make_settings(database_url=url, simulate=False, metrics_file=None,
                                   prometheus=False), areas=areas)  # fmt: skip
    assert off.server.test_client().get("/metrics").status_code == 404


def test_metrics_on_a_port_of_their_own(tmp_path, areas):
    port = free_port()
    url = f"sqlite:///{tmp_path / 'ioc.db'}"
    app = create_app(make_settings(database_url=url, simulate=False, metrics_file=None,
                                   prometheus_port=port), areas=areas)  # fmt: skip
    assert app.server.test_client().get("/metrics").status_code == 404  # not on the web port
    telemetry.serve(port, "127.0.0.1")
    assert wait_until(lambda: _answers(f"http://127.0.0.1:{port}/metrics"), timeout=10)
    assert "ioc_ingest_accepted_total" in get(f"http://127.0.0.1:{port}/metrics")[1]


def _answers(url: str) -> bool:
    try:
        return get(url)[0] == 200
    except OSError:
        return False


def test_each_database_metric_is_timed_and_its_errors_counted(tmp_path, areas, engine):
    catalogue = _catalogue(tmp_path)
    (tmp_path / "wh.db").unlink()  # the warehouse is gone: every evaluation fails
    before = families(telemetry.exposition()[0].decode())
    errors = value(before, "ioc_metric_errors_total", metric="total") or 0.0
    timed = value(before, "ioc_metric_evaluation_seconds_count", metric="total") or 0.0
    MetricEvaluator(catalogue, engine, areas.slugs).run_due()
    after = families(telemetry.exposition()[0].decode())
    assert value(after, "ioc_metric_errors_total", metric="total") == errors + 1
    assert value(after, "ioc_metric_evaluation_seconds_count", metric="total") == timed + 1


def test_a_batch_is_counted_by_outcome():
    before = families(telemetry.exposition()[0].decode())
    counts = {name: value(before, name) or 0.0
              for name in ("ioc_ingest_accepted_total", "ioc_ingest_duplicates_total")}  # fmt: skip
    bad = value(before, "ioc_ingest_rejected_total", reason="bad_json") or 0.0
    telemetry.record_batch({"accepted": 3, "status_updates": 1, "duplicates": 1,
                            "rejected:bad_json": 2}, 0.01)  # fmt: skip
    after = families(telemetry.exposition()[0].decode())
    assert value(after, "ioc_ingest_accepted_total") == counts["ioc_ingest_accepted_total"] + 4
    assert value(after, "ioc_ingest_duplicates_total") == counts["ioc_ingest_duplicates_total"] + 1
    assert value(after, "ioc_ingest_rejected_total", reason="bad_json") == bad + 2


def test_each_wall_snapshot_build_is_timed(tmp_path, areas):
    app = create_app(make_settings(database_url=f"sqlite:///{tmp_path / 'ioc.db'}",
                                   simulate=False, metrics_file=None), areas=areas)  # fmt: skip
    before = value(families(telemetry.exposition()[0].decode()),
                   "ioc_wall_snapshot_build_seconds_count") or 0.0  # fmt: skip
    now = datetime.now(UTC)
    app.server.extensions["ioc_services"].wall.snapshot(now)
    app.server.extensions["ioc_services"].wall.snapshot(now)  # the same interval: not built again
    after = families(telemetry.exposition()[0].decode())
    assert value(after, "ioc_wall_snapshot_build_seconds_count") == before + 1
