"""Settings from `LIVEROOM_*` environment variables, validated once at start."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from liveroom.cities import available_cities
from liveroom.cities.loader import check_tile_url


class SettingsError(ValueError):
    """A `LIVEROOM_*` variable has a bad value; the message names it."""


#: what each citizens' channel needs, all together, to send (`Settings.sends_by`)
SENDING = {"whatsapp": ("whatsapp_token", "whatsapp_phone_number_id"),
           "telegram": ("telegram_bot_token",),
           "sms": ("sms_account_sid", "sms_auth_token", "sms_from"),
           "email": ("smtp_url", "mail_from")}


class Settings(BaseSettings):
    """Everything configurable; no value means the embedded single-machine default."""

    model_config = SettingsConfigDict(env_prefix="LIVEROOM_", extra="ignore", frozen=True)

    env: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(8050, ge=1, le=65535)
    data_dir: Path = Path("./var")
    redis_url: str | None = None
    #: Redis Sentinel instead of one URL: `host:port,host:port,…`, watching `redis_master`
    redis_sentinels: str | None = None
    redis_master: str = Field("liveroom", min_length=1, max_length=100)
    #: Redis Cluster instead: `host:port,…` of some of its nodes (redis-py finds the rest)
    redis_cluster: str | None = None
    #: a command is acknowledged only once this many replicas have it (Redis `WAIT`)
    redis_min_replicas: int = Field(0, ge=0, le=10)
    redis_wait_ms: int = Field(1000, ge=1, le=60_000)  # ... waiting at most this long
    redis_namespace: str | None = None
    database_url: str | None = None
    cities_dir: Path | None = None
    city: str = "tangerang"
    tile_url: str | None = None  # a tile server for the maps instead of the pack's (or none)
    tile_attribution: str = ""  # the credit that tile server requires
    simulator: bool = True
    projections: bool = True
    batch_size: int = Field(500, ge=1, le=10_000)
    lease_seconds: float = Field(10.0, gt=0)
    handling_lease_seconds: float = Field(45.0, gt=0)  # "being handled by": renewed each third
    trim_interval_seconds: float = Field(30.0, gt=0)
    location_sample_seconds: int = Field(60, ge=0)
    closed_retention_hours: int = Field(24, ge=0)
    #: reporters' personal data is erased this many days after their incident closed
    #: (UU 27/2022; `commands.erasure`), checked every `erase_interval_minutes` by `work`
    contact_retention_days: int = Field(90, ge=0, le=3650)
    erase_interval_minutes: float = Field(60.0, gt=0)
    duplicate_radius_m: float = Field(75.0, ge=0)
    duplicate_window_minutes: int = Field(120, ge=0)
    open311_posts_per_minute: int = Field(60, ge=1)
    web_reports_per_hour: int = Field(20, ge=1)  # per client address, on the citizen page
    lookups_per_minute: int = Field(60, ge=1)  # reports by tracking number, per address
    media_dir: Path | None = None  # citizens' photos; shared storage when several hosts serve
    photo_max_bytes: int = Field(10_000_000, ge=10_000)
    osmand_port: int = Field(5055, ge=0, le=65535)  # 0: no separate OsmAnd listener
    ws_compression: bool = False  # per-message deflate on websockets (slow links)
    checkin_max_accuracy_m: float = Field(50.0, gt=0)
    presence_stale_minutes: float = Field(10.0, gt=0)  # no fix for this long: stale
    presence_offline_minutes: float = Field(60.0, gt=0)  # ... and for this long: offline
    max_speed_kmh: float = Field(200.0, gt=0)  # faster between two fixes: flagged
    #: an OSRM `table` service (`http://host:5000/table/v1/driving`) for arrival times by
    #: road; none: the speeds learned from the archive's trips (`reporting.eta`)
    osrm_url: str | None = None
    #: the address citizens reach this deployment at: links in messages (`/lapor/<number>`),
    #: and the URL an SMS gateway signs its callbacks with
    public_url: str = "http://127.0.0.1:8050"
    # -- citizens' channels (each optional; the API URL overridable for tests and proxies) --
    telegram_bot_token: str | None = Field(None, repr=False, max_length=200)
    telegram_webhook_secret: str | None = Field(None, repr=False, min_length=1, max_length=256)
    telegram_api_url: str = "https://api.telegram.org"
    whatsapp_token: str | None = Field(None, repr=False, max_length=1000)
    whatsapp_app_secret: str | None = Field(None, repr=False, max_length=200)
    whatsapp_verify_token: str | None = Field(None, repr=False, max_length=200)
    whatsapp_phone_number_id: str | None = Field(None, pattern=r"^[0-9]{1,30}$")
    whatsapp_api_url: str = "https://graph.facebook.com/v22.0"
    #: SMS through Twilio's Programmable Messaging API (its form-encoded inbound webhook,
    #: signed with `X-Twilio-Signature`)
    sms_account_sid: str | None = Field(None, pattern=r"^AC[0-9a-fA-F]{32}$")
    sms_auth_token: str | None = Field(None, repr=False, max_length=200)
    sms_from: str | None = Field(None, max_length=40)  # the sending number, E.164
    sms_api_url: str = "https://api.twilio.com"
    #: a chat report left unfinished this long starts over; messages a sender may send a
    #: minute (more are acknowledged and dropped)
    conversation_timeout_minutes: int = Field(30, ge=1, le=24 * 60)
    inbound_per_sender_per_minute: int = Field(20, ge=1)
    #: e-mail: `smtp://host:port`, `smtps://user:pass@host:port`
    smtp_url: str | None = Field(None, repr=False)
    mail_from: str | None = Field(None, max_length=320)
    #: WhatsApp outside a customer's 24-hour window: this approved template (its one body
    #: parameter the message's text), in this language
    whatsapp_template: str = Field("liveroom_update", pattern=r"^[a-z0-9_]{1,512}$")
    whatsapp_template_language: str = Field("id", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    #: the sender of citizens' messages (`notify.sender`): tries before a message is given
    #: up, the first retry's wait (doubled each time), and each provider's messages a second
    notify_max_attempts: int = Field(5, ge=1, le=50)
    notify_retry_seconds: float = Field(2.0, gt=0, le=3600)
    notify_per_second: dict[Literal["whatsapp", "telegram", "sms", "email"],
                            float] = {"whatsapp": 50.0, "telegram": 25.0, "sms": 1.0,
                                      "email": 5.0}
    #: a step older than this is not told (a policy started on an old stream)
    notify_max_age_hours: float = Field(24.0, gt=0)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value or None

    @field_validator("redis_sentinels", "redis_cluster")
    @classmethod
    def _nodes(cls, value: str | None, info: ValidationInfo) -> str | None:
        for node in filter(None, (value or "").split(",")):
            host, _, port = node.strip().rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"{node.strip()!r} is not host:port")
        if value and info.field_name == "redis_cluster" and (
                info.data.get("redis_url") or info.data.get("redis_sentinels")):
            raise ValueError("a cluster is instead of LIVEROOM_REDIS_URL and "
                             "LIVEROOM_REDIS_SENTINELS: set only one of the three")
        return value or None

    @property
    def sentinel_nodes(self) -> list[tuple[str, int]]:
        """The sentinels to ask where the primary is (none: `redis_url` or embedded)."""
        return _host_ports(self.redis_sentinels)

    @property
    def cluster_nodes(self) -> list[tuple[str, int]]:
        """The Redis Cluster nodes to start from (none: no cluster)."""
        return _host_ports(self.redis_cluster)

    @field_validator("redis_namespace")
    @classmethod
    def _one_slot(cls, value: str | None, info: ValidationInfo) -> str | None:
        opening = (value or "").find("{")
        if value and info.data.get("redis_cluster") and not (
                0 <= opening < value.find("}", opening + 2)):
            raise ValueError("on a cluster it needs a hash tag ({…}): a city's keys share "
                             "one slot")
        return value or None

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL ({exc})") from None
        if url.get_backend_name() not in ("postgresql", "sqlite"):
            raise ValueError("must be a postgresql:// or sqlite:// URL")
        return value

    @field_validator("osrm_url")
    @classmethod
    def _router(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value or None

    @field_validator("public_url", "telegram_api_url", "whatsapp_api_url", "sms_api_url")
    @classmethod
    def _http_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a URL ({exc})") from None
        if url.drivername not in ("smtp", "smtps") or not url.host:
            raise ValueError("must be smtp://host:port or smtps://user:pass@host:port")
        return value

    @field_validator("notify_per_second")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        if any(rate <= 0 for rate in value.values()):
            raise ValueError("each channel's rate must be above 0")
        return {"whatsapp": 50.0, "telegram": 25.0, "sms": 1.0, "email": 5.0, **value}

    @field_validator("tile_url")
    @classmethod
    def _tiles(cls, value: str | None) -> str | None:
        return check_tile_url(value)

    @field_validator("city")
    @classmethod
    def _known_city(cls, value: str, info: ValidationInfo) -> str:
        cities = available_cities(info.data.get("cities_dir"))
        if value not in cities:
            raise ValueError(f"unknown city pack {value!r}; available: {', '.join(cities)}")
        return value

    @model_validator(mode="after")
    def _whole_channels(self) -> Settings:
        for channel, names in SENDING.items():
            missing = [n for n in names if not getattr(self, n)]
            if 0 < len(missing) < len(names):
                raise ValueError(f"{channel} also needs " + ", ".join(
                    f"LIVEROOM_{n.upper()}" for n in missing))
        return self

    def sends_by(self, channel: str) -> bool:
        """Whether messages go out on `channel` (else they wait in the outbox)."""
        return all(getattr(self, n) for n in SENDING[channel])

    @property
    def namespace(self) -> str:
        """Redis key prefix; the braces keep every key in one Redis Cluster slot."""
        return self.redis_namespace or "{lr:" + self.city + "}"

    @property
    def photos_dir(self) -> Path:
        return self.media_dir or self.data_dir / "media"

    @property
    def sqlalchemy_url(self) -> str:
        """The archive URL: PostgreSQL via psycopg 3 when set, else SQLite in the data dir."""
        if not self.database_url:
            return f"sqlite:///{(self.data_dir / 'liveroom.db').resolve()}"
        url = make_url(self.database_url)
        if url.get_backend_name() == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)


def _host_ports(nodes: str | None) -> list[tuple[str, int]]:
    parts = [node.strip().rpartition(":") for node in (nodes or "").split(",")]
    return [(host, int(port)) for host, _, port in parts if host]


def load_settings(**overrides: object) -> Settings:
    """Read the environment; raise SettingsError naming each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            if not error["loc"]:  # (a rule between variables: its message names them)
                lines.append(error["msg"].removeprefix("Value error, "))
                continue
            name = "LIVEROOM_" + "_".join(str(part) for part in error["loc"]).upper()
            lines.append(f"{name}={error.get('input')!r}: {error['msg']}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None
