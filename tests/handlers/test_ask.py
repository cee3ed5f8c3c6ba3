import json
import os
import subprocess
import sys

import pytest
from slack_sdk.models.blocks import Block

from bot.dispatch.run import dispatch
from knowledge.answers import find_answer
from tests.support.signing import action_body, mention_body, send, slash_command_body


@pytest.mark.parametrize(
    "question, entry",
    [
        ("how do I delete an AMI and its snapshots", "deregister-ami"),
        ("how do i delte an ami and its snapshts", "deregister-ami"),  # typos
        ("snapshots and AMI: delete them how?", "deregister-ami"),  # word order
        ("share my AMIs with other accounts", "share-ami-cross-account"),  # plurals
        ("what separates a container image from an amazon machine image", "docker-image-vs-ami"),  # synonyms
        ("difference between docker images and virtual machines images", "docker-image-vs-ami"),
        ("find the newest amazon linux ami", "latest-amazon-linux-ami"),
        ("build one image for graviton and intel", "multi-arch-images"),
        ("whats an ami", "ami-contents"),  # the issue's own example, as typed in chat
        ("what is an ami exactly", "ami-contents"),  # 'exactly' once pulled in the 'exact ID' of deprecation
    ],
)
def test_questions_in_peoples_own_words_find_the_entry(question, entry):
    answer = find_answer(question)
    assert answer.match is not None, question
    assert answer.match.entry.id == entry


@pytest.mark.parametrize(
    "question",
    [
        "how do I reset my laptop password",
        "what's the weather in paris tomorrow",
        "how do I create an s3 bucket",
        "write me a poem about clouds",
    ],
)
def test_other_topics_get_an_honest_no(question):
    assert find_answer(question).match is None


def test_answer_reply_is_ephemeral_with_sources_related_and_share(ctx):
    reply = dispatch(ctx, "/image ask can I turn a docker image into an AMI?")
    assert reply.ok and reply.ephemeral
    blocks = reply.to_blocks()
    for raw in blocks:
        Block.parse(raw).validate_json()
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    related = [b for b in buttons if b["action_id"].startswith("imagebot.run") and "vote" not in b["action_id"]]
    share = [b for b in buttons if b["action_id"] == "imagebot.share"]
    assert 1 <= len(related) <= 3 and all(b["value"].startswith("/image ask --id ") for b in related)
    assert len(share) == 1
    assert "Sources:" in reply.text
    assert "No direct conversion" in reply.text or "no direct" in reply.text.lower()


def test_no_match_says_so_and_suggests_topics(ctx):
    reply = dispatch(ctx, "/image ask how do I tune the jvm garbage collector")
    assert "I don't have a confident answer" in reply.text
    assert reply.data["matched"] is False


def test_a_question_that_mentions_a_flag_is_still_a_question(ctx):
    reply = dispatch(ctx, "/image ask what does --restart unless-stopped do for containers on ec2")
    assert reply.ok and reply.data["id"] == "restart-containers-on-boot"


def test_empty_question_says_what_to_type(ctx):
    reply = dispatch(ctx, "/image ask")
    assert not reply.ok and "/image ask what is an AMI?" in reply.text


def test_unknown_entry_id_is_a_friendly_error(ctx):
    assert "no knowledge base entry `nope`" in dispatch(ctx, "/image ask --id nope").text


def test_related_button_opens_the_entry_privately(app, slack_api):
    send(app, action_body("imagebot.run.0", "/image ask --id ami-types", slack_api.response_url("rel")))
    call = slack_api.wait_for("response_url")[0]
    assert call.body["response_type"] == "ephemeral"
    assert "types of AMIs" in call.body["text"]


def test_share_posts_the_answer_in_channel_without_a_share_button(app, slack_api):
    send(app, action_body("imagebot.share", "/image ask --id ami-types --shared", slack_api.response_url("s")))
    call = slack_api.wait_for("response_url")[0]
    assert call.body["response_type"] == "in_channel"
    assert "Shared by <@U0USER>" in call.body["text"]
    actions = [e for b in call.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert all(e["action_id"] != "imagebot.share" for e in actions)


def test_slash_ask_answers_in_the_ack(app, slack_api):
    resp = send(app, slash_command_body("ask are amis region specific?", slack_api.response_url()))
    body = json.loads(resp.body)
    assert body["response_type"] == "ephemeral" and "region" in body["text"].lower()


def test_a_mention_is_answered_from_the_knowledge_base(app, slack_api):
    send(app, mention_body("do containers share the host kernel?", ts="1700000000.000900"), json_body=True)
    call = slack_api.wait_for("chat.postMessage")[0]
    assert call.body["thread_ts"] == "1700000000.000900"
    assert "kernel" in call.body["text"].lower()


def test_cli_ask_json_prints_one_object():
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "are", "amis", "region", "specific?", "--json"],
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == {
        "matched",
        "english",
        "outside",
        "confidence",
        "id",
        "title",
        "answer",
        "sources",
        "choices",
        "related",
    }
    assert data["matched"] is True and data["sources"] and data["answer"]


def test_cli_ask_json_no_match_exits_non_zero():
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "capital of France", "--json"],
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=60,
    )
    assert proc.returncode == 1 and json.loads(proc.stdout)["matched"] is False


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("how do I rotate my IAM access keys?", "IAM"),
        ("gcp machine image vs custom image, which for backups", "gcp"),
        ("my pod is stuck in CrashLoopBackOff", "CrashLoopBackOff"),
        ("vpc peering between two accounts times out", "vpc"),
        ("how much is my aws bill this month", "bill"),
        ("what's a good laptop for a developer", "laptop"),  # once answered from docker-use-cases
        ("my VirtualBox VM won't boot on the new MacBook", "VirtualBox"),  # once import-vm-as-ami, 0.76
        ("podman desktop or colima for local dev on a mac?", "podman desktop"),  # once portability, 0.88
        ("cloudwatch composite alarms", "cloudwatch"),
    ],
)
def test_a_question_plainly_on_another_topic_is_declined_saying_what_the_bot_covers(ctx, question, named):
    reply = dispatch(ctx, f"/image ask {question}")
    assert reply.ok and reply.data["matched"] is False and reply.data["choices"] == []
    assert f"you mentioned `{named}`" in reply.text and "I know about Docker images, AMIs" in reply.text
    assert "Closest topics" not in reply.text  # no unrelated AMI entries offered


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("will my docker image run on gcp and azure too", "portability"),  # another cloud, with Docker
        ("iam policy so our ci can push images to ecr", "ecr"),  # IAM, about images
        ("turn a virtualbox vm into an ami", "import-vm-as-ami"),  # a desktop VM platform, with an AMI
        ("colima on my mac builds an arm64 image that won't run on ec2", "multi-arch-images"),
    ],
)
def test_naming_another_topic_alongside_images_still_gets_the_answer(question, entry):
    answer = find_answer(question)
    assert answer.outside is None and answer.match is not None and answer.match.entry.id == entry


def test_the_topic_named_is_escaped_in_the_reply(ctx):
    reply = dispatch(ctx, "/image ask iam `<!channel>` keys")
    assert "<!channel>" not in reply.to_blocks()[0]["text"]["text"]


@pytest.mark.parametrize(
    "question",
    ["how many containers can i run on one ec2 instance", "how many docker containers fit on a t3.medium"],
)
def test_a_capacity_question_gets_the_entry_on_containers_per_host(question):
    answer = find_answer(question)  # "many" is what the question is about: it was once dropped as a stopword
    assert answer.match is not None and answer.match.entry.id == "containers-on-ec2-hosts"


@pytest.mark.parametrize(
    ("question", "entry", "says"),
    [
        ("trivy", "ecr-replication-cache-scanning", "trivy image --exit-code 1"),
        ("scratch", "reduce-docker-image-size", "FROM scratch"),
        ("publish a port from my container on ec2", "install-docker-on-ec2", "security group"),
        ("hvm vs pv", "ami-metadata", "paravirtual"),  # chat shorthand: "pv" is read as "paravirtual"
        ("cp my ami to eu-west-1", "copy-ami", "copy-image"),  # "cp" is read as "copy"
        # a new hire's word: it once got a "did you mean" of golden-AMI procedures, none saying what one is
        ("new here: what do people mean by a golden ami", "why-custom-ami", "A *golden AMI* (a *golden image*) is"),
    ],
)
def test_a_tool_a_shorthand_or_a_port_question_gets_the_entry_that_explains_it(question, entry, says):
    answer = find_answer(question)  # "scratch" once got the container-host AMIs ("build from scratch")
    assert answer.match is not None and answer.match.entry.id == entry
    assert says in answer.match.entry.answer


@pytest.mark.parametrize(
    "question",
    [
        "which iam permissions do i need to copy ami-0123456789abcdef0",
        "iam permissions for describe-images",
        "iam policy to deregister",
    ],
)
def test_an_ami_id_or_an_aws_command_keeps_a_question_in_scope(question):
    assert find_answer(question).outside is None  # `ami-0…` and `describe-images` name images
