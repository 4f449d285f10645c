"""POS收款诊断助手's expert-system core: knowledge base, diagnosis engine, text matching.

Independent of Rasa; the actions, the web pages and the benchmarks all build on it.
"""

from pos_expert.engine import FIXED_ORDER, INFORMATION_GAIN, Diagnosis, DiagnosisEngine
from pos_expert.knowledge import UNKNOWN, KnowledgeBase, KnowledgeBaseError, default_knowledge_base, load_knowledge_base

__all__ = [
    "FIXED_ORDER",
    "INFORMATION_GAIN",
    "UNKNOWN",
    "Diagnosis",
    "DiagnosisEngine",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "default_knowledge_base",
    "load_knowledge_base",
]
