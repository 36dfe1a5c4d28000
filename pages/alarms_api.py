"""The alarms' JSON API: list, one alarm with its transitions, acknowledge, shelve.

The reads are filtered by the viewer's districts (a district viewer sees its own
districts' alarms, no city-wide ones). The two POSTs need ``Can.ACKNOWLEDGE``
(ioc/scope.py: the operator role when accounts exist; whoever may take snapshots
with ``IOC_AUTH=none``), a JSON body (415 otherwise), and pass the same cross-site
check as every state-changing route of the app (pages/briefing/guard.py): from
another site they are refused, a script with an API token posts JSON freely.
Bodies are capped at 4 KiB; each step goes to the audit trail too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import flask
from flask import Blueprint

from ioc.clock import parse_utc
from ioc.identity import address
from ioc.model.alarm import Alarm
from ioc.scope import viewer, viewer_scope
from ioc.services.alarms import AlarmActionError, visible
from ioc.services.container import get_services
from pages.briefing.guard import cross_site, is_json

alarms_api = Blueprint("alarms_api", __name__)
BODY_MAX = 4096  # a note of 500 characters, in JSON, with room to spare
FILTERS = ("district", "kind", "severity")


def _error(status: int, message: str, **extra: Any) -> flask.Response:
    response = flask.jsonify({"error": message, **extra})
    response.status_code = status
    return response


def actor() -> str:
    """Who acts: the signed-in account, token or proxy user (``-`` when nobody is named)."""
    who = viewer()
    return (who.name if who is not None and who.name else "-")[:120]


def audit(action: str, alarm: Alarm, detail: str) -> None:
    """Record an operator's step in the audit trail too (ioc/services/accounts.py)."""
    get_services().accounts.audit(actor(), action, f"alarm {alarm.id}", detail[:500], address())


def visible_alarm(raw_id: str) -> Alarm | None:
    """The alarm a URL names, if it exists and the viewer may see it."""
    if not (raw_id.isascii() and raw_id.isdigit()) or len(raw_id) > 12:
        return None  # ASCII digits only: "²" is a digit to isdigit(), not to int()
    found = get_services().alarms.get(int(raw_id))
    return found if found is not None and visible(found, viewer_scope().limit) else None


def _body() -> dict[str, Any] | flask.Response:
    """The POST's JSON object, after the size, type and cross-site checks."""
    request = flask.request
    if request.content_length is not None and request.content_length > BODY_MAX:
        return _error(413, "request body too large", limit_bytes=BODY_MAX)
    if not is_json(request):
        return _error(415, "send Content-Type: application/json")
    if cross_site(request) is not None:
        return _error(403, "cross-site request refused")
    if not request.get_data():
        return {}  # no body: an acknowledgement without a note
    body = request.get_json(silent=True)
    if body is None:
        return _error(400, "the body is not JSON")
    if not isinstance(body, dict):
        return _error(400, "the body must be a JSON object")
    return body


@alarms_api.get("/api/v1/alarms")
def api_list() -> flask.Response:
    """``?state=active|all&district=&kind=&since=`` (since: RFC 3339), newest or worst first."""
    args = flask.request.args
    state = args.get("state", "active")
    if state not in ("active", "all"):
        return _error(400, "state must be active or all")
    since = None
    if args.get("since"):
        since = parse_utc(args["since"])
        if since is None:
            return _error(400, "since must be an RFC 3339 time")
    found = get_services().alarms.find(
        state=state, since=since, limit=viewer_scope().limit,
        **{name: (args.get(name) or None) for name in FILTERS},
    )  # fmt: skip
    return flask.jsonify([alarm.as_json() for alarm in found])


@alarms_api.get("/api/v1/alarms/<raw_id>")
def api_get(raw_id: str) -> flask.Response:
    """One alarm with its transitions."""
    found = visible_alarm(raw_id)
    if found is None:
        return _error(404, "no such alarm", id=raw_id[:20])
    return flask.jsonify(found.as_json(with_transitions=True))


def _action(raw_id: str) -> tuple[dict[str, Any], Alarm] | flask.Response:
    """An operator's POST: its checked JSON body and the alarm it names, or the refusal."""
    body = _body()
    if isinstance(body, flask.Response):
        return body
    found = visible_alarm(raw_id)
    if found is None:
        return _error(404, "no such alarm", id=raw_id[:20])
    return body, found


@alarms_api.post("/api/v1/alarms/<raw_id>/ack")
def api_ack(raw_id: str) -> flask.Response:
    """Acknowledge, with an optional note (JSON ``{"note"}``)."""
    asked = _action(raw_id)
    if isinstance(asked, flask.Response):
        return asked
    body, found = asked
    try:
        alarm, changed = get_services().alarms.acknowledge(
            found.id, actor=actor(), note=body.get("note"), now=datetime.now(UTC)
        )
    except AlarmActionError as err:
        return _error(err.status, str(err))
    if changed:
        audit("alarm_ack", alarm, alarm.ack_note or "")
    return flask.jsonify({**alarm.as_json(), "changed": changed})


@alarms_api.post("/api/v1/alarms/<raw_id>/shelve")
def api_shelve(raw_id: str) -> flask.Response:
    """Shelve for ``minutes`` (5 to 10080) with a ``reason`` (JSON)."""
    asked = _action(raw_id)
    if isinstance(asked, flask.Response):
        return asked
    body, found = asked
    try:
        alarm = get_services().alarms.shelve(
            found.id, actor=actor(), minutes=body.get("minutes"),
            reason=body.get("reason") if isinstance(body.get("reason"), str) else "",
            now=datetime.now(UTC),
        )  # fmt: skip
    except AlarmActionError as err:
        return _error(err.status, str(err))
    audit("alarm_shelve", alarm, f"{body.get('minutes')} min: {alarm.shelve_reason}")
    return flask.jsonify(alarm.as_json())
