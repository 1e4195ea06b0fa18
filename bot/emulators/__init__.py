"""Stand-ins for the messaging platforms the bot speaks to, one package each: they serve the
tests and the demo where the real services are out of reach."""
