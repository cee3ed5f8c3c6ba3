"""The local adapter: the same commands as Slack, typed at a prompt."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot import confirm
from bot.commands import PREFIX, Context, dispatch
from bot.jobs import follow
from bot.reply import render_text

HISTORY = Path(os.path.expanduser("~/.imagebot_history"))
EXIT_WORDS = {"exit", "quit", ":q"}


def banner(ctx: Context) -> str:
    where = (
        "SANDBOX: AWS is an in-memory moto estate and Redis is in memory; nothing real is touched."
        if ctx.settings.sandbox
        else f"LIVE: AWS region {ctx.settings.aws_region}, Redis at {_redis_host(ctx.settings.redis_url)}."
    )
    return (
        f"imagebot shell as {ctx.user_id}. {where}\n"
        f"Type a command with or without `{PREFIX}` (try `help` or `ask what is an AMI?`); `exit` or Ctrl-D leaves."
    )


def _redis_host(url: str) -> str:
    return url.split("@")[-1]  # never print a password embedded in the URL


def repl(ctx: Context, read: Callable[[str], str] = input, out: TextIO = sys.stdout) -> int:
    """Read commands until exit; returns the process exit code."""
    _load_history()
    color = out.isatty()
    print(banner(ctx), file=out)
    while True:
        try:
            line = read("imagebot> ").strip()
        except EOFError:
            print(file=out)
            break
        except KeyboardInterrupt:
            print(file=out)
            continue
        if not line:
            continue
        if line.lower() in EXIT_WORDS:
            break
        reply = dispatch(ctx, line)
        if reply.proposal:
            print(render_text(reply, color=color), file=out)
            reply = confirm.prompt(ctx, reply, read)
        print(render_text(reply, color=color), file=out)
        if reply.ok and reply.job_id:
            follow(ctx, reply.job_id, out)
    _save_history()
    return 0


def _load_history() -> None:
    try:
        import readline

        readline.read_history_file(HISTORY)
    except (ImportError, OSError):
        pass


def _save_history() -> None:
    try:
        import readline

        readline.set_history_length(1000)
        readline.write_history_file(HISTORY)
    except (ImportError, OSError):
        pass
