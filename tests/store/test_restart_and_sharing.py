"""State outlives the process: a new Store on the same database and folder sees everything, and two Stores
on one PostgreSQL (two app processes) see each other's writes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from snapdesk.store import Store, current_revision, head_revision


def test_a_restart_sees_everything(make_store: Callable[[], Store]) -> None:
    first = make_store()
    cid = first.create_conversation(owner="key1")
    q = first.add_user_message(conversation_id=cid, text="q", image_digest=None)
    first.complete_message(message_id=q, status="failed", error_code="engine_down")
    answer = first.add_assistant_message(
        conversation_id=cid,
        text="a",
        intent=None,
        escalate=True,
        team="t",
        tier="fallback",
        cached=False,
        latency_ms=1.0,
        evidence={"k": [1, 2]},
    )
    first.add_feedback(message_id=answer, owner="key1", rating="down")
    hid = first.add_handover(conversation_id=cid, message_id=answer, team="t", summary={"s": 1})
    key_id, secret = first.create_api_key(name="k")
    image = b"screenshot"
    digest = "sha256:" + hashlib.sha256(image).hexdigest()
    first.save_image(digest=digest, data=image)
    before = first.conversation(conversation_id=cid, owner="key1")
    first.dispose()

    second = make_store()  # upgrade() again on start: a no-op
    assert second.conversation(conversation_id=cid, owner="key1") == before
    assert [h["id"] for h in second.undelivered_handovers()] == [hid]
    assert second.verify_api_key(secret=secret) == {"id": key_id, "name": "k", "role": "client"}
    assert second.image_bytes(digest=digest) == image
    assert second.history(conversation_id=cid)[0]["status"] == "failed"


def test_two_stores_see_each_others_writes(make_store: Callable[[], Store]) -> None:
    a, b = make_store(), make_store()
    cid = a.create_conversation(owner="key1")
    b.add_user_message(conversation_id=cid, text="from b", image_digest=None)
    conv = a.conversation(conversation_id=cid, owner="key1")
    assert conv is not None and [m["text"] for m in conv["messages"]] == ["from b"]
    key_id, secret = b.create_api_key(name="shared")
    assert a.verify_api_key(secret=secret) is not None
    a.revoke_api_key(key_id=key_id)
    assert b.verify_api_key(secret=secret) is None


def test_ping(store: Store) -> None:
    assert store.ping() is True
    assert Store("postgresql+psycopg://nobody@127.0.0.1:1/none", data_dir=Path(store.data_dir)).ping() is False


def test_from_settings_defaults_to_sqlite_in_the_data_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"
    store = Store.from_settings(SimpleNamespace(database_url=None, data_dir=data_dir))
    try:
        store.upgrade()
        assert store.engine.dialect.name == "sqlite"
        assert (data_dir / "snapdesk.db").is_file()
        assert current_revision(store.url) == head_revision()
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.dispose()


def test_from_settings_uses_the_database_url(db_url: str, tmp_path: Path) -> None:
    store = Store.from_settings(SimpleNamespace(database_url=db_url, data_dir=tmp_path / "d"))
    try:
        store.upgrade()
        assert store.url == db_url and store.ping()
    finally:
        store.dispose()
