import json
import os
import subprocess
import sys

from slack_sdk.models.blocks import Block


def imagebot(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_run_help_lists_the_subcommands():
    proc = imagebot("run", "/image help")
    assert proc.returncode == 0, proc.stderr
    assert "/image help" in proc.stdout and "List every subcommand" in proc.stdout


def test_run_a_typo_suggests_and_fails():
    proc = imagebot("run", "/image hlep")
    assert proc.returncode == 1
    assert "Did you mean `/image help`?" in proc.stdout


def test_run_json_prints_blocks_slack_accepts():
    proc = imagebot("run", "/image help", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ephemeral"] is True and "/image help" in data["text"]
    for raw in data["blocks"]:
        Block.parse(raw).validate_json()


def test_malformed_configuration_is_one_clear_line():
    proc = imagebot("run", "/image help", env={"IMAGEBOT_LOG_LEVEL": "LOUD"})
    assert proc.returncode == 2
    assert "IMAGEBOT_LOG_LEVEL" in proc.stderr and "Traceback" not in proc.stderr


def test_ask_loads_neither_aws_docker_slack_nor_the_other_handlers():
    """`imagebot ask` is the first thing a new hire types: it must start fast, so it imports only its own path."""
    heavy = ("boto3", "botocore", "docker", "slack_bolt", "rq")
    heavy += ("handlers.launch", "handlers.pull", "bot.dispatch.registry")
    heavy += ("yaml", "pydantic_settings")  # a start from the index cache reads no YAML; settings need no loaders
    code = (
        "import sys, bot.cli\n"
        "code = bot.cli.main(['ask', 'what is an AMI?'])\n"
        f"print('LOADED', [m for m in {heavy!r} if m in sys.modules], code, file=sys.stderr)\n"
    )
    for _ in range(2):  # the first start may build the index cache (that reads the entries' YAML)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "LOADED [] 0" in proc.stderr, proc.stderr[-2000:]
    assert "AMI" in proc.stdout


def test_ask_keeps_the_question_as_typed_outside_ascii():
    """A question in another script gets the English-only reply, and a curly apostrophe reads as a straight one."""
    proc = imagebot("ask", "如何复制AMI到另一个区域")
    assert "I answer questions in English only" in proc.stdout, proc.stdout + proc.stderr
    curly, straight = imagebot("ask", "what\u2019s an ami, exactly?"), imagebot("ask", "what's an ami, exactly?")
    assert curly.returncode == 0 and curly.stdout == straight.stdout
    assert "\\u2019" not in curly.stdout


def test_a_reader_that_stops_early_gets_no_traceback():
    """`imagebot run "/image help" | head -1`: the pipe closes before the output is written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "/image help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc.stdout.close()  # the reader is gone before the bot writes a line
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 141 and "Traceback" not in stderr, stderr
