"""How much of an answer's opening restates the screen: for each case of a results file, the share of the
first 300 characters (normalised as the scorer does) that lies inside a run of 8 or more characters also
found in the screenshot's OCR text (the set's ocr_dump.jsonl). Prints the mean over the cases with a
screenshot.

    .venv/bin/python benchmarks/restating.py ../shared/eval/dev-real dev-real.results.jsonl
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from snapdesk.evaluation.scoring import WINDOW, normalise

RUN = 8  # a shorter shared run is a word or a number, not a restated line


def restated_share(answer: str, screen: str) -> float:
    head, text = normalise(answer)[:WINDOW], normalise(screen)
    if not head or not text:
        return 0.0
    covered = [False] * len(head)
    for start in range(len(head) - RUN + 1):
        if head[start : start + RUN] in text:
            for i in range(start, start + RUN):
                covered[i] = True
    return sum(covered) / len(head)


def main(argv: list[str]) -> int:
    folder, results = Path(argv[0]), Path(argv[1])
    screens = {}
    for line in (folder / "ocr_dump.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        screens[record["id"]] = record["answer"]
    shares = []
    for line in results.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if screens.get(record["id"]):
            shares.append(restated_share(record["answer"], screens[record["id"]]))
    print(
        f"{len(shares)} cases: mean share of the first {WINDOW} characters restating the screen "
        f"{statistics.fmean(shares):.1%}, median {statistics.median(shares):.1%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
