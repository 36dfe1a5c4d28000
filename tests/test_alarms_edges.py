"""Alarms at their edges: odd ids and bodies on the API, and the notifiers' cursor, which
never passes over a transition committed after a later one (a web worker's ack)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ioc.alarms.evaluate import SETTLE
from ioc.alarms.notify import Outbox
from ioc.alarms.start import evaluator_for, load_rules_checked
from ioc.config import DEFAULT_KPIS_FILE
from ioc.services.kpis import load_kpis
from ioc.store import alarms as rows
from tests.test_alarms_api import _raise, _signed_in, app  # noqa: F401 - the app fixture


def test_odd_ids_and_bodies_get_clear_answers_never_a_server_error(app):  # noqa: F811
    services = app.server.extensions["ioc_services"]
    alarm_id = _raise(services.engine)
    token = services.accounts.add_token("api", "bridge", by="test", role="operator")
    bearer = {"Authorization": f"Bearer {token}"}
    client = app.server.test_client()
    for odd in ("²", "١", "12345678901234", "-1"):  # digits to str.isdigit(), not to int()
        assert client.get(f"/api/v1/alarms/{odd}", headers=bearer).status_code == 404
    broken = client.post(f"/api/v1/alarms/{alarm_id}/ack", data=b"{not json",
                         headers={**bearer, "Content-Type": "application/json"})  # fmt: skip
    assert broken.status_code == 400 and "not JSON" in broken.get_json()["error"]
    assert services.alarms.get(alarm_id).state == "active_unacked"  # nothing acknowledged
    empty = client.post(f"/api/v1/alarms/{alarm_id}/ack",
                        headers={**bearer, "Content-Type": "application/json"})  # fmt: skip
    assert empty.status_code == 200 and empty.get_json()["state"] == "active_acked"


class Collected(Outbox):
    """An outbox with no channel that keeps what it is handed (the evaluator's side only)."""

    def __init__(self) -> None:
        super().__init__(None, [])  # type: ignore[arg-type]
        self.handed: list[int] = []

    def submit(self, transition, alarm) -> None:
        self.handed.append(transition.id)


def test_a_transition_committed_late_is_handed_on_not_skipped(app, areas):  # noqa: F811
    services = app.server.extensions["ioc_services"]
    engine, settings = services.engine, services.settings
    evaluator = evaluator_for(settings, engine, areas, load_kpis(DEFAULT_KPIS_FILE), None,
                              load_rules_checked(settings, areas))  # fmt: skip
    evaluator.outbox = outbox = Collected()
    first = _raise(engine, subject="wifi")
    second = _raise(engine, subject="traffic")
    now = datetime.now(UTC)
    # On PostgreSQL ids are not committed in order (a web worker's ack may commit after a
    # later step): nothing younger than SETTLE is handed on. SQLite commits in id order.
    with engine.begin() as conn:
        ids = [t.id for t, _a in rows.transitions_after(conn, 0)]
    evaluator._hand_on(now)
    if engine.dialect.name == "postgresql":
        assert outbox.handed == []
        evaluator._hand_on(now + SETTLE + timedelta(seconds=1))
    assert outbox.handed == ids and len(ids) == 2 and first != second


def test_the_alarms_page_draws_severities_with_the_one_mark(app):  # noqa: F811
    services = app.server.extensions["ioc_services"]
    _raise(services.engine)  # a "high" alarm
    client = _signed_in(app, "operator")
    page = client.get("/alarms?lang=en").get_data(as_text=True)
    # The mark component's markup and stylesheet, as on the wall and the district page:
    # high ranks with warn, a triangle, and says its word.
    assert 'href="/assets/marks.css"' in page
    assert 'class="mark mark--warn"' in page and "▲" not in page
