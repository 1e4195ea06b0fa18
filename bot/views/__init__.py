"""Views: what the bot shows, made from the ledger — the slips' texts and buttons, the 台账, the
通报, the board and the printable papers. A view reads through the use cases and storage and
changes nothing."""
