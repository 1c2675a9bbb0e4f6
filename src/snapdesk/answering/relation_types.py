"""The types every relation builder shares: the relation stated to the customer, what a builder found (with
the numbers it read, to check), and the case it builds from. Kept apart so relations.py can import the
builders (deadlines.py, coupons.py, money.py) and the builders these types, all at module top."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..perception.fields import Fields
from .arithmetic import Rule


@dataclass(frozen=True)
class Relation:
    kind: str
    zh: str
    en: str
    numbers: tuple[str, ...] = ()  # the figures computed, as written in zh and en
    # The question asks about it (its words, a number or label it reads), or it is the screen's own problem
    # (over a limit, short of a balance or threshold, a quota nearly used, past a promised date).
    asked: bool = False


@dataclass(frozen=True)
class Found:
    relation: Relation
    inputs: tuple[Decimal, ...]  # every number it read: each must be on the screen, in the question or a passage
    cues: tuple[str, ...] = ()  # words whose mention in the question says it is the relation asked about


@dataclass(frozen=True)
class Case:
    fields: Fields
    question: str
    rules: list[Rule]  # the passages' table rows and sentences, best passage first
    passages: Sequence[str]
    screen: tuple[str, ...] = ()  # the screen's paragraphs in reading order (Offer.block indexes them)
