"""Services: what pages and the API ask; built once per app, reached through one accessor."""

from __future__ import annotations

from dataclasses import dataclass

import flask
from sqlalchemy import Engine

from ioc.areas import AreaCatalogue
from ioc.config import Settings
from ioc.services.live import LiveService
from ioc.services.ops import OpsService

EXTENSION_KEY = "ioc_services"


@dataclass
class Services:
    """Everything a request may need, bound to one store."""

    settings: Settings
    engine: Engine
    areas: AreaCatalogue
    live: LiveService
    ops: OpsService

    @classmethod
    def build(cls, settings: Settings, engine: Engine, areas: AreaCatalogue) -> Services:
        """Wire the services on one engine."""
        return cls(
            settings, engine, areas, LiveService(settings, engine, areas), OpsService(engine)
        )


def get_services() -> Services:
    """The services of the app handling the current request."""
    return flask.current_app.extensions[EXTENSION_KEY]
