"""AWS failures in plain language: what went wrong and what to do about it.

Every boto3 call runs inside `aws_errors(region)`, which turns an AWS-side
or transport failure into a `CommandError`; throttling, AWS's own server
errors and dropped connections become a `TransientError`, so a job retries
them once botocore's own attempts ran out. A `ParamValidationError` is a
bug in our own call, not an AWS failure: it passes through untouched, so the
dispatcher logs it with a reference id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, TypeAlias

from bot.aws.clients import NO_CREDENTIALS
from bot.core.command import PREFIX
from bot.core.errors import CommandError, TransientError
from bot.core.metrics import AWS_ERRORS as AWS_ERROR_COUNT

if TYPE_CHECKING:  # botocore is imported when an AWS call is made or fails: commands without AWS never load it
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    # Everything a boto3 call raises for an AWS-side or transport failure.
    AwsError: TypeAlias = ClientError | BotoCoreError | ResponseParserError


@cache
def aws_error_types() -> tuple[type[Exception], ...]:
    """Everything a boto3 call raises for an AWS-side or transport failure (`except aws_error_types():`)."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    return (ClientError, BotoCoreError, ResponseParserError)


def param_validation_error() -> type[Exception]:
    """botocore's error for a call we built wrong: our bug, never an AWS failure."""
    from botocore.exceptions import ParamValidationError

    return ParamValidationError


AMI_ID_IN_TEXT = re.compile(r"ami-(?:[0-9a-f]{8}|[0-9a-f]{17})")
NOT_FOUND = ("InvalidAMIID.NotFound", "InvalidAMIID.Unavailable")
DENIED = ("UnauthorizedOperation", "AccessDenied", "AccessDeniedException")
# The one list of AWS error codes that mean "slow down": explained as throttling, retried by jobs.
THROTTLED = frozenset(
    {
        "RequestLimitExceeded",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "EC2ThrottledException",
        "PriorRequestNotComplete",
    }
)
BAD_CREDENTIALS = (
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "AuthFailure",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
)
AUTOSCALING_OPERATIONS = ("DescribeAutoScalingGroups", "DescribeLaunchConfigurations")
_ACTION = re.compile(r"perform:\s*([a-z0-9-]+:[A-Za-z0-9]+)")


class Throttled(TransientError):
    """AWS refused the call because of its rate limits, after botocore's own retries: nothing was done."""


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_transient_code(exc: ClientError) -> bool:
    """Throttling, or an error on AWS's side (HTTP 5xx): the same call may succeed later."""
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return error_code(exc) in THROTTLED or status >= 500


def explain(exc: AwsError, region: str = "") -> CommandError:
    """A plain-language CommandError for an AWS failure, saying what to do about it (and whether it may pass)."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
        ReadTimeoutError,
    )

    where = f" in `{region}`" if region else ""
    AWS_ERROR_COUNT.labels(error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__).inc()
    if isinstance(exc, ClientError):
        return _explain_client_error(exc, where)
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError | ConnectionClosedError):
        return TransientError(
            f"I can't reach the EC2 endpoint{where}. Check the network (or `AWS_ENDPOINT_URL`) and try again."
        )
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return CommandError(NO_CREDENTIALS)
    # a ResponseParserError and the like: an answer that is not EC2's; waiting does not change that
    return CommandError(
        f"The EC2 endpoint{where} sent an answer I could not read. Check the region name and "
        "`AWS_ENDPOINT_URL` (it must point at an EC2 API)."
    )


def _explain_client_error(exc: ClientError, where: str) -> CommandError:
    code, message = error_code(exc), str(exc.response.get("Error", {}).get("Message", ""))
    if code in NOT_FOUND:
        ids = ", ".join(f"`{i}`" for i in AMI_ID_IN_TEXT.findall(message)) or "That AMI"
        return CommandError(
            f"{ids} was not found{where}. Check the id, or look everywhere: "
            f"`{PREFIX} ami status <ami-id> --region all`."
        )
    if code == "InvalidAMIID.Malformed":
        return CommandError("That is not a valid AMI id: it is `ami-` and 8 or 17 hex digits.")
    if code in DENIED:
        return CommandError(
            f"The bot is not allowed to call `{denied_action(exc)}`{where}. "
            "Ask an AWS admin to add it to the bot's role (README: IAM policy)."
        )
    if code == "OptInRequired":
        return CommandError(
            f"The region{where.replace(' in', '')} is not enabled for this account (opt-in required). "
            "Enable it under Account → AWS Regions, or leave it out with `--regions`."
        )
    if code in THROTTLED:
        return Throttled(f"AWS is throttling requests{where}, even after retries. Try again in a minute.")
    if code in BAD_CREDENTIALS:
        return CommandError(
            "The bot's AWS credentials are expired or not valid. Ask an operator to refresh them, then try again."
        )
    said = f"{code or 'error'}: {message[:200]}"
    if is_transient_code(exc):
        return TransientError(f"AWS had a problem on its side{where} ({said}). Try again in a minute.")
    return CommandError(f"AWS refused the request{where}: {said}")


def denied_action(exc: ClientError) -> str:
    """The IAM action that was denied: from the message when AWS names it, else the operation."""
    found = _ACTION.search(str(exc.response.get("Error", {}).get("Message", "")))
    service = "autoscaling" if exc.operation_name in AUTOSCALING_OPERATIONS else "ec2"
    return found.group(1) if found else f"{service}:{exc.operation_name}"


@contextmanager
def aws_errors(region: str = "") -> Iterator[None]:
    """Turn AWS failures raised inside into plain-language CommandErrors; our own bugs pass through."""
    try:
        yield
    except param_validation_error():
        raise
    except aws_error_types() as exc:
        raise explain(exc, region) from exc
