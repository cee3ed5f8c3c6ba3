"""Text to Command, the subcommand registry, and dispatch to a handler.

`/image ami status ami-0abc --region=eu-west-1 verbose=yes "quoted words"`
parses into the subcommand name `ami status`, positional `args` and
`options`. Options may be written `--flag value`, `--flag=value` or
`key=value`; a subcommand declares its boolean flags, which take no value.
"""

from __future__ import annotations

import difflib
import logging
import shlex
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.errors import CommandError
from bot.reply import Reply

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.services import Services

log = logging.getLogger(__name__)

PREFIX = "/image"


@dataclass(frozen=True)
class Context:
    """Who is asking, from where, and the services a handler may use."""

    settings: Settings
    services: Services
    user_id: str = "local"
    channel_id: str = "local"
    transport: str = "shell"
    registry: Registry | None = None


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...] = ()
    options: dict[str, str | bool] = field(default_factory=dict)
    text: str = ""

    def option(self, name: str, default: str | None = None) -> str | None:
        value = self.options.get(name, default)
        return value if isinstance(value, str) or value is None else default

    def flag(self, name: str) -> bool:
        return bool(self.options.get(name))


Handler = Callable[[Context, Command], Reply]


@dataclass(frozen=True)
class Subcommand:
    """A registered subcommand; its summary is the handler docstring's first line."""

    name: str
    handler: Handler
    usage: str
    example: str
    options: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    min_args: int = 0
    max_args: int | None = None
    slow: bool | Callable[[Command], bool] = False  # answer after the ack (AWS or Docker calls)
    permission: str = "read"
    aliases: tuple[str, ...] = ()
    free_text: bool = False  # unknown --words are part of the text (questions may mention flags)

    def is_slow(self, command: Command) -> bool:
        return self.slow(command) if callable(self.slow) else self.slow

    @property
    def summary(self) -> str:
        doc = (self.handler.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


def subcommand(name: str, usage: str, example: str, **spec: Any) -> Callable[[Handler], Handler]:
    """Attach a Subcommand spec to a handler function (collected by the registry)."""

    def wrap(handler: Handler) -> Handler:
        handler.subcommand = Subcommand(name, handler, usage, example, **spec)  # type: ignore[attr-defined]
        return handler

    return wrap


class Registry:
    """All subcommands by name; resolves the longest name that prefixes the text."""

    def __init__(self, handlers: Iterable[Handler]) -> None:
        self._by_name: dict[str, Subcommand] = {}
        for handler in handlers:
            spec: Subcommand = handler.subcommand  # type: ignore[attr-defined]
            for name in (spec.name, *spec.aliases):
                if name in self._by_name:
                    raise ValueError(f"subcommand {name!r} registered twice")
                self._by_name[name] = spec

    def __iter__(self) -> Any:
        return iter(self.commands())

    def commands(self) -> list[Subcommand]:
        seen: dict[str, Subcommand] = {}
        for spec in self._by_name.values():
            seen.setdefault(spec.name, spec)
        return list(seen.values())

    def get(self, name: str) -> Subcommand | None:
        return self._by_name.get(name)

    def resolve(self, words: list[str]) -> tuple[Subcommand, int]:
        """The subcommand named by the first one or two words, and how many words it used."""
        for size in (2, 1):
            if len(words) >= size:
                spec = self._by_name.get(" ".join(words[:size]).lower())
                if spec:
                    return spec, size
        raise CommandError(self._unknown_message(words))

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        names = sorted(self._by_name)
        close = difflib.get_close_matches(name.lower(), names, n=limit, cutoff=0.6)
        if not close:
            first = name.split()[0].lower() if name.split() else name
            close = difflib.get_close_matches(first, names, n=limit, cutoff=0.6)
            close += [n for n in names if n.split()[0] == first and n not in close][: limit - len(close)]
        return close

    def _unknown_message(self, words: list[str]) -> str:
        typed = " ".join(words[:2])
        close = self.suggest(typed)
        hint = f" Did you mean {' or '.join(f'`{PREFIX} {c}`' for c in close)}?" if close else ""
        return f"I don't know `{PREFIX} {words[0]}`.{hint} Type `{PREFIX} help` to see every subcommand."


def tokenize(text: str) -> list[str]:
    """Split like a shell (quotes group words); Slack's curly quotes count as quotes."""
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2018", "'").replace("\u2019", "'")
    try:
        return shlex.split(text)
    except ValueError:
        raise CommandError(
            f'A quote is not closed. Close it, or drop the quotes: `{PREFIX} ask "what is an AMI?"`'
        ) from None


def parse(text: str, registry: Registry) -> Command:
    """Parse command text (with or without the leading `/image`) into a Command."""
    words = tokenize(text.strip())
    if words and words[0].lower() == PREFIX:
        words = words[1:]
    if not words:
        words = ["help"]
    spec, used = registry.resolve(words)
    args, options = _bind(spec, words[used:])
    return Command(name=spec.name, args=tuple(args), options=options, text=text.strip())


def _bind(spec: Subcommand, words: list[str]) -> tuple[list[str], dict[str, str | bool]]:
    args: list[str] = []
    options: dict[str, str | bool] = {}
    i = 0
    while i < len(words):
        word = words[i]
        key, value = _split_option(word, spec)
        if key is None or (spec.free_text and key not in (*spec.options, *spec.flags)):
            args.append(word)
        elif key in spec.flags and value is None:
            options[key] = True
        else:
            _check_option(spec, key)
            if value is None:
                if i + 1 >= len(words) or words[i + 1].startswith("--"):
                    raise CommandError(f"`--{key}` needs a value, like `{spec.example}`.")
                i += 1
                value = words[i]
            options[key] = value
        i += 1
    _check_arity(spec, args)
    return args, options


def _split_option(word: str, spec: Subcommand) -> tuple[str | None, str | None]:
    if word.startswith("--") and len(word) > 2:
        key, sep, value = word[2:].partition("=")
        return key.lower(), (value if sep else None)
    key, sep, value = word.partition("=")
    if sep and key.lower() in (*spec.options, *spec.flags):
        return key.lower(), value
    return None, None


def _check_option(spec: Subcommand, key: str) -> None:
    known = (*spec.options, *spec.flags)
    if key not in known:
        allowed = ", ".join(f"`--{k}`" for k in known) or "none"
        raise CommandError(
            f"`{PREFIX} {spec.name}` has no option `--{key}` (options: {allowed}). Usage: `{spec.usage}`"
        )


def _check_arity(spec: Subcommand, args: list[str]) -> None:
    if len(args) < spec.min_args or (spec.max_args is not None and len(args) > spec.max_args):
        raise CommandError(f"Usage: `{spec.usage}`\nFor example: `{spec.example}`")


def dispatch(ctx: Context, text: str) -> Reply:
    """Run command text end to end; expected errors become friendly replies. Every command is audited."""
    try:
        command = parse(text, registry_of(ctx))
    except CommandError as exc:
        ctx.services.audit.record(ctx, text, "?", "invalid", "error", None)
        return Reply.error(exc.message)
    return execute(ctx, command)


def execute(ctx: Context, command: Command) -> Reply:
    """Check access, run the handler, audit the outcome."""
    spec = registry_of(ctx).get(command.name)
    if spec is None:
        return Reply.error(registry_of(ctx)._unknown_message([command.name]))
    denied = ctx.services.access.denial(ctx.user_id, ctx.channel_id, spec.permission)
    if denied:
        ctx.services.audit.record(ctx, command.text or command.name, command.name, "denied", "refused", None)
        return Reply.error(denied)
    reply = _run(ctx, spec, command)
    outcome = "ok" if reply.ok else "error"
    ctx.services.audit.record(ctx, command.text or command.name, command.name, "allowed", outcome, reply.job_id)
    return reply


def _run(ctx: Context, spec: Subcommand, command: Command) -> Reply:
    """Only this catch-all turns a bug into a reference id; expected failures are CommandErrors."""
    try:
        return spec.handler(ctx, command)
    except CommandError as exc:
        return Reply.error(exc.message)
    except Exception:  # the one catch-all: log the traceback, give the user a reference
        ref = uuid.uuid4().hex[:8]
        log.exception("command failed", extra={"ref": ref, "user": ctx.user_id, "command": command.name})
        return Reply.error(f"Something went wrong on my side (ref `{ref}`). It is logged; try again later.")


def registry_of(ctx: Context) -> Registry:
    if ctx.registry is not None:
        return ctx.registry
    from handlers import REGISTRY

    return REGISTRY
