"""How long customers waited for people, per team: from a hand-over to the first person's reply in its case, and
to the case's resolution, for the console's charts (every replica's cases, from the database; /metrics has the
same times as histograms of the process that recorded them).

A case's hand-overs share its reply and resolution moments (store/inbox.py changes them together), so a case is
counted once: its rows grouped by conversation and resolution, timed from the earliest hand-over of the group, and
counted in the window its first hand-over falls in (a case handed over again later is not a new one).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from snapdesk.store.base import quantile
from snapdesk.store.models import Handover


def case_times(s: Session, *, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Per team (null: the default), the cases first handed over in [since, until): how many, how many a person
    replied to and resolved, and the p50 / p90 seconds to each, most cases first. A case belongs to the team of its
    first hand-over."""
    ongoing = or_(Handover.created_at >= since, Handover.resolved_at.is_(None), Handover.resolved_at >= since)
    rows = s.execute(
        select(
            Handover.team, Handover.conversation_id, Handover.created_at, Handover.first_reply_at, Handover.resolved_at
        )
        .where(Handover.created_at < until, ongoing)
        .order_by(Handover.created_at)
    ).all()
    cases: dict[tuple[str, Any], tuple[str | None, datetime, datetime | None, datetime | None]] = {}
    for team, conversation, created, replied, resolved in rows:  # oldest first: a case's first row names it
        cases.setdefault((conversation, resolved or "open"), (team, created, replied, resolved))
    per_team: dict[str | None, list[tuple[datetime, datetime | None, datetime | None]]] = defaultdict(list)
    for team, begun, replied, resolved in cases.values():
        if since <= begun < until:
            per_team[team].append((begun, replied, resolved))
    teams = []
    for team, found in sorted(per_team.items(), key=lambda item: (-len(item[1]), item[0] or "")):
        row: dict[str, Any] = {"team": team, "cases": len(found)}
        for name, at in (("first_reply", 1), ("resolve", 2)):
            seconds = [(case[at] - case[0]).total_seconds() for case in found if case[at] is not None]
            row[name] = {"n": len(seconds), "p50": quantile(seconds, 0.5), "p90": quantile(seconds, 0.9)}
        teams.append(row)
    return teams
