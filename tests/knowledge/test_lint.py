"""The knowledge base lints clean: every entry complete, linked and short enough for Slack."""

import re

import pytest

from bot.core.blocks import SECTION_TEXT
from knowledge.base import ENTRIES, REQUIRED, load_dimensions, load_entries, load_outside, parse_entry, seed_titles
from knowledge.scope import SIGNS, outside

SEEDS = set(seed_titles())
ENTRY_FILES = sorted(ENTRIES.glob("*.md"))


def test_there_is_a_knowledge_base():
    assert len(ENTRY_FILES) >= 40


@pytest.mark.parametrize("path", ENTRY_FILES, ids=lambda p: p.stem)
def test_entry_is_complete(path):
    entry = parse_entry(path)
    for field in REQUIRED:
        assert getattr(entry, field), f"{path.name}: {field} is empty"
    assert entry.id == path.stem, "the file name is the id"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.id)
    assert len(entry.questions) >= 3, "several phrasings people really use"
    assert len(entry.answer) <= SECTION_TEXT, "the answer fits in one Slack section"
    assert not re.search(r"^#+ ", re.sub(r"```.*?```", "", entry.answer, flags=re.S), re.M), "no Markdown headings"


def test_ids_are_unique_and_related_ids_exist():
    entries = load_entries()
    ids = [e.id for e in entries]
    assert len(ids) == len(set(ids))
    for e in entries:
        assert e.id not in e.related
        assert set(e.related) <= set(ids), f"{e.id}: unknown related {set(e.related) - set(ids)}"


def test_every_source_is_a_seed_document_or_an_official_link():
    for e in load_entries():
        for s in e.sources:
            if s.seed:
                assert re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", s.seed), s.seed
                assert s.seed in SEEDS, f"{e.id}: no seed {s.seed}"
            else:
                assert s.url and s.url.startswith("https://"), f"{e.id}: {s}"


def test_sources_are_shown_by_title_never_by_file_name():
    for entry in load_entries():
        for source in entry.sources:
            shown = source.mrkdwn()
            assert ".txt" not in shown and "seed document" not in shown, (entry.id, shown)


def test_every_seed_document_is_used():
    used = {s.seed for e in load_entries() for s in e.sources if s.seed}
    assert len(SEEDS) == 5 and used >= SEEDS


def test_comparison_table_is_complete():
    dims = load_dimensions()
    assert [d.id for d in dims] == [
        "packages",
        "boots",
        "isolation",
        "startup",
        "size",
        "portability",
        "use-cases",
        "operations",
        "choose",
    ]
    ids = {e.id for e in load_entries()}
    for d in dims:
        assert d.docker and d.ami and d.detail and set(d.related) <= ids
        assert len(d.detail) <= SECTION_TEXT


def test_no_entry_phrasing_is_declined_as_another_topic():
    """knowledge.scope declines before any search; a sign that catches an entry's own wording is too broad."""
    caught = [(e.id, q) for e in load_entries() for q in (e.title, *e.questions) if outside(q)]
    assert caught == []


def test_every_sign_of_another_topic_declines_some_curated_near_miss():
    caught = {found.topic for q in load_outside() if (found := outside(q))}
    assert caught == {sign.topic for sign in SIGNS}  # no sign is dead weight
