"""Every role, every route, every callback: who gets data and who is refused.

The app runs with ``IOC_AUTH=local`` and real accounts and tokens, signed in through
the real form. ``ROUTES`` names a request for every endpoint the app has, and the
first test fails when an endpoint has no row here: a new route cannot be added
without saying, in this table, who may use it. The expectations are written out by
hand from the issue's table of roles, not read from ``ioc/scope.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ioc.model.alarm import Condition
from ioc.store import alarms as alarm_rows
from pages.web import create_app
from tests.conftest import make_settings
from tests.test_scope import _catalogue, _fill_store, call, leaked, text

PASSWORD = "mat-khau-rat-dai-1"
HUMANS = ("leader", "district", "operator", "admin")
TOKENS = ("wall", "api_leader", "api_district")
EVERYONE = ("nobody", *HUMANS, *TOKENS)
ORIGIN = {"Origin": "http://localhost"}

# endpoint -> (method, url, who gets it). {city} / {other} / {mine} are snapshot ids.
OK = "ok"
READERS = ("leader", "district", "operator", "admin", "api_leader", "api_district")
ALL_SEEING = ("leader", "operator", "admin", "api_leader")
PEOPLE = HUMANS
TAKERS = ("leader", "operator", "admin", "api_leader")  # a city snapshot: not a district's
ACTORS = ("operator", "admin")  # acknowledge and shelve alarms
ROUTES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "api.healthz": ("GET", "/healthz", EVERYONE),
    "api.ping": ("GET", "/api/v1/ping", EVERYONE),
    "api.not_found": ("GET", "/api/v1/nothing-here", ()),  # 404 for all: never data
    # Prometheus' own token (test_prometheus.py); with accounts on and none set: no one.
    "api.prometheus_metrics": ("GET", "/metrics", ()),
    "api.ingest_stats": ("GET", "/api/v1/ingest/stats", READERS),
    "api.districts": ("GET", "/api/v1/districts", READERS),
    "api.metrics": ("GET", "/api/v1/metrics", READERS),
    "api.district_live": ("GET", "/api/v1/districts/cai-rang/live", ALL_SEEING),
    "api.district_report": ("GET", "/api/v1/districts/cai-rang/report?tab=wifi", ALL_SEEING),
    "district_export.district_csv": ("GET", "/district/cai-rang/export/wifi_aps.csv", ALL_SEEING),
    "briefing.briefing_plotly": ("GET", "/briefing/plotly.min.js", EVERYONE),
    "briefing.briefing_list": ("GET", "/briefing", READERS),
    "briefing.api_list": ("GET", "/api/v1/snapshots", READERS),
    "briefing.briefing_page": ("GET", "/briefing/{city}", ALL_SEEING),
    "briefing.api_get": ("GET", "/api/v1/snapshots/{city}", ALL_SEEING),
    "briefing.briefing_compare": ("GET", "/briefing/compare?a={mine}&b={mine}", READERS),
    "briefing.briefing_html": ("GET", "/briefing/{mine}/export.html", READERS),
    "briefing.briefing_pdf": ("GET", "/briefing/{city}/export.pdf?probe=1", ()),  # below
    "briefing.briefing_take": ("POST", "/briefing", TAKERS),
    "briefing.api_take": ("POST", "/api/v1/snapshots", TAKERS),
    "alarms.alarms_page": ("GET", "/alarms", READERS),
    "alarms.alarm_page": ("GET", "/alarms/{alarm}", ALL_SEEING),  # a Cái Răng alarm
    "alarms.alarm_ack": ("POST", "/alarms/{alarm}/ack", ACTORS),
    "alarms.alarm_shelve": ("POST", "/alarms/{shelf}/shelve", ACTORS),
    "alarms_api.api_list": ("GET", "/api/v1/alarms?state=all", READERS),
    "alarms_api.api_get": ("GET", "/api/v1/alarms/{alarm}", ALL_SEEING),
    "alarms_api.api_ack": ("POST", "/api/v1/alarms/{alarm}/ack", ACTORS),
    "alarms_api.api_shelve": ("POST", "/api/v1/alarms/{shelf}/shelve", ACTORS),
    "admin.admin_page": ("GET", "/admin", ("admin",)),
    "admin.admin_post": ("POST", "/admin", ("admin",)),
    "auth.login": ("GET", "/login", EVERYONE),
    "auth.login_post": ("POST", "/login", ()),  # a wrong password: 401 for all, never in
    "auth.logout": ("POST", "", ()),  # would sign the clients out: test_auth_local.py
    "auth.oidc_start": ("GET", "/auth/oidc/start", ()),  # 404 here: not in oidc mode
    "auth.oidc_callback": ("GET", "/auth/oidc/callback", ()),
    "/": ("GET", "/", PEOPLE),
    "/<path:path>": ("GET", "/district/ninh-kieu", PEOPLE),
    "/_dash-layout": ("GET", "/_dash-layout", (*PEOPLE, "wall")),
    "/_dash-dependencies": ("GET", "/_dash-dependencies", (*PEOPLE, "wall")),
    "/_reload-hash": ("GET", "/_reload-hash", PEOPLE),  # Dash's hot-reload hash: no data
    "/_dash-update-component": ("POST", "", ()),  # every callback: test below
    "static": ("GET", "/static/x", ()),
    "_dash_assets.static": ("GET", "/assets/auth/auth.css", EVERYONE),
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": ("GET", "", ()),
    "/_favicon.ico": ("GET", "/_favicon.ico", EVERYONE),
    "favicon": ("GET", "/favicon.ico", EVERYONE),
}
WALL_SHELL = ("GET", "/wall", (*PEOPLE, "wall"))


@pytest.fixture
def app(store_url, areas, tmp_path):
    """The product in local mode, with two districts' data and one identity of each kind."""
    catalogue = _catalogue(tmp_path)
    settings = make_settings(database_url=store_url, auth="local", simulate=False,
                             snapshot_rate="100/minute")  # fmt: skip
    app = create_app(settings, areas=areas, catalogue=catalogue)
    _fill_store(app, areas, catalogue)
    return app


@pytest.fixture
def people(app):
    """A client per identity: signed in through the form, or carrying its token."""
    accounts = app.server.extensions["ioc_services"].accounts
    for role in HUMANS:
        accounts.add_account(role, role, ["ninh-kieu"] if role == "district" else None,
                             PASSWORD, by="test")  # fmt: skip
    wall = accounts.add_token("wall", "screen", by="test")
    api_leader = accounts.add_token("api", "platform", by="test", role="leader")
    api_district = accounts.add_token("api", "nk-tools", by="test", role="district",
                                      districts=["ninh-kieu"])  # fmt: skip
    clients = {"nobody": (app.server.test_client(), {})}
    for role in HUMANS:
        client = app.server.test_client()
        signed = client.post("/login", data={"name": role, "password": PASSWORD}, headers=ORIGIN)
        assert signed.status_code == 303, role
        clients[role] = (client, {})
    wall_client = app.server.test_client()
    assert wall_client.get(f"/wall?token={wall}").status_code == 200  # the screen's cookie
    clients["wall"] = (wall_client, {})
    for name, token in (("api_leader", api_leader), ("api_district", api_district)):
        clients[name] = (app.server.test_client(), {"Authorization": f"Bearer {token}"})
    return clients


def _ask(clients, who, method, url, ids):
    client, headers = clients[who]
    url = url.format(**ids)
    if method == "GET":
        return client.get(url, headers=headers)
    if url == "/admin":
        return client.post(url, data={"action": "enable", "name": "leader"},
                           headers={**headers, **ORIGIN})  # fmt: skip
    if url == "/briefing":
        return client.post(url, data={"district": "city"}, headers={**headers, **ORIGIN})
    if url == "/login":
        return client.post(url, data={"name": "x", "password": "y" * 12}, headers=ORIGIN)
    if url.startswith("/alarms/") and url.endswith("/shelve"):
        return client.post(url, data={"minutes": "30", "reason": "test"},
                           headers={**headers, **ORIGIN})  # fmt: skip
    if url.startswith("/api/v1/alarms/") and url.endswith("/shelve"):
        return client.post(url, json={"minutes": 30, "reason": "test"}, headers=headers)
    return client.post(url, json={"district": "city"}, headers=headers)


def _snapshots(app) -> dict[str, int]:
    briefing = app.server.extensions["ioc_services"].briefing
    city = briefing.take(scope="city", title="", note="", taken_by="t", trigger="manual")
    mine = briefing.take(scope="ninh-kieu", title="", note="", taken_by="t", trigger="manual")
    return {"city": city.id, "mine": mine.id, **_alarms(app)}


def _alarms(app) -> dict[str, int]:
    """Two open alarms in Cái Răng: one to acknowledge, one to shelve."""
    engine = app.server.extensions["ioc_services"].engine
    made = {}
    with engine.begin() as conn:
        for name, subject in (("alarm", "wifi"), ("shelf", "traffic")):
            found = Condition(f"feed_stale:cai-rang:{subject}", "feed_stale", "cai-rang", subject,
                              "high", "Cái Răng", "Cai Rang")  # fmt: skip
            made[name] = alarm_rows.insert_alarm(conn, found, datetime.now(UTC))
    return made


def test_every_route_of_the_app_has_a_row_in_this_table(app):
    endpoints = {rule.endpoint for rule in app.server.url_map.iter_rules()}
    assert endpoints - set(ROUTES) == set(), "add the new route to ROUTES, with who may use it"


def test_each_identity_gets_exactly_the_routes_its_role_allows(app, people, areas):
    ids = _snapshots(app)
    wrong: list[str] = []
    rows = [(k, v) for k, v in ROUTES.items() if v[1]] + [("wall shell", WALL_SHELL)]
    for endpoint, (method, url, allowed) in rows:
        if endpoint == "briefing.briefing_pdf":
            continue  # printing is slow: refused identities are checked below
        for who in EVERYONE:
            response = _ask(people, who, method, url, ids)
            granted = response.status_code < 400 and not _sign_in_redirect(response)
            if granted != (who in allowed):
                wrong.append(f"{who} {method} {url}: {response.status_code}")
            if not granted:  # a refusal names no other district's data
                assert "Cai Rang" not in text(response) and "Cái Răng" not in text(response)
    assert wrong == [], "\n".join(wrong)


def _sign_in_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def test_nobody_is_sent_to_sign_in_from_pages_and_gets_401_from_the_api(app, people):
    client, _ = people["nobody"]
    page = client.get("/district/ninh-kieu?tab=wifi")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login?lang=vi&next=%2Fdistrict%2Fninh-kieu")
    api = client.get("/api/v1/districts")
    assert api.status_code == 401 and api.headers["WWW-Authenticate"].startswith("Bearer")


def test_refusals_are_json_on_the_api_and_a_page_in_the_viewers_language_elsewhere(app, people):
    client, headers = people["district"]
    api = client.get("/api/v1/districts/cai-rang/live", headers=headers)
    assert api.status_code == 403 and api.is_json and "error" in api.get_json()
    csv = client.get("/district/cai-rang/export/wifi_aps.csv?lang=en", headers=headers)
    assert csv.status_code == 403 and csv.mimetype == "text/html"
    assert "Access denied" in csv.get_data(as_text=True)
    admin = client.get("/admin", headers=headers)
    assert admin.status_code == 403 and 'lang="vi"' in admin.get_data(as_text=True)


def test_a_pdf_export_is_refused_to_screens_and_nobody(app, people):
    ids = _snapshots(app)
    for who in ("nobody", "wall"):
        response = _ask(people, who, "GET", "/briefing/{city}/export.pdf", ids)
        assert response.status_code in (302, 401, 403), who
        assert response.mimetype != "application/pdf"


# --- callbacks -------------------------------------------------------------------------

WALL_SCENES = ["overview", "traffic", "wifi", "backlog", "dx", "district"]


def _callbacks(app):
    return {k for k, v in app.callback_map.items() if "callback" in v}


def test_every_callback_has_a_row_in_the_callback_table(app):
    named = {"wall-stamp.children", "status-body.children", "district-kpis.children",
             "district-nav.href", "_pages_content", "district-alarms.children"}  # fmt: skip
    for key in _callbacks(app):
        assert any(n in key for n in named), f"add {key[:80]} to the callback tests"


@pytest.mark.parametrize("who", EVERYONE)
def test_each_identity_gets_exactly_the_callbacks_its_role_allows(app, people, areas, who):
    client, headers = people[who]
    mine_state = {"slug": "ninh-kieu", "lang": "en", "tab": "traffic"}
    other_state = {"slug": "cai-rang", "lang": "en", "tab": "traffic"}
    asks = {
        "wall mine": ("wall-stamp.children", [1, "ninh-kieu", WALL_SCENES, "en"]),
        "wall other": ("wall-stamp.children", [1, "cai-rang", WALL_SCENES, "en"]),
        "status": ("status-body.children", [3, "en"]),
        "district mine": ("district-kpis.children", [1, mine_state]),
        "district other": ("district-kpis.children", [1, other_state]),
        "district jump": ("district-nav.href", [1, "2026-01-01", "2026-01-02", other_state]),
        "alarms mine": ("district-alarms.children", [1, mine_state]),
        "alarms other": ("district-alarms.children", [1, other_state]),
        "page status": ("_pages_content", ["/", ""]),
    }
    allowed = {
        "nobody": set(),
        "wall": {"wall mine", "wall other"},
        "api_leader": set(),
        "api_district": set(),
        "district": {"wall mine", "status", "district mine", "page status", "alarms mine"},
    }.get(who, set(asks))
    for name, (output, values) in asks.items():
        response = call(app, output, values, {**headers, **ORIGIN}, client=client)
        granted = response.status_code == 200
        if name == "page status":  # the router answers; the layout says whether there is data
            granted = granted and "Ninh" in text(response)
        assert granted == (name in allowed), f"{who} {name}: {response.status_code}"
        if granted and who == "district":
            assert leaked(text(response), areas) == [], name
