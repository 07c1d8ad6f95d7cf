"""What the gateway records per citizen: interaction windows for the quota, and delivery failures."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from bot.core.quota import QuotaRules
from bot.storage import keys

# A push arrives: a text over the citizen's per-minute limit is answered with a request to slow down instead
# of being queued for Rasa (each message counted once whatever WeChat's retries; returns -1, and opens no
# window); any other push opens the customer-service window WeChat opens (returns 1, or 0 when it opened
# nothing new). One script, so a push costs one round trip here, not two.
# KEYS: quota hash, the minute's flood counter, the message's flood marker.
# ARGV: now, seconds, sends, kind ('message' | 'event'), dedupe key of the push, flood limit (0: none)
_ARRIVE = """
local function flooding()
  if ARGV[4] ~= 'message' or tonumber(ARGV[6]) <= 0 then return false end
  local count
  if redis.call('SET', KEYS[3], 1, 'NX', 'EX', 120) then
    count = redis.call('INCR', KEYS[2])
    redis.call('EXPIRE', KEYS[2], 120)
  else
    count = tonumber(redis.call('GET', KEYS[2]) or '0')
  end
  return count > tonumber(ARGV[6])
end
if flooding() then return -1 end
if redis.call('HGET', KEYS[1], 'opened_by') == ARGV[5] then
  return 0  -- WeChat's retry of the push that opened this window: it opens nothing new
end
local now = tonumber(ARGV[1])
local current_end = tonumber(redis.call('HGET', KEYS[1], 'end') or '0')
if ARGV[4] == 'event' and redis.call('HGET', KEYS[1], 'kind') == 'message' and current_end > now then
  return 0  -- a click inside an open 48-hour window does not shorten it
end
redis.call('HSET', KEYS[1], 'end', now + tonumber(ARGV[2]), 'limit', ARGV[3], 'used', 0, 'kind', ARGV[4],
           'opened_by', ARGV[5])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]) + 3600)
return 1
"""

# KEYS: quota hash. ARGV: now. Returns 'ok', 'expired' or 'exhausted'.
_TAKE = """
local window_end = tonumber(redis.call('HGET', KEYS[1], 'end') or '0')
if window_end <= tonumber(ARGV[1]) then return 'expired' end
local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
if used >= tonumber(redis.call('HGET', KEYS[1], 'limit') or '0') then return 'exhausted' end
redis.call('HINCRBY', KEYS[1], 'used', 1)
return 'ok'
"""


@dataclass(frozen=True)
class SendWindow:
    """The citizen's customer-service window, as an agent sees it before replying."""

    open: bool
    ends_at: float
    used: int
    limit: int


class Conversations:
    def __init__(self, client: aioredis.Redis, rules: QuotaRules, flood_per_minute: int = 0) -> None:
        self._client = client
        self._rules = rules
        self._flood_limit = flood_per_minute
        self._arrive = client.register_script(_ARRIVE)
        self._take = client.register_script(_TAKE)

    async def arrive(self, openid: str, is_event: bool, dedupe_key: str, now: float | None = None) -> bool:
        """A push arrived. True: a text over the per-minute flood limit (this one included), which is to be
        answered with a request to slow down and opens no window. Otherwise the citizen's interaction opens
        the customer-service window WeChat opens, and False."""
        return await self._run_arrive(openid, is_event, dedupe_key, now, self._flood_limit) < 0

    async def touch(self, openid: str, is_event: bool, dedupe_key: str) -> None:
        """The citizen interacted: open the customer-service window WeChat opens (no flood count)."""
        await self._run_arrive(openid, is_event, dedupe_key, None, flood_limit=0)

    async def _run_arrive(
        self, openid: str, is_event: bool, dedupe_key: str, now: float | None, flood_limit: int
    ) -> int:
        moment = time.time() if now is None else now
        rule = self._rules.for_interaction(is_event)
        kind = "event" if is_event else "message"
        flood_keys = [keys.flood(openid, int(moment // 60)), keys.flood_seen(dedupe_key)]
        return int(
            await self._arrive(
                keys=[keys.quota(openid), *flood_keys],
                args=[moment, rule.seconds, rule.sends, kind, dedupe_key, flood_limit],
            )
        )

    async def take_send(self, openid: str) -> str:
        """Use one send of the citizen's window: 'ok', 'expired' or 'exhausted'."""
        return str(await self._take(keys=[keys.quota(openid)], args=[time.time()]))

    async def send_window(self, openid: str) -> SendWindow:
        raw = await self._client.hgetall(keys.quota(openid))
        ends = float(raw.get("end") or 0)
        return SendWindow(ends > time.time(), ends, int(raw.get("used") or 0), int(raw.get("limit") or 0))

    async def give_back_send(self, openid: str) -> None:
        """A send WeChat refused without delivering does not count."""
        await self._client.hincrby(keys.quota(openid), "used", -1)

    async def record_failure(self, openid: str, reason: str, text: str) -> None:
        await self._client.hset(
            keys.conversation(openid),
            mapping={"send_failure": reason, "send_failure_at": time.time(), "send_failure_text": text[:500]},
        )

    async def unsubscribe(self, openid: str) -> None:
        """The citizen left: no window, no open conversation state."""
        await self._client.delete(keys.quota(openid), keys.conversation(openid))

    async def record_event(self, openid: str, event: str) -> None:
        await self._client.hset(
            keys.conversation(openid), mapping={"last_event": event, "last_event_at": time.time()}
        )
