"""The history of a task: who did what, when (SPEC section 4: "Any slip, feedback, decision and
score event is an entry in the task's history"). Entries are only ever added."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a task's history."""

    id: int
    task_id: int | None
    actor_id: int | None
    actor_name: str | None
    kind: str
    at: datetime
    details: dict[str, Any]
