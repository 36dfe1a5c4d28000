"""The Dash app factory: one store, one set of services, the pages and the JSON API."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import dash
import flask
from flask_compress import Compress
from sqlalchemy import Engine

from ioc.api import api
from ioc.areas import AreaCatalogue, load_areas
from ioc.build import build_id
from ioc.config import ROOT, Settings
from ioc.identity import SessionCookies, session_settings
from ioc.model.metric import Catalogue
from ioc.scope import install as check_scope
from ioc.services.container import EXTENSION_KEY, Services
from ioc.services.kpis import KpiCatalogue
from ioc.store.engine import make_engine, migrate
from ioc.telemetry import HTTP_LATENCY
from pages.account_bar import shell
from pages.admin import admin
from pages.alarms import alarms
from pages.alarms_api import alarms_api
from pages.auth import OPEN_WARNING, auth, warn_open
from pages.briefing.routes import briefing
from pages.district_export import export, page_status
from pages.document import install as document
from pages.security import harden

log = logging.getLogger(__name__)
PAGES = Path(__file__).resolve().parent  # Dash imports the modules here that register a page


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    areas: AreaCatalogue | None = None,
    kpis: KpiCatalogue | None = None,
    catalogue: Catalogue | None = None,
) -> dash.Dash:
    """Build the engine (migrated), the services and the Dash app; start no feeds."""
    engine = engine or make_engine(settings.database_url)
    migrate(engine)
    build_id()  # digest the served files once, at start, not on a wall's first ping
    areas = areas or load_areas(settings.areas_file)
    app = dash.Dash(
        # Dash names a page module after its folder's path below the project root that
        # this name points at: "app" (app.py's folder) makes them pages.wall, pages.district
        # and pages.status, the names the rest of the code imports them by. The server
        # keeps the name "ioc" (its logger).
        "app",
        server=flask.Flask("ioc"),
        use_pages=True,
        pages_folder=str(PAGES),
        assets_folder=str(ROOT / "assets"),
        title="IOC Cần Thơ",
        update_title=None,
        serve_locally=True,
        suppress_callback_exceptions=True,
        # Served, but not put on Dash pages: the briefing documents and the sign-in,
        # refusal and admin pages link their own.
        # (By folder: Dash's assets_ignore sees file names only, so "^briefing/" never
        # matched and briefing.css was loaded on every Dash page.)
        assets_path_ignore=["^briefing$", "^auth$"],
    )
    app.layout = shell  # the account bar above every page (pages/account_bar.py)
    document(app, settings.lang)  # <html lang> per page, 404 for unknown pages
    services = Services.build(settings, engine, areas, kpis, catalogue)
    app.server.extensions[EXTENSION_KEY] = services
    app.server.session_interface = SessionCookies()
    key = settings.secret_key or services.accounts.signing_key()
    app.server.config.update(session_settings(settings, key))
    measure(app.server)  # first: a refused request is timed too
    check_scope(app.server, areas, settings.lang)  # ioc/scope.py: every request, one check
    app.server.register_blueprint(auth)
    app.server.register_blueprint(admin)
    app.server.register_blueprint(briefing)
    app.server.register_blueprint(alarms)
    app.server.register_blueprint(alarms_api)
    app.server.register_blueprint(api)
    app.server.register_blueprint(export)
    app.server.after_request(page_status)
    compress(app.server)
    if settings.open_to_network:  # after compression in the hooks' order: it edits the page
        log.warning(OPEN_WARNING, settings.host)
        app.server.after_request(warn_open)
    # Last: its headers hook hashes inline scripts before compression (hooks run in reverse).
    harden(app.server, max_request_bytes=settings.max_request_kb * 1024)
    return app


def measure(server: flask.Flask) -> None:
    """Time every request by its route (a bounded set of labels) for Prometheus."""

    def start() -> None:
        flask.g.ioc_started = time.perf_counter()

    def observe(response: flask.Response) -> flask.Response:
        started = flask.g.get("ioc_started")
        if started is not None:
            rule = flask.request.url_rule
            route = rule.rule if rule is not None else "unmatched"
            HTTP_LATENCY.labels(route, flask.request.method).observe(time.perf_counter() - started)
        return response

    server.before_request(start)
    server.after_request(observe)


def compress(server: flask.Flask) -> None:
    """Compress responses, assets included (zstd, brotli or gzip, as the browser accepts).

    Not ``Dash(compress=True)``: Dash sets its algorithm list after flask-compress
    has read it, and streamed assets would then go out uncompressed to a
    gzip-only client and lose their 304 answers (measured; docs/performance.md).
    """
    algorithms = ["zstd", "br", "gzip"]
    server.config.update(
        COMPRESS_ALGORITHM=algorithms,
        COMPRESS_ALGORITHM_STREAMING=algorithms,
        COMPRESS_STREAMING_ENDPOINT_CONDITIONAL=[
            rule.endpoint
            for rule in server.url_map.iter_rules()
            if rule.endpoint.endswith("dash_assets.static")
        ],
    )
    Compress(server)
