"""The complaint intake's reading of one message: which details it gives, in any order, several at once, or
before they are asked for; and the draft the gateway keeps so that an abandoned form still becomes a ticket.
Pure, no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from actions import complaint
from actions.conversation import asks_something
from actions.form_reader import Reading
from lexicon.conversation import found
from lexicon.cues import SUPPOSES
from lexicon.intents import QUESTIONS

# entity -> slot: details found in any message of the form fill their slot, whatever was asked (the entity's
# name is also the ticket's detail name)
ENTITY_SLOTS = {
    "shop": "complaint_shop",
    "address": "complaint_address",
    "price": "complaint_price",
    "time": "complaint_time",
    "product": "complaint_product",
}
REQUIRED = ("complaint_what", "complaint_shop", "complaint_address", "complaint_price", "complaint_time")
NAMED_SLOTS = ("complaint_shop", "complaint_address", "complaint_price", "complaint_product")
# A message with one of these intents, confident and carrying no detail, is not an answer to the form's
# question: the form lets it through (a question is answered, a person is fetched) and asks again after.
INTERRUPTIONS = frozenset({*QUESTIONS, "request_human", "greet", "thank", "goodbye", "bot_challenge"})
INTERRUPTION_CONFIDENCE = 0.75
# A routine question the model reads at least this surely, asked in so many words at a question of the form
# ("这期每人限几个" when asked the shop), is answered and the question asked again: it names no shop or place.
ROUTINE_QUESTION_IN_FORM = 0.3
# ... unless it names a pickup point or a branch, or says the detail is forgotten ("叫啥来着"): an answer
PLACE_OR_FORGOTTEN = re.compile(
    r"网点|领取点|取货点|定点|分店|门店|来着|忘了|不记得|不清楚|说不[清上]|没注意|不知道"
)
DETAIL_QUESTIONS = frozenset(REQUIRED) - {"complaint_what"}
# A reply this short that files the report says only that; a longer one may say more, kept in the description.
PLAIN_YES_CHARS = 6
# A question or a request for a person: never a cancellation, whatever the learned reading believes
ASKS_OR_FETCHES = frozenset({*QUESTIONS, "request_human"})
# A note about evidence this short says nothing else; a longer message may answer the question too.
EVIDENCE_NOTE_CHARS = 24


@dataclass(frozen=True)
class Message:
    text: str
    intent: str
    confidence: float
    entities: tuple[tuple[str, str, int], ...]  # (entity, value, span length)

    @classmethod
    def from_parse(cls, latest: Mapping[str, Any]) -> Message:
        intent = latest.get("intent") or {}
        entities = tuple(
            (str(e.get("entity")), str(e.get("value")), int(e.get("end") or 0) - int(e.get("start") or 0))
            for e in latest.get("entities") or []
            if e.get("entity") in ENTITY_SLOTS and e.get("value")
        )
        return cls(
            text=str(latest.get("text") or ""),
            intent=str(intent.get("name") or ""),
            confidence=float(intent.get("confidence") or 0.0),
            entities=entities,
        )


def details_in(message: Message) -> dict[str, str]:
    """Slot values from the message's entities; the longest match of each entity wins."""
    best: dict[str, tuple[int, str]] = {}
    for entity, value, span in message.entities:
        slot = ENTITY_SLOTS[entity]
        if span > best.get(slot, (-1, ""))[0]:
            best[slot] = (span, value)
    return {slot: value for slot, (_, value) in best.items()}


def is_interruption(message: Message) -> bool:
    return (
        message.intent in INTERRUPTIONS
        and message.confidence >= INTERRUPTION_CONFIDENCE
        and not message.entities
        and not complaint.is_skip(message.text)
    )


# A short message can say there is nothing to report ("就先问问哈，暂时还没碰到"); a longer one reports.
ONLY_ASKING_CHARS = 20


def asks_routine_question(message: Message, requested: str | None) -> bool:
    """At a question of the form, a routine question (booking, results, pickup, announcements) asked in so
    many words, naming no detail: the model's doubt between it and a report is no answer to the form."""
    return (
        requested in DETAIL_QUESTIONS
        and message.intent in QUESTIONS
        and message.confidence >= ROUTINE_QUESTION_IN_FORM
        and not message.entities
        and asks_something(message.text)
        and not found("shop_words", message.text)
        and not PLACE_OR_FORGOTTEN.search(message.text)
        and not complaint.is_skip(message.text)
    )


def nothing_reported(message: Message, filled: Mapping[str, Any]) -> bool:
    """The form holds no report yet: no shop, place, product or price, and what happened is empty or only
    supposed ("万一碰到药店乱涨价可以找谁"); the message names none either and is short."""
    named = any(filled.get(s) not in (None, "", complaint.SKIPPED) for s in NAMED_SLOTS)
    what = str(filled.get("complaint_what") or "")
    described = what not in ("", complaint.SKIPPED) and not SUPPOSES.search(what)
    return not (named or described or message.entities) and len(message.text.strip()) <= ONLY_ASKING_CHARS


# "店名叫益丰大药房", "不是老百姓大药房，是益丰大药房": the shop named as such, not a landmark
NAMES_THE_SHOP = re.compile(r"店名|名字|叫|不是[^，。,.]{1,12}[，,]?是")


def _held(value: Any) -> bool:
    return value not in (None, "", complaint.SKIPPED)


def read(
    message: Message, requested: str | None, filled: Mapping[str, Any], reading: Reading | None = None
) -> dict[str, Any]:
    """What the message gives the form: details from its entities, and the requested question's answer in
    the citizen's own words (unless the details already answered it, or the message is about something
    else). Empty: the form lets the message go to the rest of the assistant. The requested question set to
    None: an aside, asked again (set_aside). `reading` is the learned reading of the reply
    (actions/form_reader.py), for what the rules leave undecided."""
    if complaint.is_cancel(message.text) or _learned_cancel(message, requested, reading):
        return {s: complaint.SKIPPED for s in REQUIRED} | {"complaint_confirm": "cancel"}
    if nothing_reported(message, filled) and complaint.only_asking(message.text):
        return {s: complaint.SKIPPED for s in REQUIRED} | {"complaint_confirm": "only_asking"}
    values: dict[str, Any] = details_in(message)
    if (
        requested == "complaint_address"
        and "complaint_shop" in values
        and _held(filled.get("complaint_shop"))
        and not complaint.corrects(message.text)
        and not NAMES_THE_SHOP.search(message.text)
    ):
        # a shop named while the form asks where, when it holds the shop already ("店在农贸市场东门…"): a
        # landmark, not a second shop; the citizen's words answer where. A correction ("店名写错了，应该是…")
        # replaces the shop as before.
        del values["complaint_shop"]
    if requested is None or requested in values:
        return values
    if _may_file_at(requested, filled) and complaint.files_now(message.text):
        return _filed(values, filled)
    if not values and (is_interruption(message) or asks_routine_question(message, requested)):
        return {}
    if message.text.startswith("/"):  # a menu button's intent, not the citizen's words: ask for them
        return values
    if _may_file_at(requested, filled) and not values and reading is not None and reading.confirms():
        # done in words the rules do not know ("不用再问了 按我前面说的报"): filed, with what they said kept
        # (not as the account asked for: "就按我前面说的交吧" tells nothing that happened)
        kept = kept_with_yes(filled, message.text) if requested != "complaint_what" else {}
        return _filed(kept, filled)
    said = message.text.strip()
    other = other_detail(said, requested)
    if other is not None and not values:
        # plainly the other of price and time ("上礼拜天下午" when asked the price): that detail, and the
        # question asked again
        return {other: said}
    if requested != "complaint_confirm" and not values and reading is not None and reading.sets_aside():
        # not an answer ("等下 我翻翻付款记录", "必须写店名吗", "你是机器人吗"): nothing stored as the shop or
        # the price, and the question asked again (set_aside)
        return {requested: None}
    if (
        requested in DETAIL_QUESTIONS
        and not values
        and len(said) <= EVIDENCE_NOTE_CHARS
        and complaint.mentions_evidence(said)
    ):
        # "付款记录有的" answers no question: it goes into the description (once, however often it comes),
        # and the question is asked again
        return _described(filled, said)
    if requested in ("complaint_confirm", "complaint_what") or not values:
        values[requested] = message.text
    return values


def _may_file_at(requested: str | None, filled: Mapping[str, Any]) -> bool:
    """A citizen who says they are done files the report at a question about a detail, or when asked what
    happened if it already names a shop, place, product or price ("药店口罩卖80" opened it): with nothing
    named, "直接报吧" at that question would file an empty ticket."""
    if requested in DETAIL_QUESTIONS:
        return True
    return requested == "complaint_what" and any(_held(filled.get(s)) for s in NAMED_SLOTS)


def set_aside(found: Mapping[str, Any], requested: str | None) -> bool:
    """What `read` found is an aside at the question asked: the question is emptied to be asked again."""
    return requested is not None and requested in found and found[requested] is None


def _learned_cancel(message: Message, requested: str | None, reading: Reading | None) -> bool:
    """The learned reading cancels what the rules left open: not a menu button, not a reply holding a detail
    of the report ("不弄了 反正就卖了80" answers; a product named in a reason is none: "原来是我买成防尘口罩
    了 不用报了"), not one the rules keep for a reason of theirs (complaint.keeps_report), not one they file,
    and not a question or a request for a person the NLU is sure of ("不弄了 给我转人工" drops nothing)."""
    if reading is None or not reading.cancels() or message.text.startswith("/"):
        return False
    if any(entity != "product" for entity, _, _ in message.entities) or complaint.keeps_report(message.text):
        return False
    if complaint.files_now(message.text) or (
        requested == "complaint_confirm" and complaint.confirmation(message.text) is not None
    ):
        return False
    return not (message.intent in ASKS_OR_FETCHES and message.confidence >= INTERRUPTION_CONFIDENCE)


def confirmation(
    text: str, filled: Mapping[str, Any], reading: Reading | None
) -> tuple[str | None, dict[str, Any]]:
    """The summary's answer: the rules' (complaint.confirmation), then the learned reading's yes where they
    are undecided, with the slots that yes sets (what it said, kept in the description). The learned
    reading's cancellations were read with the message (`read`), which knows whether it held a detail."""
    decision = complaint.confirmation(text)
    if decision is None and reading is not None and reading.confirms():
        return "yes", kept_with_yes(filled, text)
    return decision, {}


def kept_with_yes(filled: Mapping[str, Any], said: str) -> dict[str, Any]:
    """A yes the rules do not know may say more ("小票有 直接交吧"): the description keeps it, unless it is
    a word or two ("qr", "要得")."""
    said = said.strip()
    return _described(filled, said) if len(said) > PLAIN_YES_CHARS else {}


def _filed(values: dict[str, Any], filled: Mapping[str, Any]) -> dict[str, Any]:
    """The citizen thinks they are done: the questions left are skipped, and it is filed as confirmed."""
    left = {s: complaint.SKIPPED for s in REQUIRED if not filled.get(s) and s not in values}
    return values | left | {"complaint_confirm": "yes"}


def _described(filled: Mapping[str, Any], said: str) -> dict[str, Any]:
    """`said` added to the description (once, however often it comes)."""
    described = str(filled.get("complaint_what") or "")
    described = "" if described == complaint.SKIPPED else described
    if said in described:
        return {}
    return {"complaint_what": "；".join(p for p in (described, said) if p)[-300:]}


# When it happened, in the words people use (the NLU's `time` pattern knows only a few); and a price
# (a figure, or a figure in Chinese numerals with a unit)
_TIME_WORDS = re.compile(
    r"今天|昨天|前天|大前天|上周|下周|这周|本周|上个?礼拜|上个?星期|这个?礼拜|周[一二三四五六日天末]"
    r"|礼拜[一二三四五六日天]|星期[一二三四五六日天]|[早中晚]上|上午|下午|傍晚|凌晨|半夜|前几天|这几天|那天"
    r"|刚才|刚刚|\d{1,2}\s*[月日号点]|[一二三四五六七八九十两]{1,3}(月|号|点)"
)
_PRICE_WORDS = re.compile(r"\d|[一二三四五六七八九十两百千]+\s*(元|块|毛|角|钱)|多少钱|价")
# A reply that is a price and nothing else ("一个十五", "三块五一个", "八十多一盒", "15元/只"): a figure
# with a unit or said of one piece, never a house number ("28号")
_NUMBER = r"[\d一二两三四五六七八九十百千.]+(多|来|几)?"
_UNIT = r"(元|块|毛|角)钱?[\d一二两三四五六七八九]?"
_PIECE = r"(每|一)(个|只|包|盒|瓶|袋|片|支|箱)"
_ONLY_PRICE = re.compile(
    rf"^\W*({_PIECE}(要|卖)?\s*{_NUMBER}\s*({_UNIT})?"
    rf"|(要|卖)?{_NUMBER}\s*({_UNIT}\s*(/?\s*({_PIECE}|[个只包盒支]))?|{_PIECE}))\W*$"
)
OTHER_DETAIL_CHARS = 16  # a short answer: a longer one may be an account that mentions both


def other_detail(text: str, requested: str | None) -> str | None:
    """The slot a short answer plainly fills instead of the one asked: a time when the price was asked, a
    price when the time, the shop or the place was asked; None when it may answer what was asked."""
    if len(text) > OTHER_DETAIL_CHARS:
        return None
    if requested in ("complaint_shop", "complaint_address") and _ONLY_PRICE.match(text):
        return "complaint_price"  # asked who or where, the citizen said what it cost
    is_time, is_price = bool(_TIME_WORDS.search(text)), bool(_PRICE_WORDS.search(text))
    if requested == "complaint_price" and is_time and not is_price:
        return "complaint_time"
    if requested == "complaint_time" and is_price and not is_time:
        return "complaint_price"
    return None


def draft(slots: Mapping[str, Any], started: float | None) -> dict[str, Any]:
    """The intake so far, for the gateway: filed as an unconfirmed ticket if the citizen leaves."""

    def value(slot: str) -> str | None:
        found = slots.get(slot)
        return None if found in (None, complaint.SKIPPED, "") else str(found)

    details = {name: value(slot) for name, slot in ENTITY_SLOTS.items()}
    return {
        "category": slots.get("complaint_category") or "投诉",
        "summary": value("complaint_what") or "",
        "details": {k: v for k, v in details.items() if v},
        "started": started or 0.0,
    }
