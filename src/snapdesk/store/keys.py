"""API keys: only the sha256 of a secret is stored, so a leaked database gives no working key.

A key has a role: `client` (a shop's frontend: chats, reads its own sessions), `admin` (everything, the console
included) or `agent` (a person who works the operator inbox, but manages neither keys nor the knowledge base).

The secret is shown once, at creation. Verification hashes what the client sent and looks the hash up;
since the lookup is by hash, no timing comparison of secrets ever happens.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import exists, select, update

from snapdesk.store.base import StoreBase, new_id, utcnow
from snapdesk.store.models import KEY_ROLES, ApiKey

SECRET_PREFIX = "sdk_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class ApiKeyStore(StoreBase):
    def create_api_key(self, *, name: str, admin: bool = False, role: str | None = None) -> tuple[str, str]:
        """Create a key (`role`, or `admin` for the admin role); returns (key_id, secret). The secret is not kept
        and cannot be shown again."""
        role = role or ("admin" if admin else "client")
        if role not in KEY_ROLES or (admin and role != "admin"):
            raise ValueError(f"role must be one of {KEY_ROLES}, not {role!r}")
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        key_id = new_id()
        with self._session() as s, s.begin():
            s.add(
                ApiKey(
                    id=key_id,
                    name=name,
                    key_hash=hash_secret(secret),
                    prefix=secret[:8],
                    role=role,
                    created_at=utcnow(),
                )
            )
        return key_id, secret

    def verify_api_key(self, *, secret: str) -> dict[str, Any] | None:
        """The key's id, name and role; None when the secret is unknown or its key is revoked."""
        with self._session() as s, s.begin():
            key = s.scalar(select(ApiKey).where(ApiKey.key_hash == hash_secret(secret), ApiKey.revoked_at.is_(None)))
            return None if key is None else {"id": key.id, "name": key.name, "role": key.role}

    def list_api_keys(self) -> list[dict[str, Any]]:
        """Every key, revoked ones included, oldest first; without hashes."""
        with self._session() as s, s.begin():
            keys = s.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))
            return [
                {
                    "id": k.id,
                    "name": k.name,
                    "prefix": k.prefix,
                    "role": k.role,
                    "created_at": k.created_at,
                    "revoked_at": k.revoked_at,
                }
                for k in keys
            ]

    def revoke_api_key(self, *, key_id: str) -> bool:
        """Revoke an active key; False when there is no such key or it was already revoked."""
        with self._session() as s, s.begin():
            result = s.execute(
                update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)).values(revoked_at=utcnow())
            )
            return result.rowcount == 1

    def has_api_keys(self) -> bool:
        """Whether any key is active."""
        with self._session() as s, s.begin():
            return bool(s.scalar(select(exists().where(ApiKey.revoked_at.is_(None)))))
