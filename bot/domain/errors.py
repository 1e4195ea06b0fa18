"""Domain errors: an illegal move under the notice's rules, with a reason a person can read."""


class DomainError(Exception):
    """A rule of the notice forbids this move.

    ``code`` is a stable key: handlers map it to a template in ``messages/`` so the user reads
    a Chinese sentence that says what to do instead. ``details`` fills that template.
    """

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details

    def __str__(self) -> str:
        if not self.details:
            return self.code
        shown = ", ".join(f"{k}={v!r}" for k, v in sorted(self.details.items()))
        return f"{self.code} ({shown})"
