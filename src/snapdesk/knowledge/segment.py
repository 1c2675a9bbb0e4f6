"""Chinese word segmentation (jieba) beside character bigrams, with the business's own terms added.

Bigrams match abbreviations well ("验证码过期" vs "验证码已过期") but cannot tell a three- or
four-character word ("优惠券", "购物车") from its halves; words from a segmenter make such a match count
more. jieba's dictionary ships in its wheel; only its more frequent words are loaded (the full table
costs ~65 MB of memory for words a support knowledge base never uses), and each knowledge base adds
its own vocabulary (headings, table headers and first cells, quoted UI strings) when it loads, so a
shop's product or feature names segment as one word. One segmenter per process, built on first use.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import jieba

# Words rarer than this in jieba's corpus counts are left out of the dictionary (52k of 349k remain).
MIN_FREQUENCY = 50
# A business's term longer than this is a phrase ("退款到账时间"): its words and bigrams already match it.
MAX_TERM = 4
_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_added: set[str] = set()


def _dictionary_lines() -> Iterator[tuple[bytes, str, int]]:
    with (Path(jieba.__file__).parent / "dict.txt").open("rb") as source:
        for line in source:
            parts = line.split()
            if len(parts) >= 2:
                yield line, parts[0].decode("utf-8"), int(parts[1])


def _build() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    kept = io.BytesIO()
    for line, _, frequency in _dictionary_lines():
        if frequency >= MIN_FREQUENCY:
            kept.write(line)
    kept.seek(0)
    tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(kept)
    tokenizer.initialized = True  # the dictionary above replaces jieba's own loading and its disk cache
    return tokenizer


def learn(text: str) -> None:
    """Add the rarer dictionary words that `text` (a knowledge base) uses: 优惠券, 验证码 and 购物车 are rare in
    jieba's general corpus, common in support; only those the business writes are loaded."""
    pieces = {text[i : i + n] for n in range(2, 6) for i in range(len(text) - n + 1)}
    found = [
        (word, frequency) for _, word, frequency in _dictionary_lines() if frequency < MIN_FREQUENCY and word in pieces
    ]
    tokenizer = segmenter()
    with _lock:
        for word, frequency in found:
            if word not in tokenizer.FREQ or not tokenizer.FREQ[word]:
                tokenizer.add_word(word, freq=frequency)


def segmenter() -> jieba.Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                _tokenizer = _build()
    return _tokenizer


def add_terms(terms: Iterable[str]) -> None:
    """Teach the segmenter a business's own words (short Chinese terms from its knowledge base)."""
    tokenizer = segmenter()
    with _lock:
        for term in terms:
            term = term.strip()
            if 2 <= len(term) <= MAX_TERM and term not in _added and all("\u4e00" <= ch <= "\u9fff" for ch in term):
                tokenizer.add_word(term, freq=max(tokenizer.suggest_freq(term), 20000))
                _added.add(term)


def words(run: str) -> list[str]:
    """Words of three or more characters in a run of ideographs (two-character words are bigrams already)."""
    return [word for word in segmenter().lcut_for_search(run, HMM=False) if len(word) >= 3]
