"""The Telegram channel: the Bot API's updates in, the core's notices out."""
