"""Image references: the distribution reference grammar, normalised the way Docker does.

`parse_reference("nginx")` is `docker.io/library/nginx:latest`; a malformed
reference raises a CommandError that names the part that is wrong and shows
a good one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.errors import CommandError
from bot.core.text import echo

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAINS = ("index.docker.io", "registry-1.docker.io")
OFFICIAL_NAMESPACE = "library"
DEFAULT_TAG = "latest"
MAX_NAME = 255
EXAMPLES = "`nginx:1.27`, `ghcr.io/acme/api:2.3.1` or `registry.example.com:5000/team/app@sha256:<64 hex digits>`"

# ------------------------------------------------------------------ grammar
# Written from the distribution reference grammar:
#   reference  := name [":" tag] ["@" digest]
#   name       := [domain "/"] path      (at most 255 characters)
#   domain     := host [":" port]        host: DNS labels, IPv4, or [IPv6]
#   path       := component ("/" component)*
#   component  := [a-z0-9]+ (separator [a-z0-9]+)*   separator: "." | "_" | "__" | "-"+
#   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
#   digest     := algorithm ":" hex      algorithm: [A-Za-z][A-Za-z0-9]* joined by + . _ -

_LABEL = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_HOST = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])"
DOMAIN = re.compile(rf"{_HOST}(?::[0-9]+)?")
COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
DIGEST_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}


@dataclass(frozen=True)
class ImageRef:
    """A validated, normalised image reference."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        """`docker.io/library/nginx`: the name without tag or digest."""
        return f"{self.domain}/{self.path}"

    @property
    def version(self) -> str:
        """What the engine's pull takes as `tag`: the digest when there is one, else the tag."""
        return self.digest or self.tag or DEFAULT_TAG

    @property
    def pinned(self) -> str:
        """The reference the engine resolves locally after a pull (by digest when given)."""
        return f"{self.repository}@{self.digest}" if self.digest else f"{self.repository}:{self.tag}"

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return f"{self.repository}{tag}{digest}"


def parse_reference(text: str) -> ImageRef:
    """Validate and normalise an image reference; a malformed one raises a friendly CommandError."""
    ref = text.strip()
    if not ref:
        raise _bad(text, "it is empty")
    if any(c.isspace() for c in ref):
        raise _bad(text, "it contains a space")
    name, digest = _split_digest(text, ref)
    name, tag = _split_tag(text, name)
    domain, path = _split_domain(name)
    _check_domain(text, domain)
    _check_path(text, path)
    if len(name) > MAX_NAME:
        raise _bad(text, f"the name is {len(name)} characters long; at most {MAX_NAME} are allowed")
    return _normalise(domain, path, tag, digest)


def _bad(text: str, why: str) -> CommandError:
    shown = echo(text) or "(nothing)"
    return CommandError(f"`{shown}` is not a valid image reference: {why}. Write it like {EXAMPLES}.")


def _split_digest(text: str, ref: str) -> tuple[str, str | None]:
    name, at, digest = ref.partition("@")
    if not at:
        return name, None
    if "@" in digest:
        raise _bad(text, "it has more than one `@`")
    if not DIGEST.fullmatch(digest):
        raise _bad(text, f"`{echo(digest)}` is not a digest (expected `sha256:` and 64 hex digits)")
    algorithm, _, hexa = digest.partition(":")
    expected = DIGEST_HEX_LENGTH.get(algorithm.lower())
    if expected and len(hexa) != expected:
        raise _bad(text, f"a {algorithm} digest has {expected} hex digits, this one has {len(hexa)}")
    return name, digest.lower() if expected else digest


def _split_tag(text: str, name: str) -> tuple[str, str | None]:
    head, slash, last = name.rpartition("/")
    last, colon, tag = last.partition(":")
    if not colon:
        return name, None
    if not TAG.fullmatch(tag):
        why = "the tag is empty" if not tag else f"`{echo(tag)}` is not a valid tag"
        raise _bad(text, f"{why} (letters, digits, `_`, `.` and `-`, at most 128, not starting with `.` or `-`)")
    return head + slash + last, tag


def _split_domain(name: str) -> tuple[str | None, str]:
    first, slash, rest = name.partition("/")
    # Docker also takes an uppercase first part for a host; here that is a repository name to correct.
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return None, name


def _check_domain(text: str, domain: str | None) -> None:
    if domain is None:
        return
    if not DOMAIN.fullmatch(domain):
        raise _bad(text, f"`{echo(domain)}` is not a registry host (like `ghcr.io` or `localhost:5000`)")
    port = domain.rpartition("]")[2].partition(":")[2] if domain.startswith("[") else domain.partition(":")[2]
    if port and not 0 < int(port) < 65536:
        raise _bad(text, f"port {port} is out of range")


def _check_path(text: str, path: str) -> None:
    if not path:
        raise _bad(text, "the repository name is missing")
    for component in path.split("/"):
        if COMPONENT.fullmatch(component):
            continue
        if not component:
            raise _bad(text, "it has an empty path part (`//`, or a `/` at the start or end)")
        if component != component.lower() and COMPONENT.fullmatch(component.lower()):
            lower = echo(component.lower())
            raise _bad(text, f"repository names are lowercase: `{echo(component)}` should be `{lower}`")
        raise _bad(
            text,
            f"`{echo(component)}` is not a valid repository name part "
            "(lowercase letters and digits, separated by `.`, `_`, `__` or dashes)",
        )


def _normalise(domain: str | None, path: str, tag: str | None, digest: str | None) -> ImageRef:
    if domain is None or domain in LEGACY_DOMAINS:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = f"{OFFICIAL_NAMESPACE}/{path}"
    if tag is None and digest is None:
        tag = DEFAULT_TAG
    return ImageRef(domain, path, tag, digest)
