"""Files received on Telegram: their bytes fetched for the core (``bot.edge.FetchFile``)."""

from __future__ import annotations

from telegram import Bot

from bot.edge import FetchFile, File


def fetcher(bot: Bot) -> FetchFile:
    """``getFile``, then the file's bytes; a file Telegram says is over ``limit`` is refused
    before it is downloaded (``ValueError``). Telegram's errors pass to the caller, who retries."""

    async def fetch(file: File, limit: int) -> bytes:
        telegram_file = await bot.get_file(file.received)
        if telegram_file.file_size is not None and telegram_file.file_size > limit:
            raise ValueError(f"file over {limit} bytes")
        return bytes(await telegram_file.download_as_bytearray())

    return fetch
