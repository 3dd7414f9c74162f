"""Bearer tokens for `twin serve`, stored hashed in one JSON file in the data home.

A token is ``twin_<id>_<secret>``: the id (public, shown by ``token list``) finds the record, the
secret is 32 random bytes. Only the token's SHA-256 is stored. A slow password hash (scrypt,
argon2) protects *guessable* secrets; a 256-bit random secret cannot be guessed, so a fast hash
loses nothing and keeps every request cheap on a 2-core box. The plain token is shown once, by
``token create``.

The file is written atomically (mode 0600) under a lock; a running server re-reads it when it
changes, so ``token revoke`` takes effect without a restart.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PREFIX = "twin_"
FILE_NAME = "serve_tokens.json"


class TokenError(ValueError):
    """A token command cannot be carried out; the message says why."""


@dataclass
class TokenRecord:
    id: str
    name: str
    sha256: str
    created: str
    rate_limit_per_minute: int = -1  # -1 = the server's [serve] rate_limit_per_minute


def tokens_path(config: Any) -> Path:
    return Path(config.serve.tokens_file).expanduser() if config.serve.tokens_file else config.home_path / FILE_NAME


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._records: dict[str, TokenRecord] = {}
        self._stamp: tuple[int, int] | None = None

    # -- reading (the server) ------------------------------------------------------
    def _fresh(self) -> dict[str, TokenRecord]:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            self._records, self._stamp = {}, None
            return self._records
        if stamp != self._stamp:
            self._records = {r.id: r for r in self._read()}
            self._stamp = stamp
        return self._records

    def _read(self) -> list[TokenRecord]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [TokenRecord(**item) for item in data.get("tokens", [])]
        except FileNotFoundError:
            return []
        except (ValueError, TypeError, AttributeError) as exc:
            raise TokenError(f"{self.path} is not a valid tokens file ({exc}); fix or delete it") from exc

    def verify(self, token: str) -> TokenRecord | None:
        """The record of a valid token, else None (constant-time comparison)."""
        if not token.startswith(PREFIX):
            return None
        token_id = token[len(PREFIX):].split("_", 1)[0]
        record = self._fresh().get(token_id)
        if record is None or not hmac.compare_digest(record.sha256, digest(token)):
            return None
        return record

    def records(self) -> list[TokenRecord]:
        return sorted(self._read(), key=lambda r: r.created)

    # -- writing (the CLI) ---------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[list[TokenRecord]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                records = self._read()
                yield records
                self._write(records)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, records: list[TokenRecord]) -> None:
        tmp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"tokens": [asdict(r) for r in records]}, out, indent=2)
        os.replace(tmp, self.path)

    def create(self, name: str, rate_limit_per_minute: int = -1) -> tuple[TokenRecord, str]:
        name = name.strip()
        if not name or len(name) > 64:
            raise TokenError("a token needs a name of 1-64 characters (who or what uses it)")
        with self._locked() as records:
            if any(r.name == name for r in records):
                raise TokenError(f"a token named {name!r} exists; revoke it first or pick another name")
            token_id = secrets.token_hex(4)
            token = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
            record = TokenRecord(token_id, name, digest(token),
                                 datetime.now(UTC).isoformat(timespec="seconds"), rate_limit_per_minute)
            records.append(record)
        return record, token

    def revoke(self, key: str) -> TokenRecord:
        """Remove the token whose id or name is ``key``."""
        with self._locked() as records:
            found = [r for r in records if key in (r.id, r.name)]
            if not found:
                raise TokenError(f"no token with id or name {key!r}; see `twin serve token list`")
            records.remove(found[0])
        return found[0]
