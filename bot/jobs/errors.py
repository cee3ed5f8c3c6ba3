"""How a job's run can end other than with a result: a retryable failure, or a cancel."""


class TransientJobError(Exception):
    """A failure worth retrying with back-off (throttling, a dropped connection)."""


class JobCanceled(Exception):
    """Raised by Progress.update once the job's requester asked to cancel it."""
