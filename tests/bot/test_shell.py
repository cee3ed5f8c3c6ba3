import io
import subprocess
import sys

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


def test_sandbox_shell_says_it_is_a_sandbox():
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "shell", "--sandbox", "--user", "U123"],
        input="help\nexit\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "imagebot shell as U123. SANDBOX" in proc.stdout
    assert "List every subcommand" in proc.stdout
