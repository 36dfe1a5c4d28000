"""The services one app holds, bound to one store; pages reach them through ``get_services``."""

from __future__ import annotations

from dataclasses import dataclass

import flask
from sqlalchemy import Engine

from ioc.areas import AreaCatalogue
from ioc.config import Settings
from ioc.model.metric import Catalogue
from ioc.services.accounts import AccountService
from ioc.services.alarms import AlarmService
from ioc.services.briefing import BriefingService
from ioc.services.district import DistrictService
from ioc.services.kpis import KpiCatalogue, load_kpis
from ioc.services.live import LiveService
from ioc.services.metrics import MetricsService
from ioc.services.ops import OpsService
from ioc.services.wall import WallService

EXTENSION_KEY = "ioc_services"


@dataclass
class Services:
    """Everything a request may need, bound to one store."""

    settings: Settings
    engine: Engine
    areas: AreaCatalogue
    live: LiveService
    ops: OpsService
    wall: WallService
    metrics: MetricsService
    district: DistrictService
    briefing: BriefingService
    accounts: AccountService
    alarms: AlarmService

    @classmethod
    def build(
        cls,
        settings: Settings,
        engine: Engine,
        areas: AreaCatalogue,
        kpis: KpiCatalogue | None = None,
        catalogue: Catalogue | None = None,
    ) -> Services:
        """Wire the services on one engine (KPI thresholds from settings unless given)."""
        kpis = kpis or load_kpis(settings.kpis_file)
        metrics = MetricsService(engine, catalogue, settings.stale_factor)
        wall = WallService(settings, engine, areas, kpis, metrics)
        district = DistrictService(settings, engine, areas, kpis, wall, metrics)
        alarms = AlarmService(
            engine,
            areas.slugs,
            flood_count=settings.alarm_flood_count,
            flood_minutes=settings.alarm_flood_minutes,
        )
        return cls(
            settings,
            engine,
            areas,
            LiveService(settings, engine, areas),
            OpsService(engine),
            wall,
            metrics,
            district,
            BriefingService(settings, engine, areas, kpis, wall, district, alarms),
            AccountService(
                engine,
                areas,
                per_account=settings.login_attempts,
                per_address=settings.login_attempts_address,
                audit_days=settings.audit_retention_days,
                session_hours=settings.session_hours,
            ),
            alarms,
        )


def get_services() -> Services:
    """The services of the app handling the current request."""
    services: Services = flask.current_app.extensions[EXTENSION_KEY]  # set by create_app
    return services
