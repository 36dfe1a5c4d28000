"""Settings: the one place that reads ``IOC_`` settings (environment, optional ``.env``).

A metric database's ``url_env`` names a variable of its own, read by ioc/metrics/catalogue.py.
"""

from __future__ import annotations

import logging
import re
import socket
from datetime import time
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_AREAS_FILE = ROOT / "assets" / "geo" / "can-tho-districts.geojson"
DEFAULT_KPIS_FILE = ROOT / "ioc" / "defaults" / "kpis.toml"
DEFAULT_METRICS_FILE = ROOT / "ioc" / "defaults" / "metrics.toml"
DEFAULT_ALARMS_FILE = ROOT / "ioc" / "defaults" / "alarms.toml"
DEMO_WAREHOUSE = ROOT / "var" / "demo-warehouse.db"
ENV_PREFIX = "IOC_"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConfigError(Exception):
    """A setting is missing or has a bad value; the message names the variable."""


class Settings(BaseSettings):
    """Every knob of the product, validated once at start."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        extra="ignore",
        validate_default=True,
    )

    # Web
    host: str = "127.0.0.1"
    port: int = Field(8050, ge=1, le=65535)
    lang: Literal["vi", "en"] = "vi"
    # Largest request body accepted (413 past it): forms, snapshot posts and Dash
    # callbacks are a few KiB; the cap keeps one client from holding a worker's memory.
    max_request_kb: int = Field(1024, ge=16, le=1_048_576)

    # Store
    database_url: str = "sqlite:///var/ioc.db"
    retention_days: float = Field(
        14, gt=0, description="days of raw readings kept; rollups are kept for good"
    )

    # Broker
    mqtt_url: str | None = None
    mqtt_ca_file: Path | None = None
    mqtt_client_id: str = Field(
        default_factory=lambda: f"ioc-ingest-{socket.gethostname()}"[:64],
        min_length=1,
        max_length=64,
    )
    mqtt_share_group: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    mqtt_protocol: Literal["3.1.1", "5"] = "3.1.1"
    mqtt_keepalive_s: int = Field(30, ge=5, le=3600)
    # Embedded broker (all-in-one, no IOC_MQTT_URL): 1883 unless taken.
    embedded_broker_port: int = Field(1883, ge=0, le=65535)

    # Ingestor batching: a batch is committed when it holds batch_max messages
    # or when batch_interval_ms has passed since its first message.
    batch_max: int = Field(5000, ge=1, le=100_000)
    batch_interval_ms: int = Field(100, ge=1, le=60_000)
    # "process": the store writes run in a child process, so MQTT and SQL each
    # get a core; "thread": everything in one process (simpler to debug).
    ingest_writer: Literal["process", "thread"] = "process"
    # Messages received and waiting for the store, at most this many MiB: past
    # it the ingestor stops reading from the broker, where QoS 1 messages wait.
    ingest_queue_mb: int = Field(64, ge=1, le=4096)
    # Dead letters kept per reason (newest first); every one is still counted.
    dead_letters_per_reason: int = Field(5000, ge=10, le=1_000_000)

    # Simulator: None means "on when no IOC_MQTT_URL is given".
    simulate: bool | None = None
    sim_speedup: float = Field(1.0, gt=0, le=3600)
    sim_sources_scale: float = Field(1.0, gt=0, le=100)
    # Days of demo history the all-in-one writes on a first start (empty store) when it
    # runs the simulator; 0 turns it off (feeds/demo/backfill.py).
    sim_backfill_days: float = Field(30.0, ge=0, le=92)

    # Freshness: a feed is stale with no reading within stale_factor x its
    # expected interval. Traffic sources state their own interval_s.
    stale_factor: float = Field(3.0, ge=1)
    wifi_interval_s: int = Field(60, ge=1)
    backlog_interval_s: int = Field(300, ge=1)

    areas_file: Path = DEFAULT_AREAS_FILE
    # KPI thresholds (ok / warn / alarm) for the wall: a TOML file.
    kpis_file: Path = DEFAULT_KPIS_FILE
    # Database metrics: the catalogue (TOML); empty turns database metrics off.
    # The default is the demo catalogue over the demo warehouse, built on first start.
    metrics_file: Path | None = DEFAULT_METRICS_FILE

    # Wall display: how often values refresh, and a planned page reload (at a
    # rotation boundary) every so many hours to bound the browser's memory.
    wall_refresh_ms: int = Field(1000, ge=500, le=60_000)
    wall_reload_h: float = Field(6.0, ge=0.1, le=168)

    # Viewer scope (district pages, their CSV and JSON): the name of a request
    # header, set by the authenticating proxy in front of the app, that holds
    # the districts a viewer may see ("ninh-kieu", "ninh-kieu,cai-rang" or "*").
    # Unset: every viewer sees every district. Set but absent: none.
    scope_header: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{1,64}$")

    # Who may see and do what (docs/security.md). "none": whoever reaches the app, allowed
    # only on a loopback IOC_HOST unless IOC_AUTH_ALLOW_OPEN=1; "local": accounts in the
    # store (python -m ioc.users); "oidc": the city's OpenID Connect provider; "proxy": an
    # authenticating proxy at IOC_TRUSTED_PROXIES names the user, role and districts.
    auth: Literal["none", "local", "oidc", "proxy"] = "none"
    auth_allow_open: bool = False
    # The app's address as people and screens reach it (behind a proxy: the proxy's), for
    # the wall-token URLs that python -m ioc.users prints; unset: http://IOC_HOST:IOC_PORT.
    public_url: str | None = Field(None, pattern=r"^https?://[^\s]{1,200}$")
    # Signs session cookies; unset, a key made once is kept in the store (all workers share it).
    secret_key: str | None = Field(None, min_length=32, max_length=200)
    session_hours: float = Field(12, gt=0, le=24 * 30)
    # Failed sign-ins allowed per account, and per client address, in 15 minutes.
    login_attempts: int = Field(5, ge=1, le=1000)
    login_attempts_address: int = Field(20, ge=1, le=10_000)
    audit_retention_days: float = Field(400, gt=0)
    oidc_issuer: str | None = None
    oidc_client_id: str | None = Field(None, max_length=200)
    oidc_client_secret: str | None = Field(None, max_length=500)
    oidc_scopes: str = Field("openid profile", pattern=r"^openid( [A-Za-z0-9_:.-]{1,64}){0,10}$")
    # Which claims carry the user's name, role and districts; a dotted path reaches into
    # an object (Keycloak: realm_access.roles). A list of roles gives the strongest known.
    oidc_name_claim: str = Field("preferred_username", pattern=r"^[A-Za-z0-9_.:-]{1,100}$")
    oidc_role_claim: str = Field("ioc_role", pattern=r"^[A-Za-z0-9_.:-]{1,100}$")
    oidc_districts_claim: str = Field("ioc_districts", pattern=r"^[A-Za-z0-9_.:-]{1,100}$")
    # Proxy mode: the addresses (or networks) of the proxies whose headers are believed,
    # and the header with the viewer's role (absent: district with a scope, else leader).
    trusted_proxies: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()
    role_header: str = Field("X-IOC-Role", pattern=r"^[A-Za-z0-9-]{1,64}$")

    # Briefing snapshots. The official header's issuing body, centre and place, in
    # Vietnamese and in English (kept in each snapshot as they were when taken).
    briefing_issuer: str = Field("UBND THÀNH PHỐ CẦN THƠ", min_length=1, max_length=120)
    briefing_centre: str = Field("TRUNG TÂM ĐIỀU HÀNH THÔNG MINH", min_length=1, max_length=120)
    briefing_place: str = Field("Cần Thơ", min_length=1, max_length=60)
    briefing_issuer_en: str = Field("CAN THO CITY PEOPLE'S COMMITTEE", min_length=1, max_length=120)
    briefing_centre_en: str = Field("INTELLIGENT OPERATIONS CENTRE", min_length=1, max_length=120)
    briefing_place_en: str = Field("Can Tho", min_length=1, max_length=60)
    # Scheduled city snapshots: local times (Asia/Ho_Chi_Minh) "HH:MM,HH:MM" (empty:
    # none), on these days ("mon-fri", "daily" or "mon,wed,sat"); scheduled ones
    # older than the retention are deleted (snapshots taken by hand are kept).
    briefing_times: Annotated[tuple[time, ...], NoDecode] = (time(7, 30), time(13, 30))
    briefing_days: Annotated[frozenset[int], NoDecode] = frozenset(range(5))
    briefing_retention_days: float = Field(90, gt=0)
    # Snapshots taken by hand or through the API: deleted past this many days (0: kept).
    briefing_manual_retention_days: float = Field(0, ge=0)
    # Taking snapshots (form and API), per client address and web process: "N/unit".
    snapshot_rate: str = Field("10/minute", pattern=r"^[1-9][0-9]{0,5}/(second|minute|hour|day)$")
    # Who took a snapshot: the name of a request header set by the authenticating
    # proxy (e.g. X-Forwarded-User); unset, the form's "taken by" field is used.
    user_header: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{1,64}$")
    # Chromium for PDF export: a path, or empty to look for chromium on PATH.
    chromium: Path | None = None
    # PDF exports: at most this many Chromium prints at once per web process (as
    # many more wait; past that 503), and a cache of printed PDFs (MB, 0: none).
    pdf_concurrency: int = Field(2, ge=1, le=16)
    pdf_cache_mb: int = Field(64, ge=0, le=4096)

    # Prometheus (docs/deployment.md): /metrics on the web port, on by default; or, with a
    # port, on that port alone (also the port of an ingestor run on its own); with a
    # token, only for "Authorization: Bearer <token>".
    prometheus: bool = True
    prometheus_port: int | None = Field(None, ge=1, le=65535)
    prometheus_token: str | None = Field(None, min_length=16, max_length=200)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Redis shared by the web workers (redis:// or rediss://): the wall's snapshot of an
    # interval is then built once across all workers (docs/wall.md). Unset: each worker
    # keeps its own cache. A Redis outage never stops the wall: workers build locally.
    redis_url: str | None = None

    # Alarms (docs/alarms.md): the rule file, how often the evaluator looks, how long
    # closed alarms and their history are kept, the wall's flood limit (ISA-18.2: 10 new
    # alarms in 10 minutes), and where transitions are sent (a webhook, e-mail over SMTP).
    alarms_file: Path = DEFAULT_ALARMS_FILE
    alarm_interval_ms: int = Field(1000, ge=200, le=60_000)
    alarm_retention_days: float = Field(90, gt=0)
    alarm_flood_count: int = Field(10, ge=1, le=10_000)
    alarm_flood_minutes: int = Field(10, ge=1, le=1440)
    alarm_webhook_url: str | None = Field(None, pattern=r"^https?://[^\s]{1,500}$")
    smtp_url: str | None = None
    smtp_from: str = Field("ioc@localhost", pattern=r"^[^@\s<>]{1,64}@[A-Za-z0-9.-]{1,190}$")

    @field_validator("briefing_times", mode="before")
    @classmethod
    def _briefing_times(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        found = []
        for part in value.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                hour, minute = part.split(":")
                found.append(time(int(hour), int(minute)))
            except ValueError:
                raise ValueError(f"{part!r} is not a time HH:MM (00:00 to 23:59)") from None
        return tuple(sorted(set(found)))

    @field_validator("briefing_days", mode="before")
    @classmethod
    def _briefing_days(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip().lower()
        if text in ("daily", "all", "*"):
            return frozenset(range(7))
        days: set[int] = set()
        for part in text.split(","):
            ends = [p.strip() for p in part.split("-")]
            if any(e not in WEEKDAYS for e in ends) or len(ends) > 2:
                raise ValueError(
                    f"{part.strip()!r}: use mon..sun, a range like mon-fri, a list, or daily"
                )
            first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
            if last < first:
                raise ValueError(f"{part.strip()!r}: a range goes from an earlier day to a later")
            days.update(range(first, last + 1))
        return frozenset(days)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        found = []
        for part in (p.strip() for p in value.split(",")):
            if part:
                try:
                    found.append(ip_network(part, strict=False))
                except ValueError:
                    raise ValueError(f"{part!r} is not an IP address or network") from None
        return tuple(found)

    @field_validator("oidc_issuer")
    @classmethod
    def _issuer(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be the provider's http(s):// issuer URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _auth_complete(self) -> Settings:
        if self.auth == "oidc":
            missing = [name for name in ("oidc_issuer", "oidc_client_id", "oidc_client_secret")
                       if not getattr(self, name)]  # fmt: skip
            if missing:
                names = ", ".join(ENV_PREFIX + m.upper() for m in missing)
                raise ValueError(f"IOC_AUTH=oidc needs {names}")
        if self.auth == "proxy" and not self.trusted_proxies:
            raise ValueError("IOC_AUTH=proxy needs IOC_TRUSTED_PROXIES (the proxies' addresses)")
        return self

    @property
    def open_to_network(self) -> bool:
        """IOC_AUTH=none on an address other than loopback (refused unless allowed)."""
        return self.auth == "none" and not is_loopback(self.host)

    @field_validator("user_header", "chromium", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url(cls, value: str | None) -> str | None:
        return service_url(value, ("mqtt", "mqtts"))

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        return service_url(value, ("redis", "rediss"))

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            make_url(value)
        except ArgumentError as err:
            raise ValueError("is not an SQLAlchemy database URL") from err
        return value

    @field_validator(
        "scope_header", "secret_key", "public_url", "oidc_client_id", "oidc_client_secret",
        "prometheus_port", "prometheus_token", "alarm_webhook_url", "smtp_url",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _no_scope_header(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("metrics_file", mode="before")
    @classmethod
    def _no_metrics(cls, value: object) -> object:
        return None if value in ("", "none", "off") else value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        return service_url(value, ("smtp", "smtps"))

    @field_validator(
        "areas_file", "kpis_file", "metrics_file", "mqtt_ca_file", "chromium", "alarms_file"
    )
    @classmethod
    def _file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @property
    def simulator_enabled(self) -> bool:
        """Run the simulator: asked for, or by default when no broker is configured."""
        return self.simulate if self.simulate is not None else self.mqtt_url is None

    def expected_interval_s(self, feed: str) -> int:
        """Seconds between reports a feed promises (traffic's own interval_s wins)."""
        return {
            "traffic": 60,
            "wifi": self.wifi_interval_s,
            "backlog": self.backlog_interval_s,
        }[feed]


def service_url(value: str | None, schemes: tuple[str, ...]) -> str | None:
    """A broker's or cache's URL: one of ``schemes``, a host, a valid port; empty is None."""
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ValueError("must start with " + " or ".join(f"{s}://" for s in schemes))
    if not parts.hostname:
        raise ValueError("has no host name")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as err:
        raise ValueError("has a bad port") from err
    return value


def is_loopback(host: str) -> bool:
    """The address only this machine reaches (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_open(settings: Settings) -> None:
    """Refuse to serve the web app with no access control on a network address."""
    if settings.open_to_network and not settings.auth_allow_open:
        raise ConfigError(
            f"configuration error: IOC_AUTH=none on IOC_HOST={settings.host} would let anyone "
            "on the network read every district: choose IOC_AUTH=local, oidc or proxy "
            "(docs/security.md), or set IOC_AUTH_ALLOW_OPEN=1 to run open anyway"
        )


def load_settings(**overrides: Any) -> Settings:
    """Read and validate settings; raise ConfigError with one line naming each bad variable."""
    # Any: an override is validated like an environment value (text or the field's own type).
    try:
        return Settings(**overrides)
    except ValidationError as err:
        raise ConfigError(describe_errors(err)) from None


def describe_errors(err: ValidationError) -> str:
    """Turn pydantic errors into one line: ``IOC_PORT='abc': must be an integer``."""
    lines = []
    for item in err.errors():
        name = ENV_PREFIX + "_".join(str(p) for p in item["loc"]).upper()
        given = item.get("input")
        if SECRET_NAME.search(name) and given not in (None, ""):
            given = "***"
        elif isinstance(given, str):
            given = redact_secrets(given)
        shown = f"={given!r}" if isinstance(given, str | int | float) else ""
        message = item["msg"].removeprefix("Value error, ")
        # A rule over several settings names them itself.
        lines.append(f"{name}{shown}: {message}" if item["loc"] else message)
    return "configuration error: " + "; ".join(lines)


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str | int) -> None:
    """Log to stderr in one format for every command; libraries' chatter kept down."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for noisy in ("werkzeug", "alembic", "amqtt", "transitions"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


# A variable whose whole value is a secret, and a password inside a URL.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$", re.IGNORECASE)
URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^\s@]*@", re.IGNORECASE)


def redact_secrets(text: str) -> str:
    """Hide every password written into a URL in a text (a message, a setting's value)."""
    return URL_PASSWORD.sub(lambda found: f"{found.group('head')}***@", text)


def redact_url(url: str) -> str:
    """Hide the password in a URL before it is logged or shown."""
    return redact_secrets(url)
