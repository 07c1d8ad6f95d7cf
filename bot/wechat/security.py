"""Is this request really from WeChat, and new? Signature, timestamp freshness and nonce replay."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

import redis.asyncio as aioredis

from bot.storage import keys
from bot.wechat import signature


class Refused(Exception):
    """The request is not authentic or is replayed: 403, logged, never parsed further."""


def check_signature(token: str, query: Mapping[str, str]) -> None:
    if not signature.is_valid(
        query.get("signature", ""), token, query.get("timestamp", ""), query.get("nonce", "")
    ):
        raise Refused("bad signature")


def check_fresh(query: Mapping[str, str], tolerance: float, now: float | None = None) -> None:
    try:
        timestamp = int(query.get("timestamp", ""))
    except ValueError as exc:
        raise Refused("timestamp is not a number") from exc
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        raise Refused("stale timestamp")


async def check_not_replayed(
    client: aioredis.Redis, query: Mapping[str, str], body: bytes, tolerance: float
) -> None:
    """A (timestamp, nonce) pair may carry only one body.

    The same body again is let through: it may be WeChat's own retry, and the 5-second contract's dedupe
    makes a repeated message harmless (one Rasa call, the same answer). A different body under a used
    nonce is a forged replay.
    """
    digest = hashlib.sha1(body).hexdigest()
    key = keys.nonce(query.get("timestamp", ""), query.get("nonce", ""))
    # Keep the nonce as long as its timestamp could still pass the freshness check.
    if await client.set(key, digest, nx=True, ex=int(tolerance * 2) + 60):
        return
    if await client.get(key) != digest:
        raise Refused("nonce replayed with another body")
