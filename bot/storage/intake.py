"""The intake's documents (会议纪要, 批示), their draft 交办单, and unit aliases."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from bot.domain.minutes import (
    DraftProblem, DraftStatus, IntakeDocument, IntakeDraft, IntakeKind, ProblemKind, ProposedAssignment,
)
from bot.storage.rows import day, iso, stamp


async def aliases(conn: aiosqlite.Connection) -> dict[int, list[str]]:
    """Every unit's aliases, by unit id."""
    out: dict[int, list[str]] = {}
    async with conn.execute("SELECT unit_id, alias FROM unit_aliases ORDER BY unit_id, alias") as cur:
        async for unit_id, alias in cur:
            out.setdefault(unit_id, []).append(alias)
    return out


async def set_aliases(conn: aiosqlite.Connection, unit_id: int, names: Sequence[str]) -> None:
    """Replace the unit's aliases with ``names``."""
    await conn.execute("DELETE FROM unit_aliases WHERE unit_id = ?", (unit_id,))
    await conn.executemany(
        "INSERT OR IGNORE INTO unit_aliases (unit_id, alias) VALUES (?, ?)", [(unit_id, n) for n in names]
    )


async def alias_owner(conn: aiosqlite.Connection, alias: str) -> int | None:
    """The unit that already goes by ``alias``, if any."""
    async with conn.execute("SELECT unit_id FROM unit_aliases WHERE alias = ? LIMIT 1", (alias,)) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else None


def _document(row: aiosqlite.Row) -> IntakeDocument:
    return IntakeDocument(
        id=row["id"], kind=IntakeKind(row["kind"]), name=row["name"], held_on=day(row["held_on"]),
        sent_by=row["sent_by"], text=row["text"], file_kind=row["file_kind"], file_id=row["file_id"],
        file_name=row["file_name"], archive_path=row["archive_path"], scanned=bool(row["scanned"]),
        file_channel=row["file_channel"],
    )


async def add_document(
    conn: aiosqlite.Connection, document: IntakeDocument, now: datetime, sha256: str | None = None
) -> IntakeDocument:
    """Record a received 会议纪要 or 批示."""
    cur = await conn.execute(
        "INSERT INTO intake_documents (kind, name, held_on, sent_by, text, file_kind, file_id, file_name,"
        " archive_path, sha256, scanned, file_channel, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            document.kind.value, document.name, iso(document.held_on), document.sent_by, document.text,
            document.file_kind, document.file_id, document.file_name, document.archive_path, sha256,
            int(document.scanned), document.file_channel, stamp(now),
        ),
    )
    return IntakeDocument(**{**document.__dict__, "id": cur.lastrowid or 0})


async def document(conn: aiosqlite.Connection, document_id: int) -> IntakeDocument | None:
    """One received document."""
    async with conn.execute("SELECT * FROM intake_documents WHERE id = ?", (document_id,)) as cur:
        row = await cur.fetchone()
    return _document(row) if row else None


def _problems(text: str) -> tuple[DraftProblem, ...]:
    return tuple(
        DraftProblem(ProblemKind(p["kind"]), p.get("name", ""), tuple(p.get("candidates", ()))) for p in json.loads(text)
    )


def _draft(row: aiosqlite.Row) -> IntakeDraft:
    proposal = ProposedAssignment(
        title=row["title"], requirements=row["requirements"], basis=row["basis"],
        unit_ids=tuple(json.loads(row["unit_ids"])), lead_unit_id=row["lead_unit_id"],
        deadline=day(row["deadline"]), problems=_problems(row["problems"]),
    )
    return IntakeDraft(row["id"], row["document_id"], row["position"], proposal, row["source"], DraftStatus(row["status"]))


def _columns(proposal: ProposedAssignment) -> tuple[object, ...]:
    problems = [{"kind": p.kind.value, "name": p.name, "candidates": list(p.candidates)} for p in proposal.problems]
    return (
        proposal.title, proposal.requirements, proposal.basis, json.dumps(list(proposal.unit_ids)),
        proposal.lead_unit_id, iso(proposal.deadline), json.dumps(problems, ensure_ascii=False),
    )


async def add_drafts(
    conn: aiosqlite.Connection, document_id: int, proposals: Sequence[ProposedAssignment], source: str
) -> None:
    """The drafts read from one document, numbered 1, 2, … in the document's order."""
    await conn.executemany(
        "INSERT INTO intake_drafts (document_id, position, title, requirements, basis, unit_ids, lead_unit_id,"
        " deadline, problems, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(document_id, i, *_columns(p), source) for i, p in enumerate(proposals, start=1)],
    )


async def drafts(conn: aiosqlite.Connection, document_id: int) -> list[IntakeDraft]:
    """The document's drafts still waiting (not issued, not deleted), in order."""
    async with conn.execute(
        "SELECT * FROM intake_drafts WHERE document_id = ? AND status = 'draft' ORDER BY position", (document_id,)
    ) as cur:
        return [_draft(r) async for r in cur]


async def draft(conn: aiosqlite.Connection, draft_id: int) -> IntakeDraft | None:
    """One draft, whatever its state."""
    async with conn.execute("SELECT * FROM intake_drafts WHERE id = ?", (draft_id,)) as cur:
        row = await cur.fetchone()
    return _draft(row) if row else None


async def update_draft(conn: aiosqlite.Connection, draft_id: int, proposal: ProposedAssignment) -> None:
    """A draft's fields after 修改."""
    await conn.execute(
        "UPDATE intake_drafts SET title = ?, requirements = ?, basis = ?, unit_ids = ?, lead_unit_id = ?,"
        " deadline = ?, problems = ? WHERE id = ? AND status = 'draft'",
        (*_columns(proposal), draft_id),
    )


async def decide(
    conn: aiosqlite.Connection, draft_id: int, status: DraftStatus, person_id: int, now: datetime
) -> bool:
    """Mark a waiting draft issued or deleted; False when it was no longer waiting."""
    cur = await conn.execute(
        "UPDATE intake_drafts SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'draft'",
        (status.value, person_id, stamp(now), draft_id),
    )
    return cur.rowcount == 1


async def link_task(conn: aiosqlite.Connection, task_id: int, draft_id: int) -> None:
    """The task was issued from the draft."""
    await conn.execute("INSERT INTO intake_tasks (task_id, draft_id) VALUES (?, ?)", (task_id, draft_id))


async def document_of_task(conn: aiosqlite.Connection, task_id: int) -> IntakeDocument | None:
    """The 会议纪要 or 批示 a task was issued from, if it came through the intake."""
    async with conn.execute(
        "SELECT d.* FROM intake_tasks t JOIN intake_drafts r ON r.id = t.draft_id"
        " JOIN intake_documents d ON d.id = r.document_id WHERE t.task_id = ?",
        (task_id,),
    ) as cur:
        row = await cur.fetchone()
    return _document(row) if row else None
