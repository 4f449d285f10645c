"""The domain dictionary for jieba: shared by the spaCy pipeline build and by Rasa at run time."""
from __future__ import annotations

from typing import List, Tuple

from pos_expert.knowledge import KnowledgeBase
from pos_expert.text import normalize_text

# High enough that jieba keeps a listed word whole, low enough not to swallow its neighbours.
WORD_FREQUENCY = 50000
_loaded: set = set()


NEGATION_PREFIXES = ("没有", "没", "不", "未", "无", "从没", "从未")


def lexicon_entries(kb: KnowledgeBase) -> List[Tuple[str, str, str]]:
    """(normalised phrase, signal id, answer id) for every answer phrase, plus the negated forms
    ("没有死机" -> the answer named by `when_negated`) that the word segmenter must keep whole."""
    entries = []
    for signal in kb.signals:
        for answer in signal.answers:
            for phrase in answer.phrases:
                phrase = normalize_text(phrase)
                entries.append((phrase, signal.id, answer.id))
                if answer.when_negated:
                    entries += [(cue + phrase, signal.id, answer.when_negated) for cue in NEGATION_PREFIXES]
    return entries


def dictionary_words(kb: KnowledgeBase) -> List[str]:
    """Every lexicon entry plus the domain terms; error codes stay numbers (jieba cuts them anyway)."""
    words = {normalize_text(term) for term in kb.domain_terms}
    words.update(phrase for phrase, _, _ in lexicon_entries(kb) if not phrase.isdigit())
    return sorted(w for w in words if len(w) > 1)


def load_domain_dictionary(kb: KnowledgeBase) -> None:
    """Adds the domain words to jieba's global dictionary (idempotent per process)."""
    import jieba

    for word in dictionary_words(kb):
        if word not in _loaded:
            jieba.add_word(word, freq=WORD_FREQUENCY)
            _loaded.add(word)
