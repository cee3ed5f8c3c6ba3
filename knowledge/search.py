"""Find the entry that answers a free-form question, or say honestly that none does.

BM25 over each entry's title, question phrasings, tags and answer, with
- synonyms folded to one spelling ("virtual machine" -> vm, "container image" -> docker image),
- Snowball stemming (plurals, "copying"/"copies"),
- unordered word pairs from titles and questions (so word order barely matters),
- typo repair against the knowledge base's own vocabulary (edit distance 1, 2 for long words).

A match must also cover most of the question: the idf-weighted share of its
words found in the entry. Questions about anything else get "no match"
rather than a confident wrong answer.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import snowballstemmer

from knowledge.base import Entry

K1 = 1.2
B = 0.75
FIELD_WEIGHTS = {"title": 3, "questions": 2, "tags": 2, "answer": 1}
MIN_COVERAGE = 0.5
MIN_KEY_COVERAGE = 0.5
MIN_SCORE = 4.0
MIN_PHRASING = 0.5
PHRASING_WEIGHT = 15.0
TYPO_WEIGHT = 0.8
# Words kept out of the stemmer where it would merge two meanings ("container" is not "contain").
STEM_EXCEPTIONS = {"container": "container", "containers": "container", "containerd": "containerd"}
# The only words dropped when a question is compared with an entry's phrasings.
FILLER = frozenset("a an the is are be i my me to of for and or it its this that please".split())

STOPWORDS = frozenset(
    """a about after all also am an and any are as at be been before being between both but by can could
    did do does doing done for from get gets got had has have having he her here how i if in into is it its
    just me might more most my need needs no not of on one only or other our out over own same shall she
    should so some such than that the their them then there these they this those through to too under up
    us use used using very vs versus was way we were what when where which while who why will with would
    you your yours please tell explain show give want know thing things really much many best good better
    great lot lots like another dont doesnt didnt isnt arent cant wont come comes""".split()
)

# Phrases folded to one spelling before tokenising, in the index and in questions alike.
PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bamazon machine images?\b|\bmachine images?\b", " ami "),
        (r"\bvirtual machines?\b|\bvms\b|\bvirtual servers?\b", " vm "),
        (r"\bec2 instances?\b", " vm ec2 instance "),
        (r"\b(?:container|oci) images?\b", " docker image "),
        (r"\bk8s\b", " kubernetes "),
        (r"\belastic container service\b", " ecs "),
        (r"\belastic container registry\b", " ecr "),
        (r"\belastic kubernetes service\b", " eks kubernetes "),
        (r"\belastic block store\b", " ebs "),
        (r"\b(?:systems manager|parameter store)\b", " ssm parameter "),
        (r"\b(?:aarch64|graviton\d?|arm)\b", " arm64 "),
        (r"\b(?:x86[_-]64|x86|amd64|intel)\b", " amd64 "),
        (r"\bstart[- ]?up\b|\bcold start\b", " start "),
        (r"\bmulti[- ](?:arch|architecture|platform)\b", " multiarch "),
        (r"\bauto[- ]?scaling\b", " autoscaling "),
        (r"\btrade[- ]?offs?\b", " tradeoff "),
        (r"\b(?:us|eu|ap|sa|ca|me|af|il|mx)(?:-gov)?-[a-z]+-\d\b", " region "),
        (r"\bdocker ?files?\b", " dockerfile "),
    )
)

# Word stems that stand in for each other in a question (weighted lower than the word typed).
RELATED_STEMS: dict[str, tuple[str, ...]] = {
    "delet": ("deregist", "remov", "cleanup"),
    "remov": ("deregist", "delet"),
    "fast": ("start", "faster", "quick"),
    "slow": ("start", "fast", "faster"),
    "slower": ("start", "fast", "faster"),
    "quick": ("start", "fast", "faster"),
    "speed": ("start", "fast"),
    "boot": ("start", "launch"),
    "launch": ("start", "boot"),
    "secur": ("isol",),
    "safe": ("isol", "secur"),
    "cost": ("price", "pay", "storag"),
    "price": ("cost",),
    "region": ("copi",),
    "transfer": ("copi", "share"),
    "move": ("copi",),
    "convert": ("bake", "creat"),
    "turn": ("convert", "bake"),
    "build": ("creat", "bake"),
    "make": ("creat", "build"),
    "newest": ("latest",),
    "recent": ("latest",),
    "vm": ("instanc", "ec2"),
    "contain": ("docker",),
}

_STEMMER = snowballstemmer.stemmer("english")  # keeps state between calls: one thread at a time
_STEM_LOCK = threading.Lock()
_WORD = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    for pattern, replacement in PHRASES:
        text = pattern.sub(replacement, text)
    return text


def words(text: str) -> list[str]:
    """Lower-case content words, synonyms folded, stopwords dropped."""
    return [w for w in _WORD.findall(normalise(text)) if w not in STOPWORDS]


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    if word in STEM_EXCEPTIONS:
        return STEM_EXCEPTIONS[word]
    with _STEM_LOCK:
        return str(_STEMMER.stemWord(word))


def phrasing(text: str) -> frozenset[str]:
    """A question's stems with only filler dropped: 'when should I use' keeps its intent."""
    return frozenset(stem(w) for w in _WORD.findall(normalise(text)) if w not in FILLER)


def pairs(stems: Sequence[str]) -> list[str]:
    """Unordered neighbouring pairs: 'docker ami' and 'ami docker' give the same term."""
    return ["~".join(sorted(p)) for p in pairwise(stems) if p[0] != p[1]]


@dataclass(frozen=True)
class Match:
    entry: Entry
    score: float
    coverage: float
    key_coverage: float
    phrasing: float

    @property
    def confident(self) -> bool:
        """Most of the question is in the entry (and its title, phrasings and tags are about it),
        and either the words or a known phrasing agree strongly."""
        return (
            self.coverage >= MIN_COVERAGE
            and self.key_coverage >= MIN_KEY_COVERAGE
            and (self.score >= MIN_SCORE or self.phrasing >= MIN_PHRASING)
        )


class Index:
    """An in-memory BM25 index over the knowledge base, built once."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = tuple(entries)
        self.docs: list[Counter[str]] = [self._terms(e) for e in self.entries]
        self.keys = [self._key_terms(e) for e in self.entries]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg_length = sum(self.lengths) / max(len(self.lengths), 1)
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, doc in enumerate(self.docs):
            for term, tf in doc.items():
                self.postings[term].append((i, tf))
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}
        self.max_idf = max(self.idf.values(), default=1.0)
        self.phrasings = [[phrasing(q) for q in (e.title, *e.questions)] for e in self.entries]
        self.vocabulary = self._vocabulary()
        self.deletes = _deletion_index(self.vocabulary)

    @staticmethod
    def _terms(entry: Entry) -> Counter[str]:
        terms: Counter[str] = Counter()
        fields = {
            "title": [entry.title],
            "questions": list(entry.questions),
            "tags": [" ".join(t.replace("-", " ") for t in entry.tags)],
            "answer": [entry.answer],
        }
        for name, texts in fields.items():
            weight = FIELD_WEIGHTS[name]
            for text in texts:
                stems = [stem(w) for w in words(text)]
                for term in stems:
                    terms[term] += weight
                if name in ("title", "questions"):
                    for pair in pairs(stems):
                        terms[pair] += weight
        return terms

    @staticmethod
    def _key_terms(entry: Entry) -> frozenset[str]:
        """Stems of what the entry is about: title, phrasings and tags (not incidental answer words)."""
        text = " ".join((entry.title, *entry.questions, *(t.replace("-", " ") for t in entry.tags)))
        return frozenset(stem(w) for w in words(text))

    def _vocabulary(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for entry in self.entries:
            text = " ".join((entry.title, *entry.questions, *entry.tags, entry.answer))
            counts.update(w for w in words(text) if len(w) >= 3)
        return dict(counts)

    # ------------------------------------------------------------ querying

    def spell(self, question: str) -> tuple[str, frozenset[str]]:
        """The question with typos repaired against the knowledge base, and the words that were repaired."""
        out: list[str] = []
        fixed: set[str] = set()
        for word in _WORD.findall(normalise(question)):
            if word not in STOPWORDS and word not in self.vocabulary and stem(word) not in self.postings:
                repaired = self.repair(word)
                if repaired:
                    word = repaired
                    fixed.add(word)
            out.append(word)
        return " ".join(out), frozenset(fixed)

    def query_terms(self, question: str) -> dict[str, float]:
        """Weighted terms of a question: stems, repaired typos, related stems, pairs."""
        text, fixed = self.spell(question)
        terms: dict[str, float] = {}
        stems: list[str] = []
        for word in words(text):
            term = stem(word)
            stems.append(term)
            terms[term] = max(terms.get(term, 0.0), TYPO_WEIGHT if word in fixed else 1.0)
        for term in list(terms):
            for other in RELATED_STEMS.get(term, ()):
                terms.setdefault(other, 0.4)
        for pair in pairs(stems):
            terms.setdefault(pair, 1.0)
        return terms

    def repair(self, word: str) -> str | None:
        """The knowledge base word a typo most likely meant, or None."""
        if len(word) < 5 or word.isdigit():
            return None
        return _repair(word, self.deletes, self.vocabulary)

    def search(self, question: str, limit: int = 5) -> list[Match]:
        terms = self.query_terms(question)
        asked = phrasing(self.spell(question)[0])
        scores: dict[int, float] = defaultdict(float)
        for term, weight in terms.items():
            idf = self.idf.get(term)
            if idf is None:
                continue
            for doc, tf in self.postings[term]:
                norm = tf * (K1 + 1) / (tf + K1 * (1 - B + B * self.lengths[doc] / self.avg_length))
                scores[doc] += weight * idf * norm
        similar = {doc: self._phrasing(asked, doc) for doc in scores}
        ranked = sorted(scores, key=lambda d: -(scores[d] + PHRASING_WEIGHT * similar[d]))[:limit]
        asked_terms = [t for t, w in terms.items() if w >= TYPO_WEIGHT and "~" not in t]
        return [
            Match(
                self.entries[d],
                scores[d] + PHRASING_WEIGHT * similar[d],
                _share(asked_terms, self.docs[d]),
                _share(asked_terms, self.keys[d]),
                similar[d],
            )
            for d in ranked
        ]

    def _phrasing(self, asked: frozenset[str], doc: int) -> float:
        """How close the question is to the closest of the entry's own phrasings (Jaccard)."""
        return max((len(asked & p) / len(asked | p) for p in self.phrasings[doc] if p), default=0.0)


def _share(asked: list[str], present: Counter[str] | frozenset[str]) -> float:
    """Share of the question's words (typed, or typo-repaired) found in `present`."""
    return sum(1 for t in asked if t in present) / len(asked) if asked else 0.0


def _deletion_index(vocabulary: dict[str, int]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = defaultdict(list)
    for word in vocabulary:
        for variant in _deletes(word, 2 if len(word) >= 8 else 1):
            index[variant].append(word)
    return dict(index)


def _deletes(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _repair(word: str, deletes: dict[str, list[str]], vocabulary: dict[str, int]) -> str | None:
    depth = 2 if len(word) >= 8 else 1
    candidates = {c for variant in _deletes(word, depth) for c in deletes.get(variant, ())}
    scored = [(distance(word, c), -vocabulary[c], c) for c in candidates]
    scored = [s for s in scored if s[0] <= depth]
    return min(scored)[2] if scored else None


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]
