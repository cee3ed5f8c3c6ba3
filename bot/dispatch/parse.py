"""Text to Command: `/image ami status ami-0abc --region=eu-west-1 verbose=yes "quoted words"`.

The subcommand name is the longest one that prefixes the text; the rest are
positional `args` and options, written `--flag value`, `--flag=value` or
`key=value`. Each option's value is converted by the type its subcommand
declares (a range-checked number, a region, a flag that takes no value).

`-h` or `--help` anywhere after a subcommand asks for that subcommand's help,
so every subcommand (group members too) answers it the same way, before any
of its own checks run. A mistyped option name gets a "did you mean".
"""

from __future__ import annotations

import re
import shlex

from bot.core.command import PREFIX, Command, OptionValue
from bot.core.errors import CommandError
from bot.core.formatting import closest, did_you_mean
from bot.core.text import echo, too_long
from bot.framework.options import Flag
from bot.framework.subcommand import Registry, Subcommand

HELP_WORDS = ("-h", "--help")
CURLY_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
APOSTROPHE = re.compile(r"(?<=[^\W_])'(?=[^\W_])")  # between two letters or digits
LETTER_QUOTE = "\ue000"  # a private-use character stands in for it while shlex splits


def tokenize(text: str) -> list[str]:
    """Split like a shell (quotes group words); Slack's curly quotes count as quotes.

    An apostrophe inside a word ("what's", "don't", `--name Ann's`) is a letter, not a quote: questions
    are full of them, and a shell would stop at the first one asking for the quote to be closed.
    """
    guarded = APOSTROPHE.sub(LETTER_QUOTE, text.translate(CURLY_QUOTES))
    try:
        return [word.replace(LETTER_QUOTE, "'") for word in shlex.split(guarded)]
    except ValueError:
        raise CommandError(
            f'A quote is not closed. Close it, or drop the quotes: `{PREFIX} ask "what is an AMI?"`'
        ) from None


def parse(text: str, registry: Registry) -> Command:
    """Parse command text (with or without the leading `/image`) into a Command."""
    refusal = too_long(text)
    if refusal:
        raise CommandError(refusal)
    words = tokenize(text.strip())
    if words and words[0].lower() == PREFIX:
        words = words[1:]
    if not words or words[0].lower() in HELP_WORDS:
        words = ["help", *words[1:]]
    if len(words) > 1 and words[1].lower() in HELP_WORDS and registry.group(words[0]) and not registry.get(words[0]):
        return Command(name="help", args=(words[0].lower(),), text=text.strip())  # `ami -h`: the group's help
    spec, used = registry.resolve(words)
    rest = words[used:]
    if _asks_for_help(spec, rest):
        return Command(name="help", args=tuple(spec.name.split()), text=text.strip())
    if spec.name == "help" and any(w.lower() in HELP_WORDS for w in rest):  # `help -h`, `help launch --help`
        rest = [w for w in rest if w.lower() not in HELP_WORDS] or ["help"]
    args, options = _bind(spec, rest)
    return Command(name=spec.name, args=tuple(args), options=options, text=text.strip())


def _asks_for_help(spec: Subcommand, rest: list[str]) -> bool:
    """`-h`/`--help` after the subcommand; for free text (a question may mention `--help`) only on its own."""
    if spec.name == "help":
        return False
    asked = [w for w in rest if w.lower() in HELP_WORDS]
    return bool(asked) and (not spec.free_text or len(rest) == 1)


def usage_text(spec: Subcommand) -> str:
    """Every form of a subcommand, as code: `/image compare [topic...]` or `/image compare <ami-id> <image-ref>`."""
    return " or ".join(f"`{line}`" for line in spec.usages)


def _bind(spec: Subcommand, words: list[str]) -> tuple[list[str], dict[str, OptionValue]]:
    args: list[str] = []
    options: dict[str, OptionValue] = {}
    i = 0
    while i < len(words):
        word = words[i]
        key, value = _split_option(word, spec)
        if key is None or (spec.free_text and key not in spec.options):
            args.append(word)
        elif isinstance(spec.options.get(key), Flag) and value is None:
            options[key] = True
        else:
            _check_option(spec, key)
            if value is None:
                if i + 1 >= len(words) or words[i + 1].startswith("--"):
                    raise CommandError(f"`--{key}` needs a value, like `{spec.example}`.")
                i += 1
                value = words[i]
            options[key] = spec.options[key].parse(value, key, spec.name)
        i += 1
    _check_arity(spec, args)
    for key, option in spec.options.items():
        if key not in options and option.default is not None:
            options[key] = option.default
    return args, options


def _split_option(word: str, spec: Subcommand) -> tuple[str | None, str | None]:
    if word.startswith("--") and len(word) > 2:
        key, sep, value = word[2:].partition("=")
        return key.lower(), (value if sep else None)
    key, sep, value = word.partition("=")
    if sep and key.lower() in spec.options:
        return key.lower(), value
    return None, None


def _check_option(spec: Subcommand, key: str) -> None:
    if key not in spec.options:
        hint = did_you_mean(closest(key, spec.options, n=2), show=lambda k: f"`--{k}`")
        allowed = ", ".join(f"`--{k}`" for k in spec.options) or "none"
        raise CommandError(
            f"`{PREFIX} {spec.name}` has no option `--{echo(key)}`.{hint} Its options: {allowed}. "
            f"Usage: {usage_text(spec)}"
        )


def _check_arity(spec: Subcommand, args: list[str]) -> None:
    if len(args) < spec.min_args or (spec.max_args is not None and len(args) > spec.max_args):
        raise CommandError(f"Usage: {usage_text(spec)}\nFor example: `{spec.example}`")
