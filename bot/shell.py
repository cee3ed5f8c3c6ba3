"""The local transport: the same commands as Slack, typed at a prompt; jobs are followed by polling."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from bot.core.command import PREFIX
from bot.core.errors import CommandError
from bot.core.markup import Mrkdwn, md
from bot.core.parts import Buttons
from bot.core.paths import history_file, shown
from bot.core.reply import Reply
from bot.core.terminal import plain, render_text
from bot.dispatch import confirm
from bot.dispatch.run import dispatch
from bot.framework.context import Context
from bot.jobs.display import status_line
from bot.jobs.record import JobRecord
from bot.jobs.store import JobStore

EXIT_WORDS = {"exit", "quit", ":q"}


def banner(ctx: Context, parts: Sequence[tuple[str, Mrkdwn]] = (), log_path: Path | None = None) -> Mrkdwn:
    """Who the shell acts as, what each part is (real or not), and where its files are."""
    where = (
        md("SANDBOX: nothing real is touched.")
        if ctx.settings.sandbox
        else md("LIVE: AWS region {}, Redis at {}.", ctx.settings.aws_region, _redis_host(ctx.settings.redis_url))
    )
    width = max((len(name) for name, _ in parts), default=0)
    lines = [md("imagebot shell as {}. {}", ctx.user_id, where)]
    lines += [md("  {}  {}", name.ljust(width), what) for name, what in parts]
    lines.append(md("Logs: {}. History: {}.", _path(log_path), _path(history_file())))
    lines.append(
        md(
            "Type a command with or without `{}` (try `help` or `ask what is an AMI?`); "
            "`exit` or Ctrl-D leaves, Ctrl-C clears the line.",
            PREFIX,
        )
    )
    return Mrkdwn("\n").join(lines)


def _path(path: Path | None) -> Mrkdwn:
    if path is None:
        return md("stderr, warnings only (the log file could not be written)")
    return md("`{}`", shown(path))  # code: an underscore in a path is never emphasis


def _redis_host(url: str) -> str:
    return url.split("@")[-1]  # never print a password embedded in the URL


def repl(
    ctx: Context,
    read: Callable[[str], str] = input,
    out: TextIO = sys.stdout,
    parts: Sequence[tuple[str, Mrkdwn]] = (),
    log_path: Path | None = None,
) -> int:
    """Read commands until exit (or Ctrl-D); returns the process exit code.

    Ctrl-C clears the line at the prompt and cancels at a confirmation; either way the shell goes on.
    """
    _load_history()
    color = out.isatty()
    print(plain(banner(ctx, parts, log_path), color), file=out)
    choices: list[str] = []  # the last reply's numbered choices: typing 2 runs the second
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
        if line.isdigit() and 1 <= int(line) <= len(choices):
            line = choices[int(line) - 1]
        try:
            reply = _run(ctx, line, read, out, color)
        except KeyboardInterrupt:
            print("\nInterrupted.", file=out)
            continue
        choices = [b.value for part in reply.parts if isinstance(part, Buttons) and part.numbered for b in part.buttons]
        if reply.ok and reply.job_id:
            follow(ctx, reply.job_id, out)
    _save_history()
    return 0


def _run(ctx: Context, line: str, read: Callable[[str], str], out: TextIO, color: bool) -> Reply:
    """One command: its reply printed, a proposal asked about first."""
    reply = dispatch(ctx, line)
    if reply.proposal:
        print(render_text(reply, color=color), file=out)
        reply = confirm.prompt(ctx, reply, _answer(read, out))
    print(render_text(reply, color=color), file=out)
    return reply


def _answer(read: Callable[[str], str], out: TextIO) -> Callable[[str], str]:
    """The confirmation's reader: Ctrl-D or Ctrl-C is "no", never the end of the shell."""

    def ask(question: str) -> str:
        try:
            return read(question)
        except (EOFError, KeyboardInterrupt):
            print(file=out)
            return ""

    return ask


def follow(ctx: Context, job_id: str, out: TextIO, poll: float = 0.2) -> JobRecord | None:
    """Print a progress line whenever the job moves, until it ends; None when waiting stopped.

    Ctrl-C stops the waiting, never the job.
    """
    try:
        with ctx.jobs() as store:
            return _print_until_done(store, job_id, out, poll)
    except KeyboardInterrupt:
        print(f"\nStopped waiting; job {job_id} keeps running. `{PREFIX} job {job_id}` shows it.", file=out)
    except CommandError as exc:
        print(exc.message, file=out)
    return None


def _print_until_done(store: JobStore, job_id: str, out: TextIO, poll: float) -> JobRecord | None:
    last = ""
    while True:
        record = store.get(job_id)
        if record is None:
            return None
        line = render_text(Reply.message(status_line(record)))
        if line != last:
            print(line, file=out, flush=True)
            last = line
        if record.done:
            return record
        time.sleep(poll)


def _load_history() -> None:
    try:
        import readline

        readline.read_history_file(history_file())
    except (ImportError, OSError):
        pass


def _save_history() -> None:
    try:
        import readline

        path = history_file()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        readline.set_history_length(1000)
        readline.write_history_file(path)
    except (ImportError, OSError):
        pass
