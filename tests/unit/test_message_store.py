"""The contract's state transitions, each one Lua script, against a real Redis."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import redis.asyncio as aioredis

from bot.storage import keys
from bot.storage.messages import MessageStore, TurnState, question_label


async def outbox_texts(client: aioredis.Redis) -> list[tuple[str, str]]:
    return [(f["openid"], f["text"]) for _id, f in await client.xrange(keys.outbox())]


async def test_only_the_first_delivery_queues_work(client: aioredis.Redis) -> None:
    store = MessageStore(client)
    first = await store.accept("msg:1", "o1", {"text": "你好"}, sweep_at=time.time() + 30)
    second = await store.accept("msg:1", "o1", {"text": "你好"}, sweep_at=time.time() + 30)
    assert (first.delivery, second.delivery) == (1, 2)
    entries = await client.xrange(keys.inbox())
    assert len(entries) == 1 and json.loads(entries[0][1]["payload"]) == {"text": "你好"}


async def test_answer_is_collected_once_and_extra_texts_go_to_the_outbox_once(client: aioredis.Redis) -> None:
    store = MessageStore(client)
    await store.accept("msg:2", "o2", {}, sweep_at=time.time() + 30)
    assert await store.collect("msg:2") is None
    assert await store.finish("msg:2", "o2", ["一", "二", "三"]) == "answered"
    assert await store.collect("msg:2") == ["一", "二", "三"]
    assert await store.collect("msg:2") == ["一", "二", "三"]  # a later delivery repeats the reply
    assert await outbox_texts(client) == [("o2", "二"), ("o2", "三")]


async def test_deferred_answer_goes_entirely_to_the_outbox_when_ready(client: aioredis.Redis) -> None:
    store = MessageStore(client)
    await store.accept("msg:3", "o3", {}, sweep_at=time.time() + 30)
    assert await store.defer("msg:3") == "pending"
    assert await store.finish("msg:3", "o3", ["答复"]) == "sent"
    assert await store.collect("msg:3") is None
    assert await outbox_texts(client) == [("o3", "答复")]


async def test_defer_after_the_answer_sends_it_once(client: aioredis.Redis) -> None:
    store = MessageStore(client)
    await store.accept("msg:4", "o4", {}, sweep_at=time.time() + 30)
    await store.finish("msg:4", "o4", ["答复"])
    assert await store.defer("msg:4") == "answered"
    assert await store.defer("msg:4") == "sent"
    assert await outbox_texts(client) == [("o4", "答复")]


async def test_replied_messages_are_not_sent_again_by_the_sweeper(client: aioredis.Redis) -> None:
    store = MessageStore(client)
    await store.accept("msg:5", "o5", {}, sweep_at=time.time() - 1)
    await store.finish("msg:5", "o5", ["答复"])
    await store.collect("msg:5")
    assert await store.due_for_sweep(time.time()) == ["msg:5"]
    assert await store.defer("msg:5") == "replied"
    assert await outbox_texts(client) == []


async def test_queue_wait_is_the_age_of_the_oldest_message_no_worker_has_taken(
    client: aioredis.Redis,
) -> None:
    store = MessageStore(client)
    assert (await store.accept("msg:w0", "o", {}, sweep_at=time.time() + 30)).queue_wait == 0.0  # no group
    # msg:w1 arrived four seconds ago (an entry's id is its arrival time, by Redis's clock), not taken yet
    await client.delete(keys.inbox())
    await client.xadd(keys.inbox(), {"key": "msg:w1"}, id=f"{int((time.time() - 4.0) * 1000)}-0")
    await client.xgroup_create(keys.inbox(), keys.inbox_group(), id="0")
    ahead = await store.accept("msg:w3", "o", {}, sweep_at=time.time() + 30)
    assert 3.5 < ahead.queue_wait < 5.0
    second_delivery = await store.accept("msg:w3", "o", {}, sweep_at=time.time() + 30)
    assert second_delivery.queue_wait == 0.0  # only a first delivery asks
    await client.xreadgroup(keys.inbox_group(), "worker", {keys.inbox(): ">"}, count=2)  # taken: not waiting
    assert (await store.accept("msg:w4", "o", {}, sweep_at=time.time() + 30)).queue_wait == 0.0
    later = await store.accept("msg:w5", "o", {}, sweep_at=time.time() + 30)
    assert 0.0 <= later.queue_wait < 1.0  # msg:w4 waits, but only just


async def test_a_citizens_messages_take_turns_whoever_works_them(client: aioredis.Redis) -> None:
    """Two workers (two gateways) hold a citizen's first and second message: the second waits for the first."""
    store = MessageStore(client)
    for key in ("msg:t1", "msg:t2"):
        await store.accept(key, "o_turns", {}, sweep_at=time.time() + 30)
    turns = [int(fields["turn"]) for _id, fields in await client.xrange(keys.inbox())]
    assert turns == [1, 2]
    assert await store.wait_turn("o_turns", 1, timeout=0.1)  # the first goes at once
    assert not await store.wait_turn("o_turns", 2, timeout=0.2)  # the second would wait for the first ...
    second = asyncio.create_task(store.wait_turn("o_turns", 2, timeout=5))
    await asyncio.sleep(0.2)
    assert not second.done()
    await store.finish("msg:t1", "o_turns", ["答复"])  # ... until it is answered
    assert await asyncio.wait_for(second, 1)
    assert await store.wait_turn("o_other", 1, timeout=0.1)  # other citizens never wait


async def test_one_read_says_whether_a_message_waits_behind_a_held_one_or_may_go(
    client: aioredis.Redis,
) -> None:
    store = MessageStore(client)
    fresh = await store.turn_state("o_turns")
    assert fresh.follows_answered(1) and not fresh.behind_held(1)
    await client.hset(keys.turns("o_turns"), mapping={"held": 3, "done": 2})
    state = await store.turn_state("o_turns")
    assert state.follows_answered(3) and not state.behind_held(
        3
    )  # the held one itself goes when Rasa is back
    assert state.behind_held(4) and not state.follows_answered(4)  # the next waits behind it, in order
    await client.hset(keys.turns("o_turns"), "done", 3)
    after = await store.turn_state("o_turns")
    assert after.follows_answered(4) and not after.behind_held(4)


async def test_deferred_answers_wait_for_the_citizens_later_message_and_go_with_it(
    client: aioredis.Redis,
) -> None:
    """A rush: three messages deferred, answered in order. The first two are carried and go with the third's
    answer, labelled with their questions: one send after the citizen's last message, not three."""
    store = MessageStore(client)
    for n in (1, 2, 3):
        await store.accept(f"msg:c{n}", "oc", {}, sweep_at=time.time() + 30)
        await store.defer(f"msg:c{n}")
    assert await store.finish("msg:c1", "oc", ["预约在公众号菜单"], "怎么预约口罩") == "carried"
    assert await store.finish("msg:c2", "oc", ["在社区领取", "带上身份证"], "在哪里领") == "carried"
    assert await outbox_texts(client) == []
    assert await store.finish("msg:c3", "oc", ["不客气"], "谢谢") == "sent"
    assert await outbox_texts(client) == [
        (
            "oc",
            "关于“怎么预约口罩”：\n预约在公众号菜单\n\n关于“在哪里领”：\n在社区领取\n\n带上身份证\n\n关于“谢谢”：\n不客气",
        )
    ]
    states = [await client.hget(keys.message(f"msg:c{n}"), "state") for n in (1, 2, 3)]
    assert states == ["sent", "sent", "sent"]
    outboxed = [await client.hget(keys.message(f"msg:c{n}"), "outboxed") for n in (1, 2, 3)]
    assert outboxed == [None, None, "1"]  # the one send is counted once, on the message that made it
    assert await client.exists(keys.carried("oc")) == 0
    assert await client.zcard(keys.carried_due()) == 0


async def test_carried_answers_ride_on_a_passive_reply(client: aioredis.Redis) -> None:
    store = MessageStore(client)
    await store.accept("msg:p1", "op", {}, sweep_at=time.time() + 30)
    await store.defer("msg:p1")
    await store.accept("msg:p2", "op", {}, sweep_at=time.time() + 30)
    assert await store.finish("msg:p1", "op", ["第一条答复"], "第一个问题") == "carried"
    assert await store.finish("msg:p2", "op", ["第二条答复"], "第二个问题") == "answered"
    assert await store.collect("msg:p2") == [
        "关于“第一个问题”：\n第一条答复\n\n关于“第二个问题”：\n第二条答复"
    ]
    assert await outbox_texts(client) == []


async def test_carried_answers_are_packed_within_wechats_text_limit(client: aioredis.Redis) -> None:
    store = MessageStore(client)
    long_answer = "长" * 600  # 1,800 bytes: two of them do not fit in one 2,048-byte text
    for n in (1, 2):
        await store.accept(f"msg:l{n}", "ol", {}, sweep_at=time.time() + 30)
        await store.defer(f"msg:l{n}")
    await store.finish("msg:l1", "ol", [long_answer], "")
    await store.finish("msg:l2", "ol", [long_answer], "")
    sent = [text for _openid, text in await outbox_texts(client)]
    assert sent == [long_answer, long_answer]
    assert all(len(text.encode()) <= 2048 for text in sent)


async def test_an_answer_is_not_carried_when_the_later_message_is_already_answered(
    client: aioredis.Redis,
) -> None:
    """Turn 2 went ahead of turn 1 (its predecessor timed out): nothing later is waiting, so turn 1's answer
    goes at once instead of waiting for a message that will not come."""
    store = MessageStore(client)
    for n in (1, 2):
        await store.accept(f"msg:o{n}", "oo", {}, sweep_at=time.time() + 30)
        await store.defer(f"msg:o{n}")
    assert await store.finish("msg:o2", "oo", ["二"], "") == "sent"
    assert await store.finish("msg:o1", "oo", ["一"], "") == "sent"
    assert await outbox_texts(client) == [("oo", "二"), ("oo", "一")]


async def test_carried_answers_whose_later_message_never_finishes_are_sent_after_the_carry_time(
    client: aioredis.Redis,
) -> None:
    store = MessageStore(client, carry_seconds=30)
    for n in (1, 2, 3):
        await store.accept(f"msg:s{n}", "os", {}, sweep_at=time.time() + 30)
        await store.defer(f"msg:s{n}")
    await store.finish("msg:s1", "os", ["一"], "问一")
    await store.finish("msg:s2", "os", ["二"], "问二")  # message 3 is stuck
    assert await store.flush_overdue_carried(time.time()) == 0  # not yet due
    assert await store.flush_overdue_carried(time.time() + 31) == 2
    assert await outbox_texts(client) == [("os", "关于“问一”：\n一\n\n关于“问二”：\n二")]
    assert await store.flush_overdue_carried(time.time() + 31) == 0  # once only
    assert [await client.hget(keys.message(f"msg:s{n}"), "state") for n in (1, 2)] == ["sent", "sent"]
    assert await store.finish("msg:s3", "os", ["三"], "问三") == "sent"  # nothing carried any more
    assert (await outbox_texts(client))[-1] == ("os", "三")


async def test_no_carrying_when_turned_off(client: aioredis.Redis) -> None:
    store = MessageStore(client, carry_seconds=0)
    for n in (1, 2):
        await store.accept(f"msg:n{n}", "on", {}, sweep_at=time.time() + 30)
        await store.defer(f"msg:n{n}")
    assert await store.finish("msg:n1", "on", ["一"], "") == "sent"


def test_a_question_label_is_one_short_line_and_events_have_none() -> None:
    assert question_label("  口罩\n在哪里  领？ ") == "口罩 在哪里 领？"
    assert question_label("我想投诉和平街那家药店卖的口罩价格太高了") == "我想投诉和平街那家药店卖的口罩…"
    assert len(question_label("我" * 40)) == 16
    assert question_label("/greet") == ""


async def test_a_ready_answer_is_given_on_arrival_when_the_inbox_is_behind(client: aioredis.Redis) -> None:
    """A content button in a rush: answered in the accept step, never queued for Rasa, its turn done (the
    citizen's next message need not wait for it), and WeChat's retry gets the same answer."""
    store = MessageStore(client)
    ready = ["预约方式……", "第二段"]
    first = await store.accept("msg:r1", "o_r", {"text": "/ask_mask_booking"}, time.time() + 30, ready, 0.0)
    assert (first.delivery, first.state) == (1, "replied")
    assert await client.xlen(keys.inbox()) == 0
    assert await store.turn_state("o_r") == TurnState(held=0, done=1)
    assert await outbox_texts(client) == [("o_r", "第二段")]  # the passive reply carries the first text
    retry = await store.accept("msg:r1", "o_r", {"text": "/ask_mask_booking"}, time.time() + 30, ready, 0.0)
    assert retry.delivery == 2 and await store.collect("msg:r1") == ready
    assert await outbox_texts(client) == [("o_r", "第二段")]  # once


async def test_a_ready_answer_waits_its_turn_when_the_inbox_keeps_up(client: aioredis.Redis) -> None:
    store = MessageStore(client)
    accepted = await store.accept("msg:r2", "o_r2", {}, time.time() + 30, ["内容"], ready_after=3.0)
    assert accepted.state == "pending" and await client.xlen(keys.inbox()) == 1


@pytest.mark.parametrize(
    "situation",
    ["earlier message unanswered", "with a person", "satisfaction question open", "complaint intake"],
)
async def test_a_ready_answer_waits_its_turn_when_the_conversation_needs_rasa(
    client: aioredis.Redis, situation: str
) -> None:
    store = MessageStore(client)
    if situation == "earlier message unanswered":
        await store.accept("msg:r3a", "o_r3", {"text": "我要投诉"}, time.time() + 30)
    elif situation == "with a person":
        await client.hset(keys.mode("o_r3"), mapping={"mode": "queued", "ticket": "T1"})
    elif situation == "satisfaction question open":  # Rasa's path clears it when the citizen moves on
        await client.hset(keys.mode("o_r3"), mapping={"mode": "bot", "rating_ticket": "T1"})
    else:
        await client.set(keys.intake("o_r3"), json.dumps({"slots": {"shop": "某药店"}}))
    accepted = await store.accept("msg:r3", "o_r3", {}, time.time() + 30, ["内容"], ready_after=0.0)
    assert accepted.state == "pending"
    assert [f["key"] for _id, f in await client.xrange(keys.inbox())][-1] == "msg:r3"


async def test_a_finish_that_fails_half_way_leaves_the_inbox_entry_to_be_worked_again(
    client: aioredis.Redis,
) -> None:
    """Redis does not roll a failed script back: the entry is acknowledged only after everything else ran."""
    store = MessageStore(client)
    await client.xgroup_create(keys.inbox(), keys.inbox_group(), id="0", mkstream=True)
    await store.accept("msg:f1", "o_f", {"text": "问"}, time.time() + 30)
    [[_stream, [(entry_id, _fields)]]] = await client.xreadgroup(
        keys.inbox_group(), "worker", {keys.inbox(): ">"}, count=1
    )
    await client.rpush(keys.carried("o_f"), "not json")  # a damaged carried answer: the script fails
    with pytest.raises(aioredis.ResponseError):
        await store.finish("msg:f1", "o_f", ["答"], "问", inbox_entry=entry_id)
    assert await client.xlen(keys.inbox()) == 1
    assert (await client.xpending(keys.inbox(), keys.inbox_group()))["pending"] == 1
    await client.delete(keys.carried("o_f"))
    assert await store.finish("msg:f1", "o_f", ["答"], "问", inbox_entry=entry_id) == "answered"
    assert await client.xlen(keys.inbox()) == 0


async def test_admission_queues_a_message_deferred_in_the_accept_step(client: aioredis.Redis) -> None:
    """An inbox behind by `defer_after` or more: the message is queued already deferred (one step, not a
    second one to defer it), still worked by Rasa, and its answer goes through the outbox once."""
    store = MessageStore(client)
    await client.xgroup_create(keys.inbox(), keys.inbox_group(), id="0", mkstream=True)
    kept_up = await store.accept("msg:d0", "o_d0", {}, time.time() + 30, defer_after=3.0)
    assert (kept_up.delivery, kept_up.state) == (1, "pending")  # nothing waits: answered passively
    behind = await store.accept("msg:d1", "o_d1", {}, time.time() + 30, defer_after=0.0)
    assert (behind.delivery, behind.state) == (1, "deferred")
    assert [f["key"] for _id, f in await client.xrange(keys.inbox())][-1] == "msg:d1"  # Rasa still answers it
    retry = await store.accept("msg:d1", "o_d1", {}, time.time() + 30, defer_after=0.0)
    assert (retry.delivery, retry.state) == (2, "deferred")  # a retry does not queue it again
    assert await client.xlen(keys.inbox()) == 2
    assert await store.finish("msg:d1", "o_d1", ["答"], "问") == "sent"
    assert await outbox_texts(client) == [("o_d1", "答")]
    never = await store.accept("msg:d2", "o_d2", {}, time.time() + 30)  # no defer_after: never on arrival
    assert never.state == "pending"


async def test_admission_defers_at_once_when_the_pace_says_the_backlog_cannot_be_answered_in_time(
    client: aioredis.Redis,
) -> None:
    """The start of a rush: workers finish about two messages a second while nine wait, so a new message would
    wait some five seconds, though the oldest has waited only two. The pace (measured only while messages
    waited, so a quiet hour's arrivals are no capacity) defers it on arrival; the oldest's wait alone would not."""
    store = MessageStore(client)
    await client.xgroup_create(keys.inbox(), keys.inbox_group(), id="0", mkstream=True)

    async def work(count: int) -> None:
        taken = await client.xreadgroup(keys.inbox_group(), "worker", {keys.inbox(): ">"}, count=count)
        for entry_id, fields in taken[0][1]:
            openid = str(await client.hget(keys.message(fields["key"]), "openid"))
            await store.finish(fields["key"], openid, ["答"], inbox_entry=entry_id)

    for n in range(12):
        accepted = await store.accept(f"msg:p{n}", f"o_p{n}", {}, time.time() + 30, defer_after=3.0)
        assert accepted.state == "pending"
    await work(2)
    await asyncio.sleep(1.05)
    first_sample = await store.accept("msg:p12", "o_p12", {}, time.time() + 30, defer_after=3.0)
    assert first_sample.state == "pending"
    # The first look has no earlier one to measure from: no rate yet.
    assert float(await client.hget(keys.inbox_pace(), "rate") or 0) == 0
    await work(2)
    await asyncio.sleep(1.05)
    oldest_wait_only = await store.accept("msg:p13", "o_p13", {}, time.time() + 30, defer_after=3.0)
    assert 1.0 < float(await client.hget(keys.inbox_pace(), "rate") or 0) < 2.1
    assert await client.hget(keys.inbox_pace(), "finished") == "4"
    assert (oldest_wait_only.state, oldest_wait_only.queue_wait > 4.0) == ("deferred", True)
    assert [f["key"] for _id, f in await client.xrange(keys.inbox())][
        -1
    ] == "msg:p13"  # still answered by Rasa


async def test_admission_by_pace_lets_a_short_backlog_through(client: aioredis.Redis) -> None:
    """Workers that keep up (ten a second) with three messages waiting: a new one is answered passively."""
    store = MessageStore(client)
    await client.xgroup_create(keys.inbox(), keys.inbox_group(), id="0", mkstream=True)
    await client.hset(
        keys.inbox_pace(), mapping={"t": int(time.time() * 1000), "rate": "10.000", "busy": "1"}
    )
    for n in range(3):
        await store.accept(f"msg:k{n}", f"o_k{n}", {}, time.time() + 30, defer_after=3.0)
    accepted = await store.accept("msg:k3", "o_k3", {}, time.time() + 30, defer_after=3.0)
    assert accepted.state == "pending" and accepted.queue_wait < 1.0


async def test_the_pace_counts_only_messages_no_worker_holds_and_waits_for_every_slot_busy(
    client: aioredis.Redis,
) -> None:
    """Workers at ten a second hold 25 messages (with Rasa) and 5 wait: half a second's work, answered
    passively; counting the held ones would make it three seconds and defer it. And a rate measured low and
    kept (two a second) defers nothing while the oldest has waited under half a second: a free slot takes
    the few messages of a calm morning at once."""
    store = MessageStore(client)
    await client.xgroup_create(keys.inbox(), keys.inbox_group(), id="0", mkstream=True)
    later = int(time.time() * 1000) + 60_000  # no new sample during the test: the rate stays as set
    await client.hset(keys.inbox_pace(), mapping={"t": later, "rate": "10.000", "busy": "1"})
    for n in range(30):
        await store.accept(f"msg:h{n}", f"o_h{n}", {}, time.time() + 30, defer_after=3.0)
    await client.xreadgroup(keys.inbox_group(), "worker", {keys.inbox(): ">"}, count=25)
    await asyncio.sleep(0.6)
    held_apart = await store.accept("msg:h30", "o_h30", {}, time.time() + 30, defer_after=3.0)
    assert held_apart.state == "pending" and 0.5 <= held_apart.queue_wait < 1.0

    await client.delete(keys.inbox(), keys.inbox_pace())
    await client.xgroup_create(keys.inbox(), keys.inbox_group(), id="0", mkstream=True)
    await client.hset(keys.inbox_pace(), mapping={"t": later, "rate": "2.000", "busy": "1"})
    calm = [
        await store.accept(f"msg:c{n}", f"o_c{n}", {}, time.time() + 30, defer_after=3.0) for n in range(8)
    ]
    assert [a.state for a in calm] == ["pending"] * 8  # 7 waiting at 2 a second would be 3.5 s


async def test_a_message_finished_twice_counts_once_in_the_pace(client: aioredis.Redis) -> None:
    """An entry claimed from a slow worker and finished by both: one message finished."""
    store = MessageStore(client)
    await client.xgroup_create(keys.inbox(), keys.inbox_group(), id="0", mkstream=True)
    await store.accept("msg:t1", "o_t1", {}, time.time() + 30)
    [[_stream, [(entry_id, _fields)]]] = await client.xreadgroup(
        keys.inbox_group(), "worker", {keys.inbox(): ">"}, count=1
    )
    await store.finish("msg:t1", "o_t1", ["答"], inbox_entry=entry_id)
    await store.finish("msg:t1", "o_t1", ["答"], inbox_entry=entry_id)
    assert await client.hget(keys.inbox_pace(), "finished") == "1"
