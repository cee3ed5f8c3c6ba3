"""`imagebot`: shell | run | ask | serve | socket | worker. Thin: it only wires.

Each mode imports what it needs when it runs, so `imagebot ask --json` does
not load AWS, Docker or Slack.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.config import Settings, load_settings
from bot.core.errors import ConfigError
from bot.core.logs import configure_file_logging, configure_logging
from bot.core.markup import Mrkdwn
from bot.core.paths import log_file, shown
from bot.core.reply import Reply
from bot.core.terminal import render_text

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.framework.context import Context
    from knowledge.evaluate import Question


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"imagebot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `imagebot kb eval | head -2`: the reader has what it wanted; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush is silent too
        return 141


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imagebot", description="Docker images and AMIs from Slack or a terminal.")
    sub = parser.add_subparsers(dest="mode", required=True, metavar="MODE")

    files = f"Logs go to {shown(log_file())} (XDG_STATE_HOME moves it), not to the terminal."
    shell = sub.add_parser("shell", help="interactive prompt running the same commands as Slack", epilog=files)
    _local_options(shell)
    shell.set_defaults(func=cmd_shell)

    run = sub.add_parser(
        "run",
        help='run one command, e.g. imagebot run "/image help"',
        epilog=f"{files} Warnings also go to stderr, one line each.",
    )
    run.add_argument("text", help="the command text, with or without /image")
    run.add_argument("--json", action="store_true", help="print the reply as JSON (does not wait for a job)")
    run.add_argument("--no-wait", action="store_true", help="when the command starts a job, print its id and return")
    run.add_argument("--yes", action="store_true", help="confirm a costly action (launch, copy) without asking")
    _local_options(run)
    run.set_defaults(func=cmd_run)

    ask = sub.add_parser("ask", help='ask the knowledge base, e.g. imagebot ask "what is an AMI?"')
    ask.add_argument("question", nargs="+")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.set_defaults(func=cmd_ask)

    kb = sub.add_parser("kb", help="knowledge base curation: eval | calibrate")
    kb_modes = kb.add_subparsers(dest="kb_mode", required=True, metavar="ACTION")
    evaluate = kb_modes.add_parser("eval", help="score the question set: tuning and measured halves")
    evaluate.add_argument("--questions", type=Path, help="a JSON-lines question set (default: the project's)")
    evaluate.add_argument("--misses", action="store_true", help="list the tuning half's misses")
    evaluate.set_defaults(func=cmd_kb_eval)
    calibrate = kb_modes.add_parser("calibrate", help="refit knowledge/calibration.json on the tuning half")
    calibrate.add_argument("--questions", type=Path, help="a JSON-lines question set (default: the project's)")
    calibrate.set_defaults(func=cmd_kb_calibrate)

    sub.add_parser("serve", help="Slack HTTP mode on $PORT").set_defaults(func=cmd_serve)
    sub.add_parser("socket", help="Slack Socket Mode").set_defaults(func=cmd_socket)
    sub.add_parser("worker", help="run the job worker").set_defaults(func=cmd_worker)
    return parser


def _local_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sandbox", action="store_true", help="in-memory AWS (moto) and Redis; no account needed")
    parser.add_argument("--user", default="U_LOCAL", help="Slack user id to act as (default U_LOCAL)")
    parser.add_argument("--channel", default="C_LOCAL", help="Slack channel id to act in (default C_LOCAL)")


# The in-process worker's own lines about a failed job: `run` prints the job's outcome itself.
JOB_LOGS = ("imagebot.sandbox.worker", "rq")


@dataclass
class Local:
    """A terminal transport's context, what each part of it is, and where its log went."""

    ctx: Context
    parts: tuple[tuple[str, Mrkdwn], ...] = ()
    log_path: Path | None = None


def _local_context(args: argparse.Namespace) -> Local:
    from bot.framework.context import Context
    from bot.services import Services

    to_stderr = sys.stderr if args.mode == "run" else None  # the shell's terminal is for replies only
    parts: tuple[tuple[str, Mrkdwn], ...] = ()
    if args.sandbox:
        from bot.sandbox import build_sandbox

        configure_file_logging(log_file(), warnings_to=to_stderr, not_shown=JOB_LOGS)  # moto's start-up too
        sandbox = build_sandbox()
        settings, services, parts = sandbox.settings, sandbox.services, sandbox.parts()
    else:
        settings = load_settings()
        services = Services(settings)
    path = configure_file_logging(
        log_file(), settings.log_level, settings.secrets(), warnings_to=to_stderr, not_shown=JOB_LOGS
    )
    ctx = Context(settings, services, user_id=args.user, channel_id=args.channel, transport="shell")
    return Local(ctx, parts, path)


def _terminal_level(settings: Settings) -> str:
    """The terminal is for replies: INFO lines (audit, job bookkeeping) stay out of it unless asked for."""
    return "WARNING" if settings.log_level == "INFO" else settings.log_level


def cmd_shell(args: argparse.Namespace) -> int:
    from bot.shell import repl

    local = _local_context(args)
    return repl(local.ctx, parts=local.parts, log_path=local.log_path)


def cmd_run(args: argparse.Namespace) -> int:
    from bot.dispatch import confirm
    from bot.dispatch.run import dispatch

    ctx = _local_context(args).ctx
    reply = dispatch(ctx, args.text)
    if reply.proposal:
        reply = confirm.accept_now(ctx, reply) if args.yes else confirm.refuse(reply, args.text)
    _print_reply(reply, as_json=args.json)
    if reply.ok and reply.job_id and not (args.no_wait or args.json):
        return _wait_for_job(ctx, reply.job_id)
    return 0 if reply.ok else 1


def _wait_for_job(ctx: Context, job_id: str) -> int:
    """Print the job's progress until it ends: 0 when it succeeded, 1 otherwise (130 on Ctrl-C)."""
    from bot.jobs.record import SUCCEEDED
    from bot.shell import follow

    record = follow(ctx, job_id, sys.stdout)
    if record is None:
        return 130
    return 0 if record.status == SUCCEEDED else 1


def cmd_ask(args: argparse.Namespace) -> int:
    from knowledge.answers import ask_json

    settings = load_settings()
    configure_logging(_terminal_level(settings), settings.secrets())
    question = " ".join(args.question)
    if args.json:
        result = ask_json(question)
        print(json.dumps(result, indent=2))
        return 0 if result["matched"] else 1
    from bot.dispatch.run import dispatch
    from bot.framework.context import Context
    from bot.framework.subcommand import Registry
    from bot.services import Services
    from handlers.ask import ask

    # only the one subcommand: importing every handler (AWS, Docker, jobs) would double the start-up time
    ctx = Context(settings, Services(settings), transport="shell", registry=Registry([ask]))
    # One line, quoted for the command parser; ensure_ascii=False keeps "如何" and "what’s" as typed (not \uXXXX)
    reply = dispatch(ctx, f"ask {json.dumps(' '.join(question.split()), ensure_ascii=False)}")
    _print_reply(reply, as_json=False)
    return 0 if reply.ok else 1


def _question_set(path: Path | None) -> Path:
    from knowledge.evaluate import QUESTIONS

    chosen = path or QUESTIONS
    if not chosen.is_file():
        raise ConfigError(f"no question set at {chosen}; pass --questions path/to/questions.jsonl")
    return chosen


def _questions(path: Path | None) -> list[Question]:
    """The question set at `path` (the project's by default); a malformed line is a one-line ConfigError."""
    from knowledge.base import KnowledgeError
    from knowledge.evaluate import load_questions

    try:
        return load_questions(_question_set(path))
    except (KnowledgeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the question set: {exc}") from None


def cmd_kb_eval(args: argparse.Namespace) -> int:
    """Scores from the same search `/image ask` uses; exit 1 when the measured half misses a target."""
    from knowledge.answers import decide_question
    from knowledge.evaluate import evaluate, report

    text, ok = report(evaluate(_questions(args.questions), decide_question), args.misses)
    print(text)
    return 0 if ok else 1


def cmd_kb_calibrate(args: argparse.Namespace) -> int:
    from knowledge.base import load_entries, load_outside
    from knowledge.calibrate import calibrate, write
    from knowledge.confidence import CALIBRATION

    data = calibrate(load_entries(), load_outside(), _questions(args.questions))
    write(data)
    print(f"wrote {CALIBRATION} from {data['tuning_questions']} tuning questions; now run: imagebot kb eval")
    return 0


def _print_reply(reply: Reply, as_json: bool) -> None:
    if as_json:
        print(json.dumps(reply.to_json(), indent=2))
    else:
        print(render_text(reply, color=sys.stdout.isatty()))


def _load_knowledge() -> None:
    """The search index and the sentence model, before the first question: a first `/image ask` must
    not wait for them (building the index afresh takes about 16 s; from its cache, about 0.2 s), and a
    missing model stops the start with a ConfigError saying how to install it."""
    from knowledge.answers import index
    from knowledge.embed import encoder

    started = time.monotonic()
    index()
    encoder()
    log.info("knowledge base ready", extra={"seconds": round(time.monotonic() - started, 2)})


def _slack_settings(*required: str) -> Settings:
    settings = load_settings()
    settings.require(*required)
    configure_logging(settings.log_level, settings.secrets())
    return settings


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.services import Services
    from bot.slack.serve import run_http
    from bot.worker.reaper import start_reaper

    settings = _slack_settings("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    _load_knowledge()
    services = Services(settings)
    start_reaper(settings, services)  # Slack processes reap too: a dead job is reported even with no worker left
    return run_http(settings, services)


def cmd_socket(args: argparse.Namespace) -> int:
    from bot.services import Services
    from bot.slack.serve import run_socket
    from bot.worker.reaper import start_reaper

    settings = _slack_settings("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    _load_knowledge()
    services = Services(settings)
    start_reaper(settings, services)
    return run_socket(settings, services)


def cmd_worker(args: argparse.Namespace) -> int:
    from bot.services import Services
    from bot.slack.notifier import SlackNotifier
    from bot.worker.process import run_worker

    settings = load_settings()
    configure_logging(settings.log_level, settings.secrets())
    return run_worker(settings, Services(settings, notifier=SlackNotifier(settings)))


if __name__ == "__main__":
    sys.exit(main())
