"""WeChat's SHA-1 request signatures, compared in constant time (wechatpy compares with `!=`)."""

from __future__ import annotations

import hashlib
import hmac


def sign(*parts: str) -> str:
    """sha1 of the sorted, concatenated parts: `signature` uses (token, timestamp, nonce),
    `msg_signature` adds the Encrypt field."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def is_valid(signature: str, *parts: str) -> bool:
    return hmac.compare_digest(sign(*parts).encode("ascii"), signature.encode("utf-8", "replace"))
