"""The business's knowledge base: loading Markdown articles, exact-key + BM25 retrieval, hot reload."""

from __future__ import annotations

from snapdesk.knowledge.base import KnowledgeBase, search
from snapdesk.knowledge.loader import load_knowledge_base
from snapdesk.knowledge.passages import Passage
from snapdesk.knowledge.retrieval import Hit, QueryPart
from snapdesk.knowledge.store import KnowledgeStore, demo_kb_path

__all__ = [
    "Hit",
    "KnowledgeBase",
    "KnowledgeStore",
    "Passage",
    "QueryPart",
    "demo_kb_path",
    "load_knowledge_base",
    "search",
]
