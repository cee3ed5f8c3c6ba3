"""The knowledge index in the test session's cache (IMAGEBOT_CACHE_DIR), before a bot process starts.

`imagebot serve` and `imagebot socket` load the index and the sentence model before they take a
request; from the cache that is a fraction of a second, built afresh it is about 16 s. A deployment
has the cache built by scripts/setup; the tests build it here, once per session (in this process,
where the entries' vectors are encoded once however many indexes the tests build).
"""

from knowledge.answers import build_index
from knowledge.index_cache import load_or_build


def cache_the_index() -> None:
    load_or_build(build_index)
