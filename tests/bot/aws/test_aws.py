"""bot/aws.py against moto's server over HTTP, plus error mapping and botocore's own retries."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, ParamValidationError

from bot.aws import copies, images, instances, regions
from bot.aws import errors as aws_errors
from bot.core.config import load_settings
from bot.core.errors import CommandError
from bot.dispatch.run import dispatch
from bot.services import Services
from tests.conftest import free_port
from tests.support.ec2 import copy_ami, create_ami, set_fields


@pytest.fixture(autouse=True)
def _no_default_amis(monkeypatch):
    """moto without its hundreds of default AMIs per region (autouse runs before `aws_url` resets moto)."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def client_error(code: str, message: str = "", operation: str = "DescribeImages") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


# -------------------------------------------------------------- validation


@pytest.mark.parametrize("value", ["ami-0123abcd", "ami-0123456789abcdef0", "AMI-0123ABCD", " ami-0123abcd "])
def test_ami_ids_of_8_or_17_hex_digits_are_accepted(value):
    assert images.validate_ami_id(value) == value.strip().lower()


@pytest.mark.parametrize("value", ["ami-123", "ami-0123456789abcdef", "ami-zzzzzzzz", "web-base", "i-0123abcd"])
def test_malformed_ami_ids_say_what_one_looks_like(value):
    with pytest.raises(CommandError, match="`ami-` and 8 or 17 hex digits"):
        images.validate_ami_id(value)


@pytest.mark.parametrize("value", ["us-east-1", "EU-WEST-1", "us-gov-west-1", "cn-north-1"])
def test_known_region_names_are_accepted(value):
    assert regions.validate_region(value) == value.lower()


@pytest.mark.parametrize(("value", "nearest"), [("us-west-9", "us-west-2"), ("eu-central-7", "eu-central-2")])
def test_a_region_shaped_name_that_does_not_exist_is_refused_with_the_nearest(value, nearest):
    with pytest.raises(CommandError) as caught:
        regions.validate_region(value)
    assert caught.value.message == f"`{value}` is not an AWS region. Did you mean `{nearest}`?"


def test_a_misspelt_region_gets_a_suggestion():
    with pytest.raises(CommandError, match="Did you mean `eu-west-1`"):
        regions.validate_region("eu-wset-1")


@pytest.mark.parametrize("value", ["mars", "us-east", "useast1", "all-regions"])
def test_non_region_names_are_refused(value):
    with pytest.raises(CommandError, match="not an AWS region"):
        regions.validate_region(value)


def test_a_region_list_is_validated_and_deduplicated():
    assert regions.validate_regions("eu-west-1, us-east-1,eu-west-1") == ["eu-west-1", "us-east-1"]
    with pytest.raises(CommandError):
        regions.validate_regions("eu-west-1,nowhere")


@pytest.mark.parametrize(
    "value", ["t3.micro", "m7g.2xlarge", "c6in.metal-24xl", "u-6tb1.metal", "mac2-m2pro.metal", "c7i-flex.large"]
)
def test_instance_types_are_accepted(value):
    assert instances.validate_instance_type(value) == value


@pytest.mark.parametrize("value", ["t3", "micro", "t3.huge", "t3..micro", "large.t3"])
def test_bad_instance_types_say_what_to_type(value):
    with pytest.raises(CommandError, match=r"--type t3\.micro"):
        instances.validate_instance_type(value)


# ----------------------------------------------------------- error mapping


def test_not_found_names_the_id_and_suggests_all_regions():
    exc = client_error("InvalidAMIID.NotFound", "The image id '[ami-0123abcd]' does not exist")
    message = aws_errors.explain(exc, "eu-west-1").message
    assert "`ami-0123abcd` was not found in `eu-west-1`" in message and "--region all" in message


def test_malformed_from_aws_says_what_an_id_looks_like():
    assert "8 or 17 hex digits" in aws_errors.explain(client_error("InvalidAMIID.Malformed")).message


def test_unauthorized_names_the_missing_action_from_the_message():
    message = (
        "You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/bot/i "
        "is not authorized to perform: ec2:DescribeImageAttribute on resource: arn:aws:ec2:us-east-1::image/ami-1"
    )
    text = aws_errors.explain(client_error("UnauthorizedOperation", message), "us-east-1").message
    assert "`ec2:DescribeImageAttribute`" in text and "IAM policy" in text
    assert "arn:aws:sts" not in text  # no account or role details in the reply


def test_unauthorized_with_an_encoded_message_falls_back_to_the_operation():
    exc = client_error("UnauthorizedOperation", "Encoded authorization failure message: abc", "DescribeRegions")
    assert "`ec2:DescribeRegions`" in aws_errors.explain(exc).message


def test_opt_in_required_says_how_to_enable_or_skip_the_region():
    text = aws_errors.explain(client_error("OptInRequired", "You are not subscribed"), "ap-east-1").message
    assert "`ap-east-1` is not enabled" in text and "--regions" in text


def test_throttling_says_it_was_retried():
    assert "even after retries" in aws_errors.explain(client_error("RequestLimitExceeded"), "us-east-1").message


@pytest.mark.parametrize("code", ["ExpiredToken", "RequestExpired", "AuthFailure", "InvalidClientTokenId"])
def test_bad_credentials_ask_for_a_refresh(code):
    assert "credentials are expired or not valid" in aws_errors.explain(client_error(code)).message


def test_endpoint_unreachable_and_no_credentials_are_plain():
    unreachable = aws_errors.explain(EndpointConnectionError(endpoint_url="https://ec2.x"), "us-east-1").message
    assert "can't reach the EC2 endpoint in `us-east-1`" in unreachable
    assert "no AWS credentials" in aws_errors.explain(NoCredentialsError()).message


@pytest.mark.parametrize("code", sorted(aws_errors.THROTTLED))
def test_every_throttling_code_is_transient_and_said_as_throttling(code):
    error = aws_errors.explain(client_error(code), "us-east-1")
    assert error.transient and "AWS is throttling requests in `us-east-1`" in error.message


@pytest.mark.parametrize("code", ["InvalidParameterValue", "UnauthorizedOperation", "AuthFailure", "OptInRequired"])
def test_refusals_are_not_transient(code):
    assert not aws_errors.explain(client_error(code)).transient


def test_an_error_on_aws_side_is_transient_and_keeps_its_code():
    exc = client_error("InternalError", "We encountered an internal error")
    exc.response["ResponseMetadata"] = {"HTTPStatusCode": 500}
    error = aws_errors.explain(exc, "eu-west-1")
    assert error.transient and "InternalError" in error.message and "Try again in a minute" in error.message


def test_an_unreadable_answer_names_no_class_and_gives_no_try_again_advice():
    from botocore.parsers import ResponseParserError

    error = aws_errors.explain(ResponseParserError("Unable to parse response (not well-formed)"), "us-west-9")
    assert not error.transient
    assert "ResponseParserError" not in error.message and "try again" not in error.message.lower()
    assert "could not read" in error.message and "region name" in error.message


def test_a_dropped_connection_is_transient():
    assert aws_errors.explain(EndpointConnectionError(endpoint_url="https://ec2.x"), "us-east-1").transient


def test_unknown_codes_keep_code_and_a_short_message():
    text = aws_errors.explain(client_error("InvalidParameterValue", "x" * 500)).message
    assert "InvalidParameterValue" in text and len(text) < 300


def test_an_unreachable_endpoint_becomes_a_command_error(aws_url, monkeypatch):
    settings = load_settings(AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}", AWS_MAX_ATTEMPTS=1)
    with pytest.raises(CommandError, match="can't reach the EC2 endpoint in `us-east-1`"):
        images.describe_image(Services(settings).aws, "us-east-1", "ami-0123abcd")


class _Throttling(BaseHTTPRequestHandler):
    calls = 0

    def do_POST(self):
        type(self).calls += 1
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = (
            b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
            b"</Message></Error></Errors><RequestID>r</RequestID></Response>"
        )
        self.send_response(503)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_throttling_is_retried_by_botocore_before_it_is_reported(aws_url):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttling)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        settings = load_settings(AWS_ENDPOINT_URL=url, AWS_MAX_ATTEMPTS=3, AWS_RETRY_MODE="standard")
        with pytest.raises(CommandError, match="throttling requests in `us-east-1`, even after retries"):
            images.describe_image(Services(settings).aws, "us-east-1", "ami-0123abcd")
        assert _Throttling.calls == 3
    finally:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------ look-ups


def test_describe_image_returns_the_image_or_none(services):
    ami_id = create_ami(services, "us-east-1", "app-1", {"team": "web"})
    image = images.describe_image(services.aws, "us-east-1", ami_id)
    assert image is not None and image.name == "app-1" and image.tags == {"team": "web"}
    assert image.created is not None and image.created.tzinfo is not None
    assert images.describe_image(services.aws, "us-east-1", "ami-0123456789abcdef0") is None
    assert images.describe_image(services.aws, "eu-west-1", ami_id) is None


def test_find_by_name_matches_patterns_newest_first(services):
    older = create_ami(services, "us-east-1", "web-1")
    newer = create_ami(services, "us-east-1", "web-2")
    create_ami(services, "us-east-1", "api-1")
    set_fields("us-east-1", older, creation_date=images.parse_time("2026-01-01T00:00:00Z"))
    assert [i.id for i in images.find_by_name(services.aws, "us-east-1", "web-*")] == [newer, older]
    assert [i.id for i in images.find_by_name(services.aws, "us-east-1", "web-1")] == [older]


def test_last_launched_is_read_and_tolerates_failure(services):
    ami_id = create_ami(services, "us-east-1", "app-1")
    image = images.describe_image(services.aws, "us-east-1", ami_id)
    assert image is not None and images.last_launched(services.aws, image) is None
    set_fields("us-east-1", ami_id, lld="2026-11-01T10:00:00.000Z")
    assert images.last_launched(services.aws, image).isoformat() == "2026-11-01T10:00:00+00:00"
    denied = client_error("UnauthorizedOperation", operation="DescribeImageAttribute")
    with mock.patch.object(services.ec2("us-east-1"), "_make_api_call", side_effect=denied):
        assert images.last_launched(services.aws, image) is None


def test_enabled_regions_leave_out_not_opted_in_and_other_partitions(services):
    names = regions.enabled_regions(services.aws)
    assert "us-east-1" in names and "eu-west-1" in names
    assert "ap-east-1" not in names  # not opted in (moto)
    assert not [r for r in names if r.startswith(("cn-", "us-gov-"))]
    assert len(names) == 20


def test_fan_out_is_concurrent_bounded_and_isolates_failures(settings):
    services = Services(settings.model_copy(update={"aws_concurrency": 4}))
    active, peak, lock = [0], [0], threading.Lock()

    def lookup(region):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        if region == "r-bad":
            raise client_error("OptInRequired")
        return region.upper()

    names = [f"r-{i}" for i in range(11)] + ["r-bad"]
    results = regions.fan_out(services.aws, names, lookup)
    assert peak[0] == 4  # four look-ups at once (the pool's size), counted rather than timed
    assert [r.region for r in results] == names
    assert results[0].value == "R-0" and results[-1].error and "not enabled" in results[-1].error


# -------------------------------------------------------------------- copies


@pytest.fixture
def estate(services):
    """A source in us-east-1, copies (linked, copy of a copy, tag-only), a same-name image and noise."""
    src = create_ami(services, "us-east-1", "web-base-1")
    ids = {"source": src}
    ids["eu"] = copy_ami(services, src, "us-east-1", "eu-west-1", "web-base-1")
    ids["ap"] = copy_ami(services, ids["eu"], "eu-west-1", "ap-southeast-2", "web-base-1")  # copy of a copy
    ids["tag"] = copy_ami(services, src, "us-east-1", "us-west-2", "web-base-1-renamed", linked=False)
    services.ec2("us-west-2").create_tags(
        Resources=[ids["tag"]],
        Tags=[{"Key": images.SOURCE_IMAGE_TAG, "Value": src}, {"Key": images.SOURCE_REGION_TAG, "Value": "us-east-1"}],
    )
    ids["same"] = create_ami(services, "ca-central-1", "web-base-1")
    ids["other"] = create_ami(services, "eu-west-2", "api-1")
    return ids


def test_copies_are_found_by_source_fields_tags_chains_and_name(services, estate):
    report = copies.find_copies(services.aws, estate["source"])
    kinds = {r: [(c.image.id, c.kind, c.via) for c in cs] for r, cs in report.copies.items()}
    assert kinds == {
        "us-east-1": [(estate["source"], copies.SOURCE, None)],
        "eu-west-1": [(estate["eu"], copies.COPY, None)],
        "ap-southeast-2": [(estate["ap"], copies.COPY, estate["eu"])],
        "us-west-2": [(estate["tag"], copies.COPY, None)],
        "ca-central-1": [(estate["same"], copies.SAME_NAME, None)],
    }
    assert len(report.regions) == 20 and not report.errors


def test_asking_about_a_copy_shows_its_original(services, estate):
    report = copies.find_copies(services.aws, estate["ap"], "ap-southeast-2")
    assert report.copies["us-east-1"][0].kind == copies.ORIGINAL
    assert report.copies["eu-west-1"][0].kind == copies.ORIGINAL
    assert report.copies["ap-southeast-2"][0].kind == copies.SOURCE
    assert report.copies["us-west-2"][0].kind == copies.COPY


def test_missing_expected_regions_are_listed(settings, estate):
    settings = settings.model_copy(update={"expected_regions": "us-east-1,eu-west-1,sa-east-1,me-south-1"})
    report = copies.find_copies(Services(settings).aws, estate["source"])
    assert "me-south-1" in report.regions  # expected but not enabled: asked anyway (real EC2 answers OptInRequired)
    assert report.missing == ["sa-east-1", "me-south-1"]


def test_given_regions_limit_the_search(services, estate):
    report = copies.find_copies(services.aws, estate["source"], regions=["eu-west-1", "sa-east-1"])
    assert report.regions == ["eu-west-1", "sa-east-1", "us-east-1"]
    assert set(report.copies) == {"us-east-1", "eu-west-1"}


def test_a_failing_region_gets_its_own_error_and_the_rest_are_listed(services, estate):
    fault = client_error("OptInRequired", "You are not subscribed to this service.")
    with mock.patch.object(services.ec2("eu-west-1"), "_make_api_call", side_effect=fault):
        report = copies.find_copies(services.aws, estate["source"])
    assert "eu-west-1" not in report.copies and "not enabled" in report.errors["eu-west-1"]
    assert set(report.copies) == {"us-east-1", "ap-southeast-2", "us-west-2", "ca-central-1"}


def test_an_unknown_source_is_a_command_error(services):
    with pytest.raises(CommandError, match="was not found in `us-east-1`"):
        copies.find_copies(services.aws, "ami-0123456789abcdef0")


def test_the_enabled_region_list_is_cached(services):
    first = regions.enabled_regions(services.aws)
    with mock.patch.object(services.ec2("us-east-1"), "_make_api_call", side_effect=AssertionError("called")):
        assert regions.enabled_regions(services.aws) == first


def test_expected_regions_setting_is_normalised_and_checked():
    from bot.core.errors import ConfigError

    assert load_settings(IMAGEBOT_EXPECTED_REGIONS=" us-east-1, EU-west-1,us-east-1 ").expected_region_list == [
        "us-east-1",
        "eu-west-1",
    ]
    with pytest.raises(ConfigError, match=r"IMAGEBOT_EXPECTED_REGIONS: .*not a region name: mars"):
        load_settings(IMAGEBOT_EXPECTED_REGIONS="us-east-1,mars")


@pytest.mark.parametrize("where", ["us-east-1", "all"])
def test_a_parameter_bug_is_ours_not_an_aws_failure(ctx, services, caplog, where):
    """botocore's ParamValidationError means our call was malformed: a logged bug with a reference, not "AWS failed"."""
    bug = ParamValidationError(report="Invalid type for parameter ImageIds[0], value: 7")
    client = services.ec2("us-east-1" if where == "us-east-1" else "eu-west-1")
    with mock.patch.object(client, "_make_api_call", side_effect=bug):
        reply = dispatch(ctx, f"/image ami status ami-0123456789abcdef0 --region {where}")
    assert not reply.ok and "Something went wrong on my side (ref `" in reply.text
    assert "AWS" not in reply.text and "Try again in a minute" not in reply.text
    assert any(r.exc_info and r.exc_info[0] is ParamValidationError for r in caplog.records)
