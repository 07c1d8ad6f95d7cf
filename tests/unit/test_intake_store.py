"""The intake drafts' idle timer against a real Redis: one filer at a time, and nothing lost if it dies."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import redis.asyncio as aioredis
import yaml

from bot.core.intake import FORM_SLOTS, Draft, is_concrete
from bot.storage import keys
from bot.storage.intake import LOOSE_EVIDENCE_KEPT, LOOSE_EVIDENCE_SECONDS, Attached, IntakeStore

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


async def test_evidence_sent_before_a_complaint_goes_with_it(client: aioredis.Redis) -> None:
    store = IntakeStore(client, idle_seconds=600)
    photo = {"type": "image", "media_id": "m_before", "at": 100}
    assert await store.attach("o_3", photo, now=100.0) is Attached.NOT  # not to be kept (a voice note)
    assert await store.attach("o_3", photo, now=100.0, keep_loose=True) is Attached.KEPT
    assert await store.attach("o_3", photo, now=101.0, keep_loose=True) is Attached.KEPT  # delivered again
    await store.save("o_3", DRAFT, now=160.0)  # the complaint begins after the photo
    during = {"type": "image", "media_id": "m_during", "at": 170}
    assert await store.attach("o_3", during, now=170.0, keep_loose=True) is Attached.TO_INTAKE
    await store.save("o_3", DRAFT, now=180.0)  # the form moves on: nothing is taken twice
    taken = await store.take("o_3")
    assert taken is not None
    assert [a["media_id"] for a in taken.attachments] == ["m_before", "m_during"]
    assert not await client.exists(keys.loose_evidence("o_3"))


async def test_loose_evidence_expires_and_keeps_the_latest_few(client: aioredis.Redis) -> None:
    store = IntakeStore(client, idle_seconds=600)
    for number in range(LOOSE_EVIDENCE_KEPT + 2):
        photo = {"type": "image", "media_id": f"m{number}", "at": number}
        await store.attach("o_4", photo, keep_loose=True)
    assert await client.llen(keys.loose_evidence("o_4")) == LOOSE_EVIDENCE_KEPT
    assert 0 < await client.ttl(keys.loose_evidence("o_4")) <= LOOSE_EVIDENCE_SECONDS


def test_a_supposition_reports_nothing_however_long_it_is() -> None:
    supposed = Draft(category="举报", summary="万一碰到药店乱涨价可以找谁", details={}, started=1.0)
    reported = Draft(category="举报", summary="药店把口罩价格涨到一包八十块", details={}, started=1.0)
    named = Draft(
        category="举报", summary="如果这也不算哄抬物价", details={"shop": "好又多超市"}, started=1.0
    )
    screenshot = replace(supposed, attachments=({"type": "image", "media_id": "m", "at": 1},))
    assert [is_concrete(d) for d in (supposed, reported, named, screenshot)] == [False, True, True, False]


async def test_loose_evidence_is_taken_once_by_a_ticket_opened_without_an_intake(
    client: aioredis.Redis,
) -> None:
    store = IntakeStore(client, idle_seconds=600)
    photo = {"type": "image", "media_id": "m_then_person", "at": 5}
    await store.attach("o_5", photo, keep_loose=True)
    assert await store.take_loose("o_5") == [photo]
    assert await store.take_loose("o_5") == []
