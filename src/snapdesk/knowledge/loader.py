"""Read a knowledge-base folder (kb.yaml + Markdown articles) into passages.

Each `## ` section is one passage and each row of a Markdown table is its own passage, so that an
error code found on a screenshot retrieves exactly its row. Problems an editor should fix (a missing
title, an unknown team) are collected instead of raised: one bad article must not take a shop offline.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import yaml

from snapdesk.errors import KnowledgeBaseError
from snapdesk.knowledge import segment
from snapdesk.knowledge.base import KnowledgeBase
from snapdesk.knowledge.passages import Passage, make_passage, unique_ids
from snapdesk.knowledge.text import (
    HEADING_RE,
    detect_language,
    is_table_rule,
    plain_line,
    strip_inline_markdown,
    table_cells,
    table_row,
)

DEFAULT_FALLBACK = {
    "zh": "抱歉，这个问题我暂时无法确认，已为您转接人工客服，请稍候。",
    "en": "Sorry, I can't confirm this from our help articles; I've passed your question to a support agent.",
}


def load_knowledge_base(path: str | Path) -> KnowledgeBase:
    """Load the folder at `path`; raises KnowledgeBaseError when nothing usable can be read."""
    root = Path(path)
    if not root.exists():
        raise KnowledgeBaseError(f"knowledge base folder not found: {root}")
    if not root.is_dir():
        raise KnowledgeBaseError(f"knowledge base path is not a folder: {root}")
    md_files = article_files(root)
    if not md_files:
        raise KnowledgeBaseError(f"knowledge base folder has no .md articles: {root}")

    problems: list[str] = []
    config, config_bytes = _read_config(root)
    digest = hashlib.sha256()
    if config_bytes is not None:
        _hash_file(digest, "kb.yaml", config_bytes)

    texts: list[tuple[str, str]] = []  # (source, text) of every readable article
    for file in md_files:
        source = file.relative_to(root).as_posix()
        try:
            data = file.read_bytes()
        except OSError as exc:
            problems.append(f"{source}: cannot be read ({exc.strerror or exc}), skipped")
            continue
        _hash_file(digest, source, data)
        try:
            texts.append((source, data.decode("utf-8-sig")))
        except UnicodeDecodeError:
            problems.append(f"{source}: not UTF-8 text, skipped")

    language = _language(config, problems) or detect_language("\n".join(t for _, t in texts))
    teams = _teams(config.get("teams"), problems)
    passages: list[Passage] = []
    for source, text in texts:
        found, article_problems = parse_article(source, text, language, teams)
        passages.extend(found)
        problems.extend(article_problems)
    if not passages:
        raise KnowledgeBaseError(f"no passage could be read from the knowledge base in {root}")
    # Before the index is built: the business's own words segment whole.
    segment.learn("\n".join(text for _, text in texts))
    segment.add_terms(vocabulary(passages))
    if not teams:  # a plain folder of FAQs: the teams are whatever its hand-over lines name
        teams = list(dict.fromkeys(p.escalate_to for p in passages if p.escalate_to))
    fallback = config.get("fallback")
    if fallback is not None and not (isinstance(fallback, str) and fallback.strip()):
        problems.append("kb.yaml: fallback must be a non-empty string, using the default")
        fallback = None
    name = config.get("name")
    return KnowledgeBase(
        path=root,
        name=str(name).strip() if name not in (None, "") else root.resolve().name,
        language=language,
        teams=tuple(teams),
        fallback=fallback.strip() if fallback else DEFAULT_FALLBACK[language],
        passages=tuple(unique_ids(passages)),
        version=digest.hexdigest()[:16],
        problems=tuple(problems),
    )


def vocabulary(passages: Sequence[Passage]) -> list[str]:
    """The business's own terms: labels and quoted UI strings, table headers, short headings."""
    terms: list[str] = []
    for passage in passages:
        terms.extend(passage.keys)
        terms.extend(passage.row or ())
        if len(passage.heading) <= 8:
            terms.append(passage.heading)
    return list(dict.fromkeys(terms))


def article_files(root: Path) -> list[Path]:
    """Every *.md below `root`, sorted, skipping hidden folders such as .git (the store watches these)."""
    found = (p for p in root.rglob("*.md") if p.is_file())
    visible = (p for p in found if not any(part.startswith(".") for part in p.relative_to(root).parts))
    return sorted(visible, key=lambda p: p.relative_to(root).as_posix())


def _hash_file(digest: hashlib._Hash, name: str, data: bytes) -> None:
    # Length prefixes keep "a"+"bc" and "ab"+"c" from hashing alike.
    encoded = name.encode("utf-8")
    digest.update(len(encoded).to_bytes(8, "big") + encoded + len(data).to_bytes(8, "big") + data)


def _read_config(root: Path) -> tuple[dict[str, object], bytes | None]:
    file = root / "kb.yaml"
    if not file.is_file():
        return {}, None
    try:
        data = file.read_bytes()
        config = yaml.safe_load(data.decode("utf-8-sig"))
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise KnowledgeBaseError(f"kb.yaml in {root} is not valid YAML: {detail}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeBaseError(f"kb.yaml in {root} cannot be read as UTF-8 text: {exc}") from exc
    if config is None:  # an empty or all-comment file means "all defaults"
        return {}, data
    if not isinstance(config, dict):
        raise KnowledgeBaseError(f"kb.yaml in {root} must be a mapping of keys, not {type(config).__name__}")
    return config, data


def _language(config: dict[str, object], problems: list[str]) -> str | None:
    value = config.get("language")
    code = str(value).strip().lower()[:2]
    if value is not None and code not in ("zh", "en"):
        problems.append(f"kb.yaml: language {value!r} is not zh or en, detecting it from the text")
    return code if value is not None and code in ("zh", "en") else None


def _teams(value: object, problems: list[str]) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        problems.append("kb.yaml: teams must be a list of names, ignored")
        value = None
    return list(dict.fromkeys(v.strip() for v in value or () if v.strip()))


# --- Markdown article -> passages ---

_ESCALATE_RE = re.compile(r"^(?:[-*+]\s+)?(?:转人工|escalate(?:\s+to)?)\s*[:：]\s*(.+?)[。.；;]?$", re.IGNORECASE)
_Line = tuple[str, bool]  # (line, inside a ``` fence): fenced lines are never tables or hand-over lines


def parse_article(source: str, text: str, language: str, teams: Sequence[str] = ()) -> tuple[list[Passage], list[str]]:
    """Split one article into passages; returns them with the problems found.

    With `teams` given, a hand-over to another team is a problem, and a known team named with other
    spacing or case ("app技术组") is spelled as kb.yaml spells it.
    """
    title: str | None = None
    sections: list[tuple[str, list[_Line]]] = [("", [])]
    fenced = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        match = None if fenced else HEADING_RE.match(line)
        if match and len(match.group(1)) == 1 and title is None:
            title = strip_inline_markdown(match.group(2))
        elif match and len(match.group(1)) <= 2:  # a second "# " starts a section like "## "
            sections.append((strip_inline_markdown(match.group(2)), []))
        else:
            sections[-1][1].append((line, fenced))
    problems = [] if title else [f"{source}: no '# ' title, using the file name"]
    article = title or Path(source).stem
    passages: list[Passage] = []
    for heading, lines in sections:
        passages.extend(_section(source, article, heading, lines, language, teams, problems))
    return passages, problems


def _section(
    source: str,
    article: str,
    heading: str,
    lines: list[_Line],
    language: str,
    teams: Sequence[str],
    problems: list[str],
) -> list[Passage]:
    prose: list[str] = []
    rows: list[dict[str, str]] = []
    team: str | None = None
    i = 0
    while i < len(lines):
        line, fenced = lines[i]
        following = lines[i + 1] if i + 1 < len(lines) else ("", True)
        if not fenced and "|" in line and not following[1] and is_table_rule(following[0]):
            header = table_cells(line)
            i += 2
            while i < len(lines) and not lines[i][1] and "|" in lines[i][0]:
                cells = table_cells(lines[i][0])
                if len(cells) != len(header):
                    problems.append(
                        f"{source}#{heading}: table row {len(rows) + 1} has {len(cells)} cells,"
                        f" the header has {len(header)}"
                    )
                rows.append(table_row(header, cells))
                i += 1
            continue
        i += 1
        plain = line.rstrip() if fenced else plain_line(line)
        marker = None if fenced else _ESCALATE_RE.match(plain)
        if marker:
            team = team or marker.group(1).strip()
        elif plain.strip():
            prose.append(plain)

    if team and teams:
        known = {"".join(t.split()).casefold(): t for t in teams}
        loose = "".join(team.split()).casefold()
        if loose not in known:
            problems.append(f"{source}#{heading}: hands over to {team!r}, which is not in kb.yaml teams")
        team = known.get(loose, team)
    passages: list[Passage] = []
    body = "\n".join(prose)
    if body or (team and not rows):
        passages.append(make_passage(source, article, heading, body, team))
    elif heading and not rows:
        problems.append(f"{source}#{heading}: empty section")
    sep, end = ("：", "；") if language == "zh" else (": ", "; ")
    for row in rows:
        text = end.join(f"{h}{sep}{c}" for h, c in row.items() if c)
        passages.append(make_passage(source, article, heading, text, team, row))
    return passages
