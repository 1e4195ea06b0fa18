"""Every inline button of the bot, one row each: its name, the values it carries, who may press
it, and the handler that takes it.

A service or a handler offers a button by its action and typed values
(``actions.ACKNOWLEDGE(task_id=task.id)``); the handler registered for the action receives the
same values back. Between the two the values travel as a button's data, written and read here
only, after the action's ``layout``: ``ack:{task_id}`` is 「ack:」 and the task's id,
``[...]`` a part left out when its values are None. The layouts are the data of buttons already
sent: a button in a chat from before an upgrade still reaches its handler. Data stays within
64 bytes (Telegram's limit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, NamedTuple, TypeVar, get_type_hints

MAX_BYTES = 64
"""The most a button may carry (Telegram's limit for a button's data)."""

INT = r"\d{1,12}"
"""How an id or a page number is written."""

FORMATS = {
    "dialog_id": r"[0-9a-f]+",
    "value": r".*",
    "rest": r".*",
    "number": r"[JCD]\d{4}-\d{1,5}",
    "period": r"\d{4}(?:-\d{2})?",
    "month": r"\d{4}-\d{2}",
    "code": r"[A-Za-z0-9_-]{1,61}",
}
"""How each text value is written (every int value is ``INT``)."""

_FIELD = re.compile(r"\{(\w+)\}")
_OPTIONAL = re.compile(r"\[([^\]]*)\]")


# ------------------------------------------------------------------------------ values


class Nothing(NamedTuple):
    """A button that carries nothing but itself."""


class OfTask(NamedTuple):
    task_id: int


class OfTaskInDialog(NamedTuple):
    """A task's button inside a dialog (跳过, the default day); buttons drawn before dialogs
    carried an id have none (None: the open dialog, as before)."""

    task_id: int
    dialog_id: str | None = None


class OfSlip(NamedTuple):
    slip_id: int


class OfItem(NamedTuple):
    """A feedback waiting for the clerk's decision (采纳 / 退回)."""

    item_id: int


class OfFeedback(NamedTuple):
    feedback_id: int


class OfRequest(NamedTuple):
    """An extension request (申请延期) waiting for a decision."""

    request_id: int


class OfDraft(NamedTuple):
    draft_id: int


class OfDocument(NamedTuple):
    document_id: int


class DocumentPage(NamedTuple):
    document_id: int
    page: int


class WordFile(NamedTuple):
    """A task's Word file; with a slip, that slip's."""

    task_id: int
    slip_id: int | None = None


class TaskNumber(NamedTuple):
    """A slip number in full (J2026-10)."""

    number: str


class ListPage(NamedTuple):
    """A page of /tasks or /overdue (``kind``), narrowed to a unit or not."""

    kind: str
    page: int
    unit_id: int | None = None


class PeriodPage(NamedTuple):
    period: str
    page: int


class SectionReview(NamedTuple):
    month: str
    section_id: int


class OfMonth(NamedTuple):
    month: str


class ReportFile(NamedTuple):
    """A month's or year's report as a spreadsheet (``x``) or a chart (``c``)."""

    kind: str
    period: str


class BindCode(NamedTuple):
    code: str


class TaskInDialog(NamedTuple):
    """A task's button on a dialog's question (提交 of the 反馈 dialog): with the dialog's id on
    buttons sent since it was added (None: one sent before, taken as it was then)."""

    task_id: int
    dialog_id: str | None = None


class FeedbackInDialog(NamedTuple):
    """A feedback's button on a dialog's question (不改期限 of the 退回 dialog), with the
    dialog's id as ``TaskInDialog``."""

    feedback_id: int
    dialog_id: str | None = None


class OfDialog(NamedTuple):
    """The dialog a 取消 belongs to (None: whichever is open)."""

    dialog_id: str | None = None


class DialogStep(NamedTuple):
    """A button of a dialog with an id: the id tells a button of this dialog from one of a
    dialog cancelled, lapsed or replaced."""

    dialog_id: str
    value: str = ""


class DialogChoice(NamedTuple):
    """A button of a dialog with an id that answers its question ``step``."""

    dialog_id: str
    step: str
    value: str = ""


class Leftover(NamedTuple):
    """Any other button of a dialog: one of a step it no longer has."""

    rest: str


V = TypeVar("V", bound=tuple[Any, ...])


# ------------------------------------------------------------------------------ the action


class Offer(NamedTuple):
    """A button's action with its values, ready to be drawn."""

    action: Action[Any]
    values: tuple[Any, ...]

    @property
    def data(self) -> str:
        return self.action.encode(self.values)


@dataclass(frozen=True, eq=False)
class Action(Generic[V]):
    """One kind of button."""

    name: str
    layout: str
    carries: type[V]
    who: str
    """Who may press it, in words; the rule is its row of ``BUTTONS`` in
    ``bot/domain/permissions.py``, which the handler's service checks."""
    handler: str
    """``module.function`` of the handler that takes it."""
    formats: dict[str, str] = field(default_factory=dict)
    """Formats of this action's text values, where they differ from ``FORMATS``."""

    def __call__(self, **values: Any) -> Offer:
        return Offer(self, self.carries(**values))

    @cached_property
    def _types(self) -> dict[str, Any]:
        return get_type_hints(self.carries)

    def _format(self, name: str) -> str:
        if name in self.formats:
            return self.formats[name]
        return INT if self._types[name] in (int, int | None) else FORMATS[name]

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The data of this action's buttons, and nothing else."""

        def part(text: str) -> str:
            out, pos = [], 0
            for m in _FIELD.finditer(text):
                out += [re.escape(text[pos : m.start()]), f"(?P<{m[1]}>{self._format(m[1])})"]
                pos = m.end()
            return "".join(out) + re.escape(text[pos:])

        return re.compile("^" + self._pieces(part, lambda inner: f"(?:{part(inner)})?") + "$")

    def _pieces(self, fixed: Any, optional: Any) -> str:
        out, pos = [], 0
        for m in _OPTIONAL.finditer(self.layout):
            out += [fixed(self.layout[pos : m.start()]), optional(m[1])]
            pos = m.end()
        return "".join(out) + fixed(self.layout[pos:])

    def fits(self, **values: Any) -> bool:
        """Whether these values can ride in a button (within its format and ``MAX_BYTES``)."""
        data = self._pieces(lambda text: _FIELD.sub(lambda m: str(values[m[1]]), text), lambda text: "")
        return len(data.encode()) <= MAX_BYTES and self.pattern.match(data) is not None

    def encode(self, values: tuple[Any, ...]) -> str:
        """The button data of these values."""
        given = values._asdict()  # type: ignore[attr-defined]

        def fill(text: str) -> str:
            return _FIELD.sub(lambda m: str(given[m[1]]), text)

        def optional(text: str) -> str:
            return fill(text) if all(given[n] is not None for n in _FIELD.findall(text)) else ""

        data = self._pieces(fill, optional)
        assert len(data.encode()) <= MAX_BYTES and self.pattern.match(data), (self.name, data)
        return data

    def _value(self, name: str, text: str | None) -> Any:
        kind = self._types[name]
        if kind in (int, int | None):
            return int(text) if text else None
        return text or ("" if kind is str else None)

    def read(self, data: str) -> V:
        """The values of a button's data (it matched ``pattern``: its handler was chosen so)."""
        match = self.pattern.match(data)
        assert match is not None, (self.name, data)
        values = {name: self._value(name, text) for name, text in match.groupdict().items()}
        return self.carries(**values)


# ------------------------------------------------------------------------------ the table

H = "bot.conversation."

# 工作交办单 and the other slips: what the unit does with them
ACKNOWLEDGE = Action("acknowledge", "ack:{task_id}", OfTask, "the responsible unit", H + "slip_actions.acknowledge")
FEEDBACK = Action("feedback", "fb:{task_id}", OfTask, "the responsible unit", H + "slip_actions.open_feedback")
PROGRESS = Action("progress", "prg:{task_id}", OfTask, "the responsible unit", H + "slip_actions.open_progress")
SUBMIT_FEEDBACK = Action("submit_feedback", "fbsend:{task_id}[:{dialog_id}]", TaskInDialog, "whoever writes it", H + "slip_actions.submit_draft")
FEEDBACK_FOR = Action("feedback_for", "fbk:{task_id}", OfTask, "whoever sent the file", H + "slip_actions.kept_for")
REQUEST_EXTENSION = Action("request_extension", "ext:{task_id}", OfTask, "the responsible unit", H + "extension.extension_button")

# decisions on what a unit sent
ACCEPT = Action("accept", "acc:{item_id}", OfItem, "the issuing section or 政务监督室", H + "slip_actions.accept")
RETURN = Action("return", "ret:{item_id}", OfItem, "the issuing section or 政务监督室", H + "slip_actions.open_return_dialog")
RETURN_NO_DATE = Action("return_no_date", "retskip:{feedback_id}[:{dialog_id}]", FeedbackInDialog, "the issuing section or 政务监督室", H + "slip_actions.skip_date")
APPROVE_EXTENSION = Action("approve_extension", "exa:{request_id}", OfRequest, "the unit's 分管市领导", H + "extension.approve_button")
REJECT_EXTENSION = Action("reject_extension", "exr:{request_id}", OfRequest, "the unit's 分管市领导", H + "extension.reject_button")
OTHER_DATE = Action("other_date", "exd:{request_id}", OfRequest, "the unit's 分管市领导", H + "extension.other_date_button")

# 催办, 督办, 约谈, 移交作风办
REMIND = Action("remind", "rmd:{task_id}", OfTask, "the issuing section or 政务监督室", H + "escalation.remind_button")
ISSUE_DRAFT = Action("issue_draft", "dri:{draft_id}", OfDraft, "whoever the draft was sent to", H + "escalation.issue_draft_button")
HOLD_DRAFT = Action("hold_draft", "drh:{draft_id}", OfDraft, "whoever the draft was sent to", H + "escalation.hold_draft_button")
INTERVIEW = Action("interview", "ivw:{task_id}", OfTask, "政务监督室", H + "escalation.interview_button")
INTERVIEW_NO_NOTE = Action("interview_no_note", "ivwskip:{task_id}[:{dialog_id}]", OfTaskInDialog, "政务监督室", H + "escalation.interview_skip")
INTERVIEW_DEFAULT_DAY = Action("interview_default_day", "ivwday:{task_id}[:{dialog_id}]", OfTaskInDialog, "政务监督室", H + "escalation.interview_default_day")
TRANSFER = Action("transfer", "trf:{task_id}", OfTask, "政务监督室", H + "escalation.transfer_button")
TRANSFER_NO_NOTE = Action("transfer_no_note", "trfskip:{task_id}[:{dialog_id}]", OfTaskInDialog, "政务监督室", H + "escalation.transfer_skip")

# /task, /tasks, /overdue
CHOOSE_TASK = Action("choose_task", "tsk:{number}", TaskNumber, "whoever asked", H + "lookup.chosen_task")
TURN_TASK_LIST = Action(
    "turn_task_list", "{kind}:{page}[:{unit_id}]", ListPage, "whoever asked", H + "lookup.turn_page",
    formats={"kind": "tasks|overdue"},
)
WORD_FILE = Action("word_file", "wd:{task_id}[:{slip_id}]", WordFile, "whoever may see the task", H + "exports.word_pressed")

# 撤回 and 更正
WITHDRAW = Action("withdraw", "prw:{slip_id}", OfSlip, "the issuing section or 政务监督室", H + "corrections.withdraw_button")
CORRECT = Action("correct", "prc:{task_id}", OfTask, "the issuing section or 政务监督室", H + "corrections.correct_button")
PUT_RIGHT_FIELD = Action("put_right_field", "pr:{dialog_id}:f:{value}", DialogStep, "the issuing section or 政务监督室", H + "corrections.field_chosen")
PUT_RIGHT_CONFIRM = Action("put_right_confirm", "pr:{dialog_id}:ok:{value}", DialogStep, "the issuing section or 政务监督室", H + "corrections.confirm")
PUT_RIGHT_OTHER = Action("put_right_other", "pr:{rest}", Leftover, "anyone", H + "kit.stale_button")

# /new
NEW_UNIT = Action("new_unit", "nw:{dialog_id}:u:{value}", DialogStep, "the issuer (a section's clerk or 政务监督室)", H + "issue.unit_toggled")
NEW_UNITS_PAGE = Action("new_units_page", "nw:{dialog_id}:pg:{value}", DialogStep, "the issuer (a section's clerk or 政务监督室)", H + "issue.units_paged")
NEW_CONFIRM = Action("new_confirm", "nw:{dialog_id}:ok:{value}", DialogStep, "the issuer (a section's clerk or 政务监督室)", H + "issue.confirm")
NEW_EDIT = Action("new_edit", "nw:{dialog_id}:ed:{value}", DialogStep, "the issuer (a section's clerk or 政务监督室)", H + "issue.edit")
NEW_ANSWER = Action(
    "new_answer", "nw:{dialog_id}:{step}:{value}", DialogChoice, "the issuer (a section's clerk or 政务监督室)", H + "issue.chosen",
    formats={"step": "s|ud|r|ld|p|rs|sp|a|ef"},
)
NEW_OTHER = Action("new_other", "nw:{rest}", Leftover, "anyone", H + "kit.stale_button")

# 百分制
SCORE_UNIT = Action("score_unit", "sc:{dialog_id}:u:{value}", DialogStep, "政务监督室", H + "scores.unit_pressed")
SCORE_PAGE = Action("score_page", "sc:{dialog_id}:pg:{value}", DialogStep, "政务监督室", H + "scores.page_pressed")
SCORE_DONE = Action("score_done", "sc:{dialog_id}:ok:{value}", DialogStep, "政务监督室", H + "scores.done_pressed")
SCORE_OTHER = Action("score_other", "sc:{rest}", Leftover, "anyone", H + "kit.stale_button")
TURN_SCORE_TABLE = Action("turn_score_table", "scp:{period}:{page}", PeriodPage, "whoever asked", H + "scores.table_turned")

# drafts read from minutes and 批示
EDIT_DRAFT = Action("edit_draft", "ie:{draft_id}", OfDraft, "the issuer (a section's clerk or 政务监督室)", H + "intake.edit_button")
DELETE_DRAFT = Action("delete_draft", "id:{draft_id}", OfDraft, "the issuer (a section's clerk or 政务监督室)", H + "intake.delete_button")
ISSUE_ALL = Action("issue_all", "ia:{document_id}", OfDocument, "the issuer (a section's clerk or 政务监督室)", H + "intake.issue_all_button")
TURN_DRAFTS = Action("turn_drafts", "ip:{document_id}:{page}", DocumentPage, "the issuer (a section's clerk or 政务监督室)", H + "intake.page_button")

# monthly reports
REVIEWED = Action("reviewed", "rv:{month}:{section_id}", SectionReview, "the section's 分管市领导", H + "reports.reviewed_pressed")
PUBLISH = Action("publish", "pub:{month}", OfMonth, "政务监督室", H + "reports.publish_pressed")
REPORT_FILE = Action(
    "report_file", "rp{kind}:{period}", ReportFile, "whoever got the report", H + "reports.files_pressed",
    formats={"kind": "x|c"},
)

# the account and the dialogs
REBIND = Action("rebind", "rb:{code}", BindCode, "whoever asked", H + "start.rebind_pressed")
KEEP_BINDING = Action("keep_binding", "rbkeep", Nothing, "whoever asked", H + "start.keep_pressed")
CANCEL = Action("cancel", "dlgdrop[:{dialog_id}]", OfDialog, "whoever has the dialog open", H + "kit.drop_button")

ACTIONS: tuple[Action[Any], ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Action))
"""The table: every button of the bot."""


def offer_of(data: str) -> Offer | None:
    """The action of a pressed button's data with its values; None for data no action writes
    (a keyboard from before an upgrade). The actions are tried in the table's order, so a
    dialog's catch-all (``pr:{rest}``) comes after its steps."""
    for action in ACTIONS:
        if action.pattern.match(data):
            return Offer(action, action.read(data))
    return None
