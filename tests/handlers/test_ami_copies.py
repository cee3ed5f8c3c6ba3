"""`/image ami copies` against moto's server: copies per region, missing and failing regions, Slack limits."""

from datetime import UTC, datetime
from unittest import mock

import pytest
from botocore.exceptions import ClientError

from bot.aws.copies import COPY, Copy, CopyReport
from bot.aws.images import Image
from bot.core.blocks import render_blocks
from bot.core.terminal import render_text
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.services import Services
from handlers.ami_copies import copies_reply
from tests.support.ec2 import copy_ami, create_ami

pytestmark = pytest.mark.usefixtures("no_default_amis")


def run(ctx, text):
    reply = dispatch(ctx, text)
    return reply, render_text(reply)


# ------------------------------------------------------------------ copies


@pytest.fixture
def estate(services):
    src = create_ami(services, "us-east-1", "web-base-2026.11.20")
    eu = copy_ami(services, src, "us-east-1", "eu-west-1", "web-base-2026.11.20")
    ap = copy_ami(services, eu, "eu-west-1", "ap-southeast-2", "web-base-2026.11.20")
    same = create_ami(services, "ca-central-1", "web-base-2026.11.20")
    return {"source": src, "eu": eu, "ap": ap, "same": same}


def test_copies_lists_one_row_per_region(ctx, estate):
    reply, text = run(ctx, f"ami copies {estate['source']}")
    assert reply.ok, text
    assert text.splitlines()[0] == "Copies of web-base-2026.11.20"
    rows = {line.split()[0]: line for line in text.splitlines()[2:] if line.split()[0].count("-") == 2}
    assert estate["source"] in rows["us-east-1"] and "this AMI" in rows["us-east-1"]
    assert estate["eu"] in rows["eu-west-1"] and "available" in rows["eu-west-1"]
    assert estate["ap"] in rows["ap-southeast-2"] and f"copy of `{estate['eu']}`" in rows["ap-southeast-2"]
    assert estate["same"] in rows["ca-central-1"] and "same name" in rows["ca-central-1"]
    assert "2 copies of" in text and "Looked in 20 regions" in text
    assert set(reply.data["copies"]) == {"us-east-1", "eu-west-1", "ap-southeast-2", "ca-central-1"}


def test_copies_lists_missing_expected_regions(settings, estate):
    settings = settings.model_copy(update={"expected_regions": "us-east-1,eu-west-1,us-west-2"})
    ctx = Context(settings, Services(settings))
    reply, text = run(ctx, f"ami copies {estate['source']}")
    assert "us-west-2       ✗ missing: no copy in this expected region" in text
    assert reply.data["missing"] == ["us-west-2"] and "missing in 1 expected regions" in text


def test_copies_in_given_regions_only(ctx, estate):
    reply, _ = run(ctx, f"ami copies {estate['source']} --regions eu-west-1,sa-east-1")
    assert reply.data["regions"] == ["eu-west-1", "sa-east-1", "us-east-1"]


def test_a_failing_region_shows_its_error_in_its_own_row(ctx, services, estate):
    fault = ClientError({"Error": {"Code": "OptInRequired", "Message": "not subscribed"}}, "DescribeImages")
    with mock.patch.object(services.ec2("eu-west-1"), "_make_api_call", side_effect=fault):
        reply, text = run(ctx, f"ami copies {estate['source']}")
    assert reply.ok
    row = next(line for line in text.splitlines() if line.startswith("eu-west-1"))
    assert "`eu-west-1` is not enabled" in row
    assert estate["ap"] in text and "1 regions failed" in text


def test_copies_of_an_unknown_or_malformed_id(ctx, services):
    reply, text = run(ctx, "ami copies ami-0123456789abcdef0")
    assert not reply.ok and "was not found in `us-east-1`" in text
    with mock.patch.object(services, "ec2", side_effect=AssertionError("AWS was called")):
        reply, text = run(ctx, "ami copies ami-nope --regions eu-west-1")
        assert not reply.ok and "hex digits" in text
        reply, text = run(ctx, "ami copies ami-0123abcd --regions eu-west-1,atlantis")
        assert not reply.ok and "`atlantis` is not an AWS region" in text


def test_a_long_copies_reply_stays_within_slack_limits():
    now = datetime.now(UTC)
    data = {"ImageId": "ami-0123456789abcdef0", "Name": "x" * 200, "State": "available"}
    source = Image("us-east-1", data)
    regions = [f"xx-east-{i}" for i in range(60)]
    copies = {r: [Copy(Image(r, {**data, "ImageId": f"ami-{i:017x}"}), COPY)] * 3 for i, r in enumerate(regions)}
    report = CopyReport(source, regions, copies=copies, errors={"yy-west-1": "x" * 3000})
    blocks = render_blocks(copies_reply(report, 0.2, now))
    assert len(blocks) <= 50 and blocks[0]["type"] == "header"


def test_copies_takes_a_name_like_ami_status(ctx, estate):
    by_name, text = run(ctx, "ami copies web-base-2026.11.20")
    assert by_name.ok, text
    by_id, _ = run(ctx, f"ami copies {estate['source']}")
    assert by_name.data["source"]["id"] == estate["source"]
    assert by_name.data["copies"].keys() == by_id.data["copies"].keys()


def test_a_name_that_is_not_in_the_region_says_where_it_is(ctx, services):
    create_ami(services, "eu-west-1", "api-golden-2026.11.02")
    reply, text = run(ctx, "ami copies api-golden-2026.11.02")
    assert not reply.ok
    assert "No AMI you own named `api-golden-2026.11.02` is in `us-east-1`" in text
    assert "It is in `eu-west-1`: add `--region eu-west-1`" in text


def test_the_not_found_hint_names_the_regions_the_ami_is_in_never_a_fixed_one(ctx, services):
    ami_id = create_ami(services, "us-west-2", "web-base-2026.11.20")
    reply, text = run(ctx, f"ami copies {ami_id} --region ap-south-1")
    assert not reply.ok and f"`{ami_id}` is not in `ap-south-1`; it is in `us-west-2`" in text
    assert f"/image ami copies {ami_id} --region us-west-2" in text and "eu-west-1" not in text
    reply, text = run(ctx, "ami copies ami-0123456789abcdef0 --region ap-south-1")
    assert not reply.ok and "was not found in `ap-south-1`" in text and "eu-west-1" not in text
