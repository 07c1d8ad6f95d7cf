"""The gateway's own turn-log lines: menu buttons answered on arrival, which Rasa never sees."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from bot.storage.turnlog import ANSWERED_ON_ARRIVAL, TurnLog


async def test_a_button_answered_on_arrival_is_logged_once_as_its_intent(client: aioredis.Redis) -> None:
    turns = TurnLog(client)
    sent = time.time() - 5
    assert await turns.log_button("o_click", "/ask_mask_pickup", "ask_mask_pickup", sent, "msg:k1")
    assert not await turns.log_button("o_click", "/ask_mask_pickup", "ask_mask_pickup", sent, "msg:k1")
    logged = await turns.between(sent - 1, sent + 1)
    assert [(t.sender, t.intent, t.actions, t.fell_back) for t in logged] == [
        ("o_click", "ask_mask_pickup", (ANSWERED_ON_ARRIVAL,), False)
    ]
    assert abs(logged[0].at - sent) < 0.01  # counted by when the citizen pressed it
