"""Who may call the server, and how often: API keys and per-key rate limits.

Inputs: an API key file (`KEY [rpm=N] [name=NAME]` per line, `#` comments) and/or the
`SAFECODER_API_KEYS` environment variable (comma-separated keys). Output: `KeyRing`,
which authenticates a bearer token (constant-time comparison) and charges the key's
token bucket, raising `APIError`s (401, 429) the app turns into OpenAI error JSON.

Keys are never logged nor echoed: a key is named by its `name=` or by a short hash
(`key-1a2b3c4d`), which is what logs and metrics see. Without any key the server must
stay on loopback; the CLI enforces that. Not a user database: keys are static for the
life of the process.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from safecoder.errors import SafeCoderError
from safecoder.server.api_errors import APIError

KEYS_ENV = "SAFECODER_API_KEYS"
ANONYMOUS = "anonymous"


class KeyFileError(SafeCoderError):
    """An API key file that cannot be read or has a malformed line."""


@dataclass
class TokenBucket:
    """`rate_per_minute` requests per minute, with bursts up to the same number."""

    rate_per_minute: int
    _tokens: float = field(init=False)
    _updated: float = field(init=False)

    def __post_init__(self) -> None:
        self._tokens = float(self.rate_per_minute)
        self._updated = time.monotonic()

    def take(self) -> float:
        """0 when a request may go now, else the seconds until one may."""
        now = time.monotonic()
        per_second = self.rate_per_minute / 60.0
        self._tokens = min(float(self.rate_per_minute), self._tokens + (now - self._updated) * per_second)
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / per_second


@dataclass(frozen=True)
class ApiKey:
    secret: str = field(repr=False)
    name: str
    rate_per_minute: int | None = None


class KeyRing:
    """The configured keys; empty means the server runs open (on loopback only)."""

    def __init__(self, keys: list[ApiKey], default_rate_per_minute: int):
        self._keys = list(keys)
        self._default_rate = default_rate_per_minute
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, key_file: Path | None, default_rate_per_minute: int,
             environ: Mapping[str, str] | None = None) -> KeyRing:
        environ = os.environ if environ is None else environ
        keys: list[ApiKey] = []
        if key_file is not None:
            keys.extend(_read_key_file(key_file))
        for secret in (s.strip() for s in environ.get(KEYS_ENV, "").split(",")):
            if secret:
                keys.append(ApiKey(secret, fingerprint(secret)))
        return cls(keys, default_rate_per_minute)

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def authenticate(self, authorization: str | None) -> ApiKey | None:
        """The key presented as `Authorization: Bearer KEY`; None when keys are off."""
        if not self._keys:
            return None
        if not authorization:
            raise APIError(401, "missing API key: send it as `Authorization: Bearer <key>`",
                           "authentication_error", code="missing_api_key")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise APIError(401, "malformed Authorization header: expected `Bearer <key>`",
                           "authentication_error", code="invalid_api_key")
        presented = token.encode()
        match = None
        for key in self._keys:
            # Compare against every key so the time taken says nothing about which matched.
            if hmac.compare_digest(key.secret.encode(), presented):
                match = key
        if match is None:
            raise APIError(401, "invalid API key", "authentication_error", code="invalid_api_key")
        return match

    def charge(self, key: ApiKey | None, client: str = ANONYMOUS) -> None:
        """Count one request against the key's limit (or the client address's, without keys)."""
        rate = self._default_rate if key is None or key.rate_per_minute is None else key.rate_per_minute
        if rate <= 0:
            return
        bucket_name = key.name if key is not None else f"{ANONYMOUS}:{client}"
        with self._lock:
            bucket = self._buckets.get(bucket_name)
            if bucket is None:
                bucket = self._buckets[bucket_name] = TokenBucket(rate)
            wait = bucket.take()
        if wait > 0:
            raise APIError(429, f"rate limit of {rate} requests per minute reached for this API key; "
                                f"retry in {wait:.1f} s", "rate_limit_error", code="rate_limit_exceeded",
                           headers={"Retry-After": str(max(1, round(wait)))})


def fingerprint(secret: str) -> str:
    """A stable, non-reversible name for a key, safe to log."""
    return "key-" + hashlib.sha256(secret.encode()).hexdigest()[:8]


def _read_key_file(path: Path) -> list[ApiKey]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise KeyFileError(f"cannot read the API key file {path}: {exc.strerror or exc}") from None
    keys = []
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        secret, *options = line.split()
        name, rate = fingerprint(secret), None
        for option in options:
            option_name, separator, value = option.partition("=")
            if option_name == "rpm" and separator and value.isdigit():
                rate = int(value)
            elif option_name == "name" and separator and value:
                name = value
            else:
                raise KeyFileError(f"{path}:{number}: unknown option {option_name!r}; a line is "
                                   "`KEY [rpm=N] [name=NAME]` (the key itself is not shown)")
        if len(secret) < 8:
            raise KeyFileError(f"{path}:{number}: API keys must be at least 8 characters long")
        keys.append(ApiKey(secret, name, rate))
    if not keys:
        raise KeyFileError(f"the API key file {path} holds no key; add one per line or leave out --api-key-file")
    return keys
