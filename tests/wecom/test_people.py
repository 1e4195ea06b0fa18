"""Playing members against a bot: a tiny bot built on the wire client answers over the real
callback and API, and the person API walks through its answers as a scenario would."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.wecom.api import CardButton, WecomApi, button_card
from bot.channels.wecom.callback import CallbackCrypto
from bot.channels.wecom.inputs import CardPress, FileInput, Input, TextInput
from bot.emulators.wecom import EmulatorError, WecomEmulator, WecomPerson
from tests.wecom.conftest import Bot, serve_callback


class EchoBot(Bot):
    """Answers text with a card, a press by greying the card out, a file by naming it; takes
    each input once by its identity."""

    def __init__(self, api: WecomApi) -> None:
        super().__init__()
        self.api = api
        self.taken: set[str] = set()

    async def on_input(self, item: Input) -> None:
        if item.origin.identity in self.taken:
            return
        self.taken.add(item.origin.identity)
        self.inputs.append(item)
        who = [item.origin.userid]
        if isinstance(item, TextInput) and item.quoted:
            await self.api.send_text(who, f"收到对「{item.quoted}」的回复：{item.text}")
        elif isinstance(item, TextInput):
            await self.api.send_card(who, button_card(f"card-{len(self.taken)}", f"工作交办单 {item.text}",
                                                      [CardButton("ack", "签收"), CardButton("ext", "申请延期")]))
        elif isinstance(item, CardPress):
            await self.api.update_card_buttons(who, item.response_code, "已签收")
        elif isinstance(item, FileInput):
            media = await self.api.download_media(item.media_id)
            await self.api.send_text(who, f"已收到附件 {media.filename}（{len(media.content)} 字节）")


@pytest.fixture
async def echo(wecom: WecomEmulator, api: WecomApi) -> AsyncIterator[EchoBot]:
    side = EchoBot(api)
    runner = await serve_callback(CallbackCrypto(wecom.token, wecom.encoding_aes_key, wecom.corp_id), side)
    wecom.callbacks.settings.url = side.url
    yield side
    await runner.cleanup()


async def test_a_person_walks_through_the_bots_answers(wecom: WecomEmulator, echo: EchoBot) -> None:
    li = WecomPerson(wecom, "lijun")
    await li.send("2024-017")
    card = await li.wait_for("工作交办单 2024-017")
    assert "[签收][申请延期]" in card.content

    await li.press("签收")
    same = await li.wait_for("[已签收]")
    assert same is card
    with pytest.raises(AssertionError):
        await li.press("签收")  # no active card has it any more
    with pytest.raises(EmulatorError):
        await li.press("签收", card)  # the greyed-out button does nothing

    await li.reply_to(card, "本周内办结")
    answer = await li.wait_for("收到对")
    assert answer.text == "收到对「工作交办单 2024-017」的回复：本周内办结"

    await li.send_file("整改报告.pdf", b"%PDF-1.4 ....")
    await li.wait_for("已收到附件 整改报告.pdf（13 字节）")
    assert li.transcript().splitlines()[0] == "lijun [text] 2024-017"


async def test_waiting_for_what_never_comes_shows_the_chat(wecom: WecomEmulator, echo: EchoBot) -> None:
    zhao = WecomPerson(wecom, "zhaolei")
    with pytest.raises(AssertionError, match="nothing new matching 督办通知单"):
        await zhao.wait_for("督办通知单", timeout=0.2)
