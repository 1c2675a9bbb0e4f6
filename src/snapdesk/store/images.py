"""Screenshots on disk, content-addressed: `images/<hex[:2]>/<hex[2:4]>/<hex><suffix>` under the data folder.

The file name comes only from the digest of the bytes, never from anything the user sent, so no upload
can choose where it lands. Files are written to a temporary name in the same folder and moved into place
with os.replace, so a reader (or a crash) never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from snapdesk.store.base import StoreBase, utcnow
from snapdesk.store.models import StoredImage

_DIGEST = re.compile(r"sha256:([0-9a-f]{64})")
_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}")
TEMP_PREFIX = ".tmp-"


def image_relpath(digest: str, suffix: str = ".png") -> str:
    """Where an image with this digest lives, relative to the data folder (forward slashes on every OS)."""
    match = _DIGEST.fullmatch(digest)
    if match is None:
        raise ValueError(f"not a sha256 digest: {digest!r}")
    if _SUFFIX.fullmatch(suffix) is None:
        raise ValueError(f"bad file suffix: {suffix!r}")
    hex_ = match.group(1)
    return f"images/{hex_[:2]}/{hex_[2:4]}/{hex_}{suffix}"


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that the file is either absent, or old, or complete; never partial."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class ImageStore(StoreBase):
    def save_image(self, *, digest: str, data: bytes, suffix: str = ".png") -> Path:
        """Store the bytes under their digest and return the file's path; saving the same digest again only
        refreshes last_used_at (and rewrites the file if it went missing).

        The digest is the intake's (`PreparedImage.digest`, over the decoded pixels), not a hash of `data`:
        the same screenshot re-encoded has the same digest, and the first bytes saved for it are kept.
        """
        relpath = image_relpath(digest, suffix)
        for attempt in range(2):
            now = utcnow()
            try:
                with self._session() as s, s.begin():
                    row = s.get(StoredImage, digest)
                    if row is None:
                        row = StoredImage(digest=digest, path=relpath, byte_size=len(data), created_at=now)
                        s.add(row)
                    row.last_used_at = now
                    path = self.data_dir / row.path
                    if not path.is_file():
                        write_atomically(path, data)  # inside the transaction: a failed write records nothing
                return path
            except (IntegrityError, StaleDataError):
                # Another process inserted (or purged) the same digest between our read and our write; the
                # retry sees its result and inserts or updates accordingly.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def image_bytes(self, *, digest: str) -> bytes | None:
        """The stored bytes, or None when the image is unknown, purged, or its file is gone."""
        with self._session() as s, s.begin():
            relpath = s.scalar(select(StoredImage.path).where(StoredImage.digest == digest))
        if relpath is None:
            return None
        try:
            return (self.data_dir / relpath).read_bytes()
        except FileNotFoundError:
            return None

    def delete_image(self, *, digest: str) -> bool:
        """Forget one stored screenshot (row and file), e.g. an upload kept unread that intake refuses once read;
        False when there was none."""
        with self._session() as s, s.begin():
            row = s.get(StoredImage, digest)
            if row is None:
                return False
            path = self.data_dir / row.path
            s.delete(row)
            s.flush()  # the row goes first: if deleting it fails, the file is still there for it
            path.unlink(missing_ok=True)
        return True

    def purge_images(self, *, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete the images last used before `now - older_than` (files and rows); returns how many."""
        cutoff = (now or utcnow()) - older_than
        purged = 0
        with self._session() as s, s.begin():
            rows = s.execute(select(StoredImage.digest, StoredImage.path).where(StoredImage.last_used_at < cutoff))
            candidates = rows.all()
        for digest, relpath in candidates:
            with self._session() as s, s.begin():
                # Re-check the age in the DELETE: an upload of the same image since the SELECT keeps it alive.
                result = s.execute(
                    delete(StoredImage).where(StoredImage.digest == digest, StoredImage.last_used_at < cutoff)
                )
                if result.rowcount != 1:
                    continue
                path = self.data_dir / relpath
                path.unlink(missing_ok=True)
                purged += 1
            for folder in (path.parent, path.parent.parent):  # tidy the fan-out folders once they are empty
                with contextlib.suppress(OSError):
                    folder.rmdir()
        return purged
