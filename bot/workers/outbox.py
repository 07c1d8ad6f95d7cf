"""The outbox sender: customer-service messages from a Redis stream, sent in order, within the quota.

- Each entry carries a `uid` kept across retries; `outbox_sent(uid)` is written right after WeChat
  accepts the send and before the stream acknowledgement, so a crash between the two does not send twice.
- -1 (busy) and timeouts are retried with exponential backoff, through a delayed set in Redis.
- 40001/40014/42001 are handled by the API client (one refresh, one retry).
- 45015 (window closed) and 45047 (quota used) are not retried; they are recorded on the conversation.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from bot.logs import citizen
from bot.metrics import Metrics
from bot.storage import keys
from bot.storage.conversations import Conversations
from bot.storage.streams import AbandonedEntries, ensure_group, read_new
from bot.wechat.api import RETRYABLE, WeChatAPI, WeChatError, WeChatUnreachable

log = logging.getLogger(__name__)
GROUP = "senders"

# Move due entries from the delayed set back onto the stream, atomically, so two processes never
# both re-queue one entry. KEYS: delayed zset, outbox stream. ARGV: now, limit
_RELEASE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], 0, ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  if redis.call('ZREM', KEYS[1], member) == 1 then
    local fields = cjson.decode(member)
    local args = {}
    for k, v in pairs(fields) do table.insert(args, k); table.insert(args, tostring(v)) end
    redis.call('XADD', KEYS[2], '*', unpack(args))
  end
end
return #due
"""


@dataclass(frozen=True)
class OutboxPolicy:
    max_attempts: int = 6
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    max_backoff: float = 60.0
    claim_idle: float = 60.0
    sent_marker_seconds: int = 3600  # the "sent" marker outlives any re-claim (60 s) and retries (~30 s)


async def enqueue_texts(
    client: aioredis.Redis, openid: str, texts: list[str], origin: str, **extra: str
) -> None:
    """Queue customer-service texts for one citizen (an agent's reply, a proactive message).

    `extra` fields travel with each entry to `on_refused` (an agent's reply names its ticket)."""
    pipe = client.pipeline(transaction=True)
    for text in texts:
        fields: dict[Any, Any] = {"openid": openid, "text": text, "origin": origin, "attempt": "0"} | extra
        pipe.xadd(keys.outbox(), fields)
    await pipe.execute()


async def _nobody_told(fields: dict[str, Any], reason: str) -> None:
    return None


class OutboxSender:
    def __init__(
        self,
        client: aioredis.Redis,
        api: WeChatAPI,
        conversations: Conversations,
        consumer: str,
        policy: OutboxPolicy,
        on_refused: Callable[[dict[str, Any], str], Awaitable[None]] = _nobody_told,
        metrics: Metrics | None = None,
    ) -> None:
        self._client = client
        self._metrics = metrics or Metrics()
        self._on_refused = on_refused
        self._api = api
        self._conversations = conversations
        self._consumer = consumer
        self._policy = policy
        self._release_due = client.register_script(_RELEASE_DUE)

    async def run(self) -> None:
        await ensure_group(self._client, keys.outbox(), GROUP)
        idle_ms = int(self._policy.claim_idle * 1000)
        abandoned = AbandonedEntries(self._client, keys.outbox(), GROUP, self._consumer, idle_ms, count=10)
        while True:
            await self._release_due(keys=[keys.outbox_delayed(), keys.outbox()], args=[time.time(), 100])
            entries = await abandoned.take()
            if not entries:
                entries = await read_new(
                    self._client, keys.outbox(), GROUP, self._consumer, count=10, block_ms=500
                )
            for entry_id, fields in entries:  # in stream order: a citizen's texts arrive in order
                await self.deliver(entry_id, fields)

    async def deliver(self, entry_id: str, fields: dict[str, Any]) -> None:
        uid = str(fields.get("uid") or entry_id)
        openid = str(fields["openid"])
        text = str(fields["text"])
        if await self._client.exists(keys.outbox_sent(uid)):
            await self._ack(entry_id)  # sent before a crash; only the acknowledgement was lost
            return
        allowed = await self._conversations.take_send(openid)
        if allowed != "ok":
            log.warning("outbox %s to %s not sent: quota %s", uid, citizen(openid), allowed)
            await self._refused(fields, f"quota_{allowed}")
            await self._ack(entry_id)
            return
        try:
            await self._api.send_text(openid, text)
        except WeChatError as exc:
            await self._conversations.give_back_send(openid)
            if exc.errcode in RETRYABLE:
                await self._retry(entry_id, fields, uid, str(exc), reason=str(exc.errcode))
            else:
                log.warning("outbox %s to %s refused: %s", uid, citizen(openid), exc)
                await self._refused(fields, str(exc.errcode))
                await self._ack(entry_id)
            return
        except WeChatUnreachable as exc:
            await self._conversations.give_back_send(openid)
            await self._retry(entry_id, fields, uid, str(exc), reason="unreachable")
            return
        self._metrics.outbox_sent()
        await self._client.set(keys.outbox_sent(uid), "1", ex=self._policy.sent_marker_seconds)
        await self._ack(entry_id)

    async def _retry(self, entry_id: str, fields: dict[str, Any], uid: str, why: str, reason: str) -> None:
        """Send again later with backoff; `reason` (an errcode, unreachable) labels the metric."""
        attempt = int(fields.get("attempt") or 0) + 1
        openid = str(fields["openid"])
        if attempt >= self._policy.max_attempts:
            log.error("outbox %s to %s given up after %d attempts: %s", uid, citizen(openid), attempt, why)
            await self._refused(fields, "gave_up")
            await self._ack(entry_id)
            return
        self._metrics.outbox_retried(reason)
        delay = min(self._policy.max_backoff, self._policy.backoff * 2 ** (attempt - 1))
        retry = {k: str(v) for k, v in fields.items()} | {"uid": uid, "attempt": str(attempt)}
        pipe = self._client.pipeline(transaction=True)
        pipe.zadd(keys.outbox_delayed(), {json.dumps(retry, ensure_ascii=False): time.time() + delay})
        pipe.xack(keys.outbox(), GROUP, entry_id)
        pipe.xdel(keys.outbox(), entry_id)
        await pipe.execute()
        log.info("outbox %s to %s: retry %d in %.1f s (%s)", uid, citizen(openid), attempt, delay, why)

    async def _refused(self, fields: dict[str, Any], reason: str) -> None:
        """Not delivered and not retried: recorded on the conversation, and told to whoever wrote it."""
        self._metrics.outbox_failed(reason)
        await self._client.hincrby(keys.outbox_refused(), reason, 1)  # a tally that outlives the process
        await self._conversations.record_failure(str(fields["openid"]), reason, str(fields["text"]))
        await self._on_refused(fields, reason)

    async def _ack(self, entry_id: str) -> None:
        pipe = self._client.pipeline(transaction=True)
        pipe.xack(keys.outbox(), GROUP, entry_id)
        pipe.xdel(keys.outbox(), entry_id)
        await pipe.execute()
