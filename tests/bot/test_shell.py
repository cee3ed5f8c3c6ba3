import io
import json
import os
import subprocess
import sys
from unittest import mock

from bot import shell
from bot.shell import repl


def scripted(*lines):
    queue = list(lines)

    def read(prompt):
        if not queue:
            raise EOFError
        return queue.pop(0)

    return read


def test_shell_runs_commands_until_exit(ctx):
    out = io.StringIO()
    assert repl(ctx, read=scripted("help", "/image hlep", "exit", "help"), out=out) == 0
    text = out.getvalue()
    assert "LIVE: AWS region us-east-1" in text
    assert "List every subcommand" in text
    assert "Did you mean `/image help`?" in text
    assert text.count("List every subcommand") == 1  # nothing after exit


def test_ctrl_c_at_the_prompt_does_not_leave(ctx):
    calls = iter([KeyboardInterrupt, "help", EOFError])

    def read(prompt):
        item = next(calls)
        if isinstance(item, type) and issubclass(item, BaseException):
            raise item
        return item

    out = io.StringIO()
    assert repl(ctx, read=read, out=out) == 0
    assert "List every subcommand" in out.getvalue()


def test_ctrl_c_during_a_command_returns_to_the_prompt(ctx):
    real = shell.dispatch
    calls = []

    def interrupted_once(ctx, line):  # a fault forced where a person would press Ctrl-C mid-command
        calls.append(line)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real(ctx, line)

    out = io.StringIO()
    with mock.patch.object(shell, "dispatch", interrupted_once):
        assert repl(ctx, read=scripted("ami copies ami-0abcdef1234567890", "help"), out=out) == 0
    assert "Interrupted." in out.getvalue() and "List every subcommand" in out.getvalue()


def test_sandbox_shell_says_what_each_part_is_and_keeps_logs_out_of_the_terminal(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "shell", "--sandbox", "--user", "U123"],
        input="help\nami status web-base-2026.11.20\nexit\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path), "DOCKER_HOST": "unix:///nonexistent.sock"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "imagebot shell as U123. SANDBOX" in proc.stdout
    assert "AWS     moto, in process" in proc.stdout and "Redis   in memory" in proc.stdout
    assert "Docker  not available (set DOCKER_HOST)" in proc.stdout
    log = tmp_path / "imagebot" / "imagebot.log"
    assert f"Logs: `{log}`." in proc.stdout and f"History: `{tmp_path / 'imagebot' / 'history'}`." in proc.stdout
    assert "List every subcommand" in proc.stdout
    assert proc.stderr == ""  # no JSON line, no traceback, not even moto's or werkzeug's
    assert '{"ts"' not in proc.stdout
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(e.get("audit", {}).get("command") == "ami status" for e in entries)  # the log has it instead


def test_run_keeps_json_logs_in_the_file_and_only_warnings_on_stderr(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "ami status web-base-2026.11.20", "--sandbox"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "web-base-2026.11.20" in proc.stdout
    assert "{" not in proc.stderr and "Traceback" not in proc.stderr
    assert (tmp_path / "imagebot" / "imagebot.log").read_text().count('"logger": "werkzeug"') > 0
