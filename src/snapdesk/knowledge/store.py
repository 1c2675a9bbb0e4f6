"""Keep the current KnowledgeBase for a folder and reload it when a business edits its files.

A service answers from the last good load: an editor saving a half-written kb.yaml must not take the
assistant offline, so a failed reload is recorded in `last_error` and the previous KB keeps serving.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path

from snapdesk.knowledge.base import KnowledgeBase
from snapdesk.knowledge.loader import article_files, load_knowledge_base

_Snapshot = tuple[tuple[str, int, int], ...]  # (relative name, mtime_ns, size) per watched file


def demo_kb_path() -> Path:
    """The demo knowledge base bundled with the package."""
    return Path(str(files("snapdesk") / "demo_kb"))


class KnowledgeStore:
    """Holds the current KnowledgeBase for a folder and reloads it when its files change."""

    def __init__(self, path: str | Path, *, check_interval: float = 1.0) -> None:
        self.path = Path(path)
        self.check_interval = check_interval
        self.last_error: str | None = None  # why the latest reload failed; None once one succeeds
        self._lock = threading.Lock()
        # Snapshot before loading: an edit made during the load then shows up as a change next time.
        self._snapshot = self._take_snapshot()
        self._kb = load_knowledge_base(self.path)  # the first load raises: there is nothing to serve
        self.loaded_at = datetime.now(timezone.utc)  # when the KB now serving was loaded (the console shows it)
        self._checked_at = time.monotonic()

    def current(self) -> KnowledgeBase:
        """The newest KB that loaded; stats the folder at most every `check_interval` seconds."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at < self.check_interval:
                return self._kb
            self._checked_at = now
            snapshot = self._take_snapshot()
            if snapshot != self._snapshot:
                # Remember the snapshot even if the load fails, so a broken file is not re-parsed
                # every interval; the next save changes the snapshot and triggers another try.
                self._snapshot = snapshot
                self._load()
            return self._kb

    def reload(self) -> KnowledgeBase:
        """Load the folder now, changed or not (the console's reload button); on failure the previous KB keeps
        serving and `last_error` says why."""
        with self._lock:
            self._snapshot = self._take_snapshot()
            self._checked_at = time.monotonic()
            self._load()
            return self._kb

    def _load(self) -> None:
        try:
            self._kb = load_knowledge_base(self.path)
            self.loaded_at = datetime.now(timezone.utc)
            self.last_error = None
        except Exception as exc:  # any failure: keep serving the last good KB
            self.last_error = str(exc) or type(exc).__name__

    @property
    def version(self) -> str:
        return self.current().version

    def _take_snapshot(self) -> _Snapshot:
        try:
            watched = [*article_files(self.path), self.path / "kb.yaml"]
        except OSError:  # the folder itself is gone or unreadable
            return ()
        entries: list[tuple[str, int, int]] = []
        for file in watched:
            try:
                stat = file.stat()
            except OSError:  # kb.yaml is optional; a file may vanish between listing and stat
                continue
            entries.append((file.relative_to(self.path).as_posix(), stat.st_mtime_ns, stat.st_size))
        return tuple(entries)
