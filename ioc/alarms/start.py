"""Setting the evaluator up from the settings: the rule file (checked), the notifiers."""

from __future__ import annotations

from sqlalchemy import Engine

from ioc.alarms.evaluate import AlarmEvaluator
from ioc.alarms.mail import Mail
from ioc.alarms.notify import Channel, Outbox, Webhook
from ioc.alarms.rules import AlarmRulesError, load_rules
from ioc.areas import AreaCatalogue
from ioc.bootstrap import StartupError
from ioc.config import Settings
from ioc.model.alarm import AlarmRules
from ioc.model.metric import Catalogue
from ioc.services.kpis import KpiCatalogue
from ioc.services.wall import WallService


def load_rules_checked(settings: Settings, areas: AreaCatalogue) -> AlarmRules:
    """Load the alarm rules, or say in one line what is wrong with the file."""
    try:
        return load_rules(settings.alarms_file, areas.slugs)
    except AlarmRulesError as err:
        raise StartupError(f"configuration error: IOC_ALARMS_FILE: {err}") from None


def base_url(settings: Settings) -> str:
    """The app's address for links in notifications (IOC_PUBLIC_URL, else host and port)."""
    return settings.public_url or f"http://{settings.host}:{settings.port}"


def channels(settings: Settings, rules: AlarmRules) -> list[Channel]:
    """The notifiers the settings ask for (none without a webhook URL or an SMTP URL)."""
    found: list[Channel] = []
    if settings.alarm_webhook_url:
        found.append(Webhook(settings.alarm_webhook_url, base_url(settings)))
    if settings.smtp_url and rules.recipients:
        found.append(Mail(settings.smtp_url, settings.smtp_from, rules.recipients,
                          base_url(settings)))  # fmt: skip
    return found


def evaluator_for(
    settings: Settings, engine: Engine, areas: AreaCatalogue, kpis: KpiCatalogue,
    catalogue: Catalogue | None, rules: AlarmRules, wall: WallService | None = None,
) -> AlarmEvaluator:  # fmt: skip
    """The evaluator with the notifiers the settings ask for (and the wall to share, if any)."""
    found = channels(settings, rules)
    outbox = Outbox(engine, found) if found else None
    return AlarmEvaluator(settings, engine, areas, kpis, catalogue, rules, outbox=outbox,
                          wall=wall)  # fmt: skip
