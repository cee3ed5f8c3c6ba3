"""How a job's run can end other than with a result: a retryable failure, or a cancel."""

from bot.core.errors import TransientError


class TransientJobError(TransientError):
    """A failure worth retrying with back-off (throttling, a dropped connection); its message is for a person."""


class JobCanceled(Exception):
    """Raised by Progress.update once the job's requester asked to cancel it."""
