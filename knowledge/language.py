"""Is a question in English? The knowledge base is English only; a guess at another language helps nobody.

Two checks, both cheap and deterministic: the share of letters outside the Latin alphabet (Chinese,
Japanese, Korean, Cyrillic, Arabic...), and, for Latin-script text, function words that English does
not have ("como", "para", "wie", "pour") outnumbering English ones. Technical terms (AMI, ECR, docker)
count for neither side, so "oye, packer o image builder para hacer amis?" is still Spanish.
"""

from __future__ import annotations

import re
import unicodedata

from knowledge.text import STOPWORDS

NON_LATIN_SHARE = 0.3  # more of the letters than this outside Latin script: not English
# Frequent words of Spanish, Portuguese, French, German, Italian and Dutch that are not English words.
FOREIGN = frozenset(
    """el los las del que y un una por para con como cómo qué es está están hacer hago puedo tengo mi mis hay
    pero sin sobre entre cuál cuando donde dónde porque oye hola usar crear imagen imagenes imágenes
    o os da dos das em um uma com não é faço fazer posso meu minha são qual quando onde olá você uso
    le les des du et est pour avec comment qui je mon ma mes pas sur dans quelle quel faire peut
    der die das und ist ein eine wie ich mein nicht mit für auf kann warum wo wann zu von dem den im
    il lo gli di che è per cosa perché posso fare mio
    het een ik niet hoe wat waarom kan ook
    la de en se al su sus""".split()
)
ENGLISH = STOPWORDS - FOREIGN
LETTER = re.compile(r"[^\W\d_]+")


def is_english(question: str) -> bool:
    letters = [c for c in question if c.isalpha()]
    if not letters:
        return True  # nothing to judge ("?", an id): let the search say it does not know
    foreign_script = sum(1 for c in letters if not _latin(c))
    if foreign_script / len(letters) > NON_LATIN_SHARE:
        return False
    tokens = [t.lower() for t in LETTER.findall(question)]
    foreign = sum(1 for t in tokens if t in FOREIGN)
    english = sum(1 for t in tokens if t in ENGLISH)
    return not (foreign >= 2 and foreign > english)


def _latin(char: str) -> bool:
    return "LATIN" in unicodedata.name(char, "")
