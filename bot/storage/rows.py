"""Conversions between SQLite's text columns and domain values."""

from __future__ import annotations

from datetime import date, datetime


def day(value: str | None) -> date | None:
    """An ISO date column, or None."""
    return date.fromisoformat(value) if value else None


def stamp(moment: datetime) -> str:
    """An aware datetime as stored: ISO 8601 with its offset, to the second."""
    return moment.isoformat(timespec="seconds")


def iso(value: date | None) -> str | None:
    """A date as stored, or None."""
    return value.isoformat() if value else None
