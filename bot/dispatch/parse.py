"""Text to Command: `/image ami status ami-0abc --region=eu-west-1 verbose=yes "quoted words"`.

The subcommand name is the longest one that prefixes the text; the rest are
positional `args` and options, written `--flag value`, `--flag=value` or
`key=value`. Each option's value is converted by the type its subcommand
declares (a range-checked number, a region, a flag that takes no value).
"""

from __future__ import annotations

import shlex

from bot.core.command import PREFIX, Command, OptionValue
from bot.core.errors import CommandError
from bot.core.text import too_long
from bot.framework.options import Flag
from bot.framework.subcommand import Registry, Subcommand

CURLY_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


def tokenize(text: str) -> list[str]:
    """Split like a shell (quotes group words); Slack's curly quotes count as quotes."""
    try:
        return shlex.split(text.translate(CURLY_QUOTES))
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
    if not words:
        words = ["help"]
    spec, used = registry.resolve(words)
    args, options = _bind(spec, words[used:])
    return Command(name=spec.name, args=tuple(args), options=options, text=text.strip())


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
        allowed = ", ".join(f"`--{k}`" for k in spec.options) or "none"
        raise CommandError(
            f"`{PREFIX} {spec.name}` has no option `--{key}` (options: {allowed}). Usage: `{spec.usage}`"
        )


def _check_arity(spec: Subcommand, args: list[str]) -> None:
    if len(args) < spec.min_args or (spec.max_args is not None and len(args) > spec.max_args):
        raise CommandError(f"Usage: `{spec.usage}`\nFor example: `{spec.example}`")
