"""Settings: the example file, environment variables, bad values, and the secret token."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import KEYS, ConfigError, DingTalk, Key, EscalationMode, Organisation, Secret, Settings, Wecom, load_settings
from bot.domain.deadlines import DeadlineMode
from bot.domain.scores import ScoreCategory, ScoreRules

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
TOKEN = "123456789:AAH-secret-token-value_xyz"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_loads_and_equals_the_defaults() -> None:
    """config.example.toml says "the values shown are the defaults": it must be true."""
    assert load_settings(EXAMPLE, environ={}) == Settings()


def _shown_in_example() -> dict[str, bool]:
    """Each key config.example.toml shows, and whether it is set (True) or only commented (False)."""
    shown: dict[str, bool] = {}
    section = ""
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if header := re.fullmatch(r"\[([a-z_.]+)\]", line.strip()):
            section = header.group(1)
            if section in {key.name for key in KEYS}:
                shown[section] = True  # a key that is a table of its own: [scores.points]
        elif section in shown:
            continue
        elif entry := re.match(r"(# )?([a-z_]+) = ", line):
            shown[f"{section}.{entry.group(2)}"] = entry.group(1) is None
    return shown


def test_every_setting_has_one_key() -> None:
    """The table builds the whole Settings: each field (and each field of the organisation and
    the score table) is set by exactly one key, and each key lands on a real field."""
    lands = [key.lands for key in KEYS]
    assert len(lands) == len(set(lands))
    nested = {"organisation": Organisation, "score_rules": ScoreRules, "wecom": Wecom, "dingtalk": DingTalk}
    expected: set[str] = set()
    for field in fields(Settings):
        if field.name in nested:
            expected |= {f"{field.name}.{part.name}" for part in fields(nested[field.name])}
        else:
            expected.add(field.name)
    assert set(lands) == expected


def test_the_example_shows_every_key_and_every_variable() -> None:
    """config.example.toml says it has every key: each one of the settings table is there, a
    key shown only as a comment is one that is unset by default, and its header names every
    DUBAN_* variable."""
    shown = _shown_in_example()
    text = EXAMPLE.read_text(encoding="utf-8")
    header = text[: text.index("[telegram]")]
    for key in KEYS:
        assert key.name in shown, f"config.example.toml does not show {key.name}"
        assert shown[key.name] or key.default is None, f"{key.name} is commented out but defaults to {key.default!r}"
        assert key.env is None or key.env in header, f"config.example.toml's header does not name {key.env}"
    assert set(shown) <= {key.name for key in KEYS}


@pytest.mark.parametrize("key", [key for key in KEYS if key.env], ids=lambda key: key.env)
def test_each_variable_sets_its_key(tmp_path: Path, key: Key) -> None:
    """A DUBAN_* variable lands where its TOML key does: the same value read from either gives
    the same Settings."""
    value = ENV_SAMPLES.get(key.name, "9")
    section, name = key.name.split(".")
    from_file = write(tmp_path, f'[{section}]\n{name} = "{value}"\n')
    assert load_settings(None, environ={key.env: value}) == load_settings(from_file, environ={})
    assert load_settings(None, environ={key.env: value}) != Settings()


ENV_SAMPLES = {
    "telegram.token": TOKEN,
    "telegram.api_url": "http://127.0.0.1:8081",
    "telegram.bot_username": "tidy_bot",
    "storage.db": "/var/lib/duban/other.db",
    "storage.url": "postgresql://duban@db/duban",
    "storage.archive_dir": "/var/lib/duban/files",
    "schedule.timezone": "Asia/Urumqi",
    "schedule.daily_time": "08:30",
    "escalation.mode": "confirm",
    "webhook.url": "https://duban.example.org/telegram",
    "webhook.listen": "0.0.0.0",
    "webhook.secret_token": "s3cret_token",
    "health.listen": "0.0.0.0",
    "backup.dir": "/var/lib/duban/backups",
    "backup.time": "04:15",
    "wecom.encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "wecom.api_url": "http://127.0.0.1:8082",
    "dingtalk.endpoint": "http://127.0.0.1:8083",
}


def test_defaults_are_the_notices() -> None:
    """"原则上3天之内必须办结", "实行百分制计分", "年终总分低于80分", organisation of 邓州市."""
    s = Settings()
    assert s.escalation_window_days == 3
    assert s.score_rules.base == Decimal("100")
    assert s.score_rules.advanced_threshold == Decimal("80")
    assert s.organisation == Organisation("邓州市人民政府", "市政府办公室", "市政府办公室政务监督室", "市作风办")
    assert s.timezone == ZoneInfo("Asia/Shanghai")
    assert s.daily_time == time(9, 0)
    assert s.escalation_mode is EscalationMode.AUTO
    assert s.deadline_mode is DeadlineMode.CALENDAR


def test_no_file_and_no_environment_gives_defaults() -> None:
    assert load_settings(None, environ={}) == Settings()


def test_file_values_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [organisation]
        government = "南阳市人民政府"
        [escalation]
        window_days = 5
        deadline_mode = "working"
        mode = "confirm"
        [schedule]
        daily_time = "08:30"
        """,
    )
    s = load_settings(path, environ={})
    assert s.organisation.government == "南阳市人民政府"
    assert s.organisation.office == "市政府办公室"
    assert s.escalation_window_days == 5
    assert s.deadline_mode is DeadlineMode.WORKING
    assert s.escalation_mode is EscalationMode.CONFIRM
    assert s.daily_time == time(8, 30)


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    """STYLE: "loaded once at start from TOML and DUBAN_* variables"; the variables win."""
    path = write(
        tmp_path,
        """
        [telegram]
        token = "file-token"
        api_url = "https://file.example"
        [storage]
        db = "from-file.db"
        [schedule]
        daily_time = "07:00"
        timezone = "Asia/Shanghai"
        [escalation]
        mode = "auto"
        """,
    )
    env = {
        "DUBAN_TELEGRAM_TOKEN": TOKEN,
        "DUBAN_TELEGRAM_BASE_URL": "http://127.0.0.1:8081",
        "DUBAN_DB": "/var/lib/duban/env.db",
        "DUBAN_DAILY_TIME": "09:30",
        "DUBAN_TIMEZONE": "Asia/Urumqi",
        "DUBAN_ESCALATION_MODE": "confirm",
    }
    s = load_settings(path, environ=env)
    assert s.token is not None and s.token.reveal() == TOKEN
    assert s.api_url == "http://127.0.0.1:8081"
    assert s.db_path == Path("/var/lib/duban/env.db")
    assert s.daily_time == time(9, 30)
    assert s.timezone == ZoneInfo("Asia/Urumqi")
    assert s.escalation_mode is EscalationMode.CONFIRM


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[escalation]\nwindow_days = 4\n")
    assert load_settings(None, environ={"DUBAN_CONFIG": str(path)}).escalation_window_days == 4


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[schedule]\ndaily_time = "25:00"\n', "schedule.daily_time"),
        ('[escalation]\nmode = "fast"\n', "escalation.mode"),
        ("[escalation]\nwindow_days = 0\n", "escalation.window_days"),
        ("[escalation]\nwindow_days = -3\n", "escalation.window_days"),
        ('[escalation]\ndeadline_mode = "lunar"\n', "escalation.deadline_mode"),
        ('[escalation]\nwindow_dayz = 3\n', "escalation.window_dayz"),
        ('colour = "red"\n', "colour"),
        ('[schedule]\ntimezone = "Mars/Olympus"\n', "schedule.timezone"),
        ('[telegram]\napi_url = "ftp://x"\n', "telegram.api_url"),
        ('[scores.points]\nbonus = 2\n', "scores.points.bonus"),
        ('[scores.points]\npraise = "lots"\n', "scores.points.praise"),
        ('[onboarding]\ninvite_ttl_hours = "soon"\n', "onboarding.invite_ttl_hours"),
        ('[organisation]\ngovernment = ""\n', "organisation.government"),
    ],
)
def test_invalid_value_names_the_key(tmp_path: Path, toml: str, key: str) -> None:
    """An invalid value stops start-up with a ConfigError naming the key."""
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, toml), environ={})
    assert key in str(info.value)


def test_invalid_environment_value_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, environ={"DUBAN_DAILY_TIME": "25:00"})
    assert "daily_time" in str(info.value)


def test_missing_or_broken_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_settings(tmp_path / "nope.toml", environ={})
    with pytest.raises(ConfigError):
        load_settings(write(tmp_path, "[escalation\n"), environ={})


def test_token_never_prints(tmp_path: Path) -> None:
    """SPEC §9: "the token and personal data never appear in logs"."""
    s = load_settings(write(tmp_path, f'[telegram]\ntoken = "{TOKEN}"\n'), environ={})
    assert s.token is not None and s.token.reveal() == TOKEN
    for shown in (repr(s), str(s), repr(s.token), str(s.token), f"{s}", f"{s.token}", "%s" % (s,)):
        assert TOKEN not in shown
        assert "AAH-secret" not in shown
    assert "********" in repr(s)


def test_token_not_in_the_error_of_a_bad_value() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, environ={"DUBAN_TELEGRAM_TOKEN": TOKEN, "DUBAN_DAILY_TIME": "25:00"})
    assert TOKEN not in str(info.value)


def test_secret_equality_does_not_leak() -> None:
    assert Secret(TOKEN) == Secret(TOKEN)
    assert TOKEN not in repr([Secret(TOKEN)])


def test_toml_float_becomes_an_exact_decimal(tmp_path: Path) -> None:
    """TOML's 0.2 is a binary float; the score table must hold exactly Decimal("0.2")."""
    path = write(tmp_path, "[scores]\nbase = 100.0\n[scores.points]\nreminder_slip = -0.2\npraise = 0.1\nmaterial_late = 0.2\n")
    rules = load_settings(path, environ={}).score_rules
    assert rules.points_for(ScoreCategory.REMINDER_SLIP) == Decimal("-0.2")
    assert str(rules.points_for(ScoreCategory.REMINDER_SLIP)) == "-0.2"
    assert rules.points_for(ScoreCategory.PRAISE) + rules.points_for(ScoreCategory.MATERIAL_LATE) == Decimal("0.3")
    assert rules.points_for(ScoreCategory.SUPERVISION_NOTICE) == Decimal("-0.5")  # untouched default
    assert rules.base == Decimal("100")


def test_settings_are_frozen() -> None:
    s = Settings()
    with pytest.raises(AttributeError):
        s.escalation_window_days = 5  # type: ignore[misc]


def test_digest_weekday_must_be_a_day_of_the_week(tmp_path):
    path = tmp_path / "duban.toml"
    path.write_text("[schedule]\ndigest_weekday = 8\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="schedule.digest_weekday"):
        load_settings(path, environ={})
    path.write_text("[schedule]\ndigest_weekday = 5\n", encoding="utf-8")
    assert load_settings(path, environ={}).digest_weekday == 5


def test_the_review_wait_is_a_positive_number_of_days(tmp_path):
    path = tmp_path / "duban.toml"
    assert load_settings(None, environ={}).review_wait_days == 5
    path.write_text("[schedule]\nreview_wait_days = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="schedule.review_wait_days"):
        load_settings(path, environ={})
    path.write_text("[schedule]\nreview_wait_days = 3\n", encoding="utf-8")
    assert load_settings(path, environ={}).review_wait_days == 3


def test_the_wecom_application_is_read_and_its_keys_never_print(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [wecom]
        corp_id = "ww0123456789abcdef"
        agent_id = 1000002
        secret = "app-secret"
        token = "CallbackToken"
        encoding_aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
        """,
    )
    wecom = load_settings(path, environ={"DUBAN_WECOM_SECRET": "from-env"}).wecom
    assert (wecom.corp_id, wecom.agent_id, wecom.callback_path) == ("ww0123456789abcdef", 1000002, "/wecom/callback")
    assert wecom.secret is not None and wecom.secret.reveal() == "from-env"
    assert wecom.encoding_aes_key is not None and "abcdefghij" not in repr(wecom)


def test_an_encoding_aes_key_of_the_wrong_length_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[wecom]\nencoding_aes_key = "tooshort"\n')
    with pytest.raises(ConfigError, match="wecom.encoding_aes_key"):
        load_settings(path, environ={})
