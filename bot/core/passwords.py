"""Agent password hashes with scrypt (standard library; memory-hard, as OWASP recommends). Pure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

# OWASP's scrypt minimum: N=2^17, r=8, p=1 (128 MiB). About 1.3 s here, so callers on the event loop
# run it in a thread (asyncio.to_thread); login attempts are rate-limited, which bounds the cost.
N, R, P = 2**17, 8, 1
_MAXMEM = 256 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, n: int = N) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=R, p=P, maxmem=_MAXMEM, dklen=32)
    return f"scrypt${n}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
            maxmem=_MAXMEM, dklen=len(expected),
        )  # fmt: skip
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)
