"""The token-free demo: the emulator, the real bot, a seeded organisation and a web page that plays
each of its people, in one process (``duban demo``; see :mod:`bot.demo.run`)."""
