"""The ticket store (工单): tickets, the queue, citizens' modes and every change's history, in Redis.

The only writer of ticket keys and of citizens' modes. Each change that must not race (open, claim,
transfer, close, escalate) is one Lua script, so two gateways or two agents never see half a change.
The changes an agent must see at once (queued, claimed, transferred, closed, escalated, a new message, a
refused reply) are published on `keys.desk_events()` for the console's live views.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis

from bot.core.tickets import Mode, Reason, Status, queue_score
from bot.storage import keys
from bot.storage.decode import as_text

TICKET_TTL = 400 * 24 * 3600  # the default retention (TICKET_RETENTION_DAYS): a year and a month
SOURCE_TTL = 7 * 24 * 3600


class TicketAttached(Enum):
    ADDED = "added"
    ALREADY = "already"  # WeChat delivered the same file again
    NO_TICKET = "no_ticket"  # none by that number, or closed


# What the live conversation shows for an image or file the citizen sent (the file is under 证据材料).
MEDIA_LINE = {
    "image": "［发来一张图片，已附在证据材料中］",
    "video": "［发来一段视频，已附在证据材料中］",
    "shortvideo": "［发来一段视频，已附在证据材料中］",
    "file": "［发来一份文件，已附在证据材料中］",
}
SHANGHAI = ZoneInfo("Asia/Shanghai")  # ticket numbers carry the centre's date, not the server's

# KEYS: source, ticket, history, queue, mode, deadlines
# ARGV: number, now, fields (json), live ('1' switches the citizen to queued), score, deadline, ttl, openid,
#       ttl of the source marker
_OPEN = """
local existing = redis.call('GET', KEYS[1])
if existing then return {existing, 0} end
if ARGV[4] == '1' then
  local mode = redis.call('HGET', KEYS[5], 'mode')
  if mode == 'queued' or mode == 'agent' then
    local current = redis.call('HGET', KEYS[5], 'ticket')
    redis.call('SET', KEYS[1], current, 'EX', tonumber(ARGV[9]))
    return {current, 0}
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[9]))
local fields = cjson.decode(ARGV[3])
for k, v in pairs(fields) do redis.call('HSET', KEYS[2], k, tostring(v)) end
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[7]))
redis.call('XADD', KEYS[3], '*', 'at', ARGV[2], 'who', 'bot', 'what', 'queued', 'note', fields['reason'])
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[7]))
redis.call('ZADD', KEYS[4], tonumber(ARGV[5]), ARGV[1])
redis.call('ZADD', KEYS[6], tonumber(ARGV[6]), ARGV[1])
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[5], 'mode', 'queued', 'ticket', ARGV[1], 'openid', ARGV[8])
  redis.call('HDEL', KEYS[5], 'rating_ticket')
end
return {ARGV[1], 1}
"""

# KEYS: ticket. ARGV: attachment (json). 1 when added; 2 when the ticket has it already (WeChat delivered
# the same image again); 0 when there is no such ticket, or it is closed.
_ATTACH = """
local raw = redis.call('HGET', KEYS[1], 'attachments')
if not raw or redis.call('HGET', KEYS[1], 'status') == 'closed' then return 0 end
local attachments = cjson.decode(raw)
if type(attachments) ~= 'table' then attachments = {} end
local attachment = cjson.decode(ARGV[1])
for _, earlier in ipairs(attachments) do
  if earlier['media_id'] == attachment['media_id'] then return 2 end
end
table.insert(attachments, attachment)
redis.call('HSET', KEYS[1], 'attachments', cjson.encode(attachments))
return 1
"""

# KEYS: ticket, queue, claimed, agent's set, mode, history, deadlines. ARGV: number, agent, now
_CLAIM = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', '', ''} end
if status ~= 'queued' then return {status, redis.call('HGET', KEYS[1], 'agent') or '', ''} end
redis.call('HSET', KEYS[1], 'status', 'claimed', 'agent', ARGV[2], 'claimed_at', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[7], ARGV[1])
redis.call('ZADD', KEYS[3], tonumber(ARGV[3]), ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
local mode = redis.call('HGET', KEYS[5], 'mode')
local outcome = 'claimed_now'
if (not mode) or mode == 'bot' or redis.call('HGET', KEYS[5], 'ticket') == ARGV[1] then
  local openid = redis.call('HGET', KEYS[1], 'openid')
  redis.call('HSET', KEYS[5], 'mode', 'agent', 'ticket', ARGV[1], 'openid', openid)
  redis.call('HDEL', KEYS[5], 'rating_ticket')
  outcome = 'with_citizen'
end
redis.call('XADD', KEYS[6], '*', 'at', ARGV[3], 'who', ARGV[2], 'what', 'claimed', 'note', '')
return {'claimed', ARGV[2], outcome}
"""

# KEYS: ticket, from agent's set, to agent's set, history. ARGV: number, from, to, who, now
_TRANSFER = """
if redis.call('HGET', KEYS[1], 'status') ~= 'claimed' then return 'not_claimed' end
if redis.call('HGET', KEYS[1], 'agent') ~= ARGV[2] then return 'not_yours' end
redis.call('HSET', KEYS[1], 'agent', ARGV[3])
redis.call('SMOVE', KEYS[2], KEYS[3], ARGV[1])
redis.call('XADD', KEYS[4], '*', 'at', ARGV[5], 'who', ARGV[4], 'what', 'transferred',
           'note', ARGV[2] .. ' -> ' .. ARGV[3])
return 'ok'
"""

# KEYS: ticket, queue, claimed, closed, agent's set (of the expected agent), mode, history, deadlines
# ARGV: number, who, now, resolution, expected agent ('' when unclaimed), ask rating ('1'|'0')
# Returns the citizen's mode before the close ('' when the ticket was not the one answering them).
_CLOSE = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', ''} end
if status == 'closed' then return {'closed', ''} end
if (redis.call('HGET', KEYS[1], 'agent') or '') ~= ARGV[5] then return {'changed', ''} end
redis.call('HSET', KEYS[1], 'status', 'closed', 'closed_at', ARGV[3], 'resolution', ARGV[4])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[8], ARGV[1])
redis.call('ZADD', KEYS[4], tonumber(ARGV[3]), ARGV[1])
if ARGV[5] ~= '' then redis.call('SREM', KEYS[5], ARGV[1]) end
local before = ''
if redis.call('HGET', KEYS[6], 'ticket') == ARGV[1] then
  before = redis.call('HGET', KEYS[6], 'mode') or ''
  redis.call('HSET', KEYS[6], 'mode', 'bot', 'ticket', '')
  if ARGV[6] == '1' and before == 'agent' then redis.call('HSET', KEYS[6], 'rating_ticket', ARGV[1]) end
end
redis.call('XADD', KEYS[7], '*', 'at', ARGV[3], 'who', ARGV[2], 'what', 'closed', 'note', ARGV[4])
return {'closed_now', before}
"""

# KEYS: deadlines, ticket, queue, history, alerts. ARGV: number, now, next deadline, alert (json)
_ESCALATE = """
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not due) or tonumber(due) > tonumber(ARGV[2]) then return -1 end
if redis.call('HGET', KEYS[2], 'status') ~= 'queued' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return -1
end
local priority = math.max(0, tonumber(redis.call('HGET', KEYS[2], 'priority')) - 1)
local queued_at = tonumber(redis.call('HGET', KEYS[2], 'queued_at'))
redis.call('HSET', KEYS[2], 'priority', priority)
redis.call('HINCRBY', KEYS[2], 'escalations', 1)
redis.call('ZADD', KEYS[3], priority * 1e10 + queued_at, ARGV[1])
redis.call('ZADD', KEYS[1], tonumber(ARGV[3]), ARGV[1])
redis.call('XADD', KEYS[4], '*', 'at', ARGV[2], 'who', 'system', 'what', 'escalated',
           'note', 'priority ' .. priority)
redis.call('LPUSH', KEYS[5], ARGV[4])
redis.call('LTRIM', KEYS[5], 0, 199)
return priority
"""


@dataclass(frozen=True)
class Opened:
    number: str
    created: bool  # False: this message (or the citizen's live ticket) already had one


@dataclass(frozen=True)
class Claim:
    status: str  # 'claimed' (by `holder`), another status, or 'missing'
    holder: str
    openid: str = ""  # the ticket's citizen
    is_new: bool = False  # this call claimed it (a repeated claim by the holder is not new)
    # This claim put the citizen in conversation with the agent: their next message goes to the agent.
    # False when they are already with an agent about another ticket.
    citizen_switched: bool = False


@dataclass(frozen=True)
class CitizenMode:
    mode: Mode
    ticket: str
    rating_ticket: str


class TicketStore:
    def __init__(
        self,
        client: aioredis.Redis,
        escalate_after: float = 600.0,
        timezone: tzinfo = SHANGHAI,
        retention_seconds: int = TICKET_TTL,
    ) -> None:
        self._client = client
        self._retention = retention_seconds
        self._timezone = timezone
        self._escalate_after = escalate_after
        self._open = client.register_script(_OPEN)
        self._claim = client.register_script(_CLAIM)
        self._transfer = client.register_script(_TRANSFER)
        self._close = client.register_script(_CLOSE)
        self._escalate = client.register_script(_ESCALATE)
        self._attach = client.register_script(_ATTACH)

    # ---- opening -------------------------------------------------------------------------------

    async def open(
        self,
        openid: str,
        source: str,
        reason: Reason,
        *,
        priority: int,
        category: str,
        summary: str,
        details: dict[str, Any] | None = None,
        transcript: list[dict[str, Any]] | None = None,
        intent: str = "",
        confidence: float = 0.0,
        anger: float = 0.0,
        live: bool,
        confirmed: bool = True,
        attachments: list[dict[str, Any]] | None = None,
        now: float | None = None,
    ) -> Opened:
        """Open a ticket for the message `source` (its dedupe key), at most once per message.

        `live`: the citizen waits for a person (mode → queued); a complaint from the intake form is not
        live, the citizen stays with the bot. `confirmed` is False for an intake filed after the citizen left
        it; `attachments` are the images and files sent with it (WeChat MediaId and time).
        """
        when = time.time() if now is None else now
        existing = await self._client.get(keys.ticket_source(source))
        if existing:
            return Opened(str(existing), created=False)
        number = await self._next_number(when)
        fields = {
            "number": number, "openid": openid, "reason": reason.value, "priority": priority,
            "category": category, "summary": summary[:500], "intent": intent,
            "confidence": round(confidence, 3), "anger": round(anger, 2), "status": Status.QUEUED.value,
            "queued_at": when, "live": int(live),
            "details": json.dumps(details or {}, ensure_ascii=False),
            "transcript": json.dumps(transcript or [], ensure_ascii=False),
            "confirmed": int(confirmed), "attachments": json.dumps(attachments or [], ensure_ascii=False),
        }  # fmt: skip
        result = await self._open(
            keys=[keys.ticket_source(source), keys.ticket(number), keys.ticket_history(number),
                  keys.ticket_queue(), keys.mode(openid), keys.ticket_deadlines()],
            args=[number, when, json.dumps(fields, ensure_ascii=False), "1" if live else "0",
                  queue_score(priority, when), when + self._escalate_after, self._retention, openid,
                  SOURCE_TTL],
        )  # fmt: skip
        opened = Opened(str(result[0]), created=bool(int(result[1])))
        if opened.created:
            await self._publish("queued", opened.number)
        return opened

    async def _next_number(self, when: float) -> str:
        day = datetime.fromtimestamp(when, self._timezone).strftime("%Y%m%d")
        serial = await self._client.incr(keys.ticket_counter(day))
        await self._client.expire(keys.ticket_counter(day), self._retention)  # the day's index for reports
        return f"12315-{day}-{int(serial):04d}"

    # ---- agents' actions -----------------------------------------------------------------------

    async def claim(self, number: str, agent_id: str, now: float | None = None) -> Claim:
        """Status 'claimed' and holder me when this agent won; otherwise the ticket's status and holder."""
        when = time.time() if now is None else now
        openid = await self._client.hget(keys.ticket(number), "openid")
        if openid is None:
            return Claim("missing", "")
        status, holder, outcome = await self._claim(
            keys=[keys.ticket(number), keys.ticket_queue(), keys.tickets_claimed(),
                  keys.agent_tickets(agent_id), keys.mode(str(openid)), keys.ticket_history(number),
                  keys.ticket_deadlines()],
            args=[number, agent_id, when],
        )  # fmt: skip
        outcome = str(outcome)  # '' (not new), 'claimed_now' or 'with_citizen'
        claim = Claim(
            str(status), str(holder), str(openid),
            is_new=bool(outcome), citizen_switched=outcome == "with_citizen",
        )  # fmt: skip
        if claim.is_new:
            await self._publish("claimed", number)
        return claim

    async def transfer(self, number: str, from_agent: str, to_agent: str, who: str) -> str:
        result = await self._transfer(
            keys=[keys.ticket(number), keys.agent_tickets(from_agent), keys.agent_tickets(to_agent),
                  keys.ticket_history(number)],
            args=[number, from_agent, to_agent, who, time.time()],
        )  # fmt: skip
        if result == "ok":
            await self._publish("transferred", number)
        return str(result)

    async def close(self, number: str, who: str, resolution: str, ask_rating: bool) -> tuple[str, str]:
        """('closed_now', the citizen's mode before) or ('closed' | 'missing', '')."""
        for _ in range(3):  # the holder may change between the read and the script (a transfer)
            ticket = await self._client.hmget(keys.ticket(number), ["openid", "agent"])
            openid, holder = str(ticket[0] or ""), str(ticket[1] or "")
            status, before = await self._close(
                keys=[keys.ticket(number), keys.ticket_queue(), keys.tickets_claimed(),
                      keys.tickets_closed(), keys.agent_tickets(holder), keys.mode(openid),
                      keys.ticket_history(number), keys.ticket_deadlines()],
                args=[number, who, time.time(), resolution, holder, "1" if ask_rating else "0"],
            )  # fmt: skip
            if status != "changed":
                break
        if status == "closed_now":
            await self._keep_for_retention(number)
            await self._publish("closed", number)
        return (str(status), str(before))

    async def _keep_for_retention(self, number: str, now: float | None = None) -> None:
        """A closed ticket, its history and its messages are kept for the retention from its closing; the
        list of closed tickets forgets those gone."""
        when = time.time() if now is None else now
        pipe = self._client.pipeline(transaction=False)
        for key in (keys.ticket(number), keys.ticket_history(number), keys.ticket_messages(number)):
            pipe.expire(key, self._retention)
        pipe.zremrangebyscore(keys.tickets_closed(), 0, when - self._retention)
        await pipe.execute()

    async def add_message(self, number: str, who: str, text: str, **extra: str) -> str:
        """One line of the live conversation (citizen or agent); returns its stream id."""
        fields: dict[Any, Any] = {"at": time.time(), "who": who, "text": text} | extra
        entry = await self._client.xadd(keys.ticket_messages(number), fields)
        await self._client.expire(keys.ticket_messages(number), self._retention)
        await self._publish("message", number)
        return str(entry)

    async def add_citizen_message(self, number: str, source: str, text: str) -> None:
        """What a citizen wrote while queued or with an agent; once per inbound message, even if it is
        worked again after a crash."""
        if await self._client.set(keys.ticket_source(source), number, nx=True, ex=SOURCE_TTL):
            await self.add_message(number, "citizen", text)

    async def add_attachment(self, number: str, attachment: dict[str, Any]) -> TicketAttached:
        """An image or file the citizen sent while queued or with an agent: evidence on the ticket, and a line
        in the live conversation so that the agent sees it came (once, however often WeChat delivers it)."""
        found = await self._attach(
            keys=[keys.ticket(number)], args=[json.dumps(attachment, ensure_ascii=False)]
        )
        outcome = {1: TicketAttached.ADDED, 2: TicketAttached.ALREADY}.get(
            int(found or 0), TicketAttached.NO_TICKET
        )
        if outcome is TicketAttached.ADDED:
            line = MEDIA_LINE.get(str(attachment.get("type")), MEDIA_LINE["file"])
            await self.add_message(number, "citizen", line)
        return outcome

    async def mark_first_reply(self, number: str, agent_id: str) -> None:
        now = time.time()
        if await self._client.hsetnx(keys.ticket(number), "first_reply_at", now):
            await self._history(number, agent_id, "first_reply", "")

    async def record_send_failure(self, number: str, message_id: str, reason: str) -> None:
        """WeChat refused an agent's reply: the agent sees it on the ticket, the text is kept."""
        await self._client.hset(
            keys.ticket(number), mapping={"send_failure": reason, "send_failure_at": time.time()}
        )
        await self._history(number, "wechat", "send_failed", f"{message_id} {reason}")
        await self._publish("send_failed", number)

    async def correct(self, number: str, agent_id: str, intent: str, text: str) -> None:
        """An agent's note of what the citizen really wanted (for the maintainers' not-understood page)."""
        await self._client.hset(
            keys.ticket(number), mapping={"corrected_intent": intent, "corrected_text": text}
        )
        await self._history(number, agent_id, "corrected", intent)

    async def rate(self, openid: str, number: str, rating: int) -> None:
        pipe = self._client.pipeline(transaction=True)
        pipe.hset(keys.ticket(number), "rating", rating)
        pipe.hdel(keys.mode(openid), "rating_ticket")
        await pipe.execute()
        await self._history(number, "citizen", "rated", str(rating))

    async def forget_rating(self, openid: str) -> None:
        await self._client.hdel(keys.mode(openid), "rating_ticket")

    async def escalate_due(self, now: float, alert: dict[str, Any]) -> list[str]:
        """Raise the priority of tickets unclaimed past their deadline; returns those escalated."""
        due = await self._client.zrangebyscore(keys.ticket_deadlines(), 0, now, start=0, num=100)
        done = []
        for number in map(str, due):
            priority = await self._escalate(
                keys=[keys.ticket_deadlines(), keys.ticket(number), keys.ticket_queue(),
                      keys.ticket_history(number), keys.alerts()],
                args=[number, now, now + self._escalate_after,
                      json.dumps(alert | {"number": number, "at": now}, ensure_ascii=False)],
            )  # fmt: skip
            if int(str(priority)) >= 0:
                done.append(number)
                await self._publish("escalated", number)
        return done

    # ---- reading -------------------------------------------------------------------------------

    async def mode_of(self, openid: str) -> CitizenMode:
        raw = as_text(await self._client.hgetall(keys.mode(openid)))
        mode = raw.get("mode") or Mode.BOT.value
        return CitizenMode(Mode(mode), raw.get("ticket") or "", raw.get("rating_ticket") or "")

    async def get(self, number: str) -> dict[str, Any] | None:
        raw = as_text(await self._client.hgetall(keys.ticket(number)))
        return decode_ticket(raw) if raw else None

    async def history(self, number: str) -> list[dict[str, str]]:
        entries = await self._client.xrange(keys.ticket_history(number))
        return [as_text(fields) for _, fields in entries or []]

    async def messages(self, number: str) -> list[dict[str, str]]:
        entries = await self._client.xrange(keys.ticket_messages(number))
        return [{"id": str(entry_id)} | as_text(fields) for entry_id, fields in entries or []]

    async def numbers(self, status: Status, limit: int = 200) -> list[str]:
        if status is Status.QUEUED:
            found = await self._client.zrange(keys.ticket_queue(), 0, limit - 1)
        elif status is Status.CLAIMED:
            found = await self._client.zrange(keys.tickets_claimed(), 0, limit - 1)
        else:
            found = await self._client.zrevrange(keys.tickets_closed(), 0, limit - 1)
        return [str(n) for n in found]

    async def many(self, numbers: list[str]) -> list[dict[str, Any]]:
        pipe = self._client.pipeline(transaction=False)
        for number in numbers:
            pipe.hgetall(keys.ticket(number))
        return [decode_ticket(as_text(raw)) for raw in await pipe.execute() if raw]

    async def opened_on(self, day: str) -> list[str]:
        """The numbers of the tickets opened on one local day (YYYYMMDD), from its daily counter."""
        last = int(await self._client.get(keys.ticket_counter(day)) or 0)
        return [f"12315-{day}-{serial:04d}" for serial in range(1, last + 1)]

    async def held_by(self, agent_id: str) -> list[str]:
        return sorted(str(n) for n in await self._client.smembers(keys.agent_tickets(agent_id)))

    async def queue_position(self, number: str) -> int:
        rank: int | None = await self._client.zrank(keys.ticket_queue(), number)  # type: ignore[assignment]
        return 1 if rank is None else rank + 1

    async def alerts(self, limit: int = 50) -> list[dict[str, Any]]:
        return [json.loads(a) for a in await self._client.lrange(keys.alerts(), 0, limit - 1)]

    # ---- internals -----------------------------------------------------------------------------

    async def _history(self, number: str, who: str, what: str, note: str) -> None:
        await self._client.xadd(
            keys.ticket_history(number), {"at": time.time(), "who": who, "what": what, "note": note}
        )

    async def _publish(self, what: str, number: str) -> None:
        await self._client.publish(keys.desk_events(), json.dumps({"type": what, "number": number}))


def decode_ticket(raw: dict[str, str]) -> dict[str, Any]:
    ticket: dict[str, Any] = dict(raw)
    for name in ("details", "transcript", "attachments"):
        ticket[name] = json.loads(raw.get(name) or ("{}" if name == "details" else "[]"))
    for name in ("queued_at", "claimed_at", "first_reply_at", "closed_at", "anger", "confidence"):
        if raw.get(name):
            ticket[name] = float(raw[name])
    for name in ("priority", "rating", "escalations"):
        if raw.get(name):
            ticket[name] = int(raw[name])
    ticket["live"] = raw.get("live") == "1"
    ticket["confirmed"] = raw.get("confirmed", "1") == "1"  # tickets from before the field were confirmed
    ticket["id"] = raw.get("number", "")
    return ticket
