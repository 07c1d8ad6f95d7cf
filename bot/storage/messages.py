"""The 5-second contract's shared state: one Redis hash per inbound message, shared by every gateway.

States of a message (field `state`):
  pending   accepted and queued in the inbox; Rasa has not answered yet
  holding   Rasa could not be reached: a notice that the message is recorded waits for the passive reply,
            and the message stays in the inbox to be answered when Rasa is back
  held      a delivery replied with that notice; the answer goes through the outbox when it is ready
  answered  the answer is stored; the next delivery replies with it passively
  replied   a delivery took the answer for its passive reply (later deliveries repeat it); also a menu
            button answered on arrival from published content in a rush (`accept`)
  deferred  WeChat will not ask again: when the answer is ready it goes through the outbox
  sent      the answer went to the outbox
  carried   deferred, and a later message of the citizen's is still unanswered: the answer goes with
            that one's (then `sent`)

Every transition is one Lua script, so two gateways (or two deliveries) never both act on a message,
and the outbox entries for an answer are written in the same step as the state that promises them.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from bot.core.text import MAX_TEXT_BYTES
from bot.storage import keys

# How far behind the inbox is: how long the oldest message no worker has taken yet has waited (0 when none
# waits). The inbox holds only unfinished work (workers delete what they finish), and an entry's id is its
# arrival time by Redis's clock, so the wait is measured by Redis's clock too (a gateway's own clock may be
# off). `last` is the group's last-delivered id (`last_delivered`, looked up once a script, with the number of
# entries workers hold); `untaken(entry, last)`: no worker of the group has taken the entry yet.
_QUEUE_WAIT = """
local function now_ms()
  local now = redis.call('TIME')
  return tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
end

local function last_delivered(inbox, group_name)
  local groups = redis.pcall('XINFO', 'GROUPS', inbox)
  if type(groups) ~= 'table' or groups.err then return nil, 0 end
  for _, group in ipairs(groups) do
    local name, last, held = nil, nil, 0
    for i = 1, #group, 2 do
      if group[i] == 'name' then name = group[i + 1] end
      if group[i] == 'last-delivered-id' then last = group[i + 1] end
      if group[i] == 'pending' then held = tonumber(group[i + 1]) end
    end
    if name == group_name then return last, held end
  end
  return nil, 0
end

local function queue_wait_ms(inbox, last)
  if not last then return 0 end
  local first = redis.call('XRANGE', inbox, '(' .. last, '+', 'COUNT', 1)
  if #first == 0 then return 0 end
  local arrived = tonumber(string.match(first[1][1], '^(%d+)'))
  return math.max(0, now_ms() - arrived)
end

local function untaken(entry, last)
  if not last or not entry then return false end
  local em, es = string.match(entry, '^(%d+)-(%d+)$')
  local lm, ls = string.match(last, '^(%d+)-(%d+)$')
  if not em or not lm then return false end
  em, es, lm, ls = tonumber(em), tonumber(es), tonumber(lm), tonumber(ls)
  return em > lm or (em == lm and es > ls)
end
"""

# How long a message queued now would wait before a worker takes it, by the inbox's pace: the messages no
# worker has taken yet over the rate at which workers finished messages while some were waiting (their
# capacity, not the arrival rate of a quiet hour). The oldest message's wait (`queue_wait_ms`) says the same
# only after the fact: at the start of a rush it reaches admission's mark seconds after the backlog did, and
# the deliveries held meanwhile (three seconds of a 10x burst: thousands) cost the gateway and WeChat's
# retries most of what a rush costs. The accept script asks it only once the oldest waiting message has
# waited half a second (`PACE_FLOOR_MS`): while a worker slot is free nothing waits that long, and a rate
# measured low (a sample whose window had idle gaps, slots held by a citizen's earlier turn) and kept through
# a quiet hour must not defer the few messages of a calm morning. So every look is taken with messages
# waiting: `pace` (`keys.inbox_pace`) holds `finished`, counted by the finish script, and the last look (`t`,
# `n`); a look at least a second and at most five after the last one samples the workers' rate over that
# window and moves `rate` (messages a second) halfway to it. 0 while the rate is under one message a second
# (unknown, or workers stalled: the oldest message's wait decides then, as before).
PACE_FLOOR_MS = 500
_EXPECTED_WAIT = """
local function expected_wait_ms(pace, waiting, now)
  local got = redis.call('HMGET', pace, 't', 'n', 'rate', 'finished')
  local t, rate, finished = tonumber(got[1] or '0'), tonumber(got[3] or '0'), tonumber(got[4] or '0')
  local elapsed = now - t
  if elapsed >= 1000 then
    if elapsed <= 5000 then
      local sample = (finished - tonumber(got[2] or '0')) * 1000 / elapsed
      rate = rate > 0 and (rate + sample) / 2 or sample
    end
    redis.call('HSET', pace, 't', now, 'n', finished, 'rate', string.format('%.3f', rate))
  end
  if rate < 1 or waiting <= 0 then return 0 end
  return math.floor(waiting * 1000 / rate)
end

"""

# Puts each text of `list` from `first` on the outbox for the message's citizen, and counts them on the
# message (`outboxed`: what the contract promised WeChat's API for it). Shared by the scripts below.
_ENQUEUE = """
local function enqueue(message, outbox, list, origin, first)
  local openid = redis.call('HGET', message, 'openid')
  for i = first, #list do
    redis.call('XADD', outbox, '*', 'openid', openid, 'text', list[i], 'origin', origin,
               'attempt', '0')
  end
  if #list >= first then redis.call('HINCRBY', message, 'outboxed', #list - first + 1) end
end
"""

# Counts a delivery; the first one queues the message for Rasa in the same step. A message with a ready
# answer (a menu button for published content) is answered on arrival instead, when the inbox is at least
# `ready_after` ms behind and nothing needs Rasa's view of the conversation: every earlier message of the
# citizen answered, no person on the case, no satisfaction question open, no complaint being taken in. It is
# then `replied` (later deliveries repeat the answer), its turn is done, and it never enters the inbox.
# Any other message on an inbox at least `defer_after` ms behind is queued already `deferred` (admission: its
# answer cannot come in time and goes through the outbox), in the same step rather than a second one. Behind:
# the oldest waiting message's wait, or the wait the inbox's pace promises a new one, whichever is longer.
# KEYS: message hash, inbox stream, expiry zset, the citizen's turns, outbox stream, the citizen's mode,
#       the citizen's complaint intake, the inbox's pace.
# ARGV: payload, now, ttl, dedupe key, sweep-at, openid, group, ready answer (JSON list; '' for none),
#       ready after (ms), defer after (ms; -1: never, 0: always)
_ACCEPT = (
    f"local PACE_FLOOR_MS = {PACE_FLOOR_MS}\n"
    + _QUEUE_WAIT
    + _EXPECTED_WAIT
    + _ENQUEUE
    + """
local deliveries = redis.call('HINCRBY', KEYS[1], 'deliveries', 1)
local waited = 0
if deliveries == 1 then
  local last, held = last_delivered(KEYS[2], ARGV[7])
  waited = queue_wait_ms(KEYS[2], last)
  if last and waited >= PACE_FLOOR_MS then
    waited = math.max(waited, expected_wait_ms(KEYS[8], redis.call('XLEN', KEYS[2]) - held, now_ms()))
  end
  local caught_up = tonumber(redis.call('HGET', KEYS[4], 'issued') or '0')
    <= tonumber(redis.call('HGET', KEYS[4], 'done') or '0')
  local turn = redis.call('HINCRBY', KEYS[4], 'issued', 1)
  redis.call('EXPIRE', KEYS[4], tonumber(ARGV[3]))
  if ARGV[8] ~= '' and waited >= tonumber(ARGV[9]) and caught_up
      and (redis.call('HGET', KEYS[6], 'mode') or 'bot') == 'bot'
      and not redis.call('HGET', KEYS[6], 'rating_ticket') and redis.call('EXISTS', KEYS[7]) == 0 then
    redis.call('HSET', KEYS[4], 'done', turn)
    redis.call('HSET', KEYS[1], 'state', 'replied', 'created', ARGV[2], 'openid', ARGV[6], 'turn', turn,
               'answer', ARGV[8])
    redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
    enqueue(KEYS[1], KEYS[5], cjson.decode(ARGV[8]), ARGV[4], 2)
  else
    local defer_after = tonumber(ARGV[10])
    local state = (defer_after >= 0 and waited >= defer_after) and 'deferred' or 'pending'
    local entry = redis.call('XADD', KEYS[2], '*', 'key', ARGV[4], 'payload', ARGV[1], 'turn', turn)
    redis.call('HSET', KEYS[1], 'state', state, 'created', ARGV[2], 'openid', ARGV[6], 'turn', turn,
               'entry', entry)
    redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
    redis.call('ZADD', KEYS[3], tonumber(ARGV[5]), ARGV[4])
  end
end
return {deliveries, redis.call('HGET', KEYS[1], 'state'), waited}
"""
)


# Carried answers (a citizen's deferred answers held back while a later message of theirs is unanswered)
# joined with the answer that ends them: each labelled with the question it answers, then packed into as
# few WeChat texts as fit (`bot.core.text.pack`: Lua's # counts UTF-8 bytes). The carried messages are
# `sent` from here on: their answers travel in this one. Returns the JSON list, or `answer` untouched when
# nothing was carried. Shared by the finish and the flush scripts.
_TAKE_CARRIED = (
    f"local MAX_TEXT_BYTES = {MAX_TEXT_BYTES}\n"
    + """
local function labelled(texts, about)
  if about ~= '' and #texts > 0 then texts[1] = '关于“' .. about .. '”：\\n' .. texts[1] end
  return texts
end

local function take_carried(carried, due, openid, message_prefix, answer, about)
  local entries = redis.call('LRANGE', carried, 0, -1)
  if #entries == 0 then return answer end
  redis.call('DEL', carried)
  redis.call('ZREM', due, openid)
  local parts = {}
  for _, raw in ipairs(entries) do
    local entry = cjson.decode(raw)
    redis.call('HSET', message_prefix .. entry.key, 'state', 'sent')
    for _, text in ipairs(labelled(cjson.decode(entry.answer), entry.about)) do table.insert(parts, text) end
  end
  for _, text in ipairs(labelled(cjson.decode(answer), about)) do table.insert(parts, text) end
  local packed = {}
  for _, text in ipairs(parts) do
    local last = packed[#packed]
    if last and #last + 2 + #text <= MAX_TEXT_BYTES then
      packed[#packed] = last .. '\\n\\n' .. text
    else
      table.insert(packed, text)
    end
  end
  if #packed == 0 then return '[]' end
  return cjson.encode(packed)
end
"""
)

# The message's inbox entry is acknowledged and deleted in the same step: its work is done, and the inbox
# holds only work still to do (one round trip a message less than a separate XACK and XDEL).
# KEYS: message hash, outbox stream, the citizen's turns, their carried list, the carried due set, the inbox,
#       the inbox's pace (a finished entry counts there: admission's estimate of the workers' rate).
# ARGV: answer (JSON list of texts), dedupe key, the answered channel (every gateway hears the key and wakes a
# delivery waiting for it), about (the question, for a label; '' for none), now, carry seconds (0: never
# carry), retention seconds, openid, the message key prefix, the inbox entry ('' for none), the workers' group
_FINISH = (
    _ENQUEUE
    + _TAKE_CARRIED
    + """
-- Last of all, once everything before it ran: a script that fails half-way leaves the entry to be worked
-- again (Redis does not roll a script back).
local function acknowledged(result)
  if ARGV[10] ~= '' then
    if redis.call('XACK', KEYS[6], ARGV[11], ARGV[10]) == 1 then
      redis.call('HINCRBY', KEYS[7], 'finished', 1)  -- once, though a claimed entry may be finished twice
    end
    redis.call('XDEL', KEYS[6], ARGV[10])
  end
  return result
end
redis.call('PUBLISH', ARGV[3], ARGV[2])
local turn = tonumber(redis.call('HGET', KEYS[1], 'turn') or '0')
if turn > tonumber(redis.call('HGET', KEYS[3], 'done') or '0') then
  redis.call('HSET', KEYS[3], 'done', turn)
end
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'pending' and state ~= 'deferred' and state ~= 'holding' and state ~= 'held' then
  return acknowledged(state or 'missing')
end
local issued = tonumber(redis.call('HGET', KEYS[3], 'issued') or '0')
local done = tonumber(redis.call('HGET', KEYS[3], 'done') or '0')
if state ~= 'pending' and issued > done and tonumber(ARGV[6]) > 0 then
  -- A later message of the citizen is still unanswered: this answer waits for it and goes with it, so a
  -- burst of deferred answers costs the citizen one send after their last message, not one each.
  redis.call('RPUSH', KEYS[4], cjson.encode({key = ARGV[2], about = ARGV[4], answer = ARGV[1]}))
  redis.call('EXPIRE', KEYS[4], tonumber(ARGV[7]))
  redis.call('ZADD', KEYS[5], 'NX', tonumber(ARGV[5]) + tonumber(ARGV[6]), ARGV[8])
  redis.call('HSET', KEYS[1], 'state', 'carried', 'answer', ARGV[1])
  return acknowledged('carried')
end
local answer = take_carried(KEYS[4], KEYS[5], ARGV[8], ARGV[9], ARGV[1], ARGV[4])
if state == 'pending' then
  redis.call('HSET', KEYS[1], 'state', 'answered', 'answer', answer)
  return acknowledged('answered')
end
redis.call('HSET', KEYS[1], 'state', 'sent', 'answer', answer)
enqueue(KEYS[1], KEYS[2], cjson.decode(answer), ARGV[2], 1)
return acknowledged('sent')
"""
)

# The carried answers of a citizen whose later message has not been answered in time (the sweeper's safety
# net): sent on their own, together. KEYS: carried list, carried due set, outbox stream.
# ARGV: openid, the message key prefix, now. Returns how many answers were sent.
_FLUSH_CARRIED = (
    _ENQUEUE
    + _TAKE_CARRIED
    + """
if tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or '0') > tonumber(ARGV[3]) then return 0 end
local entries = redis.call('LRANGE', KEYS[1], 0, -1)
if #entries == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
local last = cjson.decode(entries[#entries])
redis.call('RPOP', KEYS[1])
local answer = take_carried(KEYS[1], KEYS[2], ARGV[1], ARGV[2], last.answer, last.about)
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', ARGV[2] .. last.key, 'state', 'sent', 'answer', answer)
enqueue(ARGV[2] .. last.key, KEYS[3], cjson.decode(answer), last.key, 1)
return #entries
"""
)

# A delivery takes the answer for its passive reply; texts after the first go to the outbox, once.
# KEYS: message hash, outbox stream. ARGV: dedupe key
_COLLECT = (
    _ENQUEUE
    + """
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'answered' then
  redis.call('HSET', KEYS[1], 'state', 'replied')
  enqueue(KEYS[1], KEYS[2], cjson.decode(redis.call('HGET', KEYS[1], 'answer')), ARGV[1], 2)
  return redis.call('HGET', KEYS[1], 'answer')
elseif state == 'replied' then
  return redis.call('HGET', KEYS[1], 'answer')
elseif state == 'holding' or state == 'held' then
  redis.call('HSET', KEYS[1], 'state', 'held')
  return redis.call('HGET', KEYS[1], 'notice')
end
return false
"""
)

# The last delivery gives up, or the retry window closed: the answer goes through the outbox.
# KEYS: message hash, outbox stream. ARGV: dedupe key
_DEFER = (
    _ENQUEUE
    + """
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'pending' or state == 'holding' then
  redis.call('HSET', KEYS[1], 'state', 'deferred')
elseif state == 'answered' then
  redis.call('HSET', KEYS[1], 'state', 'sent')
  enqueue(KEYS[1], KEYS[2], cjson.decode(redis.call('HGET', KEYS[1], 'answer')), ARGV[1], 1)
end
return state or 'missing'
"""
)

# A delivery's budget ran out without an answer, and WeChat will deliver again. In a rush that next delivery
# would wait as long in vain: a message still `pending` whose inbox entry no worker has taken yet, with the
# inbox at least ARGV[2] ms behind, is deferred now ('pending' returned) and the delivery replies `success`.
# A message already going out (deferred, sent, carried: another delivery or the sweeper did it) returns its
# state: nothing to hold for. Anything else ('ahead': the message is with a worker, answered just now, or the
# inbox is on time) is held as before, for WeChat's next delivery.
# KEYS: message hash, inbox. ARGV: the workers' group, the wait (ms)
_DEFER_IF_BEHIND = (
    _QUEUE_WAIT
    + """
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'deferred' or state == 'sent' or state == 'carried' then return state end
if state ~= 'pending' then return 'ahead' end
local last = last_delivered(KEYS[2], ARGV[1])
if not untaken(redis.call('HGET', KEYS[1], 'entry'), last) then return 'ahead' end
if queue_wait_ms(KEYS[2], last) < tonumber(ARGV[2]) then return 'ahead' end
redis.call('HSET', KEYS[1], 'state', 'deferred')
return 'pending'
"""
)


# Rasa could not answer: the notice waits for a delivery's passive reply; the message stays to be answered.
# The citizen's turns remember the earliest turn still held (`held`; stale once `done` reaches it), so the
# citizen's later messages are told at once and wait for it, in order, instead of going on after a timeout.
# KEYS: message hash, answered channel, the citizen's turns. ARGV: notice (JSON list of texts), dedupe key
_HOLD = """
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'pending' then
  redis.call('HSET', KEYS[1], 'state', 'holding', 'notice', ARGV[1])
  redis.call('PUBLISH', KEYS[2], ARGV[2])
end
local turn = tonumber(redis.call('HGET', KEYS[1], 'turn') or '0')
local held = tonumber(redis.call('HGET', KEYS[3], 'held') or '0')
local done = tonumber(redis.call('HGET', KEYS[3], 'done') or '0')
if turn > done and (held <= done or turn < held) then
  redis.call('HSET', KEYS[3], 'held', turn)
end
return state or 'missing'
"""


# How long a deferred answer waits for the citizen's later messages to be answered before it is sent on its
# own. Every accepted message is finished in the end (answered, or the apology after the inbox worker's
# give-up time), so this only bounds one whose inbox entry Redis lost. It must outlast a rush's backlog: at
# 60 s, a 10x burst's queue of several minutes flushed each citizen's carried answers every minute, and
# WeChat refused the sends past five after their last message (1,366 in one run).
CARRY_SECONDS = 600.0
QUESTION_LABEL_CHARS = 16


def question_label(question: str) -> str:
    """The citizen's question as a carried answer's label: one line, at most QUESTION_LABEL_CHARS
    characters; '' for a menu click or other event (its text is no question)."""
    if question.startswith("/"):
        return ""
    line = " ".join(question.split())
    return line if len(line) <= QUESTION_LABEL_CHARS else line[: QUESTION_LABEL_CHARS - 1] + "…"


@dataclass(frozen=True)
class Accepted:
    delivery: int  # 1 for the first delivery of this message
    state: str
    # on the first delivery: how far behind the inbox is (s): the oldest untaken message's wait, or the wait
    # the inbox's pace promises a new one when that is longer
    queue_wait: float = 0.0


@dataclass(frozen=True)
class TurnState:
    """A citizen's turn numbers: the earliest message still held (waiting for Rasa; stale once `done` reaches
    it) and the last one answered."""

    held: int
    done: int

    def behind_held(self, turn: int) -> bool:
        """An earlier message is held and not yet answered: message `turn` waits for it, however long, so the
        order of a conversation outlives an outage."""
        return self.done < self.held < turn

    def follows_answered(self, turn: int) -> bool:
        """Every earlier message of the citizen is answered: message `turn` may go to Rasa now."""
        return self.done >= turn - 1


class MessageStore:
    """The contract's state for every inbound message; `ttl` covers WeChat's whole retry window."""

    def __init__(self, client: aioredis.Redis, ttl: int = 3600, carry_seconds: float = CARRY_SECONDS) -> None:
        self._client = client
        self._ttl = ttl
        self._carry_seconds = carry_seconds
        self._flush_carried = client.register_script(_FLUSH_CARRIED)
        self._accept = client.register_script(_ACCEPT)
        self._finish = client.register_script(_FINISH)
        self._collect = client.register_script(_COLLECT)
        self._defer = client.register_script(_DEFER)
        self._defer_if_behind = client.register_script(_DEFER_IF_BEHIND)
        self._hold = client.register_script(_HOLD)

    async def accept(
        self,
        dedupe_key: str,
        openid: str,
        payload: dict[str, Any],
        sweep_at: float,
        ready: list[str] | None = None,
        ready_after: float = 0.0,
        defer_after: float | None = None,
    ) -> Accepted:
        """Count a delivery; the first one queues the message for Rasa in the same step, or, with a `ready`
        answer and an inbox at least `ready_after` seconds behind, answers it at once (state `replied`). On
        an inbox at least `defer_after` seconds behind (None: never), the message is queued `deferred`: its
        answer will go through the outbox."""
        result = await self._accept(
            keys=[
                keys.message(dedupe_key),
                keys.inbox(),
                keys.message_expiry(),
                keys.turns(openid),
                keys.outbox(),
                keys.mode(openid),
                keys.intake(openid),
                keys.inbox_pace(),
            ],
            args=[
                json.dumps(payload, ensure_ascii=False),
                time.time(),
                self._ttl,
                dedupe_key,
                sweep_at,
                openid,
                keys.inbox_group(),
                json.dumps(ready, ensure_ascii=False) if ready else "",
                int(ready_after * 1000),
                -1 if defer_after is None else int(defer_after * 1000),
            ],
        )
        return Accepted(delivery=int(result[0]), state=str(result[1]), queue_wait=int(result[2]) / 1000)

    async def finish(
        self, dedupe_key: str, openid: str, texts: list[str], question: str = "", inbox_entry: str = ""
    ) -> str:
        """Store the answer (and the citizen's turn as done); a deferred message's answer goes to the outbox,
        or is carried until the citizen's later message is answered and goes with it (`question` labels it
        there). Answers carried before this one go with this one. `inbox_entry`, the message's entry in the
        inbox, is acknowledged and deleted in the same step. Returns the state it reached."""
        return str(
            await self._finish(
                keys=[
                    keys.message(dedupe_key),
                    keys.outbox(),
                    keys.turns(openid),
                    keys.carried(openid),
                    keys.carried_due(),
                    keys.inbox(),
                    keys.inbox_pace(),
                ],
                args=[
                    json.dumps(texts, ensure_ascii=False),
                    dedupe_key,
                    keys.answered_channel(),
                    question_label(question),
                    time.time(),
                    self._carry_seconds,
                    self._ttl,
                    openid,
                    keys.message(""),
                    inbox_entry,
                    keys.inbox_group(),
                ],
            )
        )

    async def flush_overdue_carried(self, now: float, limit: int = 100) -> int:
        """Send the carried answers of every citizen whose later message was not answered within
        `carry_seconds` (stuck, or lost): together, on their own. Returns how many answers went."""
        due = await self._client.zrangebyscore(keys.carried_due(), 0, now, start=0, num=limit)
        sent = 0
        for raw in due:
            openid = raw.decode() if isinstance(raw, bytes) else str(raw)
            sent += int(
                await self._flush_carried(
                    keys=[keys.carried(openid), keys.carried_due(), keys.outbox()],
                    args=[openid, keys.message(""), now],
                )
            )
        return sent

    async def hold(self, dedupe_key: str, openid: str, notice: list[str]) -> str:
        """Rasa could not answer now: a waiting delivery replies with `notice`; `finish` later sends the
        answer through the outbox. Returns the state before (only a pending message is held)."""
        return str(
            await self._hold(
                keys=[keys.message(dedupe_key), keys.answered_channel(), keys.turns(openid)],
                args=[json.dumps(notice, ensure_ascii=False), dedupe_key],
            )
        )

    async def turn_state(self, openid: str) -> TurnState:
        """Where the citizen's conversation stands, in one read: the inbox worker decides from it whether a
        message waits behind a held one and whether it must wait for its predecessor at all."""
        raw = await self._client.hmget(keys.turns(openid), ["held", "done"])
        return TurnState(held=int(raw[0] or 0), done=int(raw[1] or 0))

    async def wait_turn(self, openid: str, turn: int, timeout: float, poll: float = 0.05) -> bool:
        """Wait until the citizen's previous message is answered (by any gateway); False after `timeout`
        (that message is stuck or lost: go on rather than hold the conversation)."""
        deadline = time.monotonic() + timeout
        while True:
            done = await self._client.hget(keys.turns(openid), "done")
            if int(done or 0) >= turn - 1:
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(poll)

    async def collect(self, dedupe_key: str) -> list[str] | None:
        """The answer's texts if ready (the caller replies with the first), else None."""
        raw = await self._collect(keys=[keys.message(dedupe_key), keys.outbox()], args=[dedupe_key])
        if not raw:
            return None
        texts = json.loads(raw)
        return [str(t) for t in texts]

    async def defer(self, dedupe_key: str) -> str:
        """No delivery will reply passively: the answer goes to the outbox now or when it is ready."""
        return str(await self._defer(keys=[keys.message(dedupe_key), keys.outbox()], args=[dedupe_key]))

    async def defer_if_behind(self, dedupe_key: str, behind: float) -> str:
        """After a delivery's budget ran out: defer the message when it is still `pending`, no worker has
        taken it yet and the inbox is at least `behind` seconds behind ('pending'); 'deferred', 'sent' or
        'carried' when it is going out already; otherwise 'ahead', and nothing changes."""
        return str(
            await self._defer_if_behind(
                keys=[keys.message(dedupe_key), keys.inbox()],
                args=[keys.inbox_group(), int(behind * 1000)],
            )
        )

    async def due_for_sweep(self, now: float, limit: int = 100) -> list[str]:
        found = await self._client.zrangebyscore(keys.message_expiry(), 0, now, start=0, num=limit)
        return [str(k) for k in found]

    async def forget_sweep(self, dedupe_key: str) -> None:
        await self._client.zrem(keys.message_expiry(), dedupe_key)
