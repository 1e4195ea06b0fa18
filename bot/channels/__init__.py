"""The messengers the bot speaks on, one adapter package each. An adapter turns its platform's
updates into the conversation layer's inputs and the core's notices into its platform's messages;
only it knows the platform's wire format (see ``bot.edge``)."""
