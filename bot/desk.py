"""The help desk: who answers a citizen (bot, queue, agent), handoffs, and what agents do with tickets.

The inbox worker asks `answer()` for every accepted message; the console's API calls the agents' side.
Rasa's actions only signal (`{"handoff": ...}`, `{"ticket": ...}`); tickets and modes are decided here
and kept by the ticket store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, tzinfo
from typing import Any

import redis.asyncio as aioredis

from bot.core import answers
from bot.core.content import INTENT_SECTIONS, format_section
from bot.core.intake import (
    ATTACHED_MESSAGE,
    KEPT_MESSAGE,
    LOOSE_TYPES,
    Draft,
    attached_to_ticket_message,
    filed_unconfirmed_message,
    form_reset_events,
    is_closed,
    is_concrete,
)
from bot.core.shifts import Shift, describe_opening, next_opening, on_duty
from bot.core.text import pack, split_utf8
from bot.core.tickets import (
    CLOSING_MESSAGE,
    RATING_THANKS,
    Mode,
    QueueView,
    Reason,
    agent_joined_message,
    cancelled_message,
    category_for,
    handoff_message,
    is_cancel,
    menu_while_with_person,
    priority_for,
    rating_of,
    reason_of,
    still_queued_message,
    summary_of,
)
from bot.logs import citizen
from bot.rasa.client import RasaClient, RasaUnavailable
from bot.rasa.transcript import details_from_events, transcript_from_events
from bot.storage.agents import AgentStore, Role
from bot.storage.content import ContentStore
from bot.storage.intake import Attached, IntakeStore
from bot.storage.tickets import Claim, Opened, TicketAttached, TicketStore
from bot.storage.turnlog import TurnLog
from bot.workers.inbox import AnswerLater
from bot.workers.outbox import enqueue_texts
from lexicon.cues import asks_for_person

log = logging.getLogger(__name__)


# The handoff the gateway makes itself when Rasa is down and the citizen asks for a person.
HUMAN_WITHOUT_RASA: dict[str, Any] = {"reason": "request_human", "intent": "request_human", "confidence": 1.0}


def wants_person(text: str, is_event: bool) -> bool:
    """Asks for a person, read without Rasa: the menu's 转人工服务 button (sent as its intent), or a
    citizen's own words the NLU's cue reads as a request."""
    return text == "/request_human" or (not is_event and asks_for_person(text))


def citizen_summary(transcript: list[dict[str, Any]]) -> str:
    """A ticket's summary from the citizen's last three messages."""
    return summary_of([t["text"] for t in transcript if t["who"] == "citizen"][-3:])


class HelpDesk:
    def __init__(
        self,
        client: aioredis.Redis,
        tickets: TicketStore,
        agents: AgentStore,
        rasa: RasaClient,
        shifts: tuple[Shift, ...],
        timezone: tzinfo,
        intake: IntakeStore,
        rasa_timeout: float = 30.0,
    ) -> None:
        self._client = client
        self._turns = TurnLog(client)
        self.tickets = tickets
        self.intake = intake
        self.agents = agents
        self._rasa = rasa
        self._shifts = shifts
        self._timezone = timezone
        self._rasa_timeout = rasa_timeout

    # ---- the citizen's side --------------------------------------------------------------------

    async def answer(
        self, openid: str, text: str, is_event: bool, source: str, sent_at: int = 0
    ) -> list[str]:
        """The texts that answer one accepted message (empty: the agent will answer; reply `success`)."""
        routed = await self._by_mode(openid, text, is_event, source)
        if routed is not None:
            return routed
        try:
            turn = await self._rasa.send(openid, text, timeout=self._rasa_timeout, sent_at=sent_at)
        except RasaUnavailable as exc:
            published = await self.published_answer(text)
            if published is not None:
                await self._turns.record_button(openid, text, sent_at, source)
                return published
            if wants_person(text, is_event):
                # A person needs no understanding: the ticket is opened now, not when Rasa is back.
                return [await self._handoff(openid, source, HUMAN_WITHOUT_RASA, said=text)]
            # Kept and answered when Rasa is back; the citizen is told at once that it is recorded.
            raise AnswerLater([answers.RECORDED], str(exc)) from exc
        if any(payload.get("retry") for payload in turn.custom):  # rasa_server/action_outage.py
            raise AnswerLater([answers.RECORDED], "the action server could not be reached")
        texts = list(turn.texts)
        for payload in turn.custom:
            if isinstance(payload.get("intake"), dict):
                await self._intake_signal(openid, payload["intake"])
            if isinstance(payload.get("ticket"), dict):
                texts.append(await self._complaint(openid, source, payload["ticket"]))
            if isinstance(payload.get("handoff"), dict):
                texts.append(await self._handoff(openid, source, payload["handoff"]))
        return pack(texts or [answers.NO_ANSWER])

    async def out_of_turn(self, openid: str, text: str, is_event: bool, source: str) -> list[str] | None:
        """A message waiting behind an earlier one that Rasa could not take yet: a request for a person needs
        neither Rasa nor its turn, so the ticket is opened now (the earlier messages then reach the person).
        None: it waits its turn like any other."""
        if not wants_person(text, is_event):
            return None
        if (await self.tickets.mode_of(openid)).mode is not Mode.BOT:
            return None  # already with a person: it goes to the ticket in its turn
        return [await self._handoff(openid, source, HUMAN_WITHOUT_RASA, said=text)]

    async def published_answer(self, text: str) -> list[str] | None:
        """A menu button for published content (`/ask_mask_booking` ...) needs no understanding: with Rasa
        down, or behind a rush, it is answered from the content itself (a button's customer-service window
        is a minute long, too short to wait for Rasa). None for anything else."""
        section = INTENT_SECTIONS.get(text.removeprefix("/")) if text.startswith("/") else None
        if section is None:
            return None
        value = await ContentStore(self._client).section(section)
        return pack([format_section(section, value, datetime.now(self._timezone).date())])

    async def _by_mode(self, openid: str, text: str, is_event: bool, source: str) -> list[str] | None:
        current = await self.tickets.mode_of(openid)
        if current.mode is not Mode.BOT and is_event:  # Rasa's tracker is paused until the ticket closes
            return [menu_while_with_person(current.ticket)]
        if current.mode is Mode.BOT:
            if current.rating_ticket:
                rating = rating_of(text)
                if rating is not None:
                    await self.tickets.rate(openid, current.rating_ticket, rating)
                    return [RATING_THANKS]
                await self.tickets.forget_rating(openid)  # they moved on: the bot answers
            return None
        number = current.ticket
        if current.mode is Mode.QUEUED and is_cancel(text):
            await self.tickets.add_message(number, "citizen", text)
            await self.close(number, "citizen", "citizen_cancelled")
            return [cancelled_message(number)]
        await self.tickets.add_citizen_message(number, source, text)
        if current.mode is Mode.QUEUED:
            return [still_queued_message(number, await self.queue_view(number))]
        return []  # with an agent: it reaches the console live, and the agent answers

    async def _handoff(
        self, openid: str, source: str, signal: dict[str, Any], said: str | None = None
    ) -> str:
        """`said`: the message that asked, when Rasa could not take it (its tracker does not hold it)."""
        reason = reason_of(str(signal.get("reason") or ""))
        anger = float(signal.get("anger") or 0.0)
        # a complaint under way goes to the person with its details, and the photos sent just before asking
        draft, attachments = await self._take_evidence(openid)
        events = await self._events(openid)
        transcript = transcript_from_events(events)
        if said is not None:
            asked = {"who": "citizen", "text": said, "at": time.time(), "intent": "", "confidence": 0.0}
            transcript.append(asked)
        details = details_from_events(events) | (draft.details if draft else {})
        opened = await self.tickets.open(
            openid, source, reason,
            priority=priority_for(reason, anger),
            category=category_for(Reason.COMPLAINT, draft.category) if draft else category_for(reason),
            summary=citizen_summary(transcript),
            details=details, transcript=transcript, attachments=attachments,
            intent=str(signal.get("intent") or ""), confidence=float(signal.get("confidence") or 0.0),
            anger=anger, live=True,
        )  # fmt: skip
        await self._keep_on(opened, attachments)
        with contextlib.suppress(RasaUnavailable):
            await self._rasa.add_event(openid, "pause")  # the tracker shows the bot stood aside
        return handoff_message(opened.number, await self.queue_view(opened.number))

    async def _complaint(self, openid: str, source: str, signal: dict[str, Any]) -> str:
        details = signal.get("details") if isinstance(signal.get("details"), dict) else {}
        _, attachments = await self._take_evidence(openid)  # the form ended: its draft is spent
        events = await self._events(openid)
        opened = await self.tickets.open(
            openid, source, Reason.COMPLAINT,
            priority=priority_for(Reason.COMPLAINT, 0.0),
            category=category_for(Reason.COMPLAINT, str(signal.get("category") or "")),
            summary=str(signal.get("summary") or ""), details=details,
            transcript=transcript_from_events(events), live=False, attachments=attachments,
        )  # fmt: skip
        await self._keep_on(opened, attachments)
        return answers.ticket_opened(opened.number)

    async def _take_evidence(self, openid: str) -> tuple[Draft | None, list[dict[str, Any]]]:
        """The intake under way, removed, and every file for the ticket about to open: the intake's own and
        those sent before any intake ("[图片]", then "人工")."""
        draft = await self.intake.take(openid)
        return draft, [*(draft.attachments if draft else ()), *await self.intake.take_loose(openid)]

    async def _keep_on(self, opened: Opened, attachments: list[dict[str, Any]]) -> None:
        """Evidence taken for a ticket that already existed (the same message handled again, or a person
        already on the case) goes onto that ticket rather than being dropped."""
        if not opened.created:
            for attachment in attachments:
                await self.tickets.add_attachment(opened.number, attachment)

    async def _intake_signal(self, openid: str, signal: dict[str, Any]) -> None:
        """The intake form moved on (keep its draft, restart its idle timer) or ended without a ticket."""
        if is_closed(signal):
            await self.intake.take(openid)
        else:
            await self.intake.save(openid, Draft.from_signal(signal))

    async def attach_media(self, openid: str, msg_type: str, media_id: str, at: int) -> str | None:
        """An image or file sent while queued or with an agent goes onto that ticket, for the agent; sent
        during an intake it is evidence for it; sent before one, it is kept for a complaint that may follow,
        and the citizen is told so. None for anything else (a voice message)."""
        attachment = {"type": msg_type, "media_id": media_id, "at": at}
        current = await self.tickets.mode_of(openid)
        with_person = current.mode is not Mode.BOT and current.ticket and msg_type in LOOSE_TYPES
        # (a ticket closed meanwhile: the file is kept for what the citizen does next, like any other)
        if (
            with_person
            and await self.tickets.add_attachment(current.ticket, attachment) is not TicketAttached.NO_TICKET
        ):
            return attached_to_ticket_message(current.ticket)
        attached = await self.intake.attach(openid, attachment, keep_loose=msg_type in LOOSE_TYPES)
        if attached is Attached.TO_INTAKE:
            return ATTACHED_MESSAGE
        return KEPT_MESSAGE if attached is Attached.KEPT else None

    async def file_abandoned(self, now: float | None = None) -> list[str]:
        """File every intake left idle past its time as an unconfirmed ticket, tell the citizen its number
        through the outbox, and end the form in Rasa's tracker. Returns the numbers of tickets opened."""
        moment = time.time() if now is None else now
        opened: list[str] = []
        for openid in await self.intake.due(moment):
            draft = await self.intake.claim(openid, moment)
            if draft is None:  # another gateway has it, or the citizen finished the form meanwhile
                continue
            if is_concrete(draft):
                number = await self._file_unconfirmed(openid, draft)
                if number:
                    opened.append(number)
            with contextlib.suppress(RasaUnavailable):
                await self._rasa.add_events(openid, form_reset_events())
            await self.intake.forget(openid, draft)
        return opened

    async def _file_unconfirmed(self, openid: str, draft: Draft) -> str | None:
        events = await self._events(openid)
        transcript = transcript_from_events(events)
        extracted = details_from_events(events)  # the form's own answers win over the model's entities
        result = await self.tickets.open(
            openid, f"intake:{openid}:{draft.started}", Reason.COMPLAINT,
            priority=priority_for(Reason.COMPLAINT, 0.0),
            category=category_for(Reason.COMPLAINT, draft.category),
            summary=draft.summary or citizen_summary(transcript),
            details=extracted | draft.details, transcript=transcript, live=False, confirmed=False,
            attachments=list(draft.attachments),
        )  # fmt: skip
        if not result.created:
            return None
        notice = filed_unconfirmed_message(result.number, category_for(Reason.COMPLAINT, draft.category))
        await enqueue_texts(self._client, openid, [notice], origin=f"ticket:{result.number}")
        return result.number

    async def file_abandoned_forever(self, every: float = 2.0) -> None:
        """The intake timers live in Redis, so an abandoned form is filed whichever gateway is up."""
        while True:
            filed = await self.file_abandoned()
            if filed:
                log.info("abandoned complaint intakes filed unconfirmed: %s", ", ".join(filed))
            await asyncio.sleep(every)

    async def _events(self, openid: str) -> list[dict[str, Any]]:
        try:
            return list((await self._rasa.tracker(openid)).get("events") or [])
        except RasaUnavailable as exc:
            log.warning("no transcript for %s: %s", citizen(openid), exc)
            return []

    async def queue_view(self, number: str, now: datetime | None = None) -> QueueView:
        moment = now or datetime.now(self._timezone)
        online = await self.online_agents()
        opening = next_opening(self._shifts, moment)
        return QueueView(
            position=await self.tickets.queue_position(number),
            agents_online=len(online),
            in_hours=bool(on_duty(self._shifts, moment)),
            next_opening=describe_opening(opening, moment) if opening else None,
        )

    async def online_agents(self) -> list[str]:
        """Agents and supervisors with the console open (maintainers do not take tickets)."""
        agents = await self.agents.get_many(list(await self.agents.online()))
        return [a.agent_id for a in agents if not a.disabled and a.role is not Role.MAINTAINER]

    # ---- the agents' side ----------------------------------------------------------------------

    async def claim(self, number: str, agent_id: str) -> Claim:
        """Claim a ticket; a citizen whose messages now go to the agent is told so, with the agent's id."""
        claim = await self.tickets.claim(number, agent_id)
        if claim.citizen_switched:
            notice = agent_joined_message(number, agent_id)
            await enqueue_texts(self._client, claim.openid, [notice], origin=f"ticket:{number}")
        return claim

    async def reply(self, number: str, agent_id: str, text: str) -> str:
        """Send an agent's reply through the outbox; the line is kept on the ticket whatever WeChat says."""
        ticket = await self.tickets.get(number)
        if ticket is None:
            raise KeyError(number)
        message_id = await self.tickets.add_message(number, agent_id, text)
        await self.tickets.mark_first_reply(number, agent_id)
        await enqueue_texts(
            self._client, ticket["openid"], split_utf8(text), origin=f"ticket:{number}",
            ticket=number, message_id=message_id,
        )  # fmt: skip
        return message_id

    async def close(self, number: str, who: str, resolution: str) -> str:
        """Close a ticket; a citizen who was with an agent gets a closing message asking for a rating."""
        status, before = await self.tickets.close(number, who, resolution, ask_rating=True)
        if status != "closed_now" or not before:
            return status
        ticket = await self.tickets.get(number)
        openid = ticket["openid"] if ticket else ""
        with contextlib.suppress(RasaUnavailable):
            await self._rasa.add_event(openid, "resume")  # the bot answers the next message again
        if before == Mode.AGENT.value:
            await enqueue_texts(self._client, openid, [CLOSING_MESSAGE], origin=f"ticket:{number}")
        return status

    async def on_refused(self, fields: dict[str, Any], reason: str) -> None:
        """The outbox could not deliver an agent's reply: show it on the ticket, keep the text."""
        number = str(fields.get("ticket") or "")
        if number:  # only agents' replies name their ticket
            await self.tickets.record_send_failure(number, str(fields.get("message_id") or ""), reason)

    async def escalate_forever(self, every: float = 5.0) -> None:
        """The SLA timers: their deadlines live in Redis, so they survive restarts of every gateway."""
        while True:
            escalated = await self.tickets.escalate_due(time.time(), {"kind": "unclaimed"})
            if escalated:
                log.warning(
                    "tickets unclaimed past their deadline, priority raised: %s", ", ".join(escalated)
                )
            await asyncio.sleep(every)
