"""Whole-conversation rules: is the bot helping, and how angry is the citizen across turns. Pure, no I/O.

The actions read the session's tracker events through `Conversation` and ask `decide()` what to do with a
content question, an angry message or a message not understood. The rules are one ordered table (RULES),
each with its reason; the cues they read are data (lexicon/conversation_cues.yml).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from actions import complaint
from actions.signals import anger_score, intent_of, session_messages
from bot.core.content import INTENT_SECTIONS
from lexicon.conversation import found, pattern
from lexicon.cues import ACCUSATION, CURSE, INSULT, QUESTION, REPROACH, RHETORICAL, asks_for_person
from lexicon.intents import QUESTIONS, REPORTS

ANGER_DECAY = 0.6  # each turn keeps this much of the anger before it; two calm turns forget most of it
ANGER_HIGH = 0.9  # the conversation's anger at which a concrete answer alone is no longer enough
# Below this belief the model's "anger" is as often a plain question or a mild sigh it misread ("排队好久啊",
# "约的时候都要填些啥") as venting: on our development sets (the boundary and 2026-12-06 messages, and the
# third held-out conversations' first run) 5 of the 6 messages it wrongly took for anger were under it,
# against 11 of 95 real venting ones. Such a first message, with no cue of anger in its words, is
# acknowledged and one word away from a person, not queued for one; anger again, or any cue, still goes to
# a person.
ANGER_UNSURE = 0.5
# The conversation's anger at which a request for a person is an angry one (one venting message just before
# it, decayed once, is over it; calm questions are far under)
ANGRY_REQUEST = 0.5
ANGER_BEFORE_CALM = 0.15  # carried anger under which the earlier turns count as calm
# A calm question the model is surer than this is anger about is read as anger ("有人管吗？" at 0.9)
CALM_QUESTION_MAX = 0.75
SAME_NEED_SIMILARITY = 0.34  # character-bigram overlap at which two questions on one topic ask the same thing
SAME_WORDING = 0.5  # ... and at which two questions are the same whatever the model made of their topic
OFFER_ACTION = "utter_offer_human"
CASE_TURNS_BACK = 3  # a personal case is still the subject this many messages later ("能帮我转过来吗")
# Words that name a content section, for a message whose intent is anger: "约不上" asks about booking results.
# fmt: off
SECTION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # the draw said as a verb ("又没摇上", "这回又没摇起 咋个办"), in forms that mean it (not "头都没摇一下")
    ("booking_result", ("约上", "约不上", "约到", "约不到", "没约", "中签", "摇号", "抢不到", "没抢到",
                        "没摇上", "没摇中", "没摇到", "没摇起", "摇中了", "摇中没", "摇上了吗")),
    ("pickup", ("领取", "去领", "领口罩", "哪领", "怎么领", "领不到", "网点", "取口罩", "提货", "有货",
                "有没有口罩", "还有口罩", "到货", "代领", "原件", "复印件")),
    ("announcements", ("公告", "通知", "通告")),
    ("booking", ("预约", "怎么约", "怎么买", "买口罩", "买不到", "难买", "抢口罩", "口罩都没有", "没有口罩",
                 "没口罩", "一个口罩都没", "找不到口罩", "弄不到口罩", "弄到口罩")),
)
# fmt: on
# The booking rush in a citizen's words ("口罩真难抢", "每次都抢不上"). People rush for vegetables, hospital
# numbers and disinfectant too, so these name a section only in an angry message about masks, with no other
# goods named, and never denied ("不难抢").
RUSH_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("booking_result", ("抢不上", "抢不着")),
    ("booking", ("难抢",)),
)
OTHER_GOODS = ("菜", "挂号", "药品", "酒精", "消毒", "车票", "奶粉", "体温计")


class Outcome(Enum):
    ANSWER = "answer"  # the content answer alone
    OFFER = "offer"  # the answer, then one word away from a person
    HANDOFF = "handoff"  # a person now (the answer too, when there is one and the rule says so)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    rule: str  # the rule that decided, kept on the handoff signal for the agents and the reports
    reason: str = ""  # handoff reason: angry or unresolved
    acknowledge: bool = False  # say first that we hear the frustration
    answer: bool = True  # give the content answer (a handoff may come with it)
    note: str = ""  # why a person will help, said to the citizen


@dataclass(frozen=True)
class Turn:
    text: str
    intent: str
    confidence: float
    section: str | None  # the content section the message asks about, if any


@dataclass(frozen=True)
class Conversation:
    """The session so far: the citizen's earlier turns, whether the bot offered a person just before, and the
    anger carried over from earlier turns."""

    earlier: tuple[Turn, ...]
    offered_last: bool
    anger_before: float

    def anger_with(self, latest: Turn) -> float:
        """The conversation's anger once the latest message is heard: what came before, decayed, plus it."""
        return ANGER_DECAY * self.anger_before + message_anger(latest)

    def times_asked(self, latest: Turn) -> int:
        """How often this session asked the same need before. The same topic alone is not the same need
        (three questions about booking are routine); it is when the wording is close, when the citizen says
        the answer did not answer them ("我问的是…", "到底…"), or when it is a personal case."""
        personal = found("individual_case", latest.text)
        again = found("asking_again", latest.text)
        count = 0
        for turn in self.earlier:
            close = similarity(turn.text, latest.text)
            same_topic = latest.section is not None and turn.section == latest.section
            # a personal case is one concern across booking and its result (`_topic`): "身份证号输错了" heard
            # as booking, then "能不能帮我改过来" as its result, asks it again; routine questions do not
            same_concern = latest.section is not None and _topic(turn.section) == _topic(latest.section)
            personal_topic = personal or found("individual_case", turn.text)
            # "我问的是…" about a personal case asks it again, whatever topic the model heard this time
            if (
                close >= SAME_WORDING
                or (again and personal_topic)
                or (same_topic and (close >= SAME_NEED_SIMILARITY or again))
                or (same_concern and personal_topic)
            ):
                count += 1
        return count


def message_anger(turn: Turn) -> float:
    """One message's anger, 0-1.5: the model's belief, insults, shouting, venting, threats."""
    score = anger_score(turn.text, turn.intent, turn.confidence)
    if found("venting", turn.text):
        score += 0.3
    if found("escalation", turn.text):
        score += 0.5
    return round(score, 3)


def carried_anger(turns: Iterable[Turn]) -> float:
    anger = 0.0
    for turn in turns:
        anger = ANGER_DECAY * anger + message_anger(turn)
    return round(anger, 3)


def section_of(intent: str, text: str) -> str | None:
    if intent in INTENT_SECTIONS:
        return INTENT_SECTIONS[intent]
    for section, words in SECTION_WORDS:
        if any(word in text for word in words):
            return section
    if intent == "express_anger" and "口罩" in text and not any(w in text for w in (*OTHER_GOODS, "不难抢")):
        for section, words in RUSH_WORDS:
            if any(word in text for word in words):
                return section
    return None


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of character bigrams (punctuation and spaces ignored)."""

    def grams(text: str) -> set[str]:
        kept = "".join(ch for ch in text if ch.isalnum())
        return {kept[i : i + 2] for i in range(len(kept) - 1)}

    left, right = grams(a), grams(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def turn_of(event: dict[str, Any]) -> Turn:
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    name, text = str(intent.get("name") or ""), str(event.get("text") or "")
    return Turn(text, name, float(intent.get("confidence") or 0.0), section_of(name, text))


def conversation_before_latest(events: Iterable[dict[str, Any]]) -> Conversation:
    """The session's turns before the latest user message (the one being answered), and whether the bot
    offered a person between the one before and it."""
    turns: list[Turn] = []
    offered = offered_before = False
    for event in events:
        kind = event.get("event")
        if kind == "session_started":
            turns, offered, offered_before = [], False, False
        elif kind == "user":
            turns.append(turn_of(event))
            offered_before, offered = offered, False
        elif kind == "action" and event.get("name") == OFFER_ACTION:
            offered = True
    earlier = turns[:-1]
    return Conversation(tuple(earlier), offered_before, carried_anger(earlier))


# ---- the rules --------------------------------------------------------------------------------------

Check = Callable[[Turn, Conversation], bool]


@dataclass(frozen=True)
class Rule:
    name: str
    reason: str  # why the rule exists, for the people who carry it on
    applies: Check
    decision: Decision


def _threat(t: Turn, c: Conversation) -> bool:
    return found("escalation", t.text)


def _abuse(t: Turn, c: Conversation) -> bool:
    # a question with a rude word still gets its answer (as before); anger with abuse gets a person
    return t.intent not in QUESTIONS and bool(CURSE.search(t.text) or INSULT.search(t.text))


def _offer_ignored(t: Turn, c: Conversation) -> bool:
    return c.offered_last and c.times_asked(t) >= 1


def _third_time(t: Turn, c: Conversation) -> bool:
    return c.times_asked(t) >= 2


def _individual_again(t: Turn, c: Conversation) -> bool:
    now = found("individual_case", t.text)
    before = any(found("individual_case", e.text) for e in c.earlier)
    # right after the offer for a personal case, calm words the model takes for anger and for no topic
    # ("那我这次的还算不算啊 不会作废了吧") are the citizen still worried about that case
    worried = (
        before
        and c.offered_last
        and t.intent == "express_anger"
        and t.section is None
        and _calm_words(t.text)
        and not found("declines", t.text)
        and (asks_something(t.text) or found("worry", t.text) or found("tag_question", t.text))
    )
    # right after that offer, more of the case that the model only half reads as a question ("家里也没人拿我
    # 身份证去弄" after "提示我身份证号已经约过了"): the citizen is still on it, not asking something new
    more_of_it = (
        before
        and c.offered_last
        and t.confidence < ANGER_UNSURE
        and not asks_something(t.text)  # a new question ("预约结果怎么查") is read as asked
        and not closes(t.text)
        and not found("got_it", t.text)
        and not found("declines", t.text)
    )
    return (now and before) or ((now or before) and c.times_asked(t) >= 1) or worried or more_of_it


def _venting(t: Turn, c: Conversation) -> bool:
    return found("venting", t.text) or t.intent == "express_anger"


def _topic(section: str | None) -> str | None:
    """How to book and whether one's booking succeeded are one concern: getting masks by booking."""
    return "booking" if section == "booking_result" else section


def _angry_again(t: Turn, c: Conversation) -> bool:
    answered_before = any(_topic(e.section) == _topic(t.section) for e in c.earlier)
    return _venting(t, c) and t.section is not None and (answered_before or c.anger_with(t) >= ANGER_HIGH)


def _accusing_with_need(t: Turn, c: Conversation) -> bool:
    return _venting_with_need(t, c) and bool(ACCUSATION.search(t.text) or INSULT.search(t.text))


def _venting_with_need(t: Turn, c: Conversation) -> bool:
    return _venting(t, c) and t.section is not None


def _individual(t: Turn, c: Conversation) -> bool:
    return found("individual_case", t.text)


def _second_time(t: Turn, c: Conversation) -> bool:
    return c.times_asked(t) == 1


def _angry_without_need(t: Turn, c: Conversation) -> bool:
    return t.intent == "express_anger" and t.section is None


def _calm_words(text: str) -> bool:
    """No venting, shouting, insult or threat in the words themselves, whatever the model made of them."""
    return message_anger(Turn(text, "", 0.0, None)) == 0


CLOSING_CHARS = 24  # a closing is short: a longer message says something more, and is read as before


def asks_something(text: str) -> bool:
    return bool(QUESTION.search(text)) or found("asks", text)


def asks_calmly(text: str) -> bool:
    """A question or a tag asking to be told yes, in calm words, aimed at no one and asking for no person
    ("一般是每天几点开始放的"; not "你们是干什么吃的？" or "能不能找个真人")."""
    return _calm_words(text) and _calm_question(text) and not asks_for_person(text)


def closes(text: str) -> bool:
    """The citizen takes the answer and says what they will do ("好吧 知道了 那我到时候再抢"), in calm words
    and asking nothing: whatever the model made of it, there is nothing to answer, ask again or hand over."""
    if len(text) > CLOSING_CHARS or asks_something(text) or found("more_than_closing", text):
        return False
    tag = pattern("tag_question").search(text)
    if tag and not pattern("closes_tag").search(text, tag.end()):
        return False
    # sarcasm at us ("好吧 知道了 你们就是不管呗"), a personal case or a report after "知道了": no closing
    more = (
        found("at_people", text)
        or asks_for_person(text)
        or found("individual_case", text)
        or found("report_words", text)
        or found("wants_to_report", text)
        or complaint.mentions_evidence(text)  # "行 我回家把照片发过来": evidence to come
    )
    return found("closing", text) and not more and _calm_words(text)


def _closing(t: Turn, c: Conversation) -> bool:
    return closes(t.text)


def gives_up(text: str) -> bool:
    """The citizen gives up ("算了算了不投诉了，也没几个钱") in calm words: nothing to answer or hand over,
    whether the model read anger or nothing at all. Giving up with an insult or a threat is anger."""
    return complaint.is_cancel(text) and _calm_words(text)


def _given_up(t: Turn, c: Conversation) -> bool:
    return t.intent == "express_anger" and gives_up(t.text)


def _distress_first(t: Turn, c: Conversation) -> bool:
    """A first sigh of despair aimed at no one ("唉 这疫情啥时候是个头😔"), however sure the model is."""
    return (
        t.intent == "express_anger"
        and c.anger_before < ANGER_BEFORE_CALM
        and found("distress", t.text)
        and not found("addressed", t.text)
        and not found("venting", t.text)
        and not (CURSE.search(t.text) or INSULT.search(t.text) or ACCUSATION.search(t.text))
        and not found("escalation", t.text)
    )


def _distress_with_need(t: Turn, c: Conversation) -> bool:
    """A first sigh beside a concrete question ("一个人闷在家里，心里慌得很，唉。取口罩能让社区送吗")."""
    return t.section is not None and c.anger_before < ANGER_BEFORE_CALM and found("distress", t.text)


SAID_TO_US = re.compile(r"你|您")


def _calm_question(text: str) -> bool:
    """A question at no one of us ("明白了，那只能让家长各自用自己的身份证约是吧") that accuses, reproaches,
    asks rhetorically or sounds exasperated in nothing (`_unsure_anger_first` checks the words are calm)."""
    asks = asks_something(text) or found("tag_question", text)
    # the account or its pages named as a place ("在你们公众号里点哪里"), and a question about what the bot
    # can do ("你都能回答啥"), aim at no one
    said = pattern("about_the_bot").sub("", pattern("channel").sub("", text))
    # a question about the rules names those who make them ("政府有没有规定最高卖多少") without aiming at
    # them; said to us ("你们这种做法合理吗") it is aimed
    aimed = (found("addressed", said) or found("at_people", said)) and not (
        rule_question(text) and not SAID_TO_US.search(text)
    )
    barbed = ACCUSATION.search(text) or REPROACH.search(text) or RHETORICAL.search(text)
    return asks and not aimed and not barbed and not found("exasperated", text)


# The model's belief above which anger at us, in angry words, is no answer to a question of the complaint
# form; weariness with the questions themselves ("有完没完") needs less of it
FORM_ANGER_SURE = 0.9
FORM_ANGER_WEARY = 0.75
# This office by name or as "you" (plural: a bare 你 is as often the clerk quoted, or 你说), and the people a
# reproach in the form is as often about (then it is the report)
US = re.compile(r"你们|您们|市场监管|市监局|监管局|12315")
THIRD_PARTY = re.compile(r"店员|收银|摊|卖家|卖口罩的|网点|领取点|物业|社区|工作人员|大爷|大妈|他们|老板")


def vents_at_us(t: Turn) -> bool:
    """Anger at this service or its questions that the model is sure of, naming no seller and asking us to
    act on nothing ("什么破系统 搞半天就是糊弄人 气死我了", "别问了 有完没完"): said at a question of the
    complaint form it is no answer (it was taken as the shop's name); a person takes the complaint over.
    Anger at the shop ("这家店太黑了 气死我了", "那个微商 你们能不能管管 气死了") is part of the report."""
    weary = found("weary_of_form", t.text)
    # an accusation of doing nothing said to us ("就是不作为 你们根本不当回事"): at this office, whatever
    # words name it (a reproach about the shops, "你们怎么不去管管那些药店", names a shop and is the report)
    barbed = ACCUSATION.search(t.text) or REPROACH.search(t.text)
    reproached = bool(barbed and US.search(t.text)) and not THIRD_PARTY.search(t.text)
    return (
        t.intent == "express_anger"
        and t.confidence >= (FORM_ANGER_WEARY if weary else FORM_ANGER_SURE)
        and (weary or reproached or (found("at_the_service", t.text) and not _calm_words(t.text)))
        and not found("shop_words", t.text)
        and not found("wants_to_report", t.text)
    )


def _unsure_anger_first(t: Turn, c: Conversation) -> bool:
    return (
        _angry_without_need(t, c)
        and (t.confidence < ANGER_UNSURE or (t.confidence < CALM_QUESTION_MAX and _calm_question(t.text)))
        and c.anger_before < ANGER_BEFORE_CALM
        and _calm_words(t.text)
    )


PERSON_FOR_CASE = "您的问题涉及个人的具体情况，公开信息无法答复，需要工作人员帮您查询处理。"
PERSON_FOR_REPEAT = "同样的问题您已经问过几次，看来自动答复没能解决，我请工作人员来帮您。"
PERSON_FOR_THREAT = "您的诉求我们非常重视，马上请工作人员直接为您处理。"
ASK_FOR_NEED = "您可以直接告诉我遇到的具体问题（预约、结果、领取或投诉举报），我来帮您。"
GIVEN_UP = "好的。如还有其他问题，请直接告诉我；需要工作人员时回复“人工”。"

HOW_TO_REPORT = (
    "如果遇到具体商家哄抬价格、售假或其他消费问题，直接告诉我商家名称、地址和发生了什么，我帮您登记投诉举报；"
    "也可以拨打12315热线。"
)
GOODS_RULES = (
    "合格的口罩包装上应印有生产企业名称和地址、执行标准、生产日期和有效期（医用外科口罩执行YY 0469，"
    "一次性使用医用口罩执行YY/T 0969，KN95执行GB 2626）；没有厂名厂址、标准或日期的属于“三无”产品。"
    "具体真伪需要检验，网上无法判断。"
)


def wishes_to_report(text: str) -> bool:
    """The citizen calmly says they want to report ("那我要反映一下这个事"), to none of us: the form opens,
    whatever the model made of it (anger at us, "我要投诉你们", is not this)."""
    return (
        found("asks_to_report", text)
        and _calm_words(text)
        and not found("addressed", text)
        # "要投诉的话打什么电话", "我想举报 还是算了吧", "如果我要投诉…": no report yet
        and not asks_something(text)
        and not found("hypothetical", text)
        and not complaint.is_cancel(text)
    )


WISH_ONLY_CHARS = 6  # what is left of "那我要反映一下这个事" once the wish is taken out: no account of it


def says_only_the_wish(text: str) -> bool:
    """The wish to report is all the message says ("那我要反映一下这个事"): no account of what happened."""
    rest = pattern("asks_to_report").sub("", text)
    return len("".join(ch for ch in rest if ch.isalnum())) <= WISH_ONLY_CHARS


def rule_question(text: str) -> bool:
    """A question about the rules ("涨价涨到多少算哄抬", "这个牌子是真的吗", "举报电话是12315吧") that asks
    nothing be done: answered, with how to report, and no intake opened (actions/actions.py)."""
    return found("supposed_report", text) or (
        found("rule_question", text)
        and (not found("wants_to_report", text) or complaint.disclaims_report(text))
    )


RULES: tuple[Rule, ...] = (
    Rule(
        "escalation", "A threat to go to another authority or the press: the citizen gave up on the bot.",
        _threat, Decision(Outcome.HANDOFF, "escalation", "angry", acknowledge=True, answer=False,
                          note=PERSON_FOR_THREAT),
    ),
    Rule(
        "abuse", "Abuse or insults: an angry citizen is not answered by a machine (as before).",
        _abuse, Decision(Outcome.HANDOFF, "abuse", "angry", answer=False),
    ),
    Rule(
        "closing", "The citizen takes the answer and says what they will do (\"行 那我明天下午晚点去\"), "
        "calmly and asking nothing: read as anger after venting, or as a question, it would be queued or "
        "answered again.", _closing, Decision(Outcome.ANSWER, "closing", answer=False, note=GIVEN_UP),
    ),
    Rule(
        "given_up", "Giving up (\"算了算了不投诉了，也没几个钱\") in calm words, however resigned the model "
        "reads it: nothing to answer or hand over, and the reply says a person is one word away.", _given_up,
        Decision(Outcome.ANSWER, "given_up", answer=False, note=GIVEN_UP),
    ),
    Rule(
        "offer_ignored", "A person was offered, not taken, and the same need came back: the answer is not "
        "helping.", _offer_ignored,
        Decision(Outcome.HANDOFF, "offer_ignored", "unresolved", answer=False, note=PERSON_FOR_REPEAT),
    ),
    Rule(
        "third_time", "The same need a third time, in any words: published content does not answer it.",
        _third_time,
        Decision(Outcome.HANDOFF, "third_time", "unresolved", answer=False, note=PERSON_FOR_REPEAT),
    ),
    Rule(
        "individual_again", "A personal case (their record, village, shop today) asked again: only a person "
        "can look it up.", _individual_again,
        Decision(Outcome.HANDOFF, "individual_again", "unresolved", answer=False, note=PERSON_FOR_CASE),
    ),
    Rule(
        "angry_again", "Venting about a need already answered, or anger risen over turns: answer and hand "
        "over, as the seed's agents did.", _angry_again,
        Decision(Outcome.HANDOFF, "angry_again", "angry", acknowledge=True),
    ),
    Rule(
        "accusing_with_need", "An accusation or insult beside a concrete need (\"…干什么吃的\"): it vents "
        "more than it asks, so a person answers too, with the answer given at once.", _accusing_with_need,
        Decision(Outcome.HANDOFF, "accusing_with_need", "angry", acknowledge=True),
    ),
    Rule(
        "venting_with_need", "Frustration with a concrete question: acknowledge, answer, offer a person.",
        _venting_with_need, Decision(Outcome.OFFER, "venting_with_need", acknowledge=True),
    ),
    Rule(
        "individual_first", "A personal case the first time: the general answer, and a person one word away.",
        _individual, Decision(Outcome.OFFER, "individual_first", note=PERSON_FOR_CASE),
    ),
    Rule(
        "second_time", "The same need a second time: answer again and offer a person.",
        _second_time, Decision(Outcome.OFFER, "second_time"),
    ),
    Rule(
        "distress_with_need", "A sigh of distress beside a concrete question in a calm conversation: heard, "
        "answered, and a person one word away, as for venting, without adding to the anger.",
        _distress_with_need,
        Decision(Outcome.OFFER, "distress_with_need", acknowledge=True),
    ),
    Rule(
        "distress_first", "A first sigh of despair aimed at no one: heard, answered when it names a need or "
        "asked what it is, a person one word away; not queued for one. Again, or aimed at us, it is anger.",
        _distress_first,
        Decision(Outcome.OFFER, "distress_first", acknowledge=True, answer=False, note=ASK_FOR_NEED),
    ),
    Rule(
        "unsure_anger_first", "A first message the model only half believes is anger, or a calm question at "
        "no one it reads as anger, with no cue of it: too often a question or a sigh it misread to queue the "
        "citizen for a person; acknowledged, asked what they need, a person one word away.",
        _unsure_anger_first,
        Decision(Outcome.OFFER, "unsure_anger_first", acknowledge=True, answer=False, note=ASK_FOR_NEED),
    ),
    Rule(
        "angry_without_need", "Anger with nothing to answer: a person (as before).",
        _angry_without_need, Decision(Outcome.HANDOFF, "angry_without_need", "angry", answer=False),
    ),
)  # fmt: skip
DEFAULT = Decision(Outcome.ANSWER, "default")


def decide(latest: Turn, conversation: Conversation) -> Decision:
    """The first rule of RULES that applies, in order; a plain answer when none does."""
    for rule in RULES:
        if rule.applies(latest, conversation):
            return rule.decision
    return DEFAULT


def reading_behind_ambiguity(text: str, ranking: Iterable[dict[str, Any]]) -> Turn | None:
    """A message the fallback held back only because two readings were close, when both are ones we can
    act on: anger and a content question ("两天了都约不上，你们一点作为都没有" between booking results and
    anger) is venting with a need; two content questions are answered by the likelier. Asking such a citizen
    to say it again helps nobody. None: a real misunderstanding (the best reading under the threshold, or a
    reading that is neither)."""
    threshold, ranked = 1.0, []
    for entry in ranking:
        name, confidence = str(entry.get("name")), float(entry.get("confidence") or 0.0)
        if name == "nlu_fallback":
            threshold = confidence  # the fallback's own confidence is its threshold
        else:
            ranked.append((name, confidence))
    if len(ranked) < 2 or ranked[0][1] < threshold:
        return None
    (first, confidence), (second, _) = ranked[0], ranked[1]
    sections = [INTENT_SECTIONS[n] for n in (first, second) if n in INTENT_SECTIONS]
    if "express_anger" in (first, second) and sections:
        calm = _calm_words(text) and not ACCUSATION.search(text) and not found("exasperated", text)
        # anger only just ahead of a question (a fallback), in a calm question at no one ("这个是随机抽的还是
        # 拼手速啊"): the question is answered
        leads = first != "express_anger" or _calm_question(text)
        if leads and calm and not found("distress", text) and not found("addressed", text):
            # nothing in the words is angry, or aimed at us ("就是口罩预约结果 打字太慢了😂"): the question
            question = next(n for n in (first, second) if n in INTENT_SECTIONS)
            return Turn(text, question, confidence, sections[0])
        return Turn(text, "express_anger", confidence, sections[0])
    if len(sections) == 2:
        return Turn(text, first, confidence, sections[0])
    if first in REPORTS and second in REPORTS:
        # a report, only not which kind ("…必须搭着买消毒液才卖 这合理吗", price or other): the form opens
        return Turn(text, first, confidence, None)
    return None


def understood_intents(events: Iterable[dict[str, Any]]) -> list[str]:
    """user_intents as the messages were acted on: a fallback that reading_behind_ambiguity read was
    answered, so it counts as what it was read as, and the next real misunderstanding is asked to rephrase,
    not offered a person at once."""
    return [_understood(event) for event in session_messages(events)]


def _understood(event: dict[str, Any]) -> str:
    intent = intent_of(event)
    if intent != "nlu_fallback":
        return intent
    ranking = (event.get("parse_data") or {}).get("intent_ranking") or []
    reading = reading_behind_ambiguity(str(event.get("text") or ""), ranking)
    return reading.intent if reading is not None else intent


def misread_report(latest: Turn, conversation: Conversation) -> str | None:
    """The action for a message the model took for a report but that reports no shop (none of the report
    words). A question about one shop's stock is answered ("那家药房今天下午还有口罩吗"); venting about an
    answer that did not help goes to the anger rules ("跑到网点说没货了，折腾死了" after being told where to
    pick up). None: it is a report."""
    if found("report_words", latest.text):
        return None
    # the personal case itself, or more of one raised just before ("那到底谁能帮我改 药店说对不上不给" after
    # "预约记录身份证号错了一位"), unless it tells what a shop did
    recent = (*conversation.earlier[-1:], latest)
    if any(found("individual_case", turn.text) for turn in recent) and not found(
        "wants_to_report", latest.text
    ):
        return "action_answer_content"
    answered_before = latest.section is not None and any(
        t.section == latest.section for t in conversation.earlier
    )
    if found("venting", latest.text) and answered_before:
        return "action_respond_to_anger"
    return None


REPORT_UNSURE = 0.5  # a report the model believes less than this may be a question it misread
QUESTION_BEHIND_REPORT_AT = 0.1  # ... and a question it believes at least this, the one answered


def question_behind_report(
    latest: Turn, conversation: Conversation, ranking: Iterable[dict[str, Any]]
) -> Turn | None:
    """A question, in a conversation of questions, that the model barely takes for a report ("多少钱一包，一包
    几个" after asking which masks are booked): no report words and no wish to report in it, so it is answered
    as the likeliest question of the ranking. The caller checks it names no shop. None otherwise."""
    if latest.intent not in REPORTS or latest.confidence >= REPORT_UNSURE or not asks_something(latest.text):
        return None
    if found("report_words", latest.text) or found("wants_to_report", latest.text):
        return None
    if rule_question(latest.text):
        return None  # answered as a rule question, with how to report (ActionStartComplaint)
    if not any(turn.section is not None for turn in conversation.earlier[-2:]):
        return None  # not following questions just asked: what it is about is not known from before
    readings = ((str(e.get("name")), float(e.get("confidence") or 0.0)) for e in ranking)
    question = next(((n, c) for n, c in readings if n in INTENT_SECTIONS), None)
    if question is None or question[1] < QUESTION_BEHIND_REPORT_AT:
        return None
    return Turn(latest.text, question[0], question[1], INTENT_SECTIONS[question[0]])


def follows_rule_question(latest: Turn, conversation: Conversation) -> bool:
    """A question the model barely takes for a report, right after a question about the rules ("主要看包装上
    哪些东西" after "怎么分辨口罩是不是假的"): more of that question, answered as it was, with no form opened.
    Not when it tells of a shop or a wish to report."""
    return (
        latest.intent in REPORTS
        and latest.confidence < REPORT_UNSURE
        and asks_something(latest.text)
        and not found("report_words", latest.text)
        and not found("wants_to_report", latest.text)
        and not found("shop_words", latest.text)
        and any(rule_question(turn.text) for turn in conversation.earlier[-2:])
    )


def venting_behind_report(
    text: str, ranking: Iterable[dict[str, Any]], conversation: Conversation
) -> Turn | None:
    """A fallback whose likelier reading is a report that reports no shop, torn with anger, after the
    answer it vents about ("跑到网点说早就没货了，折腾死了" after being told where to pick up, complaint 0.37
    against anger 0.34): what misread_report does for such a report, read as anger about that section.
    None otherwise."""
    readings = _top_two(ranking)
    if len(readings) < 2 or readings[0][0] not in REPORTS or readings[1][0] != "express_anger":
        return None
    intent, confidence = readings[0]
    as_report = Turn(text, intent, confidence, section_of(intent, text))
    if misread_report(as_report, conversation) != "action_respond_to_anger":
        return None
    return Turn(text, "express_anger", confidence, as_report.section)


# What a shop charged, said as such ("一包口罩收了我两百", "卖我80一盒"): the account of a report
# (a figure, not "一": "要我再约一次" charges nothing; an amount, not a time or a count: "要我三点再来")
CHARGED = re.compile(
    r"(收|要|卖|宰)了?(我|俺|我们)[^，。,.!！?？]{0,2}(\d+|[两三四五六七八九十百千][一二三四五六七八九十两百千万]*)"
    r"(?![\d一二三四五六七八九十两百千万]*\s*(点|天|次|人|个人|遍|回|趟|小时|分钟))"
)
TORN_WITHIN = 0.1  # two readings this close are torn


def _top_two(ranking: Iterable[dict[str, Any]]) -> list[tuple[str, float]]:
    """The two likeliest readings of the ranking other than the fallback, as (intent, confidence)."""
    readings = ((str(e.get("name")), float(e.get("confidence") or 0.0)) for e in ranking)
    return [r for r in readings if r[0] != "nlu_fallback"][:2]


def report_behind_anger(text: str, ranking: Iterable[dict[str, Any]]) -> Turn | None:
    """A fallback torn between anger and a report, whose calm words say what a shop charged the citizen
    ("这个收据你们看看 一包口罩收了我两百"): the report, for the form to take in. None otherwise."""
    readings = _top_two(ranking)
    names = {name for name, _ in readings}
    report = next((r for r in readings if r[0] in REPORTS), None)
    if report is None or "express_anger" not in names or not CHARGED.search(text) or not _calm_words(text):
        return None
    if report[1] < readings[0][1] - TORN_WITHIN:
        return None  # far behind anger: not torn
    return Turn(text, report[0], report[1], None)
