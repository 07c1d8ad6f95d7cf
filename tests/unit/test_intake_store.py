"""The intake drafts' idle timer against a real Redis: one filer at a time, and nothing lost if it dies."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio as aioredis
import yaml

from bot.core.intake import FORM_SLOTS, Draft
from bot.storage import keys
from bot.storage.intake import IntakeStore

DRAFT = Draft(category="举报", summary="口罩一只卖40元", details={"shop": "好又多超市"}, started=1000.0)


async def test_a_due_draft_is_claimed_once_and_claimed_again_if_its_filer_died(
    client: aioredis.Redis,
) -> None:
    store = IntakeStore(client, idle_seconds=600)
    await store.save("o_1", DRAFT, now=0.0)
    assert await store.claim("o_1", now=599.0) is None  # not yet idle long enough
    assert await store.claim("o_1", now=600.0) == DRAFT
    assert await store.claim("o_1", now=601.0) is None  # another gateway has it
    # that gateway died before filing: after its lease the draft is due again
    assert await store.claim("o_1", now=661.0) == DRAFT
    await store.forget("o_1", DRAFT)
    assert await store.due(now=10_000.0) == [] and not await client.exists(keys.intake("o_1"))


async def test_forgetting_a_filed_draft_keeps_a_newer_one(client: aioredis.Redis) -> None:
    store = IntakeStore(client, idle_seconds=600)
    await store.save("o_2", DRAFT, now=0.0)
    claimed = await store.claim("o_2", now=600.0)
    assert claimed is not None
    newer = Draft(category="投诉", summary="又一件事", details={}, started=2000.0)
    await store.save("o_2", newer, now=610.0)  # the citizen began another complaint meanwhile
    await store.forget("o_2", claimed)
    assert await store.claim("o_2", now=1210.0) == newer


def test_the_slots_emptied_after_an_abandoned_intake_are_the_forms_slots_in_the_domain() -> None:
    """FORM_SLOTS repeats domain.yml's intake slots (the gateway does not read the domain): they must agree,
    or a filed intake would leave a detail behind for the citizen's next complaint."""
    domain = yaml.safe_load(Path("domain.yml").read_text(encoding="utf-8"))
    intake_slots = {name for name in domain["slots"] if name.startswith("complaint_")}
    assert set(FORM_SLOTS) == intake_slots | {"requested_slot"}
