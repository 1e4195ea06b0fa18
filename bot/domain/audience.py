"""Who is told of what happens to a task (notice section 二, SPEC section 4 "Who is told").

The 交办单 names the issuing 科室 and its clerk as 联系人, and the 催办单 is "市政府办公室相关科室拟定
…报政务监督室备案后下发": the 科室 that issued a task hears of every step taken against it. The
催办单 and the 督办通知单 both tell the unit to "向市政府办公室政务监督室上报办理结果情况": a unit's
answer to either goes to 政务监督室 as well as to the 科室 that reviews it.
"""

from __future__ import annotations

from bot.domain.tasks import EscalationStage, Task

ISSUING_SECTION_TOLD_OF = frozenset({
    "reminder_issued",
    "supervision_issued",
    "interview_proposed",
    "interview_recorded",
    "transfer_proposed",
    "transfer_recorded",
})
"""History kinds the issuing 科室 is told of: every 催办单, 督办通知单, 约谈 proposal, 约谈 and 移交."""


def issuing_section_told(kind: str) -> bool:
    """Whether the 科室 that issued the task hears of a step of this kind."""
    return kind in ISSUING_SECTION_TOLD_OF


def feedback_goes_to_supervision_office(task: Task) -> bool:
    """A unit's 反馈 on a task that has a 催办单 (or later a 督办通知单) answers a slip that told it to
    report "向市政府办公室政务监督室": 政务监督室 receives a copy, naming the slip it answers."""
    return task.stage is not EscalationStage.NONE
