"""API keys: the secret is shown once and never stored; verify, list, revoke."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from snapdesk.store import Store
from snapdesk.store.keys import hash_secret


def test_secret_is_never_stored(store: Store, db_url: str) -> None:
    _, secret = store.create_api_key(name="ops", admin=True)
    assert secret.startswith("sdk_") and len(secret) > 40
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM api_keys")).mappings().all()
    assert len(rows) == 1
    assert all(secret not in str(value) for value in rows[0].values())
    assert rows[0]["key_hash"] == hash_secret(secret)
    assert rows[0]["prefix"] == secret[:8]
    if db_url.startswith("sqlite:///"):  # nor anywhere in the database files, journal included
        store.dispose()
        db_file = Path(db_url.removeprefix("sqlite:///"))
        for path in db_file.parent.glob(db_file.name + "*"):
            assert secret.encode() not in path.read_bytes()


def test_verify_list_and_revoke(store: Store) -> None:
    assert store.has_api_keys() is False
    admin_id, admin_secret = store.create_api_key(name="admin", admin=True)
    user_id, user_secret = store.create_api_key(name="shop-frontend")
    assert store.has_api_keys() is True

    agent_id, agent_secret = store.create_api_key(name="alice", role="agent")
    assert store.verify_api_key(secret=admin_secret) == {"id": admin_id, "name": "admin", "role": "admin"}
    assert store.verify_api_key(secret=user_secret) == {"id": user_id, "name": "shop-frontend", "role": "client"}
    assert store.verify_api_key(secret=agent_secret) == {"id": agent_id, "name": "alice", "role": "agent"}
    assert store.verify_api_key(secret="sdk_not-a-key") is None
    assert store.verify_api_key(secret="") is None

    listed = store.list_api_keys()
    assert [k["id"] for k in listed] == [admin_id, user_id, agent_id]
    assert set(listed[0]) == {"id", "name", "prefix", "role", "created_at", "revoked_at"}
    assert listed[1]["prefix"] == user_secret[:8] and listed[1]["revoked_at"] is None

    assert store.revoke_api_key(key_id=user_id) is True
    assert store.revoke_api_key(key_id=user_id) is False  # already revoked
    assert store.revoke_api_key(key_id="0" * 32) is False
    assert store.verify_api_key(secret=user_secret) is None
    assert store.list_api_keys()[1]["revoked_at"] is not None

    store.revoke_api_key(key_id=admin_id)
    store.revoke_api_key(key_id=agent_id)
    assert store.has_api_keys() is False


def test_a_key_has_one_known_role(store: Store) -> None:
    with pytest.raises(ValueError, match="role"):
        store.create_api_key(name="x", role="superuser")
    with pytest.raises(ValueError, match="role"):
        store.create_api_key(name="x", admin=True, role="agent")


def test_secrets_are_unique(store: Store) -> None:
    secrets = {store.create_api_key(name=f"k{i}")[1] for i in range(20)}
    assert len(secrets) == 20
