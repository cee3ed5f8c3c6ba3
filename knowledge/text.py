"""Turning a question or an entry into the terms the search compares: one spelling per idea.

- phrases folded to one spelling ("virtual machine" -> vm, "container image" -> docker image),
- stopwords dropped, Snowball stemming (plurals, "copying"/"copies"),
- unordered neighbouring word pairs (so word order barely matters),
- character trigrams of each word (typos and compounds: "nodegroup", "dockerfile"),
- stems that stand in for each other ("delete" also looks for "deregister").
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise

import snowballstemmer

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
    you your yours please tell explain show give want know thing things really much best good better
    great lot lots like another dont doesnt didnt isnt arent cant wont come comes
    whats hows wheres whys whos thats theres""".split()
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
        # chat abbreviations, spelled out
        (r"\bimgs?\b", " image "),
        (r"\baccts?\b", " account "),
        (r"\bsnaps?\b", " snapshot "),
        (r"\bdiffs?\b", " difference "),
        (r"\bperms\b", " permissions "),
        (r"\brepos?\b", " repository "),
        (r"\bver\b", " version "),
        (r"\bcreds\b", " credentials "),
        (r"\bpkgs?\b", " package "),
        (r"\bdeps\b", " dependencies "),
        (r"\bec2s\b", " ec2 instances "),
        (r"\btf\b", " terraform "),
        (r"\blt\b", " launch template "),
        (r"\bcp\b", " copy "),
        (r"\bpv\b", " paravirtual "),
        (r"\bsgs?\b", " security group "),
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
    "live": ("store",),
}
RELATED_WEIGHT = 0.4

_STEMMER = snowballstemmer.stemmer("english")  # keeps state between calls: one thread at a time
_STEM_LOCK = threading.Lock()
WORD = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    for pattern, replacement in PHRASES:
        text = pattern.sub(replacement, text)
    return text


def words(text: str) -> list[str]:
    """Lower-case content words, synonyms folded, stopwords dropped."""
    return [w for w in WORD.findall(normalise(text)) if w not in STOPWORDS]


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    if word in STEM_EXCEPTIONS:
        return STEM_EXCEPTIONS[word]
    with _STEM_LOCK:
        return str(_STEMMER.stemWord(word))


def stems(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def phrasing(text: str) -> frozenset[str]:
    """A question's stems with only filler dropped: 'when should I use' keeps its intent."""
    return frozenset(stem(w) for w in WORD.findall(normalise(text)) if w not in FILLER)


def pairs(terms: Sequence[str]) -> list[str]:
    """Unordered neighbouring pairs: 'docker ami' and 'ami docker' give the same term."""
    return ["~".join(sorted(p)) for p in pairwise(terms) if p[0] != p[1]]


def trigrams(text: str) -> frozenset[str]:
    """Character trigrams of each content word, padded at its edges ('#ami', 'ami#')."""
    grams: set[str] = set()
    for word in words(text):
        padded = f"#{word}#"
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)
