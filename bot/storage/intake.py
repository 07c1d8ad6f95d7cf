"""Complaint drafts in Redis: one per citizen with an intake in progress, and the timer that files an
abandoned one. The help desk is the only writer."""

from __future__ import annotations

import json
import time
from enum import Enum
from typing import Any

import redis.asyncio as aioredis

from bot.core.intake import Draft
from bot.storage import keys

DRAFT_TTL = 7 * 24 * 3600  # a draft outlives any idle time; the timer files or drops it long before
# How long an image or file sent outside an intake waits for the complaint it belongs to, and how many.
LOOSE_EVIDENCE_SECONDS = 600
LOOSE_EVIDENCE_KEPT = 5

# KEYS: draft, due, loose evidence. ARGV: openid, record (json, attachments filled in here), due time, ttl
# The attachments already on the draft are kept: the actions do not know about them. A new intake takes the
# images and files the citizen sent just before it (`_ATTACH` kept them).
_SAVE = """
local old = redis.call('GET', KEYS[1])
local record = cjson.decode(ARGV[2])
local same = false
if old then
  local previous = cjson.decode(old)
  -- cjson keeps 14 significant digits: the same start time can come back a little different
  same = math.abs((previous['started'] or 0) - (record['started'] or 0)) < 0.01
  if same and previous['attachments'] then
    record['attachments'] = previous['attachments']
  end
end
if not same then
  local loose = redis.call('LRANGE', KEYS[3], 0, -1)
  if #loose > 0 then
    if type(record['attachments']) ~= 'table' then record['attachments'] = {} end
    for _, raw in ipairs(loose) do table.insert(record['attachments'], cjson.decode(raw)) end
  end
  redis.call('DEL', KEYS[3])
end
redis.call('SET', KEYS[1], cjson.encode(record), 'EX', tonumber(ARGV[4]))
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]), ARGV[1])
return 1
"""

# KEYS: draft, due, loose evidence. ARGV: openid, attachment (json), due time, ttl, keep loose (1/0), loose
# seconds, loose count. 1: attached to the draft; 2: no draft, kept for an intake that may follow; 0: neither.
_ATTACH = """
local old = redis.call('GET', KEYS[1])
if not old then
  if ARGV[5] ~= '1' then return 0 end
  local attachment = cjson.decode(ARGV[2])
  for _, raw in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
    if cjson.decode(raw)['media_id'] == attachment['media_id'] then return 2 end  -- delivered again
  end
  redis.call('RPUSH', KEYS[3], ARGV[2])
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[7]), -1)
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[6]))
  return 2
end
local record = cjson.decode(old)
if type(record['attachments']) ~= 'table' then record['attachments'] = {} end
local attachment = cjson.decode(ARGV[2])
for _, earlier in ipairs(record['attachments']) do
  if earlier['media_id'] == attachment['media_id'] then return 1 end  -- WeChat delivered it again
end
table.insert(record['attachments'], attachment)
redis.call('SET', KEYS[1], cjson.encode(record), 'EX', tonumber(ARGV[4]))
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]), ARGV[1])
return 1
"""

# KEYS: draft, due. ARGV: openid, now, lease end. A due draft for this caller to file: its timer moves to
# the lease's end, so that if this process dies before `forget`, another files it then.
_CLAIM = """
local due = redis.call('ZSCORE', KEYS[2], ARGV[1])
if (not due) or tonumber(due) > tonumber(ARGV[2]) then return false end
local record = redis.call('GET', KEYS[1])
if not record then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return false
end
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]), ARGV[1])
return record
"""

# KEYS: draft, due. ARGV: openid, the filed draft's start. Not a newer intake the citizen began meanwhile.
_FORGET = """
local record = redis.call('GET', KEYS[1])
if record and math.abs((cjson.decode(record)['started'] or 0) - tonumber(ARGV[2])) >= 0.01 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""

# KEYS: draft, due. ARGV: openid. The draft, removed, if this caller is the one to take it.
_TAKE = """
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return false end
local record = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
return record
"""


# KEYS: loose evidence. The images and files kept for a complaint, removed: a ticket opened without an intake
# (a request for a person right after the photo) takes them.
_TAKE_LOOSE = """
local loose = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return loose
"""


class Attached(Enum):
    TO_INTAKE = "to_intake"  # evidence for the complaint being taken in
    KEPT = "kept"  # no intake yet: kept for one that may follow
    NOT = "not"


class IntakeStore:
    def __init__(self, client: aioredis.Redis, idle_seconds: float) -> None:
        self._client = client
        self.idle_seconds = idle_seconds
        self._save = client.register_script(_SAVE)
        self._attach = client.register_script(_ATTACH)
        self._take = client.register_script(_TAKE)
        self._claim = client.register_script(_CLAIM)
        self._forget = client.register_script(_FORGET)
        self._take_loose = client.register_script(_TAKE_LOOSE)

    async def save(self, openid: str, draft: Draft, now: float | None = None) -> None:
        """The form moved on: keep its draft and restart the idle timer. A new intake takes the evidence the
        citizen sent in the minutes before it."""
        due = (time.time() if now is None else now) + self.idle_seconds
        record = json.dumps(draft.as_record(), ensure_ascii=False)
        await self._save(
            keys=[keys.intake(openid), keys.intake_due(), keys.loose_evidence(openid)],
            args=[openid, record, due, DRAFT_TTL],
        )

    async def attach(
        self, openid: str, attachment: dict[str, Any], now: float | None = None, keep_loose: bool = False
    ) -> Attached:
        """Evidence sent during the form is attached to it. Outside one, with `keep_loose`, it is kept for
        `LOOSE_EVIDENCE_SECONDS` in case a complaint follows (the photo first, then the words)."""
        due = (time.time() if now is None else now) + self.idle_seconds
        found = await self._attach(
            keys=[keys.intake(openid), keys.intake_due(), keys.loose_evidence(openid)],
            args=[
                openid, json.dumps(attachment, ensure_ascii=False), due, DRAFT_TTL, int(keep_loose),
                LOOSE_EVIDENCE_SECONDS, LOOSE_EVIDENCE_KEPT,
            ],
        )  # fmt: skip
        return {1: Attached.TO_INTAKE, 2: Attached.KEPT}.get(int(found or 0), Attached.NOT)

    async def take_loose(self, openid: str) -> list[dict[str, Any]]:
        """The evidence sent outside an intake in the last minutes, removed: one caller gets it."""
        raw = await self._take_loose(keys=[keys.loose_evidence(openid)])
        return [json.loads(item) for item in raw or []]

    async def take(self, openid: str) -> Draft | None:
        """Remove and return the draft (a ticket was opened from it, or the form ended): one caller gets it,
        however many gateways try."""
        raw = await self._take(keys=[keys.intake(openid), keys.intake_due()], args=[openid])
        return Draft.from_record(json.loads(raw)) if raw else None

    async def claim(self, openid: str, now: float, lease: float = 60.0) -> Draft | None:
        """A draft past its idle time, for this caller to file; None when it is not due or another caller has
        it. It stays in Redis until `forget`: a process that dies while filing loses nothing."""
        raw = await self._claim(
            keys=[keys.intake(openid), keys.intake_due()], args=[openid, now, now + lease]
        )
        return Draft.from_record(json.loads(raw)) if raw else None

    async def forget(self, openid: str, draft: Draft) -> None:
        """The claimed draft is filed (or not worth filing): remove it, unless the citizen began a new one."""
        await self._forget(keys=[keys.intake(openid), keys.intake_due()], args=[openid, draft.started])

    async def due(self, now: float, limit: int = 50) -> list[str]:
        found = await self._client.zrangebyscore(keys.intake_due(), "-inf", now, start=0, num=limit)
        return [f.decode() if isinstance(f, bytes) else str(f) for f in found]
