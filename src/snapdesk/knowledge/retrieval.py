"""Offline lexical retrieval: exact keys from the screenshot first, then BM25.

A screenshot usually shows something verbatim (an error code, an exception, a status label); a
passage containing it is the answer whatever the customer typed, so key matches outrank every
passage that only shares words. BM25 over character bigrams and crude English stems orders the rest
and breaks ties among key matches. Everything is in memory and deterministic.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from snapdesk.knowledge.passages import Passage
from snapdesk.knowledge.text import cjk_unigrams, normalize, tokens

K1 = 1.5
B = 0.75
HEADING_REPEAT = 2  # heading tokens count twice: the heading names what the passage is about
# Single characters only help when no bigram is shared ("退" vs "退款"); weighted low so that
# common characters do not outvote a real bigram match.
UNIGRAM_WEIGHT = 0.2
# The text before an article's first "## " is usually an overview ("this article explains..."):
# short, so BM25 favours it, yet rarely the answer. It is damped when the article has sections.
INTRO_WEIGHT = 0.6


@dataclass(frozen=True)
class Hit:
    passage: Passage
    # BM25 relevance to the query and keys together. Key matches are ranked first whatever their
    # score, so a key hit may carry a lower score than a word-only hit after it.
    score: float
    matched_keys: tuple[str, ...]  # the given keys this passage contains, in the order given
    focus: float = 0.0  # the part of `score` that the query's focus parts (the customer's question) gave


@dataclass(frozen=True)
class QueryPart:
    """One source of query words and how much it counts: the question itself, its translation into the
    knowledge base's other language, what the screenshot stresses, earlier turns."""

    text: str
    weight: float = 1.0
    focus: bool = False  # the customer's own question: its share of a score says whether a passage answers it


class BM25:
    """Okapi BM25 over pre-tokenised documents, with postings as numpy arrays."""

    def __init__(self, docs: Sequence[Sequence[str]]) -> None:
        self.n = len(docs)
        lengths = np.array([len(doc) for doc in docs], dtype=float)
        average = float(lengths.mean()) if self.n and lengths.sum() else 1.0
        # The length part of the denominator depends only on the document: computed once.
        self._norm = K1 * (1 - B + B * lengths / average)
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                ids, tfs = postings.setdefault(term, ([], []))
                ids.append(i)
                tfs.append(tf)
        self._postings = {
            term: (np.array(ids, dtype=np.intp), np.array(tfs, dtype=float)) for term, (ids, tfs) in postings.items()
        }

    def scores(self, query: Iterable[str]) -> np.ndarray:
        out = np.zeros(self.n)
        for term in dict.fromkeys(query):  # each distinct query term once
            posting = self._postings.get(term)
            if posting is None:
                continue
            ids, tf = posting
            idf = math.log(1 + (self.n - len(ids) + 0.5) / (len(ids) + 0.5))
            out[ids] += idf * tf * (K1 + 1) / (tf + self._norm[ids])
        return out


class Index:
    """Everything search needs, built once per KnowledgeBase (which caches it)."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = tuple(passages)
        words: list[list[str]] = []
        chars: list[list[str]] = []
        self._haystacks: list[str] = []
        for p in self.passages:
            # The article title is added once so a row like "ERR_1003 | ..." still carries its context.
            words.append(tokens(p.heading) * HEADING_REPEAT + tokens(p.article) + tokens(p.text))
            chars.append(cjk_unigrams(p.heading) * HEADING_REPEAT + cjk_unigrams(p.text))
            self._haystacks.append(normalize(f"{p.heading}\n{p.text}"))
        self._words = BM25(words)
        self._chars = BM25(chars)
        sectioned = {p.source for p in self.passages if p.heading}
        self._prior = np.array(
            [INTRO_WEIGHT if not p.heading and p.source in sectioned else 1.0 for p in self.passages]
        )

    def bm25(self, query: str) -> np.ndarray:
        """One score per passage, in passage order."""
        words = self._words.scores(tokens(query))
        return (words + UNIGRAM_WEIGHT * self._chars.scores(cjk_unigrams(query))) * self._prior

    def contains(self, i: int, pattern: re.Pattern[str]) -> bool:
        return pattern.search(self._haystacks[i]) is not None


def key_pattern(key: str) -> re.Pattern[str]:
    """Case- and width-insensitive pattern for `key`; an ASCII edge must sit on a token boundary.

    So "ERR_100" does not match inside "ERR_1003", while "待补充地址" matches anywhere, Chinese
    having no spaces. Inner whitespace is optional: "HTTP 502" also finds "HTTP502".
    """
    norm = normalize(key.strip())
    body = r"\s*".join(re.escape(part) for part in norm.split())
    start = r"(?<![a-z0-9_])" if re.match(r"[a-z0-9_]", norm) else ""
    end = r"(?![a-z0-9_])" if re.search(r"[a-z0-9_]$", norm) else ""
    return re.compile(start + body + end)


def rank(index: Index, query: str | Sequence[QueryPart], *, keys: Sequence[str] = (), limit: int = 5) -> list[Hit]:
    """Best passages for `query` and the exact `keys` seen on the screenshot, best first.

    `query` is one text, or weighted parts whose BM25 scores add up. Passages containing a key come
    first (more keys, then longer keys, then score); then the other passages with a score above zero.
    Ties keep passage order.
    """
    if limit <= 0 or not index.passages:
        return []
    wanted = list(dict.fromkeys(k.strip() for k in keys if k and k.strip()))
    patterns = [(key, key_pattern(key)) for key in wanted]
    parts = [QueryPart(query)] if isinstance(query, str) else list(query)
    # Keys join the query so that, among passages sharing a key, the one about it ranks first.
    scores = index.bm25(" ".join(wanted)) if wanted else np.zeros(len(index.passages))
    focus = np.zeros(len(index.passages))
    for part in parts:
        if part.text.strip() and part.weight:
            part_scores = part.weight * index.bm25(part.text)
            scores = scores + part_scores
            if part.focus:
                focus = focus + part_scores
    ranked: list[tuple[tuple[float, ...], Hit]] = []
    for i, passage in enumerate(index.passages):
        matched = tuple(key for key, pattern in patterns if index.contains(i, pattern))
        score = float(scores[i])
        if matched or score > 0:
            order = (-len(matched), -sum(len(k) for k in matched), -score, i)
            ranked.append((order, Hit(passage, score, matched, float(focus[i]))))
    ranked.sort(key=lambda item: item[0])
    return [hit for _, hit in ranked[:limit]]
