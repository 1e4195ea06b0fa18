"""The buttons every slip message carries: 签收 · 反馈 · 申请延期 (and 汇报进展 on a scheduled task)."""

from __future__ import annotations

from bot import actions
from bot.domain.tasks import Task, TaskStatus
from bot.services.notify import Keyboard, button
from bot.texts import label


def slip_keyboard(task: Task) -> Keyboard:
    """签收 while not yet acknowledged; 反馈 and 申请延期 while the task is open."""
    if not task.is_open:
        return []
    row = []
    if task.status is TaskStatus.ISSUED:
        row.append(button(label("buttons", "acknowledge"), actions.ACKNOWLEDGE(task_id=task.id)))
    if task.status is not TaskStatus.FEEDBACK_PENDING:
        row.append(button(label("buttons", "feedback"), actions.FEEDBACK(task_id=task.id)))
    if task.report_schedule is not None:
        row.append(button(label("buttons", "progress"), actions.PROGRESS(task_id=task.id)))
    if not task.extension_pending:
        row.append(button(label("buttons", "extension"), actions.REQUEST_EXTENSION(task_id=task.id)))
    return [row] if row else []
