"""The benchmark's bookkeeping: what counts as lost, answered twice, and the sustainable rate."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from bench import catalog
from bench.accounting import (
    Messages,
    drain,
    filing_notices,
    in_order,
    order_violations,
    refused_tally,
    summarise,
    tally_since,
    work_queued,
)
from bench.frontdoor import CITIZENS, TEXTS_PER_CITIZEN_MINUTE, citizens_for, sustainable
from bench.wechat_load import PushResult
from bot.core.intake import filed_unconfirmed_message
from bot.storage import keys
from bot.storage.embedded import EmbeddedRedis


def push(msg_id: str, outcome: str, latency: float = 0.2, deliveries: int = 1) -> PushResult:
    return PushResult(
        openid="o1", msg_id=msg_id, kind="text", body="你好", started=0.0, outcome=outcome,
        latency=latency, deliveries=deliveries,
    )  # fmt: skip


def test_a_text_whose_answer_never_reached_the_citizen_is_lost() -> None:
    results = [push("1", "passive"), push("2", "success"), push("3", "success"), push("4", "failed")]
    messages = Messages(states={"msg:1": "replied", "msg:2": "sent", "msg:3": "deferred"}, outbox_texts=1)
    step = summarise(10, results, messages, sends=1, drained=0.0)
    assert step["lost"] == 2  # msg:3 never left the outbox's queue; msg:4 was never even accepted
    assert step["lost_by_state"] == {"deferred": 1, "never_accepted": 1}
    assert step["failed"] == 1 and step["acked_within_5s_pct"] == 75.0
    assert step["duplicate_answers"] == 0


def test_a_text_refused_in_words_is_counted_apart_not_lost() -> None:
    # over the flood limit: the gateway answers "slow down" and records nothing; not a lost text, and its
    # quick notice is no answer's latency. A text Redis could not take is lost, and says why.
    slowed = push("2", "passive", latency=0.01)
    slowed.notice = "slow_down"
    unrecorded = push("3", "passive", latency=0.01)
    unrecorded.notice = "not_recorded"
    results = [push("1", "passive", latency=0.4), slowed, unrecorded]
    messages = Messages(states={"msg:1": "replied"}, outbox_texts=0)
    step = summarise(10, results, messages, sends=0, drained=0.0)
    assert step["throttled"] == 1
    assert step["lost"] == 1 and step["lost_by_state"] == {"not_recorded": 1}
    assert step["p50_ms"] == 400.0 and step["passive"] == 3


def test_a_rush_has_more_citizens_not_busier_ones() -> None:
    assert citizens_for(10) == CITIZENS
    assert citizens_for(700) * TEXTS_PER_CITIZEN_MINUTE >= 700 * 60  # no more than 4 texts a minute each


def test_sends_beyond_what_the_contract_queued_are_duplicates() -> None:
    messages = Messages(states={"msg:1": "sent"}, outbox_texts=1)
    step = summarise(10, [push("1", "success")], messages, sends=3, drained=0.0)
    assert step["duplicate_answers"] == 2 and step["lost"] == 0


def step(rate: float, p99: float = 100.0, failed: int = 0) -> dict[str, float]:
    return {"offered_per_s": rate, "failed": failed, "p99_ms": p99, "lost": 0, "duplicate_answers": 0,
            "success_then_outbox": 0}  # fmt: skip


def test_the_sustainable_rate_is_the_last_clean_step_before_the_first_failing_one() -> None:
    steps = [step(10), step(20), step(40, p99=1500.0), step(80)]
    assert sustainable(steps) == 20  # 80 passing after 40 failed does not count
    assert sustainable([step(10, failed=1)]) == 0.0


def test_the_catalog_is_big_enough_and_repeats_like_a_rush() -> None:
    messages = catalog.messages()
    assert len({m.body for m in messages}) >= 500
    sample = catalog.draw(messages, catalog.sampler(1), 5000)
    assert 0.5 < catalog.repeat_share(sample) < 1.0


async def test_a_conversation_rasa_saw_in_another_order_is_counted(redis_server: EmbeddedRedis) -> None:
    client = aioredis.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/6")
    try:
        await client.flushdb()

        def user(text: str) -> dict[str, str]:
            return {"event": "user", "text": text}

        in_order = [user("你好"), {"event": "bot", "text": "您好"}, user("我要投诉"), user("人民路药店")]
        swapped = [user("我要投诉"), user("人民路药店"), user("你好")]
        await client.set("rasa:tracker:o_a", json.dumps({"events": in_order}))
        await client.set("rasa:tracker:o_b", json.dumps({"events": swapped}))
        sent = []
        for openid in ("o_a", "o_b"):
            for number, text in enumerate(("你好", "我要投诉", "人民路药店")):
                result = push(f"{openid}{number}", "passive")
                result.openid, result.body, result.started, result.in_conversation = (
                    openid,
                    text,
                    number,
                    True,
                )
                sent.append(result)
        assert await order_violations(client, sent) == 1
    finally:
        await client.aclose()


def test_in_order_allows_messages_rasa_never_saw_but_not_a_swap() -> None:
    assert in_order(["a", "b", "c"], ["a", "b", "c"])
    assert in_order(["a", "c"], ["a", "b", "c"])  # b went to the ticket, not to Rasa
    assert not in_order(["b", "a"], ["a", "b", "c"])


async def test_an_earlier_steps_copy_of_the_conversation_is_not_read_as_this_one(
    redis_server: EmbeddedRedis,
) -> None:
    client = aioredis.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/7")
    try:
        await client.flushdb()
        earlier = [{"event": "user", "text": t, "timestamp": 1.0} for t in ("你好", "我要投诉", "人民路药店")]
        now = [{"event": "user", "text": t, "timestamp": 100.0} for t in ("你好", "人民路药店")]  # one lost
        await client.set("rasa:tracker:o_c", json.dumps({"events": earlier + now}))
        sent = []
        for number, text in enumerate(("你好", "我要投诉", "人民路药店")):
            result = push(f"c{number}", "passive")
            result.openid, result.body, result.started, result.in_conversation = "o_c", text, number, True
            sent.append(result)
        assert await order_violations(client, sent, since=50.0) == 0
        assert await order_violations(client, sent, since=0.0) == 1  # reading both copies looks like a swap
    finally:
        await client.aclose()


def test_a_filing_notice_is_no_duplicate_answer() -> None:
    """A complaint form left idle is filed and its number sent: a send no message record accounts for."""
    messages = Messages(states={"msg:1": "sent"}, outbox_texts=1)
    assert summarise(10, [], messages, sends=3, drained=0.0)["duplicate_answers"] == 2
    summary = summarise(10, [], messages, sends=3, drained=0.0, filing_notices=2)
    assert summary["duplicate_answers"] == 0 and summary["undelivered_outbox_texts"] == 0


def test_a_filing_notice_sent_twice_is_one_duplicate_even_when_other_texts_went_unsent() -> None:
    """Two notices sent, one of them a repeat of the other; one outbox text never sent: the repeat must not
    be netted against the text that is missing."""
    messages = Messages(states={"msg:1": "sent"}, outbox_texts=2)
    summary = summarise(10, [], messages, sends=3, drained=0.0, filing_notices=2, repeated_notices=1)
    assert (summary["duplicate_answers"], summary["undelivered_outbox_texts"]) == (1, 1)


async def test_the_drain_waits_for_queued_work_and_for_records_still_unfinished(
    redis_server: EmbeddedRedis,
) -> None:
    """Done only when the queues are empty and every message record is finished: a queued inbox entry keeps
    it waiting, and so does an answer stored for a delivery that never collected it."""
    client = aioredis.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/7")
    try:
        await client.flushdb()
        entry = await client.xadd(keys.inbox(), {"key": "msg:1"})
        await client.hset(keys.message("msg:1"), mapping={"state": "pending", "openid": "o1"})
        assert await work_queued(client) == 1
        assert await drain(client, None, "", limit=1.2) == 1.2  # type: ignore[arg-type]
        await client.xdel(keys.inbox(), entry)
        await client.hset(keys.message("msg:1"), "state", "answered")  # the queues are empty; the record not
        assert await work_queued(client) == 0
        assert await drain(client, None, "", limit=1.2) == 1.2  # type: ignore[arg-type]
        await client.hset(keys.message("msg:1"), "state", "sent")
        assert await drain(client, None, "", limit=5.0) < 1.0  # type: ignore[arg-type]
    finally:
        await client.aclose()


def test_texts_the_outbox_gave_up_on_are_neither_expected_nor_hidden_by_extra_sends() -> None:
    """95 texts refused for the quota and 115 sends the contract never queued used to read as 20 twice."""
    messages = Messages(states={}, outbox_texts=7204)
    netted = summarise(700, [], messages, sends=7224, drained=0.0)
    assert (netted["duplicate_answers"], netted["undelivered_outbox_texts"]) == (20, 0)
    step = summarise(700, [], messages, sends=7224, drained=0.0, refused={"quota": 95})
    assert (step["duplicate_answers"], step["undelivered_outbox_texts"]) == (115, 0)
    assert step["outbox_refused"] == {"quota": 95}
    short = summarise(700, [], messages, sends=7000, drained=0.0, refused={"quota": 95})
    assert (short["duplicate_answers"], short["undelivered_outbox_texts"]) == (0, 109)


async def test_the_refused_tally_is_read_per_step(redis_server: EmbeddedRedis) -> None:
    client = aioredis.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/8")
    try:
        await client.flushdb()
        await client.hincrby(keys.outbox_refused(), "quota", 3)
        before = await refused_tally(client)
        await client.hincrby(keys.outbox_refused(), "quota", 2)
        await client.hincrby(keys.outbox_refused(), "45015", 1)
        assert tally_since(before, await refused_tally(client)) == {"quota": 2, "45015": 1}
    finally:
        await client.aclose()


def test_filing_notices_are_counted_from_what_was_sent_and_a_repeated_one_is_a_duplicate() -> None:
    notice = filed_unconfirmed_message("12315-20261206-0001", "价格")
    other = filed_unconfirmed_message("12315-20261206-0002", "假冒伪劣")
    sends = [
        {"touser": "o1", "content": notice},
        {"touser": "o1", "content": "口罩预约办理方式……"},
        {"touser": "o2", "content": other},
        {"touser": "o1", "content": notice},  # the same ticket's notice again
    ]
    assert filing_notices(sends) == (3, 1)
    assert filing_notices([{"touser": "o1", "content": None}]) == (0, 0)


async def test_the_generator_reports_its_own_loop_lag() -> None:
    """A step whose generator was blocked says so: its lag figures show the block, not zero."""
    import asyncio
    import time

    from bench.accounting import lag_ms
    from bench.wechat_load import Step, _probe_lag

    step = Step(rate=1.0, seconds=1.0)
    probe = asyncio.create_task(_probe_lag(step.lags))
    await asyncio.sleep(0.12)
    time.sleep(0.3)  # noqa: ASYNC251  the generator's loop held up, as by a saturated core
    await asyncio.sleep(0.12)
    probe.cancel()
    lag = lag_ms(step.lags)
    assert lag["max"] >= 250.0
    assert lag["p50"] < 100.0
    assert lag_ms(Step(rate=1.0, seconds=1.0).lags) == {"p50": 0.0, "p99": 0.0, "max": 0.0}
