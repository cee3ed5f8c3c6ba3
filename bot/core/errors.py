"""The user-facing error type shared by every layer."""


class CommandError(Exception):
    """An expected failure: the message says what went wrong and what to type instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(Exception):
    """Configuration is missing or malformed; the message names the variable."""
