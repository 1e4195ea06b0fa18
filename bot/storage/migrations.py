"""Named migrations, applied in order at start and recorded with their time.

Each function changes the schema from what the previous one left; a name, once released, is
never edited. Comments say why a table or column exists.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aiosqlite

log = logging.getLogger(__name__)

Migration = Callable[[aiosqlite.Connection], Awaitable[None]]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Register ``fn`` as the next migration."""
    MIGRATIONS.append(fn)
    return fn


async def _script(conn: aiosqlite.Connection, sql: str) -> None:
    # One statement per ";" at a line's end; a ";" inside a comment or literal is not an end.
    for statement in filter(str.strip, sql.split(";\n")):
        await conn.execute(statement)


@migration
async def m001_initial(conn: aiosqlite.Connection) -> None:
    """The organisation, tasks and their three slips, feedback, history, scores and the outbox."""
    await _script(
        conn,
        """
        CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            phone TEXT NOT NULL DEFAULT '',
            unit_id INTEGER REFERENCES units(id),
            section_id INTEGER REFERENCES sections(id),
            telegram_id INTEGER UNIQUE,
            -- set when Telegram answers 403: the issuer is told the person is unreachable
            unreachable INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE person_roles (
            person_id INTEGER NOT NULL REFERENCES people(id),
            role TEXT NOT NULL,
            PRIMARY KEY (person_id, role)
        );
        CREATE TABLE units (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            -- the unit's 分管市领导: decides its extension requests, gets its 专项台账 digest
            leader_id INTEGER REFERENCES people(id)
        );
        CREATE TABLE sections (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            is_supervision_office INTEGER NOT NULL DEFAULT 0,
            leader_id INTEGER REFERENCES people(id)
        );
        CREATE INDEX people_unit ON people(unit_id);
        CREATE INDEX people_section ON people(section_id);

        -- one-time, expiring deep links that bind a Telegram account to a person
        CREATE TABLE invites (
            code TEXT PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT,
            used_by_telegram_id INTEGER
        );

        -- a gap-free number sequence per slip type and calendar year
        CREATE TABLE slip_sequences (
            type TEXT NOT NULL,
            year INTEGER NOT NULL,
            last INTEGER NOT NULL,
            PRIMARY KEY (type, year)
        );

        CREATE TABLE tasks (
            id INTEGER PRIMARY KEY,
            matter_id INTEGER,
            title TEXT NOT NULL,
            requirements TEXT NOT NULL,
            basis TEXT NOT NULL,
            source TEXT NOT NULL,
            unit_id INTEGER NOT NULL REFERENCES units(id),
            section_id INTEGER NOT NULL REFERENCES sections(id),
            responsible_id INTEGER REFERENCES people(id),
            issued_by INTEGER NOT NULL REFERENCES people(id),
            issued_on TEXT NOT NULL,
            period_days INTEGER NOT NULL,
            original_deadline TEXT NOT NULL,
            deadline TEXT NOT NULL,
            contact_name TEXT NOT NULL DEFAULT '',
            contact_phone TEXT NOT NULL DEFAULT '',
            special_ledger INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL,
            stage TEXT NOT NULL,
            extension_pending INTEGER NOT NULL DEFAULT 0,
            interview_proposed_on TEXT,
            transfer_proposed_on TEXT,
            completed_on TEXT,
            attachment_file_id TEXT,
            attachment_name TEXT,
            version INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX tasks_unit ON tasks(unit_id);
        CREATE INDEX tasks_section ON tasks(section_id);
        -- the daily check reads open tasks by deadline only: its cost follows what is due,
        -- not the size of the history
        CREATE INDEX tasks_open_deadline ON tasks(deadline)
            WHERE status != 'completed' AND stage != 'transferred';

        CREATE TABLE slips (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            type TEXT NOT NULL,
            year INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            issued_on TEXT NOT NULL,
            issued_by INTEGER REFERENCES people(id),
            window_days INTEGER,
            overdue_days INTEGER,
            -- the text exactly as issued, so a later change of names or templates never
            -- rewrites a slip that went out
            text TEXT NOT NULL,
            UNIQUE (type, year, seq)
        );
        CREATE INDEX slips_task ON slips(task_id);

        CREATE TABLE feedback (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            slip_id INTEGER REFERENCES slips(id),
            submitted_by INTEGER NOT NULL REFERENCES people(id),
            submitted_at TEXT NOT NULL,
            text TEXT NOT NULL,
            status TEXT NOT NULL,
            reviewed_by INTEGER REFERENCES people(id),
            reviewed_at TEXT,
            review_note TEXT
        );
        CREATE INDEX feedback_task ON feedback(task_id);
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            feedback_id INTEGER REFERENCES feedback(id),
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            kind TEXT NOT NULL,
            file_id TEXT NOT NULL,
            file_unique_id TEXT,
            file_name TEXT,
            mime_type TEXT,
            size INTEGER,
            local_path TEXT
        );

        CREATE TABLE extension_requests (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            requested_by INTEGER NOT NULL REFERENCES people(id),
            requested_at TEXT NOT NULL,
            requested_until TEXT NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL,
            decided_by INTEGER REFERENCES people(id),
            decided_at TEXT,
            granted_until TEXT
        );

        CREATE TABLE score_events (
            id INTEGER PRIMARY KEY,
            unit_id INTEGER NOT NULL REFERENCES units(id),
            category TEXT NOT NULL,
            -- exact decimal text such as '-0.2', never a float
            points TEXT NOT NULL,
            occurred_on TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            task_id INTEGER REFERENCES tasks(id),
            slip_id INTEGER REFERENCES slips(id) UNIQUE,
            recorded_by INTEGER REFERENCES people(id),
            recorded_at TEXT NOT NULL,
            void_reason TEXT,
            voided_by INTEGER REFERENCES people(id),
            voided_at TEXT
        );
        CREATE INDEX score_events_unit_day ON score_events(unit_id, occurred_on);

        -- who did what, when: nothing is ever deleted
        CREATE TABLE history (
            id INTEGER PRIMARY KEY,
            task_id INTEGER REFERENCES tasks(id),
            actor_id INTEGER REFERENCES people(id),
            kind TEXT NOT NULL,
            at TEXT NOT NULL,
            details TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX history_task ON history(task_id);

        -- messages to send, written in the same transaction as the change that causes them
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL,
            person_id INTEGER REFERENCES people(id),
            method TEXT NOT NULL,
            payload TEXT NOT NULL,
            task_id INTEGER REFERENCES tasks(id),
            slip_id INTEGER REFERENCES slips(id),
            purpose TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            message_id INTEGER,
            last_error TEXT
        );
        CREATE INDEX outbox_pending ON outbox(id) WHERE status IN ('pending', 'sending');
        -- a reply to a slip message finds its slip through the message it replies to
        CREATE INDEX outbox_message ON outbox(chat_id, message_id);

        -- one row per day the daily check ran: never twice, caught up after downtime
        CREATE TABLE daily_runs (
            run_date TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT
        );

        -- the working-day table for years the official calendar package does not know yet
        CREATE TABLE calendar_overrides (
            day TEXT PRIMARY KEY,
            is_workday INTEGER NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        )
        """,
    )


@migration
async def m002_daily_check(conn: aiosqlite.Connection) -> None:
    """Drafts for confirm mode, and indexes the daily check and its summaries read by."""
    await _script(
        conn,
        """
        -- in confirm mode the daily check drafts a 催办单/督办通知单 and a person issues it
        CREATE TABLE drafts (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id),
            type TEXT NOT NULL,
            created_on TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            decided_by INTEGER REFERENCES people(id),
            decided_at TEXT
        );
        -- one pending draft per task and slip type, however often the check runs
        CREATE UNIQUE INDEX drafts_pending ON drafts(task_id, type) WHERE status = 'pending';
        -- feedback waiting for review, per section, without scanning closed tasks
        CREATE INDEX tasks_feedback_pending ON tasks(section_id) WHERE status = 'feedback_pending';
        -- the day's events for the 政务监督室 summary
        CREATE INDEX history_at ON history(at)
        """,
    )


@migration
async def m003_monthly_reports(conn: aiosqlite.Connection) -> None:
    """The monthly cycle (notice, section 四): analyses reviewed, the 通报 published, once each."""
    await _script(
        conn,
        """
        -- one row per month (2026-11) or year-end ranking (2026): made once, caught up after
        -- downtime like the daily check, never twice
        CREATE TABLE monthly_runs (
            period TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            consolidated_at TEXT,
            published_at TEXT,
            published_by INTEGER REFERENCES people(id)
        );
        -- each section's analysis goes to its 分管市领导 and waits for 已审阅
        CREATE TABLE monthly_reviews (
            period TEXT NOT NULL,
            section_id INTEGER NOT NULL REFERENCES sections(id),
            leader_id INTEGER REFERENCES people(id),
            reviewed_at TEXT,
            PRIMARY KEY (period, section_id)
        )
        """,
    )


@migration
async def m004_weekly_digests(conn: aiosqlite.Connection) -> None:
    """One row per ISO week whose digests went out: sent once, caught up after downtime; and
    the indexes the weekly digests and the outbox look-ups by task and slip read by."""
    await _script(
        conn,
        """
        CREATE TABLE weekly_digests (
            week TEXT PRIMARY KEY,
            sent_at TEXT NOT NULL
        );
        -- the 专项台账 and the principal's sources, without scanning every task ever issued
        CREATE INDEX tasks_special ON tasks(unit_id) WHERE special_ledger = 1;
        CREATE INDEX tasks_source ON tasks(source, completed_on);
        -- a task's delivered slip messages (their buttons are refreshed on every change) and a
        -- slip's copies (the issuer hears of the first delivery): found without reading the
        -- whole outbox, which grows with every message ever sent
        CREATE INDEX outbox_task ON outbox(task_id) WHERE task_id IS NOT NULL;
        CREATE INDEX outbox_slip ON outbox(slip_id) WHERE slip_id IS NOT NULL
        """,
    )


@migration
async def m005_open_tasks_by_unit_and_section(conn: aiosqlite.Connection) -> None:
    """/tasks and /overdue page through one unit's or one section's open tasks by deadline:
    with these indexes a page is an index range, not a read of every 交办单 ever issued."""
    await _script(
        conn,
        """
        CREATE INDEX tasks_open_unit ON tasks(unit_id, deadline)
            WHERE status != 'completed' AND stage != 'transferred';
        CREATE INDEX tasks_open_section ON tasks(section_id, deadline)
            WHERE status != 'completed' AND stage != 'transferred'
        """,
    )


@migration
async def m006_invites_replaced(conn: aiosqlite.Connection) -> None:
    """A new invite for a person replaces the unused ones sent before: a link that went to the
    wrong chat stops working the moment the office sends the right one."""
    await _script(conn, "ALTER TABLE invites ADD COLUMN replaced_at TEXT")


@migration
async def m007_escalation_window(conn: aiosqlite.Connection) -> None:
    """One clock per task: ``deadline`` is the task's current deadline only (the 交办单's period,
    moved by an approved 延期 or a 退回 with a new date); the window of the latest 催办单 /
    督办通知单 / 约谈 gets a column of its own. Until now a slip's window overwrote the
    deadline, and each surface guessed differently whether such a task was 逾期. And a record
    of the years whose missing holiday arrangement 政务监督室 has been told of."""
    await _script(
        conn,
        """
        ALTER TABLE tasks ADD COLUMN window_until TEXT;
        UPDATE tasks SET window_until = deadline WHERE stage != 'none';
        -- the current deadline of a chased task: the latest date granted by a 延期 or set by a
        -- 退回, as its history records it; else the 交办单's own
        UPDATE tasks SET deadline = coalesce(
            (SELECT coalesce(json_extract(h.details, '$.until'), json_extract(h.details, '$.new_deadline'))
             FROM history h
             WHERE h.task_id = tasks.id AND h.kind IN ('extension_approved', 'feedback_returned')
               AND coalesce(json_extract(h.details, '$.until'), json_extract(h.details, '$.new_deadline')) IS NOT NULL
             ORDER BY h.id DESC LIMIT 1),
            original_deadline)
        WHERE stage != 'none';
        -- a year whose holiday arrangement the calendar lacks: 政务监督室 is told once a year
        CREATE TABLE calendar_year_warnings (
            year INTEGER PRIMARY KEY,
            warned_at TEXT NOT NULL
        )
        """,
    )


@migration
async def m008_inbox_and_evidence(conn: aiosqlite.Connection) -> None:
    """The inbox of Telegram updates: an update's id is written in the same transaction as what
    it changed, so an update Telegram delivers again after a crash is recognised and not applied
    twice (the next ``getUpdates`` offset, or the webhook's 200, comes only after the commit).

    And the evidence archive: each feedback attachment is downloaded into ``archive_dir``
    (``local_path``, relative to it) with its SHA-256 and the time it was kept, so a unit's
    书面反馈 outlives Telegram's file ids and goes into every backup."""
    await _script(
        conn,
        """
        CREATE TABLE inbox (
            update_id INTEGER PRIMARY KEY,
            handled_at TEXT NOT NULL
        );
        ALTER TABLE attachments ADD COLUMN sha256 TEXT;
        ALTER TABLE attachments ADD COLUMN archived_at TEXT;
        CREATE INDEX attachments_task ON attachments(task_id)
        """,
    )


@migration
async def m009_intake(conn: aiosqlite.Connection) -> None:
    """The intake the notice starts from (section 一: 「依据相关文件、会议纪要建立工作台账」): a
    会议纪要 or a leader's 批示 as received, the draft 交办单 read from it until the office issues
    or deletes them, and which tasks came from which draft, so the leader who wrote a 批示 hears
    of its 交办单 and receives the result at 办结. Unit aliases (住建局 for 市住房和城乡建设局) are
    the unit's data: the minutes name units the way people speak."""
    await _script(
        conn,
        """
        CREATE TABLE unit_aliases (
            unit_id INTEGER NOT NULL REFERENCES units(id),
            alias TEXT NOT NULL,
            PRIMARY KEY (unit_id, alias)
        );
        CREATE TABLE intake_documents (
            id INTEGER PRIMARY KEY,
            -- 'minutes' (会议纪要) or 'instruction' (领导批示)
            kind TEXT NOT NULL,
            -- the meeting's name, or the 批示's 依据
            name TEXT NOT NULL,
            held_on TEXT,
            sent_by INTEGER NOT NULL REFERENCES people(id),
            text TEXT NOT NULL,
            -- the original file as received (Telegram's id) and its archived copy
            file_kind TEXT,
            file_id TEXT,
            file_name TEXT,
            archive_path TEXT,
            sha256 TEXT,
            -- read by OCR from a scan or photo: the review asks to check names and dates
            scanned INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE intake_drafts (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES intake_documents(id),
            position INTEGER NOT NULL,
            title TEXT NOT NULL,
            requirements TEXT NOT NULL,
            basis TEXT NOT NULL,
            source TEXT NOT NULL,
            -- JSON list of unit ids, the 牵头 unit first
            unit_ids TEXT NOT NULL,
            lead_unit_id INTEGER REFERENCES units(id),
            deadline TEXT,
            -- JSON list of what is left to decide; empty when the draft can be issued
            problems TEXT NOT NULL,
            -- 'draft', 'issued' or 'deleted'
            status TEXT NOT NULL DEFAULT 'draft',
            decided_by INTEGER REFERENCES people(id),
            decided_at TEXT
        );
        CREATE INDEX intake_drafts_document ON intake_drafts(document_id, position);
        CREATE TABLE intake_tasks (
            task_id INTEGER PRIMARY KEY REFERENCES tasks(id),
            draft_id INTEGER NOT NULL REFERENCES intake_drafts(id)
        )
        """,
    )


@migration
async def m011_long_and_shared_tasks(conn: aiosqlite.Connection) -> None:
    """Long and shared tasks. A 交办单 may carry a 阶段汇报 schedule, and the day of the unit's
    latest progress report is kept with the task so that 超期未汇报 is read from the task row,
    not from its whole feedback history. A matter issued to a 牵头单位 with 配合单位 marks each
    unit's part; a feedback says whether it is the 办理结果, a 阶段进展 report or a 配合单位's
    part, because only the first goes to review and closes the task."""
    await _script(
        conn,
        """
        ALTER TABLE tasks ADD COLUMN unit_role TEXT NOT NULL DEFAULT 'sole';
        ALTER TABLE tasks ADD COLUMN report_schedule TEXT;
        ALTER TABLE tasks ADD COLUMN last_report_on TEXT;
        -- under the setting sharing.chase = "named": a 配合单位 the 牵头单位 named as late is
        -- chased on its own copy, and the 牵头单位's task waits while that part is missing
        ALTER TABLE tasks ADD COLUMN named_late INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE tasks ADD COLUMN waiting_on_partner INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE feedback ADD COLUMN kind TEXT NOT NULL DEFAULT 'result';
        -- the 配合单位 of a matter and its 牵头单位 are found by matter
        CREATE INDEX tasks_matter ON tasks(matter_id) WHERE unit_role != 'sole';
        -- the daily check reads the open scheduled tasks only, not every task ever issued
        CREATE INDEX tasks_open_scheduled ON tasks(id)
            WHERE report_schedule IS NOT NULL AND status != 'completed' AND stage != 'transferred'
        """,
    )


@migration
async def m013_dialog_state(conn: aiosqlite.Connection) -> None:
    """Several bot instances on one PostgreSQL database: a person's open dialog (the draft of a
    反馈, a 退回, a 申请延期 …) is kept here, so the next message may reach any instance
    (``bot.channels.telegram.persistence``). One SQLite bot keeps it in memory and leaves this table empty."""
    await _script(
        conn,
        """
        CREATE TABLE dialog_state (
            user_id INTEGER PRIMARY KEY,
            -- the person's PTB user_data, pickled
            data BLOB NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
    )


@migration
async def m015_slips_put_right(conn: aiosqlite.Connection) -> None:
    """Putting the record right. A 交办单 corrected after issue (更正) keeps its number and its
    row; its text becomes the corrected slip the unit was sent, and the day of the correction is
    kept so every copy printed after says 更正 (the text as first issued stays in the history).
    A 催办单 issued in error is voided, not deleted: its number stays taken and shows as 已作废
    with the reason. A withdrawn 交办单 needs no column: its task's status says 已撤回."""
    await _script(
        conn,
        """
        ALTER TABLE slips ADD COLUMN corrected_on TEXT;
        ALTER TABLE slips ADD COLUMN voided_on TEXT;
        ALTER TABLE slips ADD COLUMN void_reason TEXT
        """,
    )


@migration
async def m016_notices_and_accounts(conn: aiosqlite.Connection) -> None:
    """Notices, not payloads. A person is reached through their accounts on the messengers
    (Telegram today; 钉钉 and 企业微信 next), the latest bound one first; the people table's
    own column for a Telegram account is no longer read. The outbox holds notices per person
    (what to say, the buttons, the files, in no messenger's terms) with the channel and the
    address they go to; its ``message_id`` is where on that channel it was delivered, so a later
    change finds the message. Rows queued before keep what they were (a messenger's call) and
    are sent as they were."""
    await _script(
        conn,
        """
        CREATE TABLE accounts (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id),
            -- 'telegram', later 'dingtalk', 'wecom'
            channel TEXT NOT NULL,
            -- the person's id on that channel, as text
            address TEXT NOT NULL,
            bound_at TEXT NOT NULL,
            UNIQUE (channel, address)
        );
        CREATE INDEX accounts_person ON accounts(person_id, bound_at);
        ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';
        ALTER TABLE outbox RENAME COLUMN chat_id TO address;
        ALTER TABLE outbox RENAME COLUMN method TO kind;
        ALTER TABLE outbox RENAME COLUMN payload TO notice
        """,
    )
    stamp_now = datetime.now(UTC).isoformat(timespec="seconds")
    async with conn.execute("SELECT id, telegram_id FROM people WHERE telegram_id IS NOT NULL") as cur:
        bound = [(row[0], str(row[1]), stamp_now) async for row in cur]
    await conn.executemany("INSERT INTO accounts (person_id, channel, address, bound_at) VALUES (?, 'telegram', ?, ?)", bound)
    if type(conn).__name__ == "PgConnection":  # SQLite keeps text in any column; PostgreSQL must be told
        await conn.execute("ALTER TABLE outbox ALTER COLUMN address TYPE TEXT USING address::text")


@migration
async def m017_attachments_channel(conn: aiosqlite.Connection) -> None:
    """A file sent with feedback is kept by the reference of the channel it came on (Telegram's
    file id, 钉钉's download code …), and only that channel can fetch it again: the attachment
    names its channel. Those kept before came on Telegram."""
    await _script(
        conn,
        """
        -- 'telegram', 'dingtalk', 'wecom' (bot.edge): whose reference file_id is
        ALTER TABLE attachments ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram'
        """,
    )


@migration
async def m018_channel_inbox_and_dialogs(conn: aiosqlite.Connection) -> None:
    """A second channel (钉钉). Its messages are known by text ids, not Telegram's update
    numbers: ``inbox_keys`` is the inbox for them (a channel-qualified key written in the same
    transaction as the message's effect, so a message the Stream gateway pushes again after a
    crash is not applied twice). And a person's open dialog on such a channel is kept per
    account (``channel_dialogs``), on SQLite and PostgreSQL alike: its Stream connection may be
    served by any instance, and a restart must not lose a draft half answered."""
    await _script(
        conn,
        """
        CREATE TABLE inbox_keys (
            -- 'dingtalk:msg:<msgId>', 'dingtalk:card:<messageId>'
            message_key TEXT PRIMARY KEY,
            handled_at TEXT NOT NULL
        );
        CREATE TABLE channel_dialogs (
            channel TEXT NOT NULL,
            address TEXT NOT NULL,
            -- the account's open dialogs, pickled
            data BLOB NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (channel, address)
        )
        """,
    )


@migration
async def m019_intake_file_channel(conn: aiosqlite.Connection) -> None:
    """A 会议纪要 or 批示 sent as a file is kept by the reference of the channel it came on, and
    its copy to each unit is fetched again through that channel: the document names it. Those
    received before came on Telegram."""
    await _script(
        conn,
        """
        -- 'telegram', 'dingtalk', 'wecom' (bot.edge): whose reference file_id is
        ALTER TABLE intake_documents ADD COLUMN file_channel TEXT NOT NULL DEFAULT 'telegram'
        """,
    )


@migration
async def m020_slip_read_receipts(conn: aiosqlite.Connection) -> None:
    """Read receipts (SPEC section 12). 钉钉 tells who has read a 工作通知, so a slip's copy
    delivered there records when it was first read, beside when it was delivered (``sent_at``):
    /task, the 督办日报 and the 台账 show 已送达 / 已读 / 已签收. A slip read and not 签收'd within
    the set hours is told to its issuer once: the slip keeps when that was, so neither the daily
    check nor the read poll tells it twice."""
    await _script(
        conn,
        """
        ALTER TABLE outbox ADD COLUMN read_at TEXT;
        ALTER TABLE slips ADD COLUMN read_unacknowledged_told_at TEXT;
        -- the slips read and not yet 签收'd are looked for without reading every message sent
        CREATE INDEX outbox_read ON outbox(slip_id) WHERE read_at IS NOT NULL;
        -- and the 督办日报 counts those told without reading every slip ever issued
        CREATE INDEX slips_read_unacknowledged ON slips(task_id) WHERE read_unacknowledged_told_at IS NOT NULL
        """,
    )


@migration
async def m021_channel_cards(conn: aiosqlite.Connection) -> None:
    """A third channel (企业微信). Its cards can be changed only with a code a sending or a press
    gave, each usable once; a restart must not forget them, or a card a notice's change or a
    press's answer was to change would stay as it was. ``channel_cards`` keeps, per card, what
    it shows (to mark under it), its buttons' labels and the codes left."""
    await _script(
        conn,
        """
        CREATE TABLE channel_cards (
            channel TEXT NOT NULL,
            card TEXT NOT NULL,
            html TEXT NOT NULL,
            -- JSON: [[label, action data], ...]
            buttons TEXT NOT NULL,
            -- JSON: codes that may change the card, each once, oldest first
            codes TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (channel, card)
        )
        """,
    )


@migration
async def m022_people_by_role(conn: aiosqlite.Connection) -> None:
    """The daily check and the services ask for everyone holding a role (政务监督室's members,
    the 分管市领导) many times a run; a person's roles were indexed by person only, so each
    asking read every role of every person: 30,000 people in a province."""
    await conn.execute("CREATE INDEX person_roles_role ON person_roles(role, person_id)")


@migration
async def m023_open_tasks_in_page_order(conn: aiosqlite.Connection) -> None:
    """Pages of open tasks are in (deadline, id) order. SQLite's indexes end in the rowid, which
    is the id, so they give that order; PostgreSQL's give the deadline only, and a page among
    tasks of one deadline (a province's 10,000 due the same day) sorted all of them first. The
    id is now in the open-task indexes themselves."""
    await _script(
        conn,
        """
        DROP INDEX tasks_open_deadline;
        CREATE INDEX tasks_open_deadline ON tasks(deadline, id)
            WHERE status != 'completed' AND stage != 'transferred';
        DROP INDEX tasks_open_unit;
        CREATE INDEX tasks_open_unit ON tasks(unit_id, deadline, id)
            WHERE status != 'completed' AND stage != 'transferred';
        DROP INDEX tasks_open_section;
        CREATE INDEX tasks_open_section ON tasks(section_id, deadline, id)
            WHERE status != 'completed' AND stage != 'transferred'
        """,
    )


@migration
async def m024_monthly_analysis_by_day(conn: aiosqlite.Connection) -> None:
    """A 科室's monthly analysis counts what was issued and 办结 in the month and the 加减分 of
    the month: by these indexes it reads the month, not every task and event the 科室 ever had
    (a province's million tasks, read once per 科室)."""
    await _script(
        conn,
        """
        CREATE INDEX tasks_section_issued ON tasks(section_id, issued_on);
        CREATE INDEX tasks_section_completed ON tasks(section_id, completed_on) WHERE completed_on IS NOT NULL;
        CREATE INDEX score_events_day ON score_events(occurred_on)
        """,
    )


@migration
async def m025_dingtalk_work_notices(conn: aiosqlite.Connection) -> None:
    """钉钉 reports reads of a 工作通知, not of a card in the robot chat: a slip's copy sent there
    as a card goes as a 工作通知 as well, and the read poll asks 钉钉 (``getsendresult``) about
    each such notice by its task id until it is read or too old. 钉钉 may take a 工作通知 and
    then not deliver it (the same content to the same person once a day, 500 a day); that is
    recorded here with 钉钉's words, the card having gone all the same."""
    await _script(
        conn,
        """
        CREATE TABLE dingtalk_work_notices (
            outbox_id INTEGER PRIMARY KEY REFERENCES outbox(id),
            -- 钉钉's task id of the asyncsend_v2 call, as text (钉钉's ids outgrow a 32-bit
            -- integer), empty when 钉钉 refused the call outright
            task_id TEXT NOT NULL,
            -- 'sent' (asked about until read), 'read', 'not_delivered' (forbidden, invalid or
            -- failed in getsendresult, or refused), 'unknown' (not read within the days polled)
            state TEXT NOT NULL,
            detail TEXT,
            sent_at TEXT NOT NULL,
            checked_at TEXT
        );
        -- the read poll reads only the notices still waiting for a read
        CREATE INDEX dingtalk_work_notices_waiting ON dingtalk_work_notices(outbox_id) WHERE state = 'sent'
        """,
    )


async def applied(conn: aiosqlite.Connection) -> list[str]:
    """Names of the migrations this database has, in order."""
    async with conn.execute("SELECT name FROM migrations ORDER BY rowid") as cur:
        return [row[0] async for row in cur]


async def migrate(conn: aiosqlite.Connection) -> list[str]:
    """Apply every migration not yet recorded, each in its own transaction; return their names."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = set(await applied(conn))
    new: list[str] = []
    for fn in MIGRATIONS:
        if fn.__name__ in done:
            continue
        await conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-check under the write lock: another process may have just applied it.
            async with conn.execute("SELECT 1 FROM migrations WHERE name = ?", (fn.__name__,)) as cur:
                if await cur.fetchone():
                    await conn.rollback()
                    continue
            await fn(conn)
            await conn.execute(
                "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                (fn.__name__, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        except BaseException:
            await conn.rollback()
            raise
        await conn.commit()
        log.info("applied migration %s", fn.__name__)
        new.append(fn.__name__)
    return new
