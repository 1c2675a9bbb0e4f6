"""Stored screenshots: content-addressed paths, atomic writes, idempotent saves, purging by age."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import pytest

from snapdesk.store import Store
from snapdesk.store.base import utcnow
from snapdesk.store.images import TEMP_PREFIX
from snapdesk.store.models import StoredImage


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _files(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "images").rglob("*") if p.is_file())


def test_path_comes_from_the_digest_only(store: Store, data_dir: Path) -> None:
    data = b"\x89PNG fake screenshot bytes"
    digest = _digest(data)
    hex_ = digest.removeprefix("sha256:")
    path = store.save_image(digest=digest, data=data)
    assert path == data_dir / "images" / hex_[:2] / hex_[2:4] / f"{hex_}.png"
    assert path.read_bytes() == data
    assert store.image_bytes(digest=digest) == data
    assert store.image_bytes(digest=_digest(b"never saved")) is None


def test_saving_again_is_idempotent(store: Store, data_dir: Path) -> None:
    data = b"same bytes"
    digest = _digest(data)
    first = store.save_image(digest=digest, data=data)
    with store.engine.connect() as conn:
        used_before = conn.scalar(StoredImage.__table__.select().with_only_columns(StoredImage.last_used_at))
    assert store.save_image(digest=digest, data=data) == first
    with store.engine.connect() as conn:
        rows = conn.execute(StoredImage.__table__.select()).all()
    assert len(rows) == 1 and rows[0].last_used_at > used_before and rows[0].byte_size == len(data)
    assert _files(data_dir) == [first]

    first.unlink()  # the file went missing (a restore from backup, say): saving again puts it back
    assert store.save_image(digest=digest, data=data).read_bytes() == data


@pytest.mark.parametrize(
    ("digest", "suffix"),
    [
        ("sha256:../../etc/passwd", ".png"),
        ("md5:" + "a" * 32, ".png"),
        ("sha256:" + "A" * 64, ".png"),
        (None, "/../../x"),
        (None, ".png/.."),
    ],
)
def test_no_caller_chosen_names(store: Store, data_dir: Path, digest: str | None, suffix: str) -> None:
    data = b"img"
    with pytest.raises(ValueError):
        store.save_image(digest=digest or _digest(data), data=data, suffix=suffix)
    assert not (data_dir / "images").exists()


def test_the_first_bytes_for_a_digest_are_kept(store: Store) -> None:
    # The intake's digest covers pixels, not the file: a re-encoded copy of a screenshot shares it.
    digest = _digest(b"pixels")
    path = store.save_image(digest=digest, data=b"png encoding")
    assert store.save_image(digest=digest, data=b"jpeg encoding of the same pixels") == path
    assert store.image_bytes(digest=digest) == b"png encoding"


def test_writes_leave_no_temporary_files(store: Store, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(3):
        store.save_image(digest=_digest(b"img%d" % i), data=b"img%d" % i)
    assert not [p for p in (data_dir / "images").rglob(TEMP_PREFIX + "*")]

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    data = b"interrupted"
    with pytest.raises(OSError, match="disk full"):
        store.save_image(digest=_digest(data), data=data)
    monkeypatch.undo()
    assert not [p for p in (data_dir / "images").rglob(TEMP_PREFIX + "*")]
    assert len(_files(data_dir)) == 3
    assert store.image_bytes(digest=_digest(data)) is None  # and no row for a file that was never written


def test_purge_deletes_only_images_unused_for_long_enough(store: Store, data_dir: Path) -> None:
    old, reused, new = b"old", b"reused", b"new"
    old_path = store.save_image(digest=_digest(old), data=old)
    store.save_image(digest=_digest(reused), data=reused)
    between = utcnow()
    store.save_image(digest=_digest(new), data=new)
    store.save_image(digest=_digest(reused), data=reused)  # sent again: counts as recent

    assert store.purge_images(older_than=timedelta(days=30), now=between + timedelta(days=29)) == 0
    assert store.purge_images(older_than=timedelta(days=30), now=between + timedelta(days=30)) == 1
    assert not old_path.exists() and not old_path.parent.exists()  # empty fan-out folders go too
    assert store.image_bytes(digest=_digest(old)) is None
    assert store.image_bytes(digest=_digest(reused)) == reused
    assert store.image_bytes(digest=_digest(new)) == new
    assert len(_files(data_dir)) == 2

    assert store.purge_images(older_than=timedelta(0), now=utcnow() + timedelta(seconds=1)) == 2
    assert _files(data_dir) == []
    assert store.save_image(digest=_digest(old), data=old).read_bytes() == old  # purged images can come back
