"""Tickets are kept for TICKET_RETENTION_DAYS: a closed one, its history and its messages, from its closing."""

from __future__ import annotations

import redis.asyncio as aioredis

from bot.core.tickets import Reason
from bot.storage import keys
from bot.storage.tickets import MEDIA_LINE, TicketAttached, TicketStore


async def test_a_closed_ticket_is_kept_for_the_retention_and_then_forgotten(client: aioredis.Redis) -> None:
    store = TicketStore(client, retention_seconds=1000)
    opened = await store.open("o_r", "msg:r1", Reason.REQUEST_HUMAN, priority=3, category="咨询", summary="s",
                              live=True)  # fmt: skip
    await store.add_message(opened.number, "citizen", "我的电话是13812345678")
    assert 0 < await client.ttl(keys.ticket(opened.number)) <= 1000
    await client.zadd(keys.tickets_closed(), {"12315-20200101-0001": 1.0})  # closed long ago
    assert (await store.close(opened.number, "5001", "resolved", ask_rating=False))[0] == "closed_now"
    for key in (
        keys.ticket(opened.number),
        keys.ticket_history(opened.number),
        keys.ticket_messages(opened.number),
    ):
        assert 990 <= await client.ttl(key) <= 1000
    assert await client.zrange(keys.tickets_closed(), 0, -1) == [opened.number]


async def test_an_image_sent_to_a_person_is_kept_on_the_ticket_once(client: aioredis.Redis) -> None:
    store = TicketStore(client, retention_seconds=1000)
    opened = await store.open("o_a", "msg:a1", Reason.REQUEST_HUMAN, priority=3, category="咨询", summary="s",
                              live=True)  # fmt: skip
    photo = {"type": "image", "media_id": "m_live", "at": 1}
    assert await store.add_attachment(opened.number, photo) is TicketAttached.ADDED
    assert await store.add_attachment(opened.number, photo) is TicketAttached.ALREADY  # delivered again
    ticket = await store.get(opened.number)
    assert ticket is not None and ticket["attachments"] == [photo]
    assert [m["text"] for m in await store.messages(opened.number)] == [MEDIA_LINE["image"]]
    assert await store.add_attachment("12315-20200101-9999", photo) is TicketAttached.NO_TICKET
    await store.close(opened.number, "5001", "resolved", ask_rating=False)
    later = {"type": "image", "media_id": "m_after", "at": 2}
    assert await store.add_attachment(opened.number, later) is TicketAttached.NO_TICKET  # closed
