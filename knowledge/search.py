"""Find the entries closest to a free-form question, with the signals that say how close.

Each entry is compared with the question in several ways (knowledge.text makes the terms):
- BM25 over the entry's title, phrasings, tags and answer (field-weighted), with word pairs and
  typo repair against the knowledge base's own vocabulary,
- the closest of its curated phrasings, by shared stems and by idf-weighted shared stems,
- character trigrams against its phrasings (typos, compounds, abbreviations the repair misses),
- coverage: the share of the question's words found in the entry, and in its title, phrasings and tags,
- meaning: the cosine of sentence vectors (knowledge.embed) with its closest phrasing and with its
  title and answer, which agree where the words do not ("box" and "instance", a story and its point).

The same phrasing signals are measured against curated out-of-scope questions
(knowledge/out_of_scope.yml). knowledge.confidence turns all of these into a ranking and into
one honest decision: answer, offer choices, or decline.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge import text, typos
from knowledge.base import Entry
from knowledge.bayes import Bayes
from knowledge.embed import encode_known, encoder
from knowledge.text import RELATED_STEMS, RELATED_WEIGHT, STOPWORDS, WORD, normalise, pairs, phrasing
from knowledge.text import stem as stem  # re-exported: callers warm the stemmer through the search module

K1 = 1.2
B = 0.75
FIELD_WEIGHTS = {"title": 3, "questions": 2, "tags": 2, "answer": 1}
TYPO_WEIGHT = 0.8
STOPWORD_WEIGHT = 0.3
STOP_STEMS = frozenset(text.stem(w) for w in STOPWORDS)


@dataclass(frozen=True)
class Signals:
    """How well one entry agrees with one question; every value is 0 when nothing agrees."""

    bm25: float  # over every field
    key_bm25: float  # over the title, phrasings and tags only
    phrase_bm25: float  # the closest single phrasing, each phrasing scored as its own document
    bayes: float  # complement Naive Bayes over the entry's phrasings (knowledge.bayes)
    phrasing: float  # share of stems in common with the closest phrasing (Jaccard)
    weighted: float  # the same, each stem weighted by how rare it is in the knowledge base
    contained: float  # weighted share of the closest phrasing's stems that the question has (stories)
    chars: float  # character-trigram cosine with the closest phrasing
    coverage: float  # share of the question's words anywhere in the entry
    key_coverage: float  # share of the question's words in its title, phrasings and tags
    rare_coverage: float  # the same, each word weighted by its idf: the rare words are what a question is about
    meaning: float  # cosine of sentence vectors with the closest phrasing
    answer_meaning: float  # the same with the entry's title and answer


@dataclass(frozen=True)
class Query:
    """What the question itself says, apart from any entry."""

    text: str  # after typo repair
    unknown: float  # share of the question's words the knowledge base has never seen
    outside: Signals  # agreement with the closest curated out-of-scope question


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    signals: Signals


class Index:
    """An in-memory index over the knowledge base, built once (and cached on disk: knowledge.index_cache)."""

    def __init__(self, entries: Iterable[Entry], outside: Sequence[str] = ()) -> None:
        self.entries = tuple(entries)
        self.docs: list[Counter[str]] = [self._terms(e) for e in self.entries]
        self.keys = [self._key_terms(e) for e in self.entries]
        self.full = Bm25(self.docs)
        self.key_docs = Bm25([self._terms(e, answer=False) for e in self.entries])
        self.postings = self.full.postings
        self.idf = self.full.idf
        self.max_idf = max(self.idf.values(), default=1.0)
        self.vocabulary = self._vocabulary()
        self.deletes = typos.deletion_index(self.vocabulary)
        # phrasings: every entry's title and questions, then the out-of-scope examples (owner -1)
        texts = [(i, q) for i, e in enumerate(self.entries) for q in (e.title, *e.questions)]
        texts += [(-1, q) for q in outside]
        self.owners = [owner for owner, _ in texts]
        self.phrasings = [phrasing(q) for _, q in texts]
        self.phrase_docs = Bm25([self._phrase_terms(q) for _, q in texts])
        self.stem_postings: dict[str, list[int]] = defaultdict(list)
        for p, stems in enumerate(self.phrasings):
            for stem_ in stems:
                self.stem_postings[stem_].append(p)
        self.phrase_weights = [sum(self._weight(s) for s in stems) or 1.0 for stems in self.phrasings]
        self.bayes = Bayes(self.entries)
        self.grams = [text.trigrams(q) for _, q in texts]
        gram_counts = Counter(g for grams in self.grams for g in grams)
        self.gram_idf = {g: math.log(1 + len(texts) / c) for g, c in gram_counts.items()}
        self.gram_postings: dict[str, list[int]] = defaultdict(list)
        for p, grams in enumerate(self.grams):
            for g in grams:
                self.gram_postings[g].append(p)
        self.gram_norms = [math.sqrt(sum(self.gram_idf[g] ** 2 for g in grams)) or 1.0 for grams in self.grams]
        self.by_owner: dict[int, list[int]] = defaultdict(list)
        for p, owner in enumerate(self.owners):
            self.by_owner[owner].append(p)
        self.meaning = Meaning([q for _, q in texts], self.owners, [f"{e.title}. {e.answer}" for e in self.entries])

    @staticmethod
    def _terms(entry: Entry, answer: bool = True) -> Counter[str]:
        terms: Counter[str] = Counter()
        fields = {
            "title": [entry.title],
            "questions": list(entry.questions),
            "tags": [" ".join(t.replace("-", " ") for t in entry.tags)],
            "answer": [entry.answer] if answer else [],
        }
        for name, texts in fields.items():
            weight = FIELD_WEIGHTS[name]
            for body in texts:
                stems = text.stems(body)
                for term in stems:
                    terms[term] += weight
                if name in ("title", "questions"):
                    for pair in pairs(stems):
                        terms[pair] += weight
        return terms

    @staticmethod
    def _phrase_terms(body: str) -> Counter[str]:
        stems = text.stems(body)
        return Counter([*stems, *pairs(stems)])

    @staticmethod
    def _key_terms(entry: Entry) -> frozenset[str]:
        """Stems of what the entry is about: title, phrasings and tags (not incidental answer words)."""
        return frozenset(
            text.stems(" ".join((entry.title, *entry.questions, *(t.replace("-", " ") for t in entry.tags))))
        )

    def _vocabulary(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for entry in self.entries:
            body = " ".join((entry.title, *entry.questions, *entry.tags, entry.answer))
            counts.update(w for w in text.words(body) if len(w) >= 3)
        return dict(counts)

    # ------------------------------------------------------------ querying

    def spell(self, question: str) -> tuple[str, frozenset[str]]:
        """The question with typos repaired against the knowledge base, and the words that were repaired."""
        out: list[str] = []
        fixed: set[str] = set()
        for word in WORD.findall(normalise(question)):
            if word not in STOPWORDS and word not in self.vocabulary and text.stem(word) not in self.postings:
                repaired = typos.repair(word, self.deletes, self.vocabulary)
                if repaired:
                    word = repaired
                    fixed.add(word)
            out.append(word)
        return " ".join(out), frozenset(fixed)

    def query_terms(self, spelled: str, fixed: frozenset[str]) -> dict[str, float]:
        """Weighted terms of a question: stems, repaired typos, related stems, pairs."""
        terms: dict[str, float] = {}
        stems: list[str] = []
        for word in text.words(spelled):
            term = text.stem(word)
            stems.append(term)
            terms[term] = max(terms.get(term, 0.0), TYPO_WEIGHT if word in fixed else 1.0)
        for term in list(terms):
            for other in RELATED_STEMS.get(term, ()):
                terms.setdefault(other, RELATED_WEIGHT)
        for pair in pairs(stems):
            terms.setdefault(pair, 1.0)
        return terms

    def search(self, question: str) -> tuple[Query, list[Candidate]]:
        """The question's own signals, and every entry that shares anything with it (unordered)."""
        spelled, fixed = self.spell(question)
        meaning, answer_meaning = self.meaning.closest(question)  # the question as typed: the model reads it whole
        terms = self.query_terms(spelled, fixed)
        scores = self.full.scores(terms)
        asked = Asked(
            self._overlaps(phrasing(spelled)),
            self.key_docs.scores(terms),
            self.phrase_docs.scores(terms),
            self._chars(text.trigrams(spelled)),
            self.bayes.scores(spelled),
            [t for t, w in terms.items() if w >= TYPO_WEIGHT and "~" not in t],
            meaning,
            answer_meaning,
        )
        docs = set(scores) | {self.owners[p] for p in asked.chars if self.owners[p] >= 0}
        candidates = [Candidate(self.entries[d], self._signals(d, scores.get(d, 0.0), asked)) for d in docs]
        unknown = [t for t in asked.terms if t not in self.postings]
        asked_terms = asked.terms
        outside = self._signals(-1, 0.0, asked)
        share = len(unknown) / len(asked_terms) if asked_terms else 0.0
        return Query(spelled, share, outside), candidates

    def _signals(self, owner: int, bm25: float, asked: Asked) -> Signals:
        closest = self._phrasings(asked, owner)
        mine = self.by_owner[owner]
        return Signals(
            bm25=bm25,
            key_bm25=asked.key_bm25.get(owner, 0.0) if owner >= 0 else 0.0,
            phrase_bm25=max((asked.phrase_bm25.get(p, 0.0) for p in mine), default=0.0),
            bayes=asked.bayes[owner] if owner >= 0 else 0.0,
            phrasing=closest[0],
            weighted=closest[1],
            contained=closest[2],
            chars=max((asked.chars.get(p, 0.0) for p in mine), default=0.0),
            coverage=_share(asked.terms, self.docs[owner]) if owner >= 0 else 0.0,
            key_coverage=_share(asked.terms, self.keys[owner]) if owner >= 0 else 0.0,
            rare_coverage=self._rare_share(asked.terms, self.keys[owner]) if owner >= 0 else 0.0,
            meaning=asked.meaning.get(owner, 0.0),
            answer_meaning=asked.answer_meaning[owner] if owner >= 0 else 0.0,
        )

    def _rare_share(self, asked: list[str], present: frozenset[str]) -> float:
        total = sum(self._weight(t) for t in asked)
        return sum(self._weight(t) for t in asked if t in present) / total if total else 0.0

    def _overlaps(self, asked: frozenset[str]) -> dict[int, tuple[float, float, float]]:
        """For every phrasing sharing a stem with the question: Jaccard, idf-weighted Jaccard, weighted containment."""
        count: dict[int, int] = defaultdict(int)
        shared: dict[int, float] = defaultdict(float)
        for stem_ in asked:
            weight = self._weight(stem_)
            for p in self.stem_postings.get(stem_, ()):
                count[p] += 1
                shared[p] += weight
        asked_weight = sum(self._weight(s) for s in asked)
        out = {}
        for p, n in count.items():
            known, both = self.phrase_weights[p], shared[p]
            out[p] = (n / (len(asked) + len(self.phrasings[p]) - n), both / (asked_weight + known - both), both / known)
        return out

    def _phrasings(self, asked: Asked, owner: int) -> tuple[float, float, float]:
        """The closest of an owner's phrasings, by each of the three overlaps."""
        found = [asked.overlaps[p] for p in self.by_owner[owner] if p in asked.overlaps]
        if not found:
            return 0.0, 0.0, 0.0
        return max(f[0] for f in found), max(f[1] for f in found), max(f[2] for f in found)

    def _weight(self, term: str) -> float:
        """A stem's say in a phrasing: its idf; little for a stopword; the most for a word the base never uses."""
        if term in self.idf:
            return self.idf[term]
        return STOPWORD_WEIGHT if term in STOP_STEMS else self.max_idf

    def _chars(self, grams: frozenset[str]) -> dict[int, float]:
        """Cosine (idf-weighted) between the question's trigrams and every phrasing that shares one."""
        weights = {g: self.gram_idf[g] for g in grams if g in self.gram_idf}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        dot: dict[int, float] = defaultdict(float)
        for g, w in weights.items():
            for p in self.gram_postings[g]:
                dot[p] += w * w
        return {p: v / (norm * self.gram_norms[p]) for p, v in dot.items()}


@dataclass(frozen=True)
class Asked:
    """One question's terms and its scores against every document, computed once per search."""

    overlaps: dict[int, tuple[float, float, float]]  # phrasing -> its three overlaps (Index._overlaps)
    key_bm25: dict[int, float]
    phrase_bm25: dict[int, float]
    chars: dict[int, float]
    bayes: list[float]
    terms: list[str]  # the question's own stems (typed or repaired), for coverage
    meaning: dict[int, float]  # owner -> cosine with its closest phrasing (Meaning.closest)
    answer_meaning: list[float]  # entry -> cosine with its title and answer


class Meaning:
    """The knowledge base's texts as sentence vectors (knowledge.embed), built with the index."""

    def __init__(self, phrasings: Sequence[str], owners: Sequence[int], answers: Sequence[str]) -> None:
        self.phrasings = encode_known(phrasings)  # one row per phrasing, in Index.owners order
        self.answers = encode_known(answers)  # one row per entry
        # each owner's phrasings are consecutive: where each run starts, and whose it is
        self.starts = [p for p in range(len(owners)) if p == 0 or owners[p] != owners[p - 1]]
        self.groups = [owners[p] for p in self.starts]

    def __eq__(self, other: object) -> bool:  # a cached index equals a fresh one (knowledge.index_cache)
        import numpy as np

        return (
            isinstance(other, Meaning)
            and (self.starts, self.groups) == (other.starts, other.groups)
            and np.array_equal(self.phrasings, other.phrasings)
            and np.array_equal(self.answers, other.answers)
        )

    __hash__ = None  # type: ignore[assignment]

    def closest(self, question: str) -> tuple[dict[int, float], list[float]]:
        """Cosine with each owner's closest phrasing, and with each entry's title and answer."""
        import numpy as np

        if not self.starts:
            return {}, []
        vector = encoder().encode([question])[0]
        best = np.maximum.reduceat(self.phrasings @ vector, self.starts)
        return dict(zip(self.groups, best.tolist(), strict=True)), (self.answers @ vector).tolist()


class Bm25:
    """Okapi BM25 over documents given as term counts."""

    def __eq__(self, other: object) -> bool:  # a cached index equals a fresh one (knowledge.index_cache)
        return type(other) is type(self) and vars(other) == vars(self)

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, docs: Sequence[Counter[str]]) -> None:
        self.lengths = [sum(d.values()) for d in docs]
        self.avg_length = sum(self.lengths) / max(len(self.lengths), 1) or 1.0
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for term, tf in doc.items():
                self.postings[term].append((i, tf))
        n = len(docs)
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def scores(self, terms: dict[str, float]) -> dict[int, float]:
        out: dict[int, float] = defaultdict(float)
        for term, weight in terms.items():
            idf = self.idf.get(term)
            if idf is None:
                continue
            for doc, tf in self.postings[term]:
                norm = tf * (K1 + 1) / (tf + K1 * (1 - B + B * self.lengths[doc] / self.avg_length))
                out[doc] += weight * idf * norm
        return out


def _share(asked: list[str], present: Counter[str] | frozenset[str]) -> float:
    """Share of the question's words (typed, or typo-repaired) found in `present`."""
    return sum(1 for t in asked if t in present) / len(asked) if asked else 0.0
