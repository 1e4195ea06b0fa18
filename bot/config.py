"""Settings: one frozen, typed object, loaded once at start from TOML and ``DUBAN_*`` variables.

Environment variables win over the file. An invalid value stops start-up with a
``ConfigError`` naming the key. The bot token is a ``Secret`` that never prints.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.deadlines import DeadlineMode
from bot.domain.escalation import CheckDays
from bot.domain.sharing import ChaseRule
from bot.domain.scores import DEFAULT_POINTS, ScoreCategory, ScoreRules

TELEGRAM_API = "https://api.telegram.org"
E = TypeVar("E", bound=StrEnum)


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names the key."""


class EscalationMode(StrEnum):
    """Whether the daily check issues 催办单/督办通知单 itself or drafts them for one tap."""

    AUTO = "auto"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class Secret:
    """A value that must never reach a log, a repr or an exception message."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        """The real value, for the one place that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


@dataclass(frozen=True)
class Organisation:
    """The names the slips print; any city or county can deploy with its own."""

    government: str = "邓州市人民政府"
    """Prefix of the slips' titles: 《邓州市人民政府工作交办单》."""
    office: str = "市政府办公室"
    """Where a 交办单's feedback goes: 书面反馈市政府办公室（科室）."""
    supervision_office: str = "市政府办公室政务监督室"
    conduct_office: str = "市作风办"
    """Receives 移交 for 问责追责."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its configuration."""

    token: Secret | None = None
    api_url: str = TELEGRAM_API
    bot_username: str = "duban_bot"
    """For invite deep links printed by the CLI; the running bot uses its real username."""
    """Bot API server; ``{api_url}/bot<token>/method``. A self-hosted server or the emulator."""
    send_per_second: float = 30.0
    """Messages a second overall (Telegram's limit is 30)."""
    send_chat_interval: float = 1.0
    """Seconds between two messages to one chat (Telegram's limit is 1 a second)."""
    claim_lease_seconds: float = 300.0
    """Several instances on PostgreSQL: how long a message a sender took is its own; a dead
    instance's messages go out from another after it (``bot.sender``)."""
    db_path: Path = Path("duban.db")
    database_url: str | None = None
    """``postgresql://…``: PostgreSQL instead of the SQLite file ``db_path`` (unset: SQLite)."""
    archive_dir: Path = Path("archive")
    """Local copies of feedback attachments."""
    organisation: Organisation = field(default_factory=Organisation)
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    daily_time: time = time(9, 0)
    daily_check_days: CheckDays = CheckDays.WORKING
    """Working days only (default): no slip is issued or dated, and no reminder sent, on a rest
    day; ``every_day`` keeps the check running on rest days too."""
    digest_weekday: int = 1
    """ISO weekday (1 = Monday) of the weekly digests to 分管市领导 and the principal."""
    review_wait_days: int = 5
    """Days after the monthly analyses went out when 政务监督室 gets the consolidated report
    even if a 分管市领导 has not marked his section's analysis 已审阅."""
    escalation_window_days: int = 3
    """原则上3天之内必须办结."""
    deadline_mode: DeadlineMode = DeadlineMode.CALENDAR
    escalation_mode: EscalationMode = EscalationMode.AUTO
    shared_chase: ChaseRule = ChaseRule.LEAD
    """Who of a 牵头 + 配合 matter is chased when it is late (bot/domain/sharing.py)."""
    invite_ttl_hours: int = 72
    conduct_office_chat_id: int | None = None
    """The 市作风办 contact told of a 移交, if any."""
    score_rules: ScoreRules = field(default_factory=ScoreRules)
    webhook_url: str | None = None
    """Public HTTPS address Telegram posts updates to (``duban run --webhook``); its path is
    the path the bot's webhook server answers on."""
    webhook_listen: str = "127.0.0.1"
    """Interface of the bot's webhook server; the reverse proxy forwards to it."""
    webhook_port: int = 8000
    webhook_secret: Secret | None = None
    """Checked on every update (``X-Telegram-Bot-Api-Secret-Token``); None: a random one per start."""
    health_listen: str = "127.0.0.1"
    health_port: int = 8081
    """``GET /healthz`` in both modes; 0 switches the endpoint off."""
    backup_dir: Path | None = None
    """Where the daily backup goes (one folder per day); None switches it off."""
    backup_time: time = time(3, 0)
    backup_keep: int = 7
    """How many daily backups to keep; older ones are deleted."""

    @property
    def base_url(self) -> str:
        """PTB's base_url: the token is appended to it."""
        return f"{self.api_url.rstrip('/')}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB's base_file_url."""
        return f"{self.api_url.rstrip('/')}/file/bot"


ENV_KEYS = {
    "DUBAN_TELEGRAM_TOKEN": "telegram.token",
    "DUBAN_TELEGRAM_BASE_URL": "telegram.api_url",
    "DUBAN_BOT_USERNAME": "telegram.bot_username",
    "DUBAN_DB": "storage.db",
    "DUBAN_DATABASE_URL": "storage.url",
    "DUBAN_MESSAGES_PER_SECOND": "telegram.messages_per_second",
    "DUBAN_ARCHIVE": "storage.archive_dir",
    "DUBAN_TIMEZONE": "schedule.timezone",
    "DUBAN_DAILY_TIME": "schedule.daily_time",
    "DUBAN_ESCALATION_MODE": "escalation.mode",
    "DUBAN_WEBHOOK_URL": "webhook.url",
    "DUBAN_WEBHOOK_LISTEN": "webhook.listen",
    "DUBAN_WEBHOOK_PORT": "webhook.port",
    "DUBAN_WEBHOOK_SECRET": "webhook.secret_token",
    "DUBAN_HEALTH_LISTEN": "health.listen",
    "DUBAN_HEALTH_PORT": "health.port",
    "DUBAN_BACKUP_DIR": "backup.dir",
    "DUBAN_BACKUP_TIME": "backup.time",
    "DUBAN_BACKUP_KEEP": "backup.keep",
}


def load_settings(path: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file (``path`` or ``$DUBAN_CONFIG``, optional) and the ``DUBAN_*`` variables."""
    env = os.environ if environ is None else environ
    path = path or env.get("DUBAN_CONFIG")
    raw: dict[str, Any] = {}
    if path:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"配置文件不存在 (config file not found): {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"配置文件格式错误 (invalid TOML) {path}: {exc}") from exc
    flat = _flatten(raw)
    for var, key in ENV_KEYS.items():
        if env.get(var):
            flat[key] = env[var]
    return _build(flat)


def _flatten(raw: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and name != "scores.points":
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


_ORG_KEYS = {f"organisation.{f.name}" for f in fields(Organisation)}
_KNOWN = set(ENV_KEYS.values()) | _ORG_KEYS | {
    "telegram.messages_per_second",
    "telegram.chat_interval_seconds",
    "telegram.claim_lease_seconds",
    "escalation.window_days",
    "schedule.digest_weekday",
    "schedule.review_wait_days",
    "schedule.daily_check_days",
    "escalation.deadline_mode",
    "sharing.chase",
    "onboarding.invite_ttl_hours",
    "notify.conduct_office_chat_id",
    "scores.points",
    "scores.base",
    "scores.advanced_threshold",
}


def _build(flat: Mapping[str, Any]) -> Settings:
    unknown = sorted(set(flat) - _KNOWN)
    if unknown:
        raise ConfigError(f"未知配置项 (unknown key): {unknown[0]}")
    s = Settings()
    org = Organisation(**{k.split(".", 1)[1]: _text(flat, k) for k in _ORG_KEYS if k in flat})
    s = replace(s, organisation=org)
    if "telegram.token" in flat:
        s = replace(s, token=Secret(_text(flat, "telegram.token")))
    if "telegram.api_url" in flat:
        url = _text(flat, "telegram.api_url")
        if not url.startswith(("http://", "https://")):
            raise ConfigError("配置项 telegram.api_url 必须以 http:// 或 https:// 开头")
        s = replace(s, api_url=url)
    if "telegram.bot_username" in flat:
        s = replace(s, bot_username=_text(flat, "telegram.bot_username").lstrip("@"))
    if "telegram.messages_per_second" in flat:
        s = replace(s, send_per_second=_number(flat, "telegram.messages_per_second"))
    if "telegram.chat_interval_seconds" in flat:
        s = replace(s, send_chat_interval=_number(flat, "telegram.chat_interval_seconds"))
    if "storage.db" in flat:
        s = replace(s, db_path=Path(_text(flat, "storage.db")))
    if "telegram.claim_lease_seconds" in flat:
        s = replace(s, claim_lease_seconds=_number(flat, "telegram.claim_lease_seconds"))
    if "storage.url" in flat:
        url = _text(flat, "storage.url").strip()
        if url and not url.startswith(("postgresql://", "postgres://")):
            raise ConfigError("配置项 storage.url 必须以 postgresql:// 开头（不设置则使用 SQLite 文件 storage.db）")
        s = replace(s, database_url=url or None)
    if "storage.archive_dir" in flat:
        s = replace(s, archive_dir=Path(_text(flat, "storage.archive_dir")))
    if "schedule.timezone" in flat:
        try:
            s = replace(s, timezone=ZoneInfo(_text(flat, "schedule.timezone")))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"配置项 schedule.timezone 无效: {flat['schedule.timezone']}") from exc
    if "schedule.daily_time" in flat:
        s = replace(s, daily_time=_time(flat, "schedule.daily_time"))
    if "schedule.digest_weekday" in flat:
        weekday = _positive(flat, "schedule.digest_weekday")
        if weekday > 7:
            raise ConfigError(f"配置项 schedule.digest_weekday 应为1（周一）到7（周日）: {weekday}")
        s = replace(s, digest_weekday=weekday)
    if "schedule.review_wait_days" in flat:
        s = replace(s, review_wait_days=_positive(flat, "schedule.review_wait_days"))
    if "schedule.daily_check_days" in flat:
        s = replace(s, daily_check_days=_choice(flat, "schedule.daily_check_days", CheckDays))
    if "escalation.window_days" in flat:
        s = replace(s, escalation_window_days=_positive(flat, "escalation.window_days"))
    if "escalation.deadline_mode" in flat:
        s = replace(s, deadline_mode=_choice(flat, "escalation.deadline_mode", DeadlineMode))
    if "escalation.mode" in flat:
        s = replace(s, escalation_mode=_choice(flat, "escalation.mode", EscalationMode))
    if "sharing.chase" in flat:
        s = replace(s, shared_chase=_choice(flat, "sharing.chase", ChaseRule))
    if "onboarding.invite_ttl_hours" in flat:
        s = replace(s, invite_ttl_hours=_positive(flat, "onboarding.invite_ttl_hours"))
    if "notify.conduct_office_chat_id" in flat:
        s = replace(s, conduct_office_chat_id=_integer(flat, "notify.conduct_office_chat_id"))
    s = _operations(s, flat)
    return replace(s, score_rules=_score_rules(flat))


_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
"""What Telegram allows in a webhook secret token."""


def _operations(s: Settings, flat: Mapping[str, Any]) -> Settings:
    """The keys for running in production: webhook, health endpoint, daily backup."""
    if "webhook.url" in flat:
        url = _text(flat, "webhook.url")
        if not url.startswith(("https://", "http://")):
            raise ConfigError("配置项 webhook.url 必须以 https:// 开头（本机测试可用 http://）")
        s = replace(s, webhook_url=url)
    if "webhook.listen" in flat:
        s = replace(s, webhook_listen=_text(flat, "webhook.listen"))
    if "webhook.port" in flat:
        s = replace(s, webhook_port=_port(flat, "webhook.port"))
    if "webhook.secret_token" in flat:
        secret = _text(flat, "webhook.secret_token")
        if not _SECRET_TOKEN.match(secret):
            raise ConfigError("配置项 webhook.secret_token 只能由 1-256 个字母、数字、_ 和 - 组成")
        s = replace(s, webhook_secret=Secret(secret))
    if "health.listen" in flat:
        s = replace(s, health_listen=_text(flat, "health.listen"))
    if "health.port" in flat:
        s = replace(s, health_port=_port(flat, "health.port", allow_zero=True))
    if "backup.dir" in flat:
        s = replace(s, backup_dir=Path(_text(flat, "backup.dir")))
    if "backup.time" in flat:
        s = replace(s, backup_time=_time(flat, "backup.time"))
    if "backup.keep" in flat:
        s = replace(s, backup_keep=_positive(flat, "backup.keep"))
    return s


def _port(flat: Mapping[str, Any], key: str, allow_zero: bool = False) -> int:
    value = _integer(flat, key)
    if not (0 if allow_zero else 1) <= value <= 65535:
        raise ConfigError(f"配置项 {key} 必须是 1-65535 之间的端口号: {value}")
    return value


def _text(flat: Mapping[str, Any], key: str) -> str:
    value = flat[key]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"配置项 {key} 必须是非空文字")
    return value.strip()


def _integer(flat: Mapping[str, Any], key: str) -> int:
    try:
        return int(flat[key])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"配置项 {key} 必须是整数: {flat[key]!r}") from exc


def _number(flat: Mapping[str, Any], key: str) -> float:
    try:
        value = float(flat[key])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"配置项 {key} 必须是数字: {flat[key]!r}") from exc
    if value < 0:
        raise ConfigError(f"配置项 {key} 不能为负数: {value}")
    return value


def _positive(flat: Mapping[str, Any], key: str) -> int:
    value = _integer(flat, key)
    if value < 1:
        raise ConfigError(f"配置项 {key} 必须大于0: {value}")
    return value


def _time(flat: Mapping[str, Any], key: str) -> time:
    value = flat[key]
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"配置项 {key} 必须是时间，如 09:00: {value!r}") from exc


def _choice(flat: Mapping[str, Any], key: str, enum: type[E]) -> E:
    try:
        return enum(str(flat[key]))
    except ValueError as exc:
        allowed = ", ".join(e.value for e in enum)
        raise ConfigError(f"配置项 {key} 只能是 {allowed}: {flat[key]!r}") from exc


def _decimal(value: Any, key: str) -> Decimal:
    try:
        # Through str so that a TOML float 0.2 becomes exactly 0.2, not 0.2000000000000000111.
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ConfigError(f"配置项 {key} 必须是数字: {value!r}") from exc


def _score_rules(flat: Mapping[str, Any]) -> ScoreRules:
    points = dict(DEFAULT_POINTS)
    for name, value in (flat.get("scores.points") or {}).items():
        try:
            category = ScoreCategory(name)
        except ValueError as exc:
            raise ConfigError(f"配置项 scores.points.{name} 不是已知的加减分项目") from exc
        points[category] = _decimal(value, f"scores.points.{name}")
    base = _decimal(flat.get("scores.base", "100"), "scores.base")
    threshold = _decimal(flat.get("scores.advanced_threshold", "80"), "scores.advanced_threshold")
    return ScoreRules(points=points, base=base, advanced_threshold=threshold)
