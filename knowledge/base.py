"""The curated knowledge base: entries (Markdown + YAML front matter) and the comparison table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.core.markup import Mrkdwn, link

ROOT = Path(__file__).resolve().parent
ENTRIES = ROOT / "entries"
COMPARE = ROOT / "compare.yml"
SEEDS = ROOT / "seeds.yml"
OUTSIDE = ROOT / "out_of_scope.yml"
REQUIRED = ("id", "title", "questions", "tags", "related", "sources")
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)


class KnowledgeError(ValueError):
    """An entry or the comparison table is malformed; the message names the file."""


def yaml_data(text: str, where: str) -> Any:
    """`text` parsed as YAML, else a KnowledgeError starting with `where`.

    PyYAML is imported on first use: a start from the index cache reads no YAML at all. libyaml's safe
    loader is used when PyYAML was built with it (ten times faster: a build reads every entry).
    """
    import yaml

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class Source:
    title: str
    url: str | None = None
    seed: str | None = None

    def mrkdwn(self) -> Mrkdwn:
        return link(self.url, self.title) if self.url else Mrkdwn.escape(self.title)


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    questions: tuple[str, ...]
    tags: tuple[str, ...]
    related: tuple[str, ...]
    sources: tuple[Source, ...]
    answer: str
    path: Path


@dataclass(frozen=True)
class Dimension:
    id: str
    name: str
    aliases: tuple[str, ...]
    docker: str
    ami: str
    detail: str
    related: tuple[str, ...]


def parse_entry(path: Path) -> Entry:
    match = FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    if not match:
        raise KnowledgeError(f"{path.name}: must start with a '---' YAML front matter block")
    meta = yaml_data(match.group(1), f"{path.name}: front matter is not valid YAML") or {}
    missing = [k for k in REQUIRED if not meta.get(k)]
    if missing:
        raise KnowledgeError(f"{path.name}: missing {', '.join(missing)}")
    return Entry(
        id=str(meta["id"]),
        title=str(meta["title"]),
        questions=tuple(str(q) for q in meta["questions"]),
        tags=tuple(str(t) for t in meta["tags"]),
        related=tuple(str(r) for r in meta["related"]),
        sources=tuple(_source(path, s) for s in meta["sources"]),
        answer=match.group(2).strip(),
        path=path,
    )


def _source(path: Path, raw: Any) -> Source:
    if isinstance(raw, dict) and raw.get("seed"):
        seed = str(raw["seed"])
        title = seed_titles().get(seed)
        if title is None:
            raise KnowledgeError(f"{path.name}: seed {seed} has no title in knowledge/seeds.yml")
        return Source(title=title, seed=seed)
    if isinstance(raw, dict) and raw.get("title") and raw.get("url"):
        return Source(title=str(raw["title"]), url=str(raw["url"]))
    raise KnowledgeError(f"{path.name}: a source needs `seed: <file>` or `title` and `url`, got {raw!r}")


@cache
def seed_titles() -> dict[str, str]:
    """What a seed article is shown as: its title (knowledge/seeds.yml), never its file name."""
    return {str(k): str(v) for k, v in (yaml_data(SEEDS.read_text(encoding="utf-8"), SEEDS.name) or {}).items()}


_loaded: dict[Path, tuple[Entry, ...]] = {}  # directory -> its entries; filled once, never changed


def load_entries(directory: Path = ENTRIES) -> tuple[Entry, ...]:
    """Every entry, sorted by id; read once per process (or adopted from the cached index)."""
    if directory not in _loaded:
        entries = tuple(sorted((parse_entry(p) for p in directory.glob("*.md")), key=lambda e: e.id))
        _loaded.setdefault(directory, entries)  # two threads may both read; the first result stays
    return _loaded[directory]


def adopt_entries(entries: tuple[Entry, ...], directory: Path = ENTRIES) -> None:
    """Entries read from the index cache (keyed by these very files): no need to parse them again."""
    _loaded.setdefault(directory, entries)


@cache
def load_outside(path: Path = OUTSIDE) -> tuple[str, ...]:
    """Curated questions the knowledge base does not answer (near misses), all topics together."""
    if not path.exists():
        return ()
    data = yaml_data(path.read_text(encoding="utf-8"), f"{path.name}: not valid YAML") or {}
    topics = data.get("topics") or {}
    return tuple(str(q) for questions in topics.values() for q in questions or ())


@cache
def load_dimensions(path: Path = COMPARE) -> tuple[Dimension, ...]:
    """The comparison table's dimensions, in display order."""
    rows = yaml_data(path.read_text(encoding="utf-8"), f"{path.name}: not valid YAML") or []
    return tuple(
        Dimension(
            id=str(r["id"]),
            name=str(r["name"]),
            aliases=tuple(str(a) for a in r.get("aliases", ())),
            docker=str(r["docker"]),
            ami=str(r["ami"]),
            detail=str(r["detail"]).strip(),
            related=tuple(str(x) for x in r.get("related", ())),
        )
        for r in rows
    )


def entries_by_id() -> dict[str, Entry]:
    return {e.id: e for e in load_entries()}
