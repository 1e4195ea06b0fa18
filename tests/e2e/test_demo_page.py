"""The demo page in a real browser (Debian's headless Chromium, driven by Playwright): a clerk issues
a 交办单, the official of 住建局 signs for it and answers by replying to it, and each side's chat
shows the other's steps.

Chromium comes from ``scripts/system-deps.sh`` (``make test`` runs it). Without it the test fails
when it could have been installed (root, as in CI) and is skipped otherwise, saying why.
"""

from __future__ import annotations

import asyncio
import re
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.demo.run import Demo, running_demo

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
WAIT_MS = 20_000
"""How long to wait for the bot: it keeps Telegram's pace of one message a second per chat."""

HUMAN_PAUSE_MS = 1_100
"""A person takes a moment before answering; a script answering sooner would meet that limit."""

ISSUE = "/new\n事项：城区积水点排查整治\n要求：逐点建立台账，明确整改措施和完成时间。\n依据：市政府第12次常务会议纪要\n单位：住建局\n期限：7天"


def chromium_or_skip() -> str:
    """The browser's path; fail if CI should have installed it, skip on a machine that can't."""
    path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if path:
        return path
    if os.geteuid() == 0:
        pytest.fail("chromium is missing: run scripts/system-deps.sh (make test does) to install it")
    pytest.skip("chromium is not installed and installing it needs root: apt-get install chromium")


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    """The whole demo, in this process, on a free port."""
    async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db") as running:
        yield running


@asynccontextmanager
async def browser_tab(url: str, **context: Any) -> AsyncIterator[Any]:
    """A phone-sized Chromium tab on the demo page (``context``: Playwright's context options)."""
    executable = chromium_or_skip()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        tab = await browser.new_page(viewport={"width": 375, "height": 740}, **context)
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.set_default_timeout(WAIT_MS)
        await tab.goto(url + "/")
        yield tab
        await browser.close()
        assert not errors, errors


@pytest.fixture
async def page(demo: Demo) -> AsyncIterator[Any]:
    """A phone-sized Chromium tab on the demo page."""
    async with browser_tab(demo.url) as tab:
        yield tab


async def be(page: Any, name: str) -> None:
    """Open the people drawer (the window is phone-sized) and pick ``name``."""
    await page.click("#people-toggle")
    await page.locator(".person", has_text=name).click()
    await page.wait_for_function("n => document.getElementById('chat-name').textContent === n", arg=name)


def bot_message(page: Any, text: str) -> Any:
    return page.locator(".msg.in", has_text=text)


async def clerk_issues(page: Any, days: int, due: str) -> None:
    """王晓燕 issues the 交办单 of :data:`ISSUE` to 住建局 with ``days`` days, due on ``due``."""
    from playwright.async_api import expect

    await be(page, "王晓燕")
    await page.fill("#text", ISSUE.replace("期限：7天", f"期限：{days}天"))
    await page.click("#send")
    await bot_message(page, "确认签发").locator(".keyboard button", has_text="确认签发").click()
    await expect(bot_message(page, "已签发1份交办单")).to_contain_text(due)


async def test_clerk_issues_official_signs_and_answers_each_side_sees_it(page: Any, demo: Demo) -> None:
    from playwright.async_api import expect

    # 王晓燕 of 综合一科 issues with the one-message form, typed (Shift+Enter between lines).
    await be(page, "王晓燕")
    await expect(bot_message(page, "绑定成功")).to_be_visible()
    lines = ISSUE.split("\n")
    await page.click("#text")
    for i, line in enumerate(lines):
        await page.keyboard.type(line)
        if i < len(lines) - 1:
            await page.keyboard.press("Shift+Enter")
    await page.keyboard.press("Enter")
    await expect(page.locator(".msg.out", has_text="事项：城区积水点排查整治")).to_be_visible()
    # The slip as the unit will receive it, with 确认签发: nothing is numbered before it.
    preview = bot_message(page, "确认签发")
    await expect(preview.locator(".keyboard button")).to_have_text(["确认签发", "修改", "取消"])
    await preview.locator(".keyboard button", has_text="确认签发").click()
    issued = bot_message(page, "已签发1份交办单")
    await expect(issued).to_contain_text("住建局")

    # 李住建 of 住建局 sees the slip as Telegram shows it: bold title, three buttons.
    await be(page, "李住建")
    # .first: the 已签收 mark that comes later answers the slip and quotes it
    slip = bot_message(page, "邓州市人民政府工作交办单").first
    await expect(slip.locator("b")).to_have_text("《邓州市人民政府工作交办单》")
    await expect(slip.locator(".keyboard button")).to_have_text(["签收", "反馈", "申请延期"])
    await page.wait_for_timeout(HUMAN_PAUSE_MS)
    await slip.locator(".keyboard button", has_text="签收").click()
    await expect(page.locator("#toast")).to_contain_text("已签收")
    await expect(slip.locator(".keyboard button")).to_have_text(["反馈", "申请延期"])  # the edit is applied
    await expect(bot_message(page, "✅ 已签收 · ")).to_be_visible()  # the mark stays after the toast

    # Click the slip to reply to it: the reply is the feedback on that slip.
    await slip.locator(".body").click()
    await expect(page.locator("#reply-bar")).to_be_visible()
    await expect(page.locator("#reply-snippet")).to_contain_text("邓州市人民政府工作交办单")
    await page.fill("#text", "已完成全部32处积水点排查，<b>台账</b>已建立。")
    await page.click("#send")
    await expect(page.locator("#reply-bar")).to_be_hidden()
    answer = page.locator(".msg.out", has_text="已完成全部32处积水点排查")
    await expect(answer.locator(".quote")).to_contain_text("邓州市人民政府工作交办单")
    await expect(answer.locator(".body")).to_have_text("已完成全部32处积水点排查，<b>台账</b>已建立。")
    assert await answer.locator(".body b").count() == 0  # a user's text is text
    await expect(bot_message(page, "已提交")).to_be_visible()

    # Back to the clerk: the signing notice and the feedback waiting for review.
    await be(page, "王晓燕")
    await expect(bot_message(page, "已由 住建局")).to_contain_text("李住建")
    review = bot_message(page, "已完成全部32处积水点排查")
    await expect(review.locator(".keyboard button")).to_have_text(["通过(办结)", "退回"])
    await expect(review.locator(".body")).to_contain_text("<b>台账</b>")  # escaped by the bot, shown as typed

    # Nothing is wider than the phone.
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375


async def test_next_day_button_moves_the_demo_date(page: Any, demo: Demo) -> None:
    from playwright.async_api import expect

    date = page.locator("#demo-date")
    await expect(date).to_contain_text("年")
    before = await date.text_content()
    await page.click("#next-day")
    await expect(page.locator("#toast")).to_contain_text("每日督办检查已执行")
    await expect(date).not_to_have_text(before or "")
    assert demo.calendar.today == demo.office.now().date()
    day = demo.calendar.today
    await expect(date).to_contain_text(f"{day.year}年{day.month}月{day.day}日")

    # The day's 督办日报 reaches 政务监督室 dated on the demo's day, under that day's divider,
    # at the office's time of day whatever the browser's time zone.
    await be(page, "赵文博")
    report = bot_message(page, "督办日报").last
    await expect(report).to_contain_text(f"{day.year}年{day.month}月{day.day}日")
    divider = page.locator(".day", has_text=f"{day.year}年{day.month}月{day.day}日")
    await expect(divider).to_have_count(1)
    assert await divider.evaluate("(d, r) => Boolean(d.compareDocumentPosition(r) & Node.DOCUMENT_POSITION_FOLLOWING)", await report.element_handle())
    chat = next(c for c in demo.server.state.chats.values() if c.user is not None and c.user.first_name == "赵文博")
    stored = [m for m in chat.messages.values() if m.text and "督办日报" in m.text][-1]
    shown_at = datetime.fromtimestamp(stored.date, demo.office.settings.timezone)
    assert shown_at.date() == day
    await expect(report.locator(".meta")).to_have_text(shown_at.strftime("%H:%M"))


async def test_the_demo_walks_across_a_monday_and_the_1st(tmp_path: Path) -> None:
    """「到下周一」 brings the weekly digests to the 分管市领导 and the principal; 「到下月1日」 the
    month's analyses to the 分管市领导, who press 已审阅, then the report to 政务监督室, who
    publishes the 通报: the units get their figures and the principal the ranking."""
    from playwright.async_api import expect

    async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db", today=date(2026, 11, 27)) as demo:
        async with browser_tab(demo.url) as page:
            await expect(page.locator("#demo-date")).to_contain_text("2026年11月27日")
            await page.click(".calendar .jump[data-to=monday]")
            await expect(page.locator("#toast")).to_contain_text("每周进展")
            await expect(page.locator("#demo-date")).to_contain_text("2026年11月30日")
            await be(page, "刘建国")
            await expect(bot_message(page, "专项台账周报").last).to_contain_text("2026年11月30日")
            await be(page, "钱市长")
            await expect(bot_message(page, "重点事项落实情况周报").last).to_contain_text("2026年11月30日")

            await page.click(".calendar .jump[data-to=first]")
            await expect(page.locator("#toast")).to_contain_text("月度督查分析")
            await expect(page.locator("#demo-date")).to_contain_text("2026年12月1日")
            for leader, sections in (("刘建国", ("政务监督室", "综合一科")), ("孙丽华", ("综合二科", "综合三科"))):
                await be(page, leader)
                for section in sections:
                    analysis = bot_message(page, f"{section} · 2026年11月督查分析")
                    await page.wait_for_timeout(HUMAN_PAUSE_MS)
                    await analysis.locator(".keyboard button", has_text="已审阅").click()
                    await expect(analysis.locator(".keyboard button")).to_have_count(0)

            await be(page, "赵文博")
            report = bot_message(page, "2026年11月加减分汇总")
            await expect(report).to_contain_text("均已经分管市领导审阅")
            await page.wait_for_timeout(HUMAN_PAUSE_MS)
            await report.locator(".keyboard button", has_text="发布通报").click()
            await expect(report.locator(".keyboard button", has_text="发布通报")).to_have_count(0)
            await be(page, "钱市长")
            await expect(bot_message(page, "2026年11月各单位加减分情况通报")).to_be_visible()
            await be(page, "李住建")
            await expect(bot_message(page, "2026年11月加减分通报 · 住建局")).to_be_visible()


async def test_the_chat_keeps_following_after_a_picture(page: Any, demo: Demo) -> None:
    """/board answers with a picture; the answers after it still show without scrolling."""
    from playwright.async_api import expect

    await be(page, "赵文博")
    await page.fill("#text", "/board")
    await page.click("#send")
    await expect(page.locator(".msg.in img.photo")).to_be_visible()
    await page.wait_for_function("() => [...document.querySelectorAll('img.photo')].every(i => i.complete)")
    await page.wait_for_timeout(HUMAN_PAUSE_MS)
    await page.fill("#text", "/help")
    await page.click("#send")
    answer = bot_message(page, "取消正在进行的操作").last  # the end of /help's answer
    await expect(answer).to_be_attached()
    # The answer below the picture is shown without the person scrolling.
    await page.wait_for_function(
        "() => { const b = document.getElementById('messages'); return b.scrollHeight - b.scrollTop - b.clientHeight < 80; }",
        timeout=5_000,
    )
    await expect(answer.locator(".meta")).to_be_in_viewport()


async def test_on_a_touch_phone_enter_starts_a_new_line_and_the_guide_opens(demo: Demo) -> None:
    from playwright.async_api import expect

    async with browser_tab(demo.url, has_touch=True, is_mobile=True) as page:
        await be(page, "王晓燕")
        await page.click("#text")
        await page.keyboard.type("/new")
        await page.keyboard.press("Enter")
        await page.keyboard.type("事项：城区积水点排查整治")
        assert await page.input_value("#text") == "/new\n事项：城区积水点排查整治"
        await expect(page.locator(".msg.out", has_text="/new")).to_have_count(0)  # nothing was sent
        # Every button of the composer says what it does in words.
        for selector in ("#menu-button", ".attach", "#send"):
            assert (await page.locator(selector).inner_text()).strip() in ("命令", "文件", "发送")
        await page.click("#guide-toggle")
        await expect(page.locator("#guide ol")).to_be_visible()
        await expect(page.locator("#guide")).to_contain_text("到下月1日")


async def test_an_extended_deadline_reads_the_same_across_a_weekend(tmp_path: Path) -> None:
    """A 交办单 due on a Monday, extended by 5 days to a Saturday: the deadline moves to the next
    Monday; the weekend passes quietly; the 催办单 on Tuesday names the extended date and counts
    逾期1天 from it, agreeing with its own date."""
    from playwright.async_api import expect

    async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db", today=date(2026, 11, 27)) as demo:
        async with browser_tab(demo.url) as page:
            await clerk_issues(page, days=3, due="2026年11月30日")
            await be(page, "李住建")
            await expect(bot_message(page, "邓州市人民政府工作交办单")).to_be_visible()
            await page.wait_for_timeout(HUMAN_PAUSE_MS)
            await page.fill("#text", "/extend 1号 5天 需协调多个部门")
            await page.click("#send")
            await expect(bot_message(page, "已提交延期申请")).to_be_visible()
            # the unit's 分管市领导, whoever the demo city makes it, once the request has reached them
            leaders: set[str] = set()
            for _ in range(200):
                leaders = {
                    c.user.first_name for c in demo.server.state.chats.values()
                    if c.user is not None and any(m.from_bot and "申请单位：" in (m.text or "") for m in c.messages.values())
                }
                if leaders:
                    break
                await asyncio.sleep(0.1)
            [leader] = leaders
            await be(page, leader)
            request = bot_message(page, "延期申请")
            await page.wait_for_timeout(HUMAN_PAUSE_MS)
            await request.locator(".keyboard button", has_text="同意").first.click()
            await expect(request.locator(".keyboard button", has_text="同意")).to_have_count(0)

            await page.click(".calendar .jump[data-to=monday]")
            await expect(page.locator("#demo-date")).to_contain_text("2026年11月30日")
            for day in range(1, 9):
                await page.click("#next-day")
                await expect(page.locator("#demo-date")).to_contain_text(f"2026年12月{day}日")

            await be(page, "李住建")
            reminder = bot_message(page, "邓州市人民政府工作催办单")
            await expect(reminder).to_contain_text("期限3天（经分管市领导同意延期至2026年12月7日）")
            await expect(reminder).to_contain_text("现已逾期1天")
            await expect(reminder).to_contain_text("2026年12月8日")
            chat = next(c for c in demo.server.state.chats.values() if c.user is not None and c.user.first_name == "李住建")
            tz = demo.office.settings.timezone
            days = {datetime.fromtimestamp(m.date, tz).date() for m in chat.messages.values() if m.from_bot}
            assert not {d for d in days if d.weekday() >= 5}, "nothing reaches the unit on a rest day"


async def test_a_jump_dates_each_days_messages_on_that_day_at_the_schedules_time(tmp_path: Path) -> None:
    """「到下月1日」 from 12月21日: the reminders and slips of 12月22–31日 are each under their own
    day's divider, stamped at the schedule's 09:00, not all under 1月1日 at the real time."""
    from playwright.async_api import expect

    async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db", today=date(2026, 12, 21)) as demo:
        async with browser_tab(demo.url) as page:
            await clerk_issues(page, days=2, due="2026年12月23日")
            await page.click(".calendar .jump[data-to=first]")
            await expect(page.locator("#demo-date")).to_contain_text("2027年1月1日", timeout=120_000)

            await be(page, "李住建")
            await expect(bot_message(page, "《邓州市人民政府工作催办单》")).to_be_visible()
            # What the page shows: each message with the divider above it and its time.
            shown = await page.evaluate("""() => {
                const out = []; let day = null;
                for (const node of document.getElementById('messages').children) {
                    if (node.classList.contains('day')) day = node.textContent;
                    else if (node.classList.contains('in')) out.push([day, node.querySelector('.meta').textContent, node.querySelector('.body').textContent]);
                }
                return out;
            }""")
            # after the day it was issued on, everything the unit receives is the schedule's
            automatic = [(day, at) for day, at, _ in shown if not day.startswith("2026年12月21日")]
            assert automatic, shown
            days = [day for day, _ in automatic]
            assert len(set(days)) >= 2 and days == sorted(days, key=days.index), days
            assert {at for _, at in automatic} <= {"09:00", "09:01"}, automatic
            # Each message dated on the day it was sent by the daily check.
            chat = next(c for c in demo.server.state.chats.values() if c.user is not None and c.user.first_name == "李住建")
            tz = demo.office.settings.timezone
            sent = sorted(m.date for m in chat.messages.values() if m.from_bot)
            stamped = [datetime.fromtimestamp(t, tz) for t in sent]
            reminders = [m for m in chat.messages.values() if m.from_bot and "《邓州市人民政府工作催办单》" in (m.text or "")]
            [reminder] = reminders
            assert datetime.fromtimestamp(reminder.date, tz).date() < date(2027, 1, 1), stamped
            slip_day = f"{reminder.text}".split("\n")[-1].strip()
            on = datetime.fromtimestamp(reminder.date, tz).date()
            assert slip_day == f"{on.year}年{on.month}月{on.day}日", "the 催办单 reaches the unit on the day it is dated"


async def test_the_sample_minutes_are_dated_before_the_demos_date(tmp_path: Path) -> None:
    """「纪要示例」 a year and more after the sample was written: its meeting is days before the
    demo's date, so its 期限 lie ahead."""
    from playwright.async_api import expect

    async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db", today=date(2028, 3, 15)) as demo:
        async with browser_tab(demo.url) as page:
            await be(page, "赵文博")
            await page.click("#sample-minutes")
            review = bot_message(page, "拟交办")
            await expect(review).to_contain_text("期限自会议召开之日（2028年3月12日）起算", timeout=30_000)
            await expect(review).to_contain_text("市政府第12次常务会议纪要（〔2028〕12号）第一项（一）")
            await expect(review).not_to_contain_text("已过")
            assert demo.calendar.today == date(2028, 3, 15)


async def test_an_official_on_dingtalk_gets_the_slip_as_a_card_and_answers_it(tmp_path: Path) -> None:
    """陈志强 of 穰东镇 is on 钉钉, the clerk on Telegram: the page draws his chat as 钉钉 does (the
    交办单 a card with its title, markdown body and buttons in a row), pressing 签收 there changes
    the card, and 反馈 on the card takes the feedback the clerk reviews on Telegram."""
    from playwright.async_api import expect

    async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db", dingtalk=frozenset({"陈志强"})) as demo:
        async with browser_tab(demo.url) as page:
            await expect(page.locator(".person", has_text="陈志强").locator(".channel-tag")).to_have_text("钉钉")
            await expect(page.locator(".person", has_text="王晓燕").locator(".channel-tag")).to_have_count(0)

            await be(page, "王晓燕")
            await page.fill("#text", ISSUE.replace("单位：住建局", "单位：穰东镇"))
            await page.click("#send")
            await bot_message(page, "确认签发").locator(".keyboard button", has_text="确认签发").click()
            await expect(bot_message(page, "已签发1份交办单")).to_contain_text("穰东镇")

            await be(page, "陈志强")
            await expect(page.locator("#chat")).to_have_class(re.compile(r"\bdingtalk\b"))
            welcome = page.locator(".msg.ding-robot", has_text="绑定成功")
            await expect(welcome.locator(".md-line").nth(1)).to_have_text("您的身份：责任单位责任人")  # markdown's hard breaks
            slip = page.locator(".msg.ding-card", has_text="城区积水点排查整治").first
            await expect(slip.locator(".card-title")).to_contain_text("邓州市人民政府工作交办单")
            await expect(slip.locator(".card-body")).to_contain_text("逐点建立台账")
            await expect(slip.locator(".card-buttons button")).to_have_text(["签收", "反馈", "申请延期"])
            tops = {round(box["y"]) for box in [await b.bounding_box() for b in await slip.locator(".card-buttons button").all()] if box}
            assert len(tops) == 1  # one row, side by side
            await slip.locator(".card-buttons button", has_text="签收").click()
            await expect(slip.locator(".card-buttons button")).to_have_text(["反馈", "申请延期"])
            await expect(page.locator(".msg.ding", has_text="已签收").first).to_be_visible()

            # 反馈 on the card asks for the result; what he writes next is the feedback.
            await slip.locator(".card-buttons button", has_text="反馈").click()
            await expect(page.locator(".msg.ding-robot, .msg.ding-card").last).to_contain_text("反馈")
            await page.fill("#text", "穰东镇已完成排查，共12处积水点。")
            await page.click("#send")
            await expect(page.locator(".msg.ding.out", has_text="穰东镇已完成排查")).to_be_visible()
            noted = page.locator(".msg.ding-card", has_text="已记下").last
            await noted.locator(".card-buttons button", has_text="提交").click()
            await expect(page.locator(".msg.ding-robot, .msg.ding-card", has_text="已提交").last).to_be_visible()

            await be(page, "王晓燕")
            review = bot_message(page, "穰东镇已完成排查")
            await expect(review.locator(".keyboard button")).to_have_text(["通过(办结)", "退回"])
            assert await page.evaluate("document.documentElement.scrollWidth") <= 375


async def test_an_official_on_wecom_gets_the_slip_as_a_template_card_and_answers_it(tmp_path: Path) -> None:
    """黄磊 of 湍河街道 is on 企业微信, 陈志强 on 钉钉, the clerk on Telegram: the page draws his chat
    as 企业微信 does (the 交办单 a 模板卡片 with its main title, description and buttons in a row),
    pressing 签收 there changes the card, and 反馈 takes the feedback the clerk reviews on Telegram;
    a card whose question is settled shows one greyed button saying what came of it."""
    from playwright.async_api import expect

    async with running_demo(Settings(), port=0, db_path=tmp_path / "demo.db", dingtalk=frozenset({"陈志强"}),
                            wecom=frozenset({"黄磊"})) as demo:
        async with browser_tab(demo.url) as page:
            await expect(page.locator(".person", has_text="黄磊").locator(".channel-tag")).to_have_text("企业微信")
            await expect(page.locator(".person", has_text="陈志强").locator(".channel-tag")).to_have_text("钉钉")
            await expect(page.locator(".person", has_text="王晓燕").locator(".channel-tag")).to_have_count(0)

            await be(page, "王晓燕")
            await page.fill("#text", ISSUE.replace("单位：住建局", "单位：湍河街道"))
            await page.click("#send")
            await bot_message(page, "确认签发").locator(".keyboard button", has_text="确认签发").click()
            await expect(bot_message(page, "已签发1份交办单")).to_contain_text("湍河街道")

            await be(page, "黄磊")
            await expect(page.locator("#chat")).to_have_class(re.compile(r"\bwecom\b"))
            await expect(page.locator(".msg.wx-markdown, .msg.wx-text", has_text="绑定成功").first).to_be_visible()
            slip = page.locator(".msg.wx-card", has_text="城区积水点排查整治").first
            await expect(slip.locator(".card-title")).not_to_be_empty()
            await expect(slip.locator(".card-buttons button")).to_have_text(["签收", "反馈", "申请延期"])
            tops = {round(box["y"]) for box in [await b.bounding_box() for b in await slip.locator(".card-buttons button").all()] if box}
            assert len(tops) == 1  # one row, side by side
            await slip.locator(".card-buttons button", has_text="签收").click()
            await expect(slip.locator(".card-buttons button")).to_have_text(["反馈", "申请延期"])
            await expect(page.locator(".msg.wx", has_text="已签收").first).to_be_visible()

            # 反馈 on the card asks for the result; what he writes next is the feedback.
            await slip.locator(".card-buttons button", has_text="反馈").click()
            await expect(page.locator(".msg.wx.in").last).to_contain_text("反馈")
            await page.fill("#text", "湍河街道已完成排查，共9处积水点。")
            await page.click("#send")
            await expect(page.locator(".msg.wx.out", has_text="湍河街道已完成排查")).to_be_visible()
            noted = page.locator(".msg.wx-card", has_text="提交").last
            await noted.locator(".card-buttons button", has_text="提交").click()
            await expect(page.locator(".msg.wx.in", has_text="已提交").last).to_be_visible()
            greyed = page.locator(".msg.wx-card .card-buttons button:disabled")  # used: one grey button
            await expect(greyed.last).to_have_text("已处理")
            await expect(noted.locator(".card-buttons button")).to_have_count(1)

            await be(page, "王晓燕")
            review = bot_message(page, "湍河街道已完成排查")
            await expect(review.locator(".keyboard button")).to_have_text(["通过(办结)", "退回"])
            assert await page.evaluate("document.documentElement.scrollWidth") <= 375
