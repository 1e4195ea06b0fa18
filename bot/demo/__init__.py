"""The token-free demo: the emulator, the real bot and a seeded organisation in one process."""
