"""How long customers waited for people, per team: from a hand-over to the first person's reply in its case, and
to the case's resolution, for the console's charts (every replica's cases, from the database; /metrics has the
same times as histograms of the process that recorded them).

A case's hand-overs share its reply and resolution moments (store/inbox.py changes them together), so a case is
counted once: its rows grouped by conversation and that moment, timed from the earliest hand-over of the group.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from snapdesk.store.models import Handover


def case_times(s: Session, *, since: datetime, until: datetime, quantile: Any) -> list[dict[str, Any]]:
    """Per team (null: the default), the cases handed over in [since, until): how many, how many a person replied
    to and resolved, and the p50 / p90 seconds to each, most cases first."""
    rows = s.execute(
        select(
            Handover.team, Handover.conversation_id, Handover.created_at, Handover.first_reply_at, Handover.resolved_at
        ).where(Handover.created_at >= since, Handover.created_at < until)
    ).all()
    cases: dict[str | None, set[tuple[str, Any]]] = defaultdict(set)
    waits: dict[str, dict[tuple[str | None, str, datetime], datetime]] = {"first_reply": {}, "resolve": {}}
    for team, conversation, created, replied, resolved in rows:
        cases[team].add((conversation, resolved or "open"))  # the hand-overs of one case share its resolution
        for name, moment in (("first_reply", replied), ("resolve", resolved)):
            if moment is not None:
                key = (team, conversation, moment)
                waits[name][key] = min(created, waits[name].get(key, created))
    teams = []
    for team in sorted(cases, key=lambda t: (-len(cases[t]), t or "")):
        row: dict[str, Any] = {"team": team, "cases": len(cases[team])}
        for name, started in waits.items():
            seconds = [(moment - begun).total_seconds() for (t, _, moment), begun in started.items() if t == team]
            row[name] = {"n": len(seconds), "p50": quantile(seconds, 0.5), "p90": quantile(seconds, 0.9)}
        teams.append(row)
    return teams
