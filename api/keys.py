"""API keys: ``bgt_<prefix>_<secret>``, 32 random bytes of secret, stored as SHA-256.

SHA-256 and not a password hash: the secret is 256 random bits, so there is nothing
to guess by brute force, and every call checks a key (a slow hash would cost each
call tens of milliseconds). The prefix is public and finds the client's row.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

SCHEME = "bgt"
# The shape of every key we issue; anything else is refused before a query.
KEY = re.compile(r"bgt_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class NewKey:
    prefix: str
    key: str  # shown once, never stored

    @property
    def hash(self) -> str:
        return hash_key(self.key)


def new_key() -> NewKey:
    prefix = secrets.token_hex(6)
    return NewKey(prefix=prefix, key=f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def prefix_of(key: str) -> str | None:
    """The prefix of a well-formed key, else None (nothing to look up)."""
    match = KEY.fullmatch(key)
    return match.group(1) if match else None


def matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), stored_hash)


def new_webhook_secret() -> str:
    """A webhook's signing secret: 32 random bytes, kept as they are (HMAC needs them)."""
    return f"whsec_{secrets.token_urlsafe(32)}"
