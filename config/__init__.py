"""Settings for matcher, read from the environment in one place.

Every variable has a default that runs the embedded development service (SQLite, a
Celery broker in its own SQLite file, mail written to an outbox folder). ``MATCHER_ENV=production``
refuses those defaults. A malformed value raises ``ConfigError`` with one line that
names the variable, so the entry points can print it instead of a traceback.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("development", "test", "production")
MAIL_BACKENDS = ("outbox", "smtp", "notify")
# Every kind of email, named by its template in matcher/templates/email; under GOV.UK Notify each
# is sent through the Notify template NOTIFY_TEMPLATE_<KIND> names.
MAIL_KINDS = (
    "account_exists",
    "change_email",
    "confirm_email",
    "digest",
    "interest_changed",
    "interest_invitation",
    "join_request_decided",
    "join_request_received",
    "membership_invitation",
    "organisation_verified",
    "password_reset",
    "reflection_request",
    "round_invitation",
    "round_results_organisation",
    "round_results_participant",
)
NOTIFY_DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"
DIGEST_FREQUENCIES = ("weekly", "daily", "never")
LOG_FORMATS = ("text", "json")
# A shorter bearer token for /metrics could be guessed; the web app compares it in constant time.
METRICS_TOKEN_MIN_LENGTH = 32
# Relevance components of the matching engine, each weighted by MATCH_WEIGHT_<NAME>.
# The defaults are the weights bench.fit_weights chose (bench/fitted_weights.json); a unit test
# keeps the two equal.
MATCH_WEIGHT_DEFAULTS = (
    ("themes", 0.5),
    ("related_themes", 1.4),
    ("skills", 0.3),
    ("related_skills", 0.7),
    ("text", 1.0),
    ("distance", 0.7),
    ("start", 0.05),
    ("bridging", 0.2),
    ("not_for_me", 1.0),
    ("interests", 0.5),
)

# The most MATCH_WEIGHT_HOST_RATING may be: the host rating's cap in the engine
# (matcher.engine.config.HOST_RATING_CAP), so that it can never outweigh a clearly better fit.
HOST_RATING_MAX = 0.1


class ConfigError(ValueError):
    """A setting is missing or malformed; the message is one line naming the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the web app, the workers and the commands need to know."""

    env: str
    instance_dir: Path
    secret_key: str
    database_url: str
    broker_url: str
    base_url: str
    host: str
    port: int
    log_level: str
    log_format: str
    metrics_token: str = field(repr=False)
    metrics_dir: Path
    mail_backend: str
    mail_outbox_dir: Path
    mail_from: str
    mail_reply_to: str
    smtp_host: str
    smtp_port: int
    smtp_username: str
    smtp_password: str = field(repr=False)
    smtp_starttls: bool
    smtp_timeout_seconds: float
    notify_api_key: str = field(repr=False)
    notify_base_url: str
    # (kind, Notify template id) for every kind in MAIL_KINDS when MAIL_BACKEND=notify.
    notify_template_ids: tuple[tuple[str, str], ...]
    outbox_relay_interval_seconds: float
    outbox_retention_days: int
    broker_publish_timeout_seconds: float
    ratelimit_storage_url: str
    government_email_domains: tuple[str, ...]
    digest_send_time: tuple[int, int]
    digest_batch_size: int
    digest_rate_per_second: float
    digest_retry_base_seconds: float
    digest_claim_timeout_seconds: float
    digest_reenqueue_after_seconds: float
    digest_recovery_interval_seconds: float
    match_k: int
    match_block_size: int
    match_chunk_size: int
    # Threads for one worker process's matching maths; 0: its share of the cores.
    match_threads: int
    match_weights: tuple[tuple[str, float], ...]
    # Not fitted (the bench's generators have no reflections), and capped: see HOST_RATING_MAX.
    match_weight_host_rating: float
    match_snapshot_max_age_seconds: float
    # Reflections on completed placements: one reminder this many days after the request, and
    # answers taken (and changed) until this many days after it.
    reflection_reminder_days: int
    reflection_open_days: int
    # Where a full rebuild's fitted snapshot is written once for every worker to read: a
    # folder all workers see (a shared volume when they run on several machines).
    match_snapshot_dir: Path

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def uses_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"

    @property
    def broker_folder(self) -> Path:
        """Where the filesystem broker keeps its messages, when CELERY_BROKER_URL chooses it."""
        return self.instance_dir / "broker"


def _text(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name, "").strip()
    return value or default


def _choice(environ: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _text(environ, name, default).lower()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _integer(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = _text(environ, name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number; got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}; got {value}")
    return value


def _number(environ: Mapping[str, str], name: str, default: float, low: float) -> float:
    raw = _text(environ, name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number; got {raw!r}") from None
    if value < low:
        raise ConfigError(f"{name} must be at least {low}; got {value}")
    return value


def _capped(environ: Mapping[str, str], name: str, default: float, most: float) -> float:
    value = _number(environ, name, default, 0.0)
    if value > most:
        raise ConfigError(f"{name} must be at most {most}; got {value}")
    return value


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _text(environ, name, "true" if default else "false").lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false; got {raw!r}")


def _database_url(environ: Mapping[str, str], instance_dir: Path) -> str:
    default = f"sqlite:///{instance_dir / 'matcher.sqlite3'}"
    raw = _text(environ, "DATABASE_URL", default)
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL is not a database URL; expected sqlite:///PATH "
            "or postgresql+psycopg://USER@HOST/NAME"
        ) from None
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(f"DATABASE_URL must be SQLite or PostgreSQL; got {backend!r}")
    if backend == "postgresql" and url.drivername != "postgresql+psycopg":
        # psycopg 3 is the driver we install; a bare postgresql:// would look for psycopg2.
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _broker_url(environ: Mapping[str, str], instance_dir: Path) -> str:
    # kombu's SQLAlchemy transport writes each message in one transaction, so a worker never
    # reads half a message (the filesystem transport's reader can find a file not yet written).
    default = f"sqla+sqlite:///{instance_dir / 'broker.sqlite3'}"
    raw = _text(environ, "CELERY_BROKER_URL", default)
    scheme = urlsplit(raw).scheme if "://" in raw else ""
    if scheme not in ("sqla+sqlite", "filesystem", "redis", "rediss", "memory"):
        raise ConfigError(
            "CELERY_BROKER_URL must start with redis://, rediss://, sqla+sqlite:/// "
            f"or filesystem://; got {raw!r}"
        )
    return raw


def _http_url(environ: Mapping[str, str], name: str, default: str) -> str:
    raw = _text(environ, name, default).rstrip("/")
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http:// or https:// URL; got {raw!r}")
    return raw


def served_base_url_file(instance_dir: Path) -> Path:
    """Where ``make run`` records the address it serves, for commands run in other shells."""
    return instance_dir / "base_url"


def _served_base_url(instance_dir: Path) -> str | None:
    try:
        return served_base_url_file(instance_dir).read_text().strip() or None
    except OSError:
        return None


def record_served_base_url(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> Settings:
    """Make this server's address the default BASE_URL of every process on its instance folder.

    ``make run`` calls it before starting web, worker and beat: a ``flask digests send`` run from
    another shell without PORT then still writes links to the server people use.
    """
    environ = os.environ if environ is None else environ
    base_url = _http_url(environ, "BASE_URL", f"http://{settings.host}:{settings.port}")
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    served_base_url_file(settings.instance_dir).write_text(base_url + "\n")
    return replace(settings, base_url=base_url)


def _notify_api_key(environ: Mapping[str, str], required: bool) -> str:
    """The Notify API key: its name, then the service id and the secret, each a UUID."""
    key = _text(environ, "NOTIFY_API_KEY", "")
    if not key:
        if required:
            raise ConfigError("NOTIFY_API_KEY must be set when MAIL_BACKEND=notify")
        return ""
    # The message never quotes the key: it is a secret, and this line ends up in logs.
    service_id, secret = key[-73:-37], key[-36:]
    if len(key) < 74 or key[-74] != "-" or key[-37] != "-" or not _is_uuid(service_id, secret):
        raise ConfigError(
            "NOTIFY_API_KEY must be a key copied from GOV.UK Notify "
            "(its name, then the service id and the secret, each a UUID)"
        )
    return key


def _is_uuid(*values: str) -> bool:
    try:
        for value in values:
            uuid.UUID(value)
    except ValueError:
        return False
    return all(len(value) == 36 for value in values)


def _notify_template_ids(environ: Mapping[str, str], required: bool) -> tuple[tuple[str, str], ...]:
    """NOTIFY_TEMPLATE_<KIND> for every kind, each a template id; all of them when required."""
    template_ids = []
    for kind in MAIL_KINDS:
        name = f"NOTIFY_TEMPLATE_{kind.upper()}"
        value = _text(environ, name, "").lower()
        if not value:
            if required:
                raise ConfigError(f"{name} must be set when MAIL_BACKEND=notify")
            continue
        if not _is_uuid(value):
            raise ConfigError(f"{name} must be a Notify template id (a UUID); got {value!r}")
        template_ids.append((kind, value))
    return tuple(template_ids)


def _domains(environ: Mapping[str, str], name: str, default: str) -> tuple[str, ...]:
    """A comma-separated list of email domains, each also covering its subdomains."""
    raw = _text(environ, name, default)
    domains = tuple(part.strip().lower().lstrip(".") for part in raw.split(",") if part.strip())
    for domain in domains:
        if "." not in domain or "@" in domain or " " in domain:
            raise ConfigError(f"{name} must list domains like gov.uk; got {domain!r}")
    if not domains:
        raise ConfigError(f"{name} must list at least one domain")
    return domains


def _clock_time(environ: Mapping[str, str], name: str, default: str) -> tuple[int, int]:
    """A 24-hour HH:MM time of day as (hour, minute)."""
    raw = _text(environ, name, default)
    hour, _, minute = raw.partition(":")
    if not (hour.isdigit() and minute.isdigit() and len(minute) == 2):
        raise ConfigError(f"{name} must be a time like 07:00; got {raw!r}")
    if not (0 <= int(hour) <= 23 and 0 <= int(minute) <= 59):
        raise ConfigError(f"{name} must be a time between 00:00 and 23:59; got {raw!r}")
    return int(hour), int(minute)


def _metrics_token(environ: Mapping[str, str]) -> str:
    """The bearer token that opens /metrics; empty keeps the endpoint closed."""
    token = _text(environ, "METRICS_TOKEN", "")
    if token and len(token) < METRICS_TOKEN_MIN_LENGTH:
        raise ConfigError(f"METRICS_TOKEN must be at least {METRICS_TOKEN_MIN_LENGTH} characters")
    return token


def _development_secret_key(instance_dir: Path) -> str:
    """Read the key generated on first run, or generate it; never used in production."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _refuse_unsafe_production(settings: Settings, environ: Mapping[str, str]) -> None:
    if not environ.get("SECRET_KEY", "").strip():
        raise ConfigError("SECRET_KEY must be set when MATCHER_ENV=production")
    if len(settings.secret_key) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters when MATCHER_ENV=production")
    if settings.uses_sqlite:
        raise ConfigError("DATABASE_URL must point at PostgreSQL when MATCHER_ENV=production")
    if not settings.broker_url.startswith(("redis://", "rediss://")):
        raise ConfigError("CELERY_BROKER_URL must point at Redis when MATCHER_ENV=production")
    if not settings.base_url.startswith("https://"):
        raise ConfigError("BASE_URL must be an https:// URL when MATCHER_ENV=production")
    if settings.mail_backend not in ("smtp", "notify"):
        raise ConfigError("MAIL_BACKEND must be smtp or notify when MATCHER_ENV=production")
    if not settings.ratelimit_storage_url.startswith(("redis://", "rediss://")):
        raise ConfigError("RATELIMIT_STORAGE_URL must point at Redis when MATCHER_ENV=production")


def _default_base_url(env: str, instance_dir: Path, host: str, port: int) -> str:
    # Outside production, the address ``make run`` is serving beats HOST and PORT, which a
    # command in another shell may not share; production always sets BASE_URL.
    served = None if env == "production" else _served_base_url(instance_dir)
    return served or f"http://{host}:{port}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``environ`` (the process environment by default)."""
    environ = os.environ if environ is None else environ
    env = _choice(environ, "MATCHER_ENV", "development", ENVIRONMENTS)
    instance_dir = Path(_text(environ, "INSTANCE_DIR", str(PROJECT_ROOT / "instance"))).resolve()
    host = _text(environ, "HOST", "127.0.0.1")
    port = _integer(environ, "PORT", 5000, 1, 65535)
    broker_url = _broker_url(environ, instance_dir)
    mail_backend = _choice(environ, "MAIL_BACKEND", "outbox", MAIL_BACKENDS)
    if env == "production":
        secret_key = _text(environ, "SECRET_KEY", "")
    else:
        secret_key = _text(environ, "SECRET_KEY", "") or _development_secret_key(instance_dir)
    settings = Settings(
        env=env,
        instance_dir=instance_dir,
        secret_key=secret_key,
        database_url=_database_url(environ, instance_dir),
        broker_url=broker_url,
        base_url=_http_url(environ, "BASE_URL", _default_base_url(env, instance_dir, host, port)),
        host=host,
        port=port,
        log_level=_choice(
            environ, "LOG_LEVEL", "info", ("debug", "info", "warning", "error")
        ).upper(),
        log_format=_choice(
            environ, "LOG_FORMAT", "json" if env == "production" else "text", LOG_FORMATS
        ),
        metrics_token=_metrics_token(environ),
        metrics_dir=Path(
            _text(environ, "PROMETHEUS_MULTIPROC_DIR", str(instance_dir / "metrics"))
        ).resolve(),
        mail_backend=mail_backend,
        mail_outbox_dir=Path(
            _text(environ, "MAIL_OUTBOX_DIR", str(instance_dir / "outbox"))
        ).resolve(),
        mail_from=_text(environ, "MAIL_FROM", "matcher <no-reply@matcher.localhost>"),
        mail_reply_to=_text(
            environ, "MAIL_REPLY_TO", "matcher support <support@matcher.localhost>"
        ),
        smtp_host=_text(environ, "SMTP_HOST", "localhost"),
        smtp_port=_integer(environ, "SMTP_PORT", 25, 1, 65535),
        smtp_username=_text(environ, "SMTP_USERNAME", ""),
        smtp_password=_text(environ, "SMTP_PASSWORD", ""),
        smtp_starttls=_flag(environ, "SMTP_STARTTLS", False),
        smtp_timeout_seconds=_number(environ, "SMTP_TIMEOUT_SECONDS", 10.0, 0.1),
        notify_api_key=_notify_api_key(environ, required=mail_backend == "notify"),
        notify_base_url=_http_url(environ, "NOTIFY_BASE_URL", NOTIFY_DEFAULT_BASE_URL),
        notify_template_ids=_notify_template_ids(environ, required=mail_backend == "notify"),
        outbox_relay_interval_seconds=_number(environ, "OUTBOX_RELAY_INTERVAL_SECONDS", 2.0, 0.1),
        outbox_retention_days=_integer(environ, "OUTBOX_RETENTION_DAYS", 7, 1, 3650),
        broker_publish_timeout_seconds=_number(environ, "BROKER_PUBLISH_TIMEOUT_SECONDS", 2.0, 0.1),
        ratelimit_storage_url=_text(environ, "RATELIMIT_STORAGE_URL", "memory://"),
        government_email_domains=_domains(environ, "GOVERNMENT_EMAIL_DOMAINS", "gov.uk"),
        digest_send_time=_clock_time(environ, "DIGEST_SEND_TIME", "07:00"),
        digest_batch_size=_integer(environ, "DIGEST_BATCH_SIZE", 100, 1, 5000),
        digest_rate_per_second=_number(environ, "DIGEST_RATE_PER_SECOND", 50.0, 0.0),
        digest_retry_base_seconds=_number(environ, "DIGEST_RETRY_BASE_SECONDS", 30.0, 0.01),
        digest_claim_timeout_seconds=_number(environ, "DIGEST_CLAIM_TIMEOUT_SECONDS", 1800.0, 1.0),
        digest_reenqueue_after_seconds=_number(
            environ, "DIGEST_REENQUEUE_AFTER_SECONDS", 180.0, 1.0
        ),
        digest_recovery_interval_seconds=_number(
            environ, "DIGEST_RECOVERY_INTERVAL_SECONDS", 60.0, 0.5
        ),
        match_k=_integer(environ, "MATCH_K", 20, 1, 200),
        match_block_size=_integer(environ, "MATCH_BLOCK_SIZE", 512, 16, 65536),
        match_chunk_size=_integer(environ, "MATCH_CHUNK_SIZE", 10_000, 100, 1_000_000),
        match_threads=_integer(environ, "MATCH_THREADS", 0, 0, 1024),
        match_weights=tuple(
            (name, _number(environ, f"MATCH_WEIGHT_{name.upper()}", default, 0.0))
            for name, default in MATCH_WEIGHT_DEFAULTS
        ),
        match_weight_host_rating=_capped(
            environ, "MATCH_WEIGHT_HOST_RATING", 0.05, HOST_RATING_MAX
        ),
        reflection_reminder_days=_integer(environ, "REFLECTION_REMINDER_DAYS", 14, 1, 365),
        reflection_open_days=_integer(environ, "REFLECTION_OPEN_DAYS", 56, 2, 730),
        match_snapshot_max_age_seconds=_number(
            environ, "MATCH_SNAPSHOT_MAX_AGE_SECONDS", 900.0, 0.0
        ),
        match_snapshot_dir=Path(
            _text(environ, "MATCH_SNAPSHOT_DIR", str(instance_dir / "match-snapshots"))
        ).resolve(),
    )
    if settings.reflection_reminder_days >= settings.reflection_open_days:
        raise ConfigError(
            "REFLECTION_REMINDER_DAYS must be fewer than REFLECTION_OPEN_DAYS; got "
            f"{settings.reflection_reminder_days} and {settings.reflection_open_days}"
        )
    if settings.is_production:
        _refuse_unsafe_production(settings, environ)
    return settings
