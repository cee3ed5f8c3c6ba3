"""The user-facing error types shared by every layer, each saying whether trying again may help."""


class CommandError(Exception):
    """An expected failure: the message says what went wrong and what to type instead.

    `transient` says whether the same work may succeed later by itself (throttling, a dropped
    connection): jobs retry those with back-off and fail the rest at once.
    """

    transient: bool = False

    def __init__(self, message: str, *, transient: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if transient is not None:
            self.transient = transient


class TransientError(CommandError):
    """An expected failure that may pass by itself: AWS throttling, a connection that dropped."""

    transient = True


class Unavailable(CommandError):
    """A service the command needs (Docker engine, AWS, Redis) is not there: found before work is accepted.

    Not transient: retrying for minutes does not start a daemon or add credentials; the message says what to fix.
    """


class ConfigError(Exception):
    """Configuration is missing or malformed; the message names the variable."""
