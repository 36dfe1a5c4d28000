"""A viewer scoped to one district reads that district, and no other, through every door.

The first two tests list the app's Flask routes and Dash callbacks and hold each
to the one access check of ``ioc/scope.py``, so a new route or callback cannot
be added without being classified. The others ask every route and callback, as
a viewer of Ninh Kiều would, with another district's data in the store.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import dash
import pytest

from ioc.alarms.start import evaluator_for, load_rules_checked
from ioc.config import DEFAULT_ALARMS_FILE, ROOT
from ioc.contract import Reading, StatusReport
from ioc.metrics.catalogue import load_catalogue
from ioc.metrics.evaluate import MetricEvaluator
from ioc.scope import CHECKED, ENDPOINTS
from ioc.services.kpis import load_kpis
from ioc.store import rollup_writes, writes
from pages.web import create_app
from tests.conftest import make_settings

HEADER = "X-IOC-Districts"
MINE = {HEADER: "ninh-kieu", "Origin": "http://localhost"}
ALL = {HEADER: "*", "Origin": "http://localhost"}
PAGES_ROUTER = "_pages_content"  # Dash's own callback: it runs the pages' (checked) layouts


def _catalogue(tmp_path):
    warehouse = tmp_path / "wh.db"
    with sqlite3.connect(warehouse) as conn:
        conn.execute("CREATE TABLE t (district TEXT, n INT)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [("ninh-kieu", 9), ("cai-rang", 1)])
    path = tmp_path / "metrics.toml"
    path.write_text(
        f'[databases.wh]\nurl = "sqlite:///{warehouse}"\n\n'
        '[[metrics]]\nid = "total"\ntitle_vi = "Tổng"\ntitle_en = "Total"\ndatabase = "wh"\n'
        'sql = "SELECT SUM(n) AS value FROM t"\nwarn = 5\nalarm = 2\nrefresh_s = 60\n\n'
        '[[metrics]]\nid = "per_district"\ntitle_vi = "Theo quận"\ntitle_en = "By district"\n'
        'database = "wh"\nsql = "SELECT district, n AS value FROM t"\nby_district = true\n'
        "refresh_s = 60\nwarn = 5\nalarm = 2\n"
    )
    return load_catalogue(path, root=ROOT)


def _readings(district: str, now: datetime) -> list[Reading]:
    traffic = {"vehicles": 40, "interval_s": 60, "speed_kmh": 3.0, "occupancy": 0.9}
    backlog = {"pending": 30, "overdue": 20, "received_today": 5, "resolved_today": 2,
               "resolved_on_time_today": 1}  # fmt: skip
    return [
        Reading(district, "traffic", f"{district}-cam", now, traffic, name=f"{district} cam"),
        Reading(district, "wifi", f"{district}-ap", now, {"up": False, "clients": 0},
                name=f"{district} ap"),
        Reading(district, "backlog", f"{district}-desk", now, backlog),
    ]  # fmt: skip


@pytest.fixture
def app(store_url, areas, tmp_path):
    catalogue = _catalogue(tmp_path)
    settings = make_settings(database_url=store_url, scope_header=HEADER, simulate=False)
    app = create_app(settings, areas=areas, catalogue=catalogue)
    _fill_store(app, areas, catalogue)
    app.server.test_client().get("/", headers=ALL)  # Dash registers its pages router now
    return app


def _fill_store(app, areas, catalogue) -> None:
    """Two districts' readings, status and metrics: Ninh Kiều's and Cái Răng's."""
    engine = app.server.extensions["ioc_services"].engine
    now = datetime.now(UTC) - timedelta(seconds=5)
    with engine.begin() as conn:
        new = writes.insert_readings(
            conn, _readings("ninh-kieu", now) + _readings("cai-rang", now), received_at=now
        )
        writes.upsert_latest(conn, new, received_at=now)
        rollup_writes.add_rollups(conn, new)
        writes.upsert_status(
            conn, [StatusReport("ninh-kieu", True, now), StatusReport("cai-rang", False, now)],
            received_at=now,
        )  # fmt: skip
    MetricEvaluator(catalogue, engine, areas.slugs).run_due()


def others(areas, mine=("ninh-kieu",)) -> list[str]:
    """Every way another district is named: slugs and names in both languages."""
    return [
        word
        for area in areas.areas
        if area.slug not in mine
        for word in (area.slug, area.name_vi, area.name_en)
    ]


def leaked(body: str, areas) -> list[str]:
    return [word for word in others(areas) if word in body]


def text(response) -> str:
    """The body as read, with JSON's escaped Vietnamese letters turned back into letters."""
    if response.is_json:
        return json.dumps(response.get_json(), ensure_ascii=False)
    return response.get_data(as_text=True)


def call(app, output: str, values: list, headers=MINE, client=None):
    """Post a callback as the browser does: its inputs and states, in order, with values."""
    key = next(k for k in app.callback_map if output in k)
    spec = app.callback_map[key]
    inputs = [{**d, "value": v} for d, v in zip(spec["inputs"], values, strict=False)]
    state = [{**d, "value": v}
             for d, v in zip(spec["state"], values[len(inputs):], strict=True)]  # fmt: skip
    parts = key.strip(".").split("...")
    outputs = [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]
    body = {
        "output": key,
        "outputs": outputs if key.startswith("..") else outputs[0],
        "inputs": inputs,
        "state": state,
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }
    client = client or app.server.test_client()
    return client.post("/_dash-update-component", json=body, headers=headers)


def page(app, path: str, search: str = "", headers=MINE) -> str:
    """A page's content as the pages router renders it for the browser."""
    response = call(app, PAGES_ROUTER, [path, search], headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return text(response)


# --- nothing unclassified ----------------------------------------------------------------


def test_every_route_is_classified_by_the_access_check(app):
    endpoints = {rule.endpoint for rule in app.server.url_map.iter_rules()}
    unclassified = sorted(endpoints - set(ENDPOINTS))
    assert not unclassified, f"classify these in ioc/scope.py ENDPOINTS: {unclassified}"
    assert not set(ENDPOINTS) - endpoints, "ENDPOINTS names a route the app no longer has"


def test_every_callback_and_page_layout_passes_the_access_check(app):
    server_side = {k: v for k, v in app.callback_map.items() if "callback" in v}
    assert any(PAGES_ROUTER in key for key in server_side)
    assert len(server_side) >= 5  # the wall, the status page, the district page's two, router
    for key, spec in server_side.items():
        if PAGES_ROUTER in key:
            continue
        assert getattr(spec["callback"], CHECKED, False), f"{key[:80]}: use scoped_callback"
    for module, registered in dash.page_registry.items():
        assert getattr(registered["layout"], CHECKED, False), f"{module}: use @scoped_layout"


def test_an_unclassified_route_is_refused_to_a_scoped_viewer(store_url, areas):
    settings = make_settings(database_url=store_url, scope_header=HEADER, metrics_file=None)
    app = create_app(settings, areas=areas)
    app.server.add_url_rule("/new-thing", "new_thing", lambda: "every district's secrets")
    client = app.server.test_client()
    assert client.get("/new-thing", headers=MINE).status_code == 403
    assert client.get("/new-thing", headers=ALL).status_code == 200


# --- each route and callback, as the viewer of Ninh Kiều ---------------------------------


def test_the_districts_api_lists_only_the_viewers_districts(app, areas):
    client = app.server.test_client()
    response = client.get("/api/v1/districts", headers=MINE)
    assert [d["district"] for d in response.get_json()] == ["ninh-kieu"]
    assert leaked(text(response), areas) == []
    everything = client.get("/api/v1/districts", headers=ALL).get_json()
    assert len(everything) == len(areas.areas)
    assert client.get("/api/v1/districts").get_json() == []  # no header: no district


def test_the_metrics_api_keeps_city_values_that_do_not_break_down_and_own_districts(app, areas):
    client = app.server.test_client()
    mine = {m["id"]: m for m in client.get("/api/v1/metrics", headers=MINE).get_json()}
    assert mine["total"]["value"] == 10.0 and mine["total"]["status"] == "ok"
    per = mine["per_district"]
    assert per["districts"] == {"ninh-kieu": {"value": 9.0, "status": "ok"}}
    # Cái Răng's 1 is an alarm: the viewer's metric judges Ninh Kiều's 9 alone.
    assert per["status"] == "ok" and per["value"] is None
    assert leaked(text(client.get("/api/v1/metrics", headers=MINE)), areas) == []
    seen = {m["id"]: m for m in client.get("/api/v1/metrics", headers=ALL).get_json()}
    assert set(seen["per_district"]["districts"]) == {"ninh-kieu", "cai-rang"}
    assert seen["per_district"]["status"] == "alarm"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/districts/{}/live", "/api/v1/districts/{}/report?tab=wifi",
     "/district/{}/export/wifi_aps.csv?lang=en"],
)  # fmt: skip
def test_routes_bound_to_a_district_open_only_the_viewers(app, path):
    client = app.server.test_client()
    assert client.get(path.format("ninh-kieu"), headers=MINE).status_code == 200
    refused = client.get(path.format("cai-rang"), headers=MINE)
    assert refused.status_code == 403
    assert "cai-rang" not in refused.get_data(as_text=True) or path.startswith("/api/")
    if not path.startswith("/api/"):  # a page in the viewer's language, naming no district
        assert "Access denied" in refused.get_data(as_text=True)
    assert client.get(path.format("atlantis"), headers=MINE).status_code == 404
    assert client.get(path.format("cai-rang"), headers=ALL).status_code == 200


def test_the_page_shells_and_dash_layout_hold_no_district_data(app, areas):
    client = app.server.test_client()
    for path in ("/", "/wall", "/district/ninh-kieu", "/_dash-layout", "/_dash-dependencies"):
        response = client.get(path, headers=MINE)
        assert response.status_code == 200 and leaked(text(response), areas) == [], path


def test_the_status_page_and_its_refresh_list_only_the_viewers_districts(app, areas):
    body = page(app, "/")
    assert "Ninh Kiều" in body and leaked(body, areas) == []
    refreshed = call(app, "status-body.children", [3, "en"])
    assert refreshed.status_code == 200
    shown = text(refreshed)
    assert "Ninh Kieu" in shown and leaked(shown, areas) == []
    assert "Cai Rang" in text(call(app, "status-body.children", [3, "en"], ALL))


def test_the_wall_shows_a_district_viewer_only_their_district(app, areas):
    body = page(app, "/wall", "?scenes=overview,traffic,wifi,backlog,dx&district=cai-rang&lang=en")
    assert "Ninh Kieu" in body and leaked(body, areas) == []
    assert "Outside your scope, not shown" in body
    # The whole city's wall, for comparison, names the other districts.
    assert "Cai Rang" in page(app, "/wall", "?lang=en", ALL)


def _evaluate_alarms(app, areas, tmp_path) -> None:
    """One cycle of the real alarm evaluator on the store, its delays at 0 (the wall's
    alarm jump follows the active alarms)."""
    services = app.server.extensions["ioc_services"]
    rules = tmp_path / "alarms.toml"
    text_ = re.sub(r"on_delay_s = \d+", "on_delay_s = 0", DEFAULT_ALARMS_FILE.read_text("utf-8"))
    rules.write_text(text_, "utf-8")
    settings = services.settings.model_copy(update={"alarms_file": rules})
    evaluator = evaluator_for(settings, services.engine, areas, load_kpis(settings.kpis_file),
                              None, load_rules_checked(settings, areas))  # fmt: skip
    assert evaluator.cycle().conditions


def test_the_wall_callback_refuses_another_district_and_shows_no_city_figures(app, areas, tmp_path):
    _evaluate_alarms(app, areas, tmp_path)
    scenes = ["overview", "traffic", "wifi", "backlog", "dx", "district"]
    other = call(app, "wall-stamp.children", [1, "cai-rang", scenes, "en"])
    assert other.status_code == 204  # nothing updated: the view is outside the scope
    seen = call(app, "wall-stamp.children", [1, "cai-rang", scenes, "en"], ALL)
    assert seen.status_code == 200 and "Cai Rang" in text(seen)
    mine = call(app, "wall-stamp.children", [1, "ninh-kieu", scenes, "en"])
    assert mine.status_code == 200
    shown = text(mine)
    assert "Ninh Kieu" in shown and leaked(shown, areas) == []
    response = mine.get_json()["response"]
    # Both districts are in alarm; the viewer's wall jumps to theirs only.
    assert response["wall-alarm-districts"]["children"] == "ninh-kieu"
    everyone = seen.get_json()["response"]["wall-alarm-districts"]["children"]
    assert everyone == "cai-rang,ninh-kieu"  # worst first: Cái Răng's IOC is offline
    assert response["wall-district-slug"]["children"] == "ninh-kieu"
    # The city tiles say "no data": the city's sum would hold the other districts.
    assert "tile--no_data" in response["wall-city-traffic_speed-box"]["className"]


def test_a_viewer_with_no_district_gets_a_clear_wall_refusal(app, areas):
    body = page(app, "/wall", "?lang=en", {HEADER: "", "Origin": "http://localhost"})
    assert "Your account has no district assigned" in body and leaked(body, areas) == []


def test_the_district_page_and_its_callbacks_open_only_the_viewers_district(app, areas):
    content = json.loads(page(app, "/district/cai-rang", "?lang=en"))["response"]["_pages_content"]
    body = json.dumps(content, ensure_ascii=False)  # not the title: it repeats the URL's slug
    assert '"data-code": "403"' in body
    assert "Ninh Kieu" in body and leaked(body, areas) == []
    for tab in ("traffic", "wifi", "services"):
        own = json.loads(page(app, "/district/ninh-kieu", f"?tab={tab}"))["response"]
        assert "Ninh Kiều" in str(own) and leaked(json.dumps(own, ensure_ascii=False), areas) == []
    refresh = call(app, "district-kpis.children", [1, {"slug": "cai-rang", "lang": "en"}])
    assert refresh.status_code == 204
    mine = call(app, "district-kpis.children", [1, {"slug": "ninh-kieu", "lang": "en"}])
    assert mine.status_code == 200
    state = {"slug": "cai-rang", "lang": "en", "tab": "traffic"}
    jump = call(app, "district-nav.href", [1, "2026-01-01", "2026-01-02", state])
    assert jump.status_code == 204


def test_the_briefing_shows_only_the_viewers_snapshots(app, areas):
    client = app.server.test_client()
    for district in ("cai-rang", "ninh-kieu"):
        taken = client.post("/api/v1/snapshots", json={"district": district}, headers=ALL)
        assert taken.status_code == 201
    listed = client.get("/api/v1/snapshots", headers=MINE).get_json()
    snapshots = listed.get("snapshots", listed) if isinstance(listed, dict) else listed
    assert {s["scope"] for s in snapshots} == {"ninh-kieu"}
    other = client.post("/api/v1/snapshots", json={"district": "cai-rang"}, headers=MINE)
    assert other.status_code == 403
    first = client.get("/api/v1/snapshots/1", headers=MINE)
    assert first.status_code == 403
    body = client.get("/briefing?lang=en", headers=MINE).get_data(as_text=True)
    assert "Ninh Kieu" in body and leaked(body, areas) == []
