"""Settings: one frozen, typed object, loaded once at start from TOML and ``DUBAN_*`` variables.

Environment variables win over the file. An invalid value stops start-up with a
``ConfigError`` naming the key. The bot token is a ``Secret`` that never prints.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.deadlines import DeadlineMode
from bot.domain.escalation import CheckDays
from bot.domain.receipts import DEFAULT_READ_UNACKNOWLEDGED_HOURS
from bot.domain.sharing import ChaseRule
from bot.domain.scores import DEFAULT_POINTS, ScoreCategory, ScoreRules

TELEGRAM_API = "https://api.telegram.org"


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
class Wecom:
    """企业微信 (or 政务微信) self-built application (自建应用); unset ``corp_id``: not used."""

    corp_id: str | None = None
    agent_id: int | None = None
    secret: Secret | None = None
    """The application's Secret (应用管理 › 自建应用)."""
    token: Secret | None = None
    """接收消息 › Token: signs the callbacks."""
    encoding_aes_key: Secret | None = None
    """接收消息 › EncodingAESKey (43 characters): encrypts them."""
    callback_path: str = "/wecom/callback"
    """Path of the callback URL (接收消息 › URL) on the channel's own HTTP server."""
    api_url: str = "https://qyapi.weixin.qq.com"
    """The server API; a 政务微信 deployment's own address, or the emulator."""
    listen: str = "127.0.0.1"
    """Interface of the callback server; the reverse proxy forwards the public URL to it."""
    port: int = 8083
    send_per_second: float = 10.0
    """应用消息 a second overall (企业微信's base limit is 10 000 calls a minute per API)."""
    member_per_minute: int = 25
    """Messages a minute to one member, answers included: 企业微信 drops without a word what goes
    over 30 a minute, so the bot stays under it."""

@dataclass(frozen=True)
class DingTalk:
    """The 钉钉 企业内部应用 and its robot the bot runs as; no client id: no 钉钉 channel."""

    client_id: str | None = None
    """``Client ID`` (原 AppKey) of the app."""
    client_secret: Secret | None = None
    robot_code: str | None = None
    """The robot's code; unset: the client id (an app's own robot)."""
    agent_id: int | None = None
    """``AgentId``, for 工作通知."""
    endpoint: str = "https://api.dingtalk.com"
    """The new OpenAPI and the Stream gateway (a 政务 deployment's address, or the emulator)."""
    oapi_endpoint: str = "https://oapi.dingtalk.com"
    """The old OpenAPI (工作通知, media upload, the organisation)."""
    card_template_id: str = "duban-markdown-buttons.schema"
    """The card template of messages with buttons: a "markdown with buttons" template made in
    钉钉's 卡片平台 for the app (keys ``title``, ``markdown``, ``sys_full_json_obj``)."""
    send_per_second: float = 10.0
    """Robot messages and cards a second overall, within the app's API quotas."""
    read_poll_seconds: float = 300.0
    """How often the 工作通知 of slips not yet read are asked about (``getsendresult``, one call
    each), so 已读 is known within this long (``bot.channels.dingtalk.sender``)."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its configuration."""

    token: Secret | None = None
    api_url: str = TELEGRAM_API
    """Bot API server; ``{api_url}/bot<token>/method``. A self-hosted server or the emulator."""
    bot_username: str = "duban_bot"
    """For invite deep links printed by the CLI; the running bot uses its real username."""
    send_per_second: float = 30.0
    """Messages a second overall (Telegram's limit is 30)."""
    send_chat_interval: float = 1.0
    """Seconds between two messages to one chat (Telegram's limit is 1 a second)."""
    claim_lease_seconds: float = 300.0
    """Several instances on PostgreSQL: how long a message a sender took is its own; a dead
    instance's messages go out from another after it (``bot.channels.telegram.sender``)."""
    db_path: Path = Path("duban.db")
    database_url: str | None = None
    """``postgresql://…``: PostgreSQL instead of the SQLite file ``db_path`` (unset: SQLite)."""
    db_pool_size: int = 4
    """PostgreSQL: connections the bot's reads share; besides them one writer (writes take turns
    anyway), the sent log's and one per periodic job running."""
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
    part_lead_days: int = 2
    """Working days before the matter's deadline by which a 配合单位 sends its part, so the
    牵头单位 has them to gather the parts (bot/domain/sharing.py ``part_due``)."""
    invite_ttl_hours: int = 72
    read_unacknowledged_hours: int = DEFAULT_READ_UNACKNOWLEDGED_HOURS
    """「已读未签收」: hours after a slip was read (where the channel reports reads, 钉钉) by
    which its unit is to have 签收'd it; then its issuer is told (bot/domain/receipts.py)."""
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
    files_at_once: int = 2
    """Heavy work done at once: minutes read (a long PDF, OCR), 台账 and 通报 made; more wait
    their turn with 「正在读取，请稍候」 (``bot.conversation.asking.heavy_work``)."""
    wecom: Wecom = field(default_factory=Wecom)
    """企业微信 / 政务微信 (``[wecom]``); unset: not used."""
    dingtalk: DingTalk = field(default_factory=DingTalk)
    """钉钉 / 政务钉钉 (``[dingtalk]``); unset: not used."""

    @property
    def base_url(self) -> str:
        """PTB's base_url: the token is appended to it."""
        return f"{self.api_url.rstrip('/')}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB's base_file_url."""
        return f"{self.api_url.rstrip('/')}/file/bot"


class Read(Protocol):
    """How one setting's raw value (TOML or a ``DUBAN_*`` variable) is read; ``key`` names it in errors."""

    def __call__(self, value: Any, key: str) -> Any: ...


@dataclass(frozen=True)
class Key:
    """One setting: its TOML key, how its value is read, where it lands in ``Settings``
    (``organisation.office``: a field of a field), and the ``DUBAN_*`` variable that wins over
    the file, if there is one. Its default is the ``Settings`` field's own (``Key.default``)."""

    name: str
    read: Read
    lands: str
    env: str | None = None

    @property
    def default(self) -> Any:
        """What the bot uses when neither the file nor the environment sets the key."""
        value: Any = Settings()
        for part in self.lands.split("."):
            value = getattr(value, part)
        return value


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"配置项 {key} 必须是非空文字")
    return value.strip()


def _path(value: Any, key: str) -> Path:
    return Path(_text(value, key))


def _secret(value: Any, key: str) -> Secret:
    return Secret(_text(value, key))


def _integer(value: Any, key: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"配置项 {key} 必须是整数: {value!r}") from exc


def _number(value: Any, key: str) -> float:
    """A rate or a duration: 0 or more."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"配置项 {key} 必须是数字: {value!r}") from exc
    if number < 0:
        raise ConfigError(f"配置项 {key} 不能为负数: {number}")
    return number


def _positive(value: Any, key: str) -> int:
    number = _integer(value, key)
    if number < 1:
        raise ConfigError(f"配置项 {key} 必须大于0: {number}")
    return number


def _weekday(value: Any, key: str) -> int:
    weekday = _positive(value, key)
    if weekday > 7:
        raise ConfigError(f"配置项 {key} 应为1（周一）到7（周日）: {weekday}")
    return weekday


def _port(value: Any, key: str) -> int:
    port = _integer(value, key)
    if not 1 <= port <= 65535:
        raise ConfigError(f"配置项 {key} 必须是 1-65535 之间的端口号: {port}")
    return port


def _port_or_off(value: Any, key: str) -> int:
    """A port, or 0 for "switched off"."""
    return 0 if _integer(value, key) == 0 else _port(value, key)


def _time(value: Any, key: str) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"配置项 {key} 必须是时间，如 09:00: {value!r}") from exc


def _zone(value: Any, key: str) -> ZoneInfo:
    try:
        return ZoneInfo(_text(value, key))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"配置项 {key} 无效: {value}") from exc


def _choice(enum: type[StrEnum]) -> Read:
    def read(value: Any, key: str) -> StrEnum:
        try:
            return enum(str(value))
        except ValueError as exc:
            allowed = ", ".join(e.value for e in enum)
            raise ConfigError(f"配置项 {key} 只能是 {allowed}: {value!r}") from exc

    return read


def _url(schemes: tuple[str, ...], rule: str) -> Read:
    """Text that starts with one of ``schemes``; ``rule`` is the sentence an error ends with."""

    def read(value: Any, key: str) -> str:
        url = _text(value, key)
        if not url.startswith(schemes):
            raise ConfigError(f"配置项 {key} {rule}")
        return url

    return read


def _aes_key(value: Any, key: str) -> Secret:
    aes_key = _text(value, key)
    if not re.fullmatch(r"[A-Za-z0-9+/]{43}", aes_key):
        raise ConfigError(f"配置项 {key} 必须是 43 个字母或数字（企业微信后台「接收消息」生成的 EncodingAESKey）")
    return Secret(aes_key)


def _username(value: Any, key: str) -> str:
    return _text(value, key).lstrip("@")


_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
"""What Telegram allows in a webhook secret token."""


def _secret_token(value: Any, key: str) -> Secret:
    secret = _text(value, key)
    if not _SECRET_TOKEN.match(secret):
        raise ConfigError(f"配置项 {key} 只能由 1-256 个字母、数字、_ 和 - 组成")
    return Secret(secret)


def _decimal(value: Any, key: str) -> Decimal:
    try:
        # Through str so that a TOML float 0.2 becomes exactly 0.2, not 0.2000000000000000111.
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ConfigError(f"配置项 {key} 必须是数字: {value!r}") from exc


def _points(value: Any, key: str) -> dict[ScoreCategory, Decimal]:
    """The ``[scores.points]`` table over the notice's defaults: a category left out keeps its points."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"配置项 {key} 必须是一节 [{key}]，每行一个加减分项目")
    points = dict(DEFAULT_POINTS)
    for name, number in value.items():
        try:
            category = ScoreCategory(name)
        except ValueError as exc:
            raise ConfigError(f"配置项 {key}.{name} 不是已知的加减分项目") from exc
        points[category] = _decimal(number, f"{key}.{name}")
    return points


KEYS: tuple[Key, ...] = (
    Key("telegram.token", _secret, "token", "DUBAN_TELEGRAM_TOKEN"),
    Key("telegram.api_url", _url(("http://", "https://"), "必须以 http:// 或 https:// 开头"), "api_url", "DUBAN_TELEGRAM_BASE_URL"),
    Key("telegram.bot_username", _username, "bot_username", "DUBAN_BOT_USERNAME"),
    Key("telegram.messages_per_second", _number, "send_per_second", "DUBAN_MESSAGES_PER_SECOND"),
    Key("telegram.chat_interval_seconds", _number, "send_chat_interval"),
    Key("telegram.claim_lease_seconds", _number, "claim_lease_seconds"),
    Key("storage.db", _path, "db_path", "DUBAN_DB"),
    Key(
        "storage.url",
        _url(("postgresql://", "postgres://"), "必须以 postgresql:// 开头（不设置则使用 SQLite 文件 storage.db）"),
        "database_url",
        "DUBAN_DATABASE_URL",
    ),
    Key("storage.pool_size", _positive, "db_pool_size", "DUBAN_DB_POOL_SIZE"),
    Key("storage.archive_dir", _path, "archive_dir", "DUBAN_ARCHIVE"),
    Key("organisation.government", _text, "organisation.government"),
    Key("organisation.office", _text, "organisation.office"),
    Key("organisation.supervision_office", _text, "organisation.supervision_office"),
    Key("organisation.conduct_office", _text, "organisation.conduct_office"),
    Key("schedule.timezone", _zone, "timezone", "DUBAN_TIMEZONE"),
    Key("schedule.daily_time", _time, "daily_time", "DUBAN_DAILY_TIME"),
    Key("schedule.digest_weekday", _weekday, "digest_weekday"),
    Key("schedule.review_wait_days", _positive, "review_wait_days"),
    Key("schedule.daily_check_days", _choice(CheckDays), "daily_check_days"),
    Key("escalation.window_days", _positive, "escalation_window_days"),
    Key("escalation.deadline_mode", _choice(DeadlineMode), "deadline_mode"),
    Key("escalation.mode", _choice(EscalationMode), "escalation_mode", "DUBAN_ESCALATION_MODE"),
    Key("sharing.chase", _choice(ChaseRule), "shared_chase"),
    Key("sharing.part_lead_days", _positive, "part_lead_days"),
    Key("onboarding.invite_ttl_hours", _positive, "invite_ttl_hours"),
    Key("reminders.read_unacknowledged_hours", _positive, "read_unacknowledged_hours"),
    Key("notify.conduct_office_chat_id", _integer, "conduct_office_chat_id"),
    Key("scores.points", _points, "score_rules.points"),
    Key("scores.base", _decimal, "score_rules.base"),
    Key("scores.advanced_threshold", _decimal, "score_rules.advanced_threshold"),
    Key("webhook.url", _url(("https://", "http://"), "必须以 https:// 开头（本机测试可用 http://）"), "webhook_url", "DUBAN_WEBHOOK_URL"),
    Key("webhook.listen", _text, "webhook_listen", "DUBAN_WEBHOOK_LISTEN"),
    Key("webhook.port", _port, "webhook_port", "DUBAN_WEBHOOK_PORT"),
    Key("webhook.secret_token", _secret_token, "webhook_secret", "DUBAN_WEBHOOK_SECRET"),
    Key("health.listen", _text, "health_listen", "DUBAN_HEALTH_LISTEN"),
    Key("health.port", _port_or_off, "health_port", "DUBAN_HEALTH_PORT"),
    Key("backup.dir", _path, "backup_dir", "DUBAN_BACKUP_DIR"),
    Key("backup.time", _time, "backup_time", "DUBAN_BACKUP_TIME"),
    Key("backup.keep", _positive, "backup_keep", "DUBAN_BACKUP_KEEP"),
    Key("files.at_once", _positive, "files_at_once", "DUBAN_FILES_AT_ONCE"),
    Key("wecom.corp_id", _text, "wecom.corp_id", "DUBAN_WECOM_CORP_ID"),
    Key("wecom.agent_id", _positive, "wecom.agent_id", "DUBAN_WECOM_AGENT_ID"),
    Key("wecom.secret", _secret, "wecom.secret", "DUBAN_WECOM_SECRET"),
    Key("wecom.token", _secret, "wecom.token", "DUBAN_WECOM_TOKEN"),
    Key("wecom.encoding_aes_key", _aes_key, "wecom.encoding_aes_key", "DUBAN_WECOM_AES_KEY"),
    Key("wecom.callback_path", _url(("/",), "必须以 / 开头"), "wecom.callback_path"),
    Key("wecom.api_url", _url(("http://", "https://"), "必须以 http:// 或 https:// 开头"), "wecom.api_url", "DUBAN_WECOM_API_URL"),
    Key("wecom.listen", _text, "wecom.listen", "DUBAN_WECOM_LISTEN"),
    Key("wecom.port", _port, "wecom.port", "DUBAN_WECOM_PORT"),
    Key("wecom.send_per_second", _number, "wecom.send_per_second"),
    Key("wecom.member_per_minute", _positive, "wecom.member_per_minute"),
    Key("dingtalk.client_id", _text, "dingtalk.client_id", "DUBAN_DINGTALK_CLIENT_ID"),
    Key("dingtalk.client_secret", _secret, "dingtalk.client_secret", "DUBAN_DINGTALK_CLIENT_SECRET"),
    Key("dingtalk.robot_code", _text, "dingtalk.robot_code"),
    Key("dingtalk.agent_id", _integer, "dingtalk.agent_id", "DUBAN_DINGTALK_AGENT_ID"),
    Key("dingtalk.endpoint", _url(("https://", "http://"), "必须以 https:// 开头（本机模拟器可用 http://）"), "dingtalk.endpoint", "DUBAN_DINGTALK_ENDPOINT"),
    Key("dingtalk.card_template_id", _text, "dingtalk.card_template_id"),
    Key("dingtalk.send_per_second", _number, "dingtalk.send_per_second"),
    Key("dingtalk.read_poll_seconds", _number, "dingtalk.read_poll_seconds"),
    Key("dingtalk.oapi_endpoint", _url(("https://", "http://"), "必须以 https:// 开头（本机模拟器可用 http://）"), "dingtalk.oapi_endpoint"),
)
"""Every setting the bot reads, in the order a bad value is reported. ``config.example.toml``
shows each of them (a test holds the two together)."""

_BY_NAME = {key.name: key for key in KEYS}


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
    for key in KEYS:
        if key.env and env.get(key.env):
            flat[key.name] = env[key.env]
    return _build(flat)


def _flatten(raw: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"schedule": {"daily_time": …}}`` as ``{"schedule.daily_time": …}``; a key whose value
    is itself a table (``scores.points``) is kept whole."""
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and name not in _BY_NAME:
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _build(flat: Mapping[str, Any]) -> Settings:
    unknown = sorted(set(flat) - set(_BY_NAME))
    if unknown:
        raise ConfigError(f"未知配置项 (unknown key): {unknown[0]}")
    values: dict[str, Any] = {}
    parts: dict[str, dict[str, Any]] = {}
    for key in KEYS:
        if key.name in flat:
            field_name, _, part = key.lands.partition(".")
            value = key.read(flat[key.name], key.name)
            if part:
                parts.setdefault(field_name, {})[part] = value
            else:
                values[field_name] = value
    defaults = Settings()
    for field_name, changed in parts.items():
        values[field_name] = replace(getattr(defaults, field_name), **changed)
    return replace(defaults, **values)
