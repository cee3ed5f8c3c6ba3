"""The on-disk index cache: the same answers as a fresh index, rebuilt when an entry or the search code changes.

Every test points IMAGEBOT_CACHE_DIR at its own tmp_path: nothing is written anywhere else.
"""

import gc
import json
import shutil
from pathlib import Path

import pytest

from knowledge import answers, index_cache
from knowledge.base import ENTRIES, ROOT, load_entries, load_outside, parse_entry
from knowledge.confidence import decide
from knowledge.index_cache import CACHE_ENV, cache_key, load_or_build
from knowledge.search import Index

DEV = Path(__file__).resolve().parent / "dev_questions.jsonl"


def dev_questions():
    return [json.loads(line)["q"] for line in DEV.read_text().splitlines() if line.strip()]


def fresh_index(directory: Path = ENTRIES) -> Index:
    """Built from the files as they are now (load_entries caches per process, so it is bypassed here)."""
    entries = sorted((parse_entry(p) for p in directory.glob("*.md")), key=lambda e: e.id)
    return Index(entries, load_outside())


class Builds:
    """A build function that counts how often it ran."""

    def __init__(self, directory: Path = ENTRIES) -> None:
        self.directory = directory
        self.count = 0

    def __call__(self) -> Index:
        self.count += 1
        return fresh_index(self.directory)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(path))
    return path


def test_a_cached_index_answers_every_dev_question_like_a_fresh_one(cache, monkeypatch):
    fresh = Index(load_entries(), load_outside())
    build = Builds()
    assert load_or_build(build) is not None and build.count == 1
    assert len(list(cache.glob("index-*.pickle"))) == 1
    cached = load_or_build(build)
    assert build.count == 1, "the second start must read the cache, not build"
    assert cached is not fresh and vars(cached) == vars(fresh)

    # through knowledge.answers.index(), as `/image ask` and `imagebot ask` use it
    monkeypatch.setattr(answers, "_index", None)
    from_cache = {q: answers.find_answer(q) for q in dev_questions()}
    assert build.count == 1
    assert answers.index() is not fresh
    for question, answer in from_cache.items():
        expected = answers.Answer(question, decide(*fresh.search(question)))
        assert answer == expected, question
        assert answer.to_json() == expected.to_json(), question


def test_a_changed_entry_file_invalidates_the_cache(cache, tmp_path):
    entries = tmp_path / "entries"
    shutil.copytree(ENTRIES, entries)
    build = Builds(entries)
    before = load_or_build(build, entries)
    key = cache_key(entries)
    assert load_or_build(build, entries) is not None and build.count == 1

    target = entries / "ami-types.md"
    target.write_text(target.read_text().replace("questions:\n", "questions:\n  - what is a zyxwvut ami\n", 1))
    assert cache_key(entries) != key
    after = load_or_build(build, entries)
    assert build.count == 2, "a changed entry must be rebuilt, not read from the stale cache"
    assert vars(after) == vars(fresh_index(entries)) and vars(after) != vars(before)
    assert decide(*after.search("what is a zyxwvut ami")).ranked[0].entry.id == "ami-types"
    assert load_or_build(build, entries) is not None and build.count == 2  # and the new one is cached


def test_a_new_or_removed_entry_file_changes_the_key(tmp_path):
    entries = tmp_path / "entries"
    shutil.copytree(ENTRIES, entries)
    key = cache_key(entries)
    (entries / "ami-types.md").rename(tmp_path / "ami-types.md")
    assert cache_key(entries) != key


def test_a_change_to_the_search_code_invalidates_the_cache(cache, tmp_path, monkeypatch):
    code = tmp_path / "knowledge"
    code.mkdir()
    for path in [*ROOT.glob("*.py"), *ROOT.glob("*.yml")]:
        shutil.copy(path, code / path.name)
    monkeypatch.setattr(index_cache, "ROOT", code)
    build = Builds()
    load_or_build(build)
    key = cache_key()
    (code / "search.py").write_text((code / "search.py").read_text() + "\nMIN_SCORE = 4.5\n")
    assert cache_key() != key
    load_or_build(build)
    assert build.count == 2


def test_another_sentence_model_invalidates_the_cache(cache, monkeypatch):
    build = Builds()
    load_or_build(build)
    key = cache_key()
    monkeypatch.setattr(index_cache, "model_record", lambda: b"model.safetensors,sha256=another,90868376\n")
    assert cache_key() != key
    load_or_build(build)
    assert build.count == 2


def test_an_unwritable_cache_dir_still_works(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a directory")
    cache = tmp_path / "file" / "imagebot"  # a file in the way: unwritable even for root, who runs CI
    monkeypatch.setenv(CACHE_ENV, str(cache))
    build = Builds()
    index = load_or_build(build)
    assert build.count == 1 and vars(index) == vars(fresh_index())
    assert load_or_build(build) is not None and build.count == 2  # built in memory each time, no error
    assert not list(tmp_path.rglob("index-*.pickle")) and not list(tmp_path.rglob(".index-*"))


def test_a_corrupt_or_foreign_cache_file_is_rebuilt(cache):
    build = Builds()
    load_or_build(build)
    (path,) = cache.glob("index-*.pickle")
    path.write_bytes(path.read_bytes()[:1000])  # truncated
    assert vars(load_or_build(build)) == vars(fresh_index()) and build.count == 2
    assert gc.isenabled(), "the collector, paused while unpickling, is back on after a failed load"
    path.chmod(0o666)  # others could have written it: never unpickled
    load_or_build(build)
    assert build.count == 3


def test_the_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert index_cache.cache_dir() == tmp_path / "xdg" / "imagebot"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert index_cache.cache_dir() == tmp_path / "home" / ".cache" / "imagebot"
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert index_cache.cache_dir() == tmp_path / "mine"
