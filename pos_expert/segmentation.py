"""The domain dictionary for jieba: shared by the spaCy pipeline build and by Rasa at run time."""

from __future__ import annotations

from typing import List

from pos_expert.knowledge import KnowledgeBase
from pos_expert.text import normalize_text

# High enough that jieba keeps a listed word whole, low enough not to swallow its neighbours.
WORD_FREQUENCY = 50000
_loaded: set = set()


def dictionary_words(kb: KnowledgeBase) -> List[str]:
    """Every answer phrase plus the domain terms; error codes stay numbers (jieba cuts them anyway)."""
    words = {normalize_text(term) for term in kb.domain_terms}
    for signal in kb.signals:
        for answer in signal.answers:
            words.update(normalize_text(p) for p in answer.phrases if not str(p).isdigit())
    return sorted(w for w in words if len(w) > 1)


def load_domain_dictionary(kb: KnowledgeBase) -> None:
    """Adds the domain words to jieba's global dictionary (idempotent per process)."""
    import jieba

    for word in dictionary_words(kb):
        if word not in _loaded:
            jieba.add_word(word, freq=WORD_FREQUENCY)
            _loaded.add(word)
