"""Custom actions: thin and stateless. Content comes from Redis; tickets and modes belong to the gateway,
which the actions only signal with custom payloads (`{"handoff": ...}`, `{"ticket": ...}`)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from actions import complaint, form_reader, intake
from actions.conversation import (
    ANGER_HIGH,
    ANGRY_REQUEST,
    CASE_TURNS_BACK,
    GIVEN_UP,
    GOODS_RULES,
    HOW_TO_REPORT,
    PERSON_FOR_CASE,
    Conversation,
    Outcome,
    asks_calmly,
    asks_something,
    closes,
    conversation_before_latest,
    decide,
    follows_rule_question,
    gives_up,
    misread_report,
    question_behind_report,
    reading_behind_ambiguity,
    report_behind_anger,
    rule_question,
    says_only_the_wish,
    section_of,
    understood_intents,
    venting_behind_report,
    vents_at_us,
    wishes_to_report,
)
from actions.conversation import Turn as ConversationTurn
from actions.signals import (
    anger_score,
    guesses_behind_fallback,
    sounds_angry,
    trailing_repeats,
    user_intents,
)
from bot.core.content import UNAVAILABLE, format_section
from bot.storage import keys  # the one key builder, shared with the gateway
from lexicon.conversation import found
from lexicon.intents import REPORTS

HANDOFF_REASON_REQUEST_HUMAN = "request_human"
HANDOFF_REASON_ANGRY = "angry"
HANDOFF_REASON_UNRESOLVED = "unresolved"
HANDED_OVER = "handed_over"  # complaint_confirm when a person took the intake over
CATEGORIES = {"report_price_gouging": "举报", "report_fake_goods": "举报", "complain_other": "投诉"}
# The form's reading of replies is fitted when the action server imports this module (about a second), not
# while a citizen waits for the answer to their first reply. If it cannot be, the rules read alone.
form_reader.warm()

_redis: aioredis.Redis | None = None


def redis_client() -> aioredis.Redis:
    """One client per action-server process, from REDIS_URL (the gateway's database)."""
    global _redis  # noqa: PLW0603 - a process-wide connection pool, created on first use
    if _redis is None:
        # A read on a connection a Redis restart closed is sent again on a new one (bot/storage/redis.py).
        _redis = aioredis.Redis.from_url(
            os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=6),
            retry_on_error=[aioredis.ConnectionError],
        )
    return _redis


CENTRE_ZONE = "Asia/Shanghai"  # the gateway's default BOT_TIMEZONE


def centre_today() -> date:
    """The centre's date (BOT_TIMEZONE, as the gateway's): an announcement is live from its published day to
    its expiry day there, whatever zone the action server's machine keeps (containers keep UTC, eight hours
    behind Beijing)."""
    try:
        zone = ZoneInfo(os.environ.get("BOT_TIMEZONE") or CENTRE_ZONE)
    except (ValueError, KeyError):  # a misspelt zone must not cost the citizen the answer
        zone = ZoneInfo(CENTRE_ZONE)
    return datetime.now(zone).date()


def latest_intent(tracker: Tracker) -> tuple[str, float]:
    intent = tracker.latest_message.get("intent") or {}
    return str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)


def latest_turn(tracker: Tracker) -> ConversationTurn:
    intent, confidence = latest_intent(tracker)
    text = str(tracker.latest_message.get("text") or "")
    return ConversationTurn(text, intent, confidence, section_of(intent, text))


async def content_text(section: str) -> str:
    try:
        raw = await redis_client().get(keys.content(section))
        return format_section(section, json.loads(raw) if raw else None, centre_today())
    except (aioredis.RedisError, OSError, ValueError):
        return UNAVAILABLE


def form_reset() -> list[EventType]:
    """Ends an open intake: a person takes over, and the details go with the handoff's ticket."""
    return [ActiveLoop(None), SlotSet("requested_slot", None)] + [
        SlotSet(slot, None) for slot in (*intake.REQUIRED, "complaint_confirm", "complaint_product")
    ]


def signal_handoff(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: str, anger: float, rule: str = ""
) -> list[EventType]:
    """Tells the citizen a person is coming and signals the handoff to the gateway."""
    intent, confidence = latest_intent(tracker)
    dispatcher.utter_message(
        response="utter_handoff_angry" if reason == HANDOFF_REASON_ANGRY else "utter_handoff"
    )
    dispatcher.utter_message(
        json_message={
            "handoff": {
                "reason": reason,
                "intent": intent,
                "confidence": round(confidence, 3),
                "anger": round(min(1.0, anger), 2),
                "rule": rule,
            }
        }
    )
    return form_reset() if tracker.active_loop.get("name") else []


async def respond(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    default_section: str | None = None,
    latest: ConversationTurn | None = None,
) -> list[EventType]:
    """Apply the conversation rules to the latest message (as read by the model, unless `latest` gives
    another reading) and say what they decided: acknowledgement, answer, why a person helps, the handoff or
    the offer of one."""
    latest = latest or latest_turn(tracker)
    if latest.section is None and default_section is not None:
        latest = ConversationTurn(latest.text, latest.intent, latest.confidence, default_section)
    conversation = conversation_before_latest(tracker.events)
    decision = decide(latest, conversation)
    if decision.acknowledge:
        dispatcher.utter_message(response="utter_acknowledge")
    if decision.answer and latest.section is not None:
        dispatcher.utter_message(text=await content_text(latest.section))
    if decision.note:
        dispatcher.utter_message(text=decision.note)
    if decision.outcome is Outcome.HANDOFF:
        anger = conversation.anger_with(latest)
        return signal_handoff(dispatcher, tracker, decision.reason, anger, decision.rule)
    if decision.outcome is Outcome.OFFER:
        return [FollowupAction("utter_offer_human")]
    return []


class ActionAnswerContent(Action):
    """Booking rules, booking results, pickup points, announcements: read fresh from Redis every time, with
    the conversation rules deciding whether a person should help (actions/conversation.py)."""

    def name(self) -> str:
        return "action_answer_content"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        # a question intent always names its section; a message sent here from a misread report may not
        return await respond(dispatcher, tracker, default_section="booking")


class ActionRespondToAnger(Action):
    """An angry message: a person, unless it vents about a concrete need the first time, which is
    acknowledged, answered and offered a person with one word."""

    def name(self) -> str:
        return "action_respond_to_anger"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if starts_report(tracker):  # "那我要反映一下这个事": the form, not the anger rules
            return [FollowupAction("action_start_complaint")]
        ranking = tracker.latest_message.get("intent_ranking") or []
        text = str(tracker.latest_message.get("text") or "")
        if not tracker.active_loop.get("name") and report_behind_anger(text, ranking) is not None:
            # anger only just ahead of a report, in calm words saying what was charged ("这个收据你们看看
            # 一包口罩收了我两百"): torn as a fallback would be, and taken in the same way
            return [FollowupAction("action_start_complaint")]
        return await respond(dispatcher, tracker)


def first_miss(tracker: Tracker) -> bool:
    """The latest message is the first in a row that the model did not understand."""
    intents = understood_intents(tracker.events)
    return len(intents) < 2 or intents[-2] != "nlu_fallback"


def starts_report(tracker: Tracker) -> bool:
    """A calm wish to report, outside the form, that the model read as anger or not at all."""
    text = str(tracker.latest_message.get("text") or "")
    return not tracker.active_loop.get("name") and wishes_to_report(text)


class ActionHandoff(Action):
    """Tells the citizen a person is coming and signals the handoff to the gateway, with an anger score."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent, confidence = latest_intent(tracker)
        text = str(tracker.latest_message.get("text") or "")
        before = conversation_before_latest(tracker.events)
        if intent == "affirm" and found("got_it", text):
            # "哦 知道了" after the offer takes the answer; it does not take the offer
            dispatcher.utter_message(text=GIVEN_UP)
            return []
        reason = {
            "express_anger": HANDOFF_REASON_ANGRY,
            "affirm": HANDOFF_REASON_UNRESOLVED,
        }.get(intent, HANDOFF_REASON_REQUEST_HUMAN)
        if before.offered_last and any(found("individual_case", turn.text) for turn in before.earlier):
            # a person asked for right after we offered one for a personal case: that case is what they
            # take up, and what the agent must look up
            reason = HANDOFF_REASON_UNRESOLVED
        repeats = trailing_repeats(user_intents(tracker.events))
        # the anger carried over and this message's (never under the carried part alone): the score the
        # gateway ranks the queue by agrees with the reason below
        conversation_anger = before.anger_with(latest_turn(tracker))
        anger = max(anger_score(text, intent, confidence, repeats), conversation_anger)
        # "我要找你们领导" asks for a person in anger; so does asking right after venting (the conversation's
        # anger still high): the agents see it as angry, as the seed's centre would
        if found("escalation", text) or conversation_anger >= ANGRY_REQUEST:
            reason = HANDOFF_REASON_ANGRY
        return signal_handoff(dispatcher, tracker, reason, anger, "asked")


class ActionHandleFallback(Action):
    """Did not understand: ask to rephrase; the second time in a row, or at once when the message is angry,
    offer a person (an angry citizen is not asked to say it again more nicely). A threat to escalate, anger
    risen over turns, or an offer of a person followed by another message we do not understand: a person.
    Held back only because two readings we can act on were close (anger and a question, two questions), or
    torn between anger and a report of no shop that vents about an answer given: read and answered by the
    conversation rules. Torn between anger and a report that calmly says what was charged ("收了我两百"): the
    form. Not understood in a conversation about a personal case: a person.
    """

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        latest = latest_turn(tracker)
        conversation = conversation_before_latest(tracker.events)
        anger = conversation.anger_with(latest)
        if found("escalation", latest.text):
            return signal_handoff(dispatcher, tracker, HANDOFF_REASON_ANGRY, anger, "fallback_angry")
        if closes(latest.text):  # "行 那我明天下午晚点去": nothing to ask again, however angry before
            dispatcher.utter_message(text=GIVEN_UP)
            return []
        if anger >= ANGER_HIGH:
            return signal_handoff(dispatcher, tracker, HANDOFF_REASON_ANGRY, anger, "fallback_angry")
        ranking = tracker.latest_message.get("intent_ranking") or []
        reading = (
            reading_behind_ambiguity(latest.text, ranking)
            or venting_behind_report(latest.text, ranking, conversation)
            or report_behind_anger(latest.text, ranking)
        )
        reports = reading is not None and reading.intent in REPORTS and not tracker.active_loop.get("name")
        if reports or starts_report(tracker):  # a report only unsure of its kind, or a calm wish to report
            return [FollowupAction("action_start_complaint")]
        if reading is not None:
            return await respond(dispatcher, tracker, latest=reading)
        if continues_personal_case(latest, conversation):
            # more of the personal case just raised, which content cannot answer: a person, not "say it again"
            return hand_over_personal_case(dispatcher, tracker, anger, "fallback_individual")
        if gives_up(latest.text):
            dispatcher.utter_message(text=GIVEN_UP)
            return []
        if conversation.offered_last and first_miss(tracker) and asks_calmly(latest.text):
            # the offer came with an answer (venting with a need), not after a message we missed: a calm
            # question we do not catch is asked again, a person one word away, not "我还是没能理解"
            dispatcher.utter_message(response="utter_default")
            return []
        if conversation.offered_last:
            dispatcher.utter_message(text="抱歉，我还是没能理解，我请工作人员来帮您。")
            return signal_handoff(dispatcher, tracker, HANDOFF_REASON_UNRESOLVED, anger, "fallback_again")
        intents = understood_intents(tracker.events)
        if intents and intents[-1] == "nlu_fallback" and trailing_repeats(intents) >= 1:
            return [FollowupAction("utter_offer_human")]
        if sounds_angry(latest.text, guesses_behind_fallback(ranking)):
            return [FollowupAction("utter_offer_human")]
        dispatcher.utter_message(response="utter_default")
        return []


def hand_over_personal_case(
    dispatcher: CollectingDispatcher, tracker: Tracker, anger: float, rule: str
) -> list[EventType]:
    """A personal case the published content cannot answer: say why a person helps, and hand over."""
    dispatcher.utter_message(text=PERSON_FOR_CASE)
    return signal_handoff(dispatcher, tracker, HANDOFF_REASON_UNRESOLVED, anger, rule)


def continues_personal_case(latest: ConversationTurn, conversation: Conversation) -> bool:
    """The message is, or follows soon after, a personal case (a wrong ID in the booking, a lost code), and
    the model found nothing we can answer in it: "怎么改啊" after "身份证号输错了一位"."""
    recent = (*conversation.earlier[-CASE_TURNS_BACK:], latest)
    return any(found("individual_case", turn.text) for turn in recent)


class ActionAnswerOutOfScope(Action):
    """Outside what this service answers: where to turn instead. Right after a personal case it is more of
    that case, which only a person can look up ("怎么改啊" after "预约时身份证号输错了"): a person."""

    def name(self) -> str:
        return "action_answer_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        latest = latest_turn(tracker)
        conversation = conversation_before_latest(tracker.events)
        if conversation.earlier and found("individual_case", conversation.earlier[-1].text):
            anger = conversation.anger_with(latest)
            return hand_over_personal_case(dispatcher, tracker, anger, "out_of_scope_individual")
        dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionStartComplaint(Action):
    """Opens the intake: the first message is what happened; its entities fill what they can."""

    def name(self) -> str:
        return "action_start_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent, _ = latest_intent(tracker)
        text = str(tracker.latest_message.get("text") or "").strip()
        # sent here by the fallback or the anger action rather than by the rule that runs the form after
        # a report: which report the ranking leans to, and the form run from here
        followed = intent not in REPORTS
        if followed:
            ranking = tracker.latest_message.get("intent_ranking") or []
            reading = reading_behind_ambiguity(text, ranking) or report_behind_anger(text, ranking)
            intent = reading.intent if reading is not None else intent
        conversation = conversation_before_latest(tracker.events)
        latest = latest_turn(tracker)
        instead = misread_report(latest, conversation)
        if instead is not None:
            return [FollowupAction(instead)]
        asked = question_behind_report(
            latest, conversation, tracker.latest_message.get("intent_ranking") or []
        )
        priced = any(e.get("entity") == "price" for e in tracker.latest_message.get("entities") or [])
        if asked is not None and not names_a_shop(tracker) and not priced:
            return await respond(dispatcher, tracker, latest=asked) or [FollowupAction("action_listen")]
        if closes(text):  # "好的我回去把包装仔细看看", heard as a report: nothing to take in
            dispatcher.utter_message(text=GIVEN_UP)
            return [FollowupAction("action_listen")]
        # a shopkeeper asking about their own shop's prices ("我是药店店员…定多少钱不算违规", then
        # "我们按进价加一点卖也不行吗") reports no one, unless they tell what a shop did
        own_shop = any(found("own_shop", t) for t in (text, *(turn.text for turn in conversation.earlier)))
        # their own matter with us heard as a report (the status of their own report; their own shop
        # reported, said as a shopkeeper): only a person can look into it, so the conversation rules offer
        # one, or hand over when it comes back. Not a shop's excuse or promise, which is a report
        if (
            found("own_matter", text)
            and (own_shop or not (found("reported_me", text) or names_a_shop(tracker)))
            and not found("wants_to_report", text)
        ):
            return await respond(dispatcher, tracker, latest=latest) or [FollowupAction("action_listen")]
        # a shop named in the question is where the price was seen, when the citizen says they report no
        # one ("楼下药房卖3块5一个，这个价正常吗？不是要告谁")
        shop_named = names_a_shop(tracker) and not complaint.disclaims_report(text)
        asks_the_rule = not shop_named and (
            rule_question(text) or follows_rule_question(latest, conversation)
        )
        if asks_the_rule or (own_shop and not found("wants_to_report", text)):
            # a question about the rules: answered and told how to report; a form opened by it would be
            # filed unconfirmed when the citizen leaves
            if intent == "report_price_gouging":
                dispatcher.utter_message(text=await content_text("announcements"))
            elif intent == "report_fake_goods":
                dispatcher.utter_message(text=GOODS_RULES)
            dispatcher.utter_message(text=HOW_TO_REPORT)
            return [FollowupAction("action_listen")]
        dispatcher.utter_message(response="utter_complaint_start")
        events: list[EventType] = [
            SlotSet(slot, None) for slot in (*intake.REQUIRED, "complaint_product", "complaint_confirm")
        ]
        events.append(SlotSet("complaint_category", CATEGORIES.get(intent, "投诉")))
        # long enough to say what happened ("我要投诉" is not); a menu button's "/intent" says nothing
        if len(text) >= 6 and not text.startswith("/") and not (followed and says_only_the_wish(text)):
            events.append(SlotSet("complaint_what", text[:300]))
        return [*events, FollowupAction("complaint_form")] if followed else events


def names_a_shop(tracker: Tracker) -> bool:
    """A shop or a place: whom a report is about (a price alone may be the rule asked about). Any shop
    ("外面药店卖的KN95…多少钱算正常") is none."""
    named = ("shop", "address")
    return any(
        e.get("entity") in named and not found("any_shop", str(e.get("value") or ""))
        for e in tracker.latest_message.get("entities") or []
    )


def intake_started(events: list[dict[str, Any]]) -> float | None:
    """When the current intake began (its start action's time): names the draft, so that filing it twice
    (two gateways, a retry) opens one ticket."""
    for event in reversed(events):
        if event.get("event") == "action" and event.get("name") == "action_start_complaint":
            return float(event.get("timestamp") or 0.0)
    return None


def read_message(tracker: Tracker) -> dict[str, Any]:
    """What the latest message gives the form (actions/intake.py)."""
    message = intake.Message.from_parse(tracker.latest_message)
    requested = tracker.get_slot("requested_slot")
    reading = None
    if requested and not message.text.startswith("/"):  # a menu button's intent is no reply
        reading = form_reader.read_reply(message.text, at_summary=requested == "complaint_confirm")
        if set_aside_just_before(tracker.events):
            # the question was asked again after an aside: what comes now is taken as said, or a reply the
            # model misreads would be asked for again and again
            reading = replace(reading, aside=0.0)
    return intake.read(message, requested, tracker.slots, reading)


def set_aside_just_before(events: list[dict[str, Any]]) -> bool:
    """The bot's reply to the citizen's previous message set it aside (ASIDE_WAIT or ASIDE_QUESTION)."""
    users = 0
    for event in reversed(events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return False
        elif users == 1 and event.get("event") == "bot" and event.get("text") in (ASIDE_WAIT, ASIDE_QUESTION):
            return True
    return False


# Said before the question is asked again, when the citizen's reply was not an answer (intake.set_aside): a
# question about the process, or a request to wait.
ASIDE_QUESTION = (
    "您的问题可以在登记完成后回复“人工”向工作人员咨询。不清楚的信息回复“跳过”即可，我们先接着登记："
)
ASIDE_WAIT = "好的，不着急，您准备好了直接回复我就行。"
# an aside that opens by asking the form to wait is a wait, whatever it asks after ("等下 我看看小票上写的
# 多少"); not "等多久…"
ASKS_TO_WAIT = re.compile(r"\s*(等(?!多久|到|几)|稍等|稍后|回头|晚点|我(先|再)?(找|翻|看|查|问|想))")

# How the confirmation slot ends the form: filed, cancelled, or not needed (the citizen was only asking).
FORM_ENDS = ("yes", "cancel", "only_asking")


class ValidateComplaintForm(FormValidationAction):
    """Reads each message of the intake for every detail it gives (actions/intake.py), lets other requests
    through, handles skips, cancellation and corrections, and sends the gateway the draft so far."""

    def name(self) -> str:
        return "validate_complaint_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        message = intake.Message.from_parse(tracker.latest_message)
        latest = latest_turn(tracker)
        # A threat to go elsewhere, or anger at us instead of an answer, ends the questions: a person takes
        # the complaint over, with what the form has (the gateway moves the draft onto the handoff's ticket).
        angry_rule = (
            "escalation" if found("escalation", message.text) else "form_anger" if vents_at_us(latest) else ""
        )
        if tracker.get_slot("requested_slot") and angry_rule:
            anger = conversation_before_latest(tracker.events).anger_with(latest)
            signal_handoff(dispatcher, tracker, HANDOFF_REASON_ANGRY, anger, angry_rule)
            return [SlotSet("complaint_confirm", HANDED_OVER), SlotSet("requested_slot", None)]
        found_now = read_message(tracker)
        if intake.set_aside(found_now, tracker.get_slot("requested_slot")):
            asks = asks_something(message.text) and not ASKS_TO_WAIT.match(message.text)
            dispatcher.utter_message(text=ASIDE_QUESTION if asks else ASIDE_WAIT)
        events = await super().run(dispatcher, tracker, domain)
        if "complaint_product" in found_now:  # not a question of the form, so not validated by it
            events.append(SlotSet("complaint_product", found_now["complaint_product"]))
            tracker.slots["complaint_product"] = found_now["complaint_product"]
        if events:
            slots = dict(tracker.slots)
            dispatcher.utter_message(
                json_message={"intake": intake.draft(slots, intake_started(tracker.events))}
            )
        return events

    async def extract_complaint_what(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Everything the message gives, at once (the other extract methods find it already read)."""
        return {k: v for k, v in read_message(tracker).items() if k != "complaint_product"}

    @staticmethod
    def _answer(slot: str, value: Any) -> dict[str, Any]:
        if value is None:  # a reset (the intake starting) or an aside (intake.set_aside), not an answer
            return {slot: None}
        text = str(value)
        if complaint.is_cancel(text):
            # fill every question so the form ends; the submit action sees the cancellation
            return {s: complaint.SKIPPED for s in intake.REQUIRED} | {"complaint_confirm": "cancel"}
        return {slot: complaint.answer_value(text)}

    async def validate_complaint_what(self, value: Any, *_: Any) -> dict[str, Any]:
        return self._answer("complaint_what", value)

    async def validate_complaint_shop(self, value: Any, *_: Any) -> dict[str, Any]:
        return self._answer("complaint_shop", value)

    async def validate_complaint_address(self, value: Any, *_: Any) -> dict[str, Any]:
        return self._answer("complaint_address", value)

    async def validate_complaint_price(self, value: Any, *_: Any) -> dict[str, Any]:
        return self._answer("complaint_price", value)

    async def validate_complaint_time(self, value: Any, *_: Any) -> dict[str, Any]:
        return self._answer("complaint_time", value)

    async def validate_complaint_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value in FORM_ENDS:  # already decided this turn (a cancellation read from any question)
            return {"complaint_confirm": value}
        text = str(value or "")
        reading = form_reader.read_reply(text, at_summary=True) if text else None
        decision, also = intake.confirmation(text, tracker.slots, reading)
        if decision in FORM_ENDS:
            return {"complaint_confirm": decision, **also}
        if decision is None:
            return {"complaint_confirm": None}  # unclear: the form asks again
        return {decision: None, "complaint_confirm": None}  # ask that question again, then confirm


class ActionSubmitComplaint(Action):
    """Ends the intake: signals the ticket to the gateway (which replies with its number) or cancels."""

    def name(self) -> str:
        return "action_submit_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reset = [SlotSet(slot, None) for slot in (*intake.REQUIRED, "complaint_confirm", "complaint_product")]
        if tracker.get_slot("complaint_confirm") == HANDED_OVER:
            return reset  # a person has it; the citizen was told so
        if tracker.get_slot("complaint_confirm") == "only_asking":
            dispatcher.utter_message(response="utter_complaint_not_needed")
            dispatcher.utter_message(json_message={"intake": {"closed": "only_asking"}})
            return reset
        if tracker.get_slot("complaint_confirm") != "yes":
            dispatcher.utter_message(response="utter_complaint_cancelled")
            dispatcher.utter_message(json_message={"intake": {"closed": "cancelled"}})
            return reset

        def value(slot: str) -> str | None:
            found = tracker.get_slot(slot)
            return None if found in (None, complaint.SKIPPED) else str(found)

        details = {
            "shop": value("complaint_shop"),
            "address": value("complaint_address"),
            "product": value("complaint_product"),
            "price": value("complaint_price"),
            "time": value("complaint_time"),
        }
        dispatcher.utter_message(response="utter_complaint_submitted")
        dispatcher.utter_message(
            json_message={
                "ticket": {
                    "category": tracker.get_slot("complaint_category") or "投诉",
                    "summary": value("complaint_what") or "",
                    "details": {k: v for k, v in details.items() if v},
                    "confirmed": True,
                }
            }
        )
        return reset
