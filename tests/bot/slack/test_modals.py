"""The launch and copy forms through the real Bolt app: signed requests, the Web API stand-in, moto over HTTP."""

import json

import pytest
from slack_sdk.models.views import View

from bot.dispatch.registry import REGISTRY
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.slack.app import build_app
from tests.handlers.conftest import all_instances, wait_done
from tests.support.ec2 import create_ami, set_fields
from tests.support.modals import multi, selected, state, submission_body, suggestion_body, typed, view_of
from tests.support.signing import action_body, send, slash_command_body

pytestmark = pytest.mark.usefixtures("no_default_amis")

POLICY = """
contact: "#platform-help"
roles:
  ops: {permissions: [launch, copy]}
grants:
  users: {U0OPS: [ops]}
guardrails:
  launch:
    instance_types: ["t3.*", "m7g.large"]
    regions: [us-east-1, eu-west-1]
    max_per_user_per_day: 5
    ttl: {default: 8h, max: 3d}
  copy:
    regions: [eu-west-1, us-west-2, ap-southeast-2]
"""


@pytest.fixture
def policy_text():
    """The policy `ops` (tests/conftest.py) runs under here: the guardrails above."""
    return POLICY


@pytest.fixture
def bolt(ops):
    return build_app(ops.settings, ops.services)


@pytest.fixture
def worker(settings, policy_file, monkeypatch, start_worker):
    monkeypatch.setenv("AWS_ENDPOINT_URL", settings.aws_endpoint_url)
    monkeypatch.setenv("IMAGEBOT_DEFAULT_REGION", settings.aws_region)
    monkeypatch.setenv("IMAGEBOT_POLICY_FILE", policy_file)
    return start_worker()


def open_form(bolt, slack_api, text="launch", user="U0OPS"):
    """`/image <text>` from C0OPS: the ack's body (empty when a form opened) and the view views.open got."""
    before = len(slack_api.calls_to("views.open"))
    resp = send(bolt, slash_command_body(text, slack_api.response_url("form"), user=user, channel="C0OPS"))
    assert resp.status == 200
    if resp.body:  # the ack answered (an error, or the command ran): no form is opened
        return resp.body, None
    # An empty ack means a form: Bolt calls views.open on its listener thread after the ack, so wait for it.
    return resp.body, slack_api.wait_for("views.open", count=before + 1)[-1]


def options_of(view, block_id):
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return [o["value"] for o in block["element"]["options"]]


def submit(bolt, view, user="U0OPS"):
    resp = send(bolt, submission_body(view, user=user))
    assert resp.status == 200
    return json.loads(resp.body) if resp.body else {}


def launch_state(ami, type_="t3.small", region="us-east-1", ttl="8h", name="smoke"):
    return state(ami=selected(ami), type=selected(type_), region=selected(region), ttl=selected(ttl), name=typed(name))


def confirm_id(call):
    elements = [e for b in call.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return next(e["value"] for e in elements if e["action_id"] == "imagebot.confirm")


def click(bolt, slack_api, action_id, value, name):
    """U0OPS clicks a button in C0OPS; its answer goes to the response_url `name`."""
    send(bolt, action_body(action_id, value, slack_api.response_url(name), user="U0OPS", channel="C0OPS"))


# ------------------------------------------------------------------ opening


def test_launch_with_no_arguments_opens_a_valid_form_with_only_allowed_choices(bolt, slack_api):
    body, call = open_form(bolt, slack_api)
    assert body == "" and call is not None
    assert call.body["trigger_id"] == "1.2.3"
    view = call.body["view"]
    View(**view).validate_json()  # slack_sdk's own model accepts what was sent
    types = options_of(view, "type")
    assert types[0] == "t3.micro" and "m7g.large" in types and "t3.2xlarge" in types
    assert all(t.startswith("t3.") or t == "m7g.large" for t in types)
    assert options_of(view, "region") == ["us-east-1", "eu-west-1"]
    assert options_of(view, "ttl") == ["1h", "2h", "4h", "8h", "12h", "1d", "2d", "3d"]  # 3d is the maximum
    ttl_block = next(b for b in view["blocks"] if b.get("block_id") == "ttl")
    assert ttl_block["element"]["initial_option"]["value"] == "8h"
    meta = json.loads(view["private_metadata"])
    assert meta["channel"] == "C0OPS" and meta["response_url"].endswith("/response/form")


def test_copy_with_no_arguments_opens_a_form_with_the_allowed_destinations(bolt, slack_api):
    _, call = open_form(bolt, slack_api, "ami copy")
    view = call.body["view"]
    View(**view).validate_json()
    regions = next(b for b in view["blocks"] if b.get("block_id") == "regions")["element"]
    assert [o["value"] for o in regions["options"]] == ["ap-southeast-2", "eu-west-1", "us-west-2"]
    assert regions["type"] == "multi_static_select" and regions["max_selected_items"] == 3


def test_someone_who_may_not_launch_is_told_so_and_gets_no_form(bolt, slack_api):
    body, call = open_form(bolt, slack_api, user="U0NOBODY")
    assert call is None
    assert "You need the `launch` permission" in json.loads(body)["text"]


def test_the_shell_keeps_launch_without_arguments_as_usage(ops):
    reply = dispatch(ops, "/image launch")
    assert not reply.ok and "Usage" in reply.text


def test_a_typed_launch_with_arguments_still_runs_as_a_command(bolt, slack_api):
    body, call = open_form(bolt, slack_api, "launch ami-0abcdef1234567890 --type m5.large")
    assert call is None and "Working on `/image launch`" in json.loads(body)["text"]
    answer = slack_api.wait_for("response_url")[0]
    assert "Instance type `m5.large` is not allowed" in answer.body["text"]


def test_the_launch_button_on_ami_status_opens_the_form_with_that_ami(ops, bolt, slack_api):
    ami = create_ami(ops.services, "eu-west-1", "web-base-eu")
    reply = dispatch(ops, f"/image ami status {ami} --region eu-west-1")
    buttons = {b.action_id: b.value for p in reply.parts if hasattr(p, "buttons") for b in p.buttons}
    assert buttons["imagebot.open.launch"] == f"{ami} eu-west-1" and "imagebot.open.copy" in buttons
    click(bolt, slack_api, "imagebot.open.launch", buttons["imagebot.open.launch"], "status")
    view = slack_api.wait_for("views.open")[0].body["view"]
    View(**view).validate_json()
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["ami"]["element"]["initial_option"]["value"] == ami
    assert blocks["region"]["element"]["initial_option"]["value"] == "eu-west-1"


def test_a_reader_sees_no_form_buttons_on_ami_status(ops, settings):
    ami = create_ami(ops.services, "us-east-1", "web-base-1")
    reader = Context(settings, ops.services, user_id="U0NOBODY", channel_id="C0OPS", registry=REGISTRY)
    reply = dispatch(reader, f"/image ami status {ami}")
    assert reply.ok and not [p for p in reply.parts if hasattr(p, "buttons")]


# ------------------------------------------------------------------ options


def test_the_ami_options_are_only_amis_the_user_may_launch(ops, bolt, slack_api):
    current = create_ami(ops.services, "us-east-1", "web-base-2")
    old = create_ami(ops.services, "us-east-1", "web-base-1")
    set_fields("us-east-1", old, deprecation_time="2025-03-01T00:00:00.000Z")
    pending = create_ami(ops.services, "us-east-1", "web-base-3")
    set_fields("us-east-1", pending, state="pending")
    other = create_ami(ops.services, "us-east-1", "db-base-1")
    elsewhere = create_ami(ops.services, "ap-southeast-2", "web-base-ap")
    _, call = open_form(bolt, slack_api)
    view = call.body["view"]

    def options(query, region="us-east-1", user="U0OPS"):
        resp = send(bolt, suggestion_body(view_of(view, state(region=selected(region))), query, user=user))
        assert resp.status == 200
        return {o["value"]: o["text"]["text"] for o in json.loads(resp.body)["options"]}

    found = options("web")
    assert set(found) == {current, old}  # not the pending one, not db-base-1, not another region's
    assert found[old].startswith("⚠ deprecated") and not found[current].startswith("⚠")
    assert set(options("")) == {current, old, other}
    assert set(options(other[4:12])) == {other}  # by id too
    assert options("web", region="ap-southeast-2") == {}, elsewhere  # launching there is not allowed
    assert options("web", user="U0NOBODY") == {}


# ------------------------------------------------------------------ field errors


@pytest.mark.parametrize(
    ("field", "value", "block", "expected"),
    [
        ("type", "m5.large", "type", "Instance type m5.large is not allowed"),
        ("region", "ap-southeast-2", "region", "Launching in ap-southeast-2 is not allowed"),
        ("ttl", "30d", "ttl", "longer than you may launch for"),
        ("ttl", "soon", "ttl", "is not a duration"),
    ],
)
def test_a_disallowed_field_gets_its_error_in_place(ops, bolt, slack_api, field, value, block, expected):
    _, call = open_form(bolt, slack_api)
    values = {"type_" if field == "type" else field: value}
    answer = submit(bolt, view_of(call.body["view"], launch_state("ami-0abcdef1234567890", **values)))
    assert answer["response_action"] == "errors" and list(answer["errors"]) == [block]
    assert expected in answer["errors"][block]
    assert slack_api.calls_to("response_url") == []  # nothing was run


def test_copy_to_a_disallowed_region_gets_its_error_on_the_regions_field(bolt, slack_api):
    _, call = open_form(bolt, slack_api, "ami copy")
    chosen = state(ami=selected("ami-0abcdef1234567890"), regions=multi(["eu-west-1", "us-east-2"]))
    answer = submit(bolt, view_of(call.body["view"], chosen))
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["regions"]
    assert "Copying to us-east-2 is not allowed" in answer["errors"]["regions"]


# ------------------------------------------------------------------ submissions


def without_ids(call):
    """A confirmation's text and blocks, minus its own confirmation id."""
    cid = confirm_id(call)
    return json.dumps({"text": call.body["text"], "blocks": call.body["blocks"]}).replace(cid, "<cid>")


def test_a_launch_form_is_the_typed_command_and_confirm_twice_makes_one_instance(ops, bolt, slack_api, worker):
    ami = create_ami(ops.services, "us-east-1", "web-base-1")
    typed_text = f"launch {ami} --type t3.small --region us-east-1 --ttl 8h --name smoke"
    send(bolt, slash_command_body(typed_text, slack_api.response_url("typed"), user="U0OPS", channel="C0OPS"))
    by_typing = slack_api.wait_for("response_url")[0]

    _, call = open_form(bolt, slack_api)
    assert submit(bolt, view_of(call.body["view"], launch_state(ami))) == {}  # the form closes
    by_form = slack_api.wait_for("response_url", count=2)[1]
    assert by_form.path == "/response/form" and by_form.body["response_type"] == "ephemeral"
    assert without_ids(by_form) == without_ids(by_typing)  # the same confirmation, word for word
    texts = [e["text"] for e in ops.services.audit.entries("U0OPS") if e["command"] == "launch"]
    assert texts == [typed_text, typed_text]  # audited as the same command

    cid = confirm_id(by_form)
    for name in ("first", "second"):
        click(bolt, slack_api, "imagebot.confirm", cid, name)
    first, second = (slack_api.wait_for("response_url", count=4)[i] for i in (2, 3))
    answers = {first.path: first.body["text"], second.path: second.body["text"]}
    assert "Started job `" in answers["/response/first"] and "already used" in answers["/response/second"]
    job_id = answers["/response/first"].split("Started job `", 1)[1].split("`", 1)[0]
    record = wait_done(ops, job_id, timeout=60)
    assert record.status == "succeeded", record.error
    [instance] = all_instances(ops.services)
    assert instance["InstanceType"] == "t3.small"
    assert [j.kind for j in ops.services.jobs.recent("U0OPS", 10)] == ["ami.launch"]


def test_a_copy_form_with_two_regions_makes_two_copy_jobs(ops, bolt, slack_api, worker):
    ami = create_ami(ops.services, "us-east-1", "web-base-1")
    _, call = open_form(bolt, slack_api, "ami copy")
    view = view_of(call.body["view"], state(ami=selected(ami), regions=multi(["eu-west-1", "us-west-2"])))
    assert submit(bolt, view) == {}
    offers = slack_api.wait_for("response_url", count=2)
    assert sorted("to eu-west-1" in o.body["text"] for o in offers) == [False, True]
    for n, offer in enumerate(offers):
        click(bolt, slack_api, "imagebot.confirm", confirm_id(offer), f"confirm-{n}")
    started = slack_api.wait_for("response_url", count=4)[2:]
    job_ids = [s.body["text"].split("Started job `", 1)[1].split("`", 1)[0] for s in started]
    records = [wait_done(ops, job_id, timeout=60) for job_id in job_ids]
    assert sorted(r.args["region"] for r in records) == ["eu-west-1", "us-west-2"]
    assert all(r.status == "succeeded" and r.kind == "ami.copy" for r in records), [r.error for r in records]
    for region in ("eu-west-1", "us-west-2"):
        assert len(ops.services.ec2(region).describe_images(Owners=["self"])["Images"]) == 1


def test_without_a_response_url_the_confirmation_is_posted_ephemerally_in_the_channel(ops, bolt, slack_api):
    ami = create_ami(ops.services, "us-east-1", "web-base-1")
    _, call = open_form(bolt, slack_api)
    view = view_of(call.body["view"], launch_state(ami))
    view["private_metadata"] = json.dumps({"channel": "C0OPS"})
    submit(bolt, view)
    posted = slack_api.wait_for("chat.postEphemeral")[0]
    assert posted.body["channel"] == "C0OPS" and posted.body["user"] == "U0OPS"
    assert confirm_id(posted)


def test_a_form_slack_would_not_open_is_explained_in_the_channel(bolt, slack_api):
    slack_api.fail_next("views.open", error="expired_trigger_id")
    open_form(bolt, slack_api)
    told = slack_api.wait_for("response_url")[0]
    assert "Slack did not open the form (expired_trigger_id)" in told.body["text"]
    assert told.body["response_type"] == "ephemeral"


def test_a_name_with_quotes_and_spaces_reaches_the_launch_as_typed(ops, bolt, slack_api):
    ami = create_ami(ops.services, "us-east-1", "web-base-1")
    _, call = open_form(bolt, slack_api)
    assert submit(bolt, view_of(call.body["view"], launch_state(ami, name="Ann\u2019s smoke test"))) == {}
    offer = slack_api.wait_for("response_url")[0]
    assert confirm_id(offer) and "Ann's smoke test" in offer.body["text"]  # curly quote made straight, as typed
