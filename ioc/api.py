"""The read-only JSON API, for other systems and for tests."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify, request

from ioc.build import build_id
from ioc.clock import parse_utc
from ioc.district_view import parse_view
from ioc.identity import current
from ioc.scope import viewer_scope
from ioc.services.container import get_services
from ioc.telemetry import FeedAges, exposition

api = Blueprint("api", __name__)


def _error(status: int, message: str, **extra: str) -> Response:
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


@api.get("/healthz")
def healthz() -> Response:
    """Health of the store and the broker link (503 when the database is down)."""
    doc, database_ok = get_services().ops.health(datetime.now(UTC))
    response = jsonify(doc)
    response.status_code = 200 if database_ok else 503
    return response


@api.get("/api/v1/ping")
def ping() -> Response:
    """Answer at once: how a wall tells the server is reachable, and its access still good.

    ``access``: "ok" (this browser is someone, or a screen with a valid token),
    "withdrawn" (its wall token was revoked) or "none" (signed out, or never in).
    """
    now = datetime.now(UTC).isoformat()
    found = current()
    access = "ok" if found.viewer is not None else (found.problem or "none")
    access = access if access in ("ok", "withdrawn") else "none"
    response = jsonify({"ok": True, "build": build_id(), "time": now, "access": access})
    response.headers["Cache-Control"] = "no-store"
    return response


@api.get("/api/v1/districts")
def districts() -> Response:
    """Every district the viewer may see, with presence and per-feed freshness."""
    return jsonify(get_services().live.overview(datetime.now(UTC), viewer_scope().limit))


@api.get("/api/v1/districts/<slug>/live")
def district_live(slug: str) -> Response:
    """One district's live aggregates and sources (the scope is checked in ioc/scope.py)."""
    live = get_services().live.district(slug, datetime.now(UTC))
    if live is None:
        return _error(404, "unknown district", slug=slug[:64])
    return jsonify(live)


@api.get("/api/v1/districts/<slug>/report")
def district_report(slug: str) -> Response:
    """What the district page shows for the same parameters (tab, range, from, to, source).

    The viewer's scope is checked before this runs (ioc/scope.py).
    """
    services = get_services()
    if slug not in services.areas:
        return _error(404, "unknown district", slug=slug[:64])
    view = parse_view(slug, request.args.to_dict(flat=True), default_lang=services.settings.lang)
    report = services.district.report(view)
    if report is None:  # not after the check above; the service says None for an unknown slug
        return _error(404, "unknown district", slug=slug[:64])
    return jsonify(report.as_json())


@api.get("/api/v1/metrics")
def metrics() -> Response:
    """Every database metric: value, unit, status, as_of, error, per district where broken down.

    A viewer limited to some districts gets their districts' values only, and
    no city value of a metric broken down by district (it sums the others).
    """
    views = get_services().metrics.current(datetime.now(UTC))
    limit = viewer_scope().limit
    return jsonify([view.within(limit).as_json() for view in views])


def feed_ages() -> list[tuple[str, str, float | None]]:
    """Seconds since each district's feed last reported (None: never), for Prometheus."""
    now = datetime.now(UTC)
    found = []
    for district in get_services().live.overview(now, None):
        for feed, state in district["feeds"].items():
            as_of = parse_utc(state.get("as_of"))
            age = None if as_of is None else max(0.0, (now - as_of).total_seconds())
            found.append((district["district"], feed, age))
    return found


@api.get("/metrics")
def prometheus_metrics() -> Response:
    """The ``ioc_`` metrics in Prometheus' text format (ioc/telemetry.py).

    Off with IOC_PROMETHEUS=0 or when IOC_PROMETHEUS_PORT serves them elsewhere. With
    IOC_PROMETHEUS_TOKEN, only for ``Authorization: Bearer <token>``; without one, open
    only while anyone may read the app anyway (IOC_AUTH=none).
    """
    settings = get_services().settings
    if not settings.prometheus or settings.prometheus_port is not None:
        return _error(404, "metrics are off here (IOC_PROMETHEUS, IOC_PROMETHEUS_PORT)")
    if settings.prometheus_token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), settings.prometheus_token.encode()
        ):
            response = _error(401, "send Authorization: Bearer <IOC_PROMETHEUS_TOKEN>")
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    elif settings.auth != "none":
        return _error(403, "set IOC_PROMETHEUS_TOKEN (or IOC_PROMETHEUS_PORT) to read metrics")
    text, content_type = exposition([FeedAges(feed_ages)])
    return Response(text, status=200, content_type=content_type)


@api.get("/api/v1/ingest/stats")
def ingest_stats() -> Response:
    """Accepted, duplicate and rejected message counts."""
    return jsonify(get_services().ops.ingest_stats())


@api.route("/api/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(rest: str) -> Response:
    """Answer unknown API paths in JSON rather than with a page."""
    return _error(404, "no such API endpoint", path=f"/api/{rest}"[:200])
