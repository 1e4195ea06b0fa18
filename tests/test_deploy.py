"""The deployment files: the image builds and runs ``duban``; its HEALTHCHECK line tells a
healthy bot from one whose database is gone; the example configuration files load."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import KEYS, load_settings
from bot.health import HealthServer
from bot.services.context import Office
from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
IMAGE = "duban-bot:test"


def docker_unavailable() -> str | None:
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"docker is not usable here: {exc}"
    if info.returncode != 0:
        return "no Docker engine answers `docker info`: " + (info.stderr.strip().splitlines() or ["?"])[-1]
    return None


def test_the_image_builds_and_runs_duban():
    reason = docker_unavailable()
    if reason:
        print(reason)
        pytest.skip(reason)
    build = subprocess.run(
        ["docker", "build", "-f", str(DEPLOY / "Dockerfile"), "-t", IMAGE, str(ROOT)], capture_output=True, text=True, timeout=1800
    )
    assert build.returncode == 0, build.stderr[-3000:]
    run = subprocess.run(["docker", "run", "--rm", IMAGE, "--help"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "督办 Bot" in run.stdout and "backup" in run.stdout
    user = subprocess.run(["docker", "run", "--rm", "--entrypoint", "id", IMAGE, "-u"], capture_output=True, text=True, timeout=120)
    assert user.stdout.strip() != "0", "the bot must not run as root"


def healthcheck_command() -> list[str]:
    """The HEALTHCHECK ``CMD [...]`` of deploy/Dockerfile, as an argv."""
    lines = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
    line = next(line for line in lines if line.startswith("HEALTHCHECK"))
    return list(json.loads(line[line.index("CMD") + 3:].strip()))


async def test_the_image_healthcheck_passes_on_a_healthy_bot_and_fails_when_the_database_is_gone(tmp_path: Path):
    argv = healthcheck_command()
    assert argv[0] == "python"
    office = await Office.open(Settings(db_path=tmp_path / "duban.db"))
    health = HealthServer(lambda: office.db.reader, "127.0.0.1", 0)
    await health.start()
    env = {**os.environ, "DUBAN_HEALTH_PORT": str(health.port)}

    async def check() -> int:
        proc = await asyncio.create_subprocess_exec(sys.executable, *argv[1:], env=env, stderr=asyncio.subprocess.DEVNULL)
        return await proc.wait()

    try:
        assert await check() == 0
        await office.db.close()
        assert await check() != 0
    finally:
        await health.stop()
    assert await check() != 0, "no bot listening is unhealthy too"


def test_the_example_configuration_files_load(tmp_path: Path):
    toml = load_settings(DEPLOY / "duban.toml.example", environ={})
    assert toml.db_path == Path("/var/lib/duban/duban.db") and toml.backup_dir == Path("/var/lib/duban/backups")
    assert load_settings(ROOT / "config.example.toml", environ={}).health_port == 8081
    env = dict(
        line.split("=", 1) for line in (DEPLOY / "duban.env.example").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    settings = load_settings(None, environ=env)
    assert settings.token is not None


DEPLOYMENT_VARIABLES = {"DUBAN_CONFIG", "DUBAN_DOMAIN", "DUBAN_RUN_FLAGS", "DUBAN_PRINT_DIR", "DUBAN_INSTANCE_TRIALS"}
"""Variables the deployment files and the README use that are not settings: the config file's
path, Caddy's domain, the compose command's flags, and two of the test suite's own."""


def test_every_variable_the_deployment_files_name_is_a_setting():
    """A DUBAN_* variable spelled wrong in a deployment file or a guide would be ignored in
    silence: every one named there is a setting's variable (bot/config.py KEYS)."""
    known = {key.env for key in KEYS if key.env} | DEPLOYMENT_VARIABLES
    files = [*DEPLOY.iterdir(), ROOT / "README.md", ROOT / "config.example.toml", *(ROOT / "docs").glob("*.md")]
    named = {
        (path.name, name)
        for path in files
        if path.is_file()
        for name in re.findall(r"DUBAN_[A-Z_]+", path.read_text(encoding="utf-8"))
    }
    assert {pair for pair in named if pair[1] not in known} == set()


def test_the_image_environment_loads():
    """The Dockerfile's ENV lines are settings the bot reads as meant."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    env = dict(
        pair.split("=", 1) for line in text.splitlines() if line.startswith("ENV ") for pair in line.split()[1:]
    )
    settings = load_settings(None, environ=env)
    assert settings.db_path == Path("/data/duban.db") and settings.backup_dir == Path("/data/backups")
    assert settings.webhook_listen == "0.0.0.0" and settings.health_port == 8081


def test_systemd_accepts_the_unit():
    """``systemd-analyze verify``; the only complaint allowed is that /opt/duban is not installed here."""
    try:
        verify = subprocess.run(["systemd-analyze", "verify", str(DEPLOY / "duban.service")], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        pytest.skip(f"systemd-analyze is not available: {exc}")
    complaints = [
        line for line in (verify.stdout + verify.stderr).splitlines()
        if line.strip() and "/opt/duban/.venv/bin/duban is not executable" not in line
    ]
    assert complaints == []
