"""The complaint intake form's rules and actions (Rasa environment, no server)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

pytest.importorskip("rasa_sdk")

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import complaint
from actions.actions import ActionStartComplaint, ActionSubmitComplaint, ValidateComplaintForm


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("确认", "yes"),
        ("是的，提交吧", "yes"),
        ("取消", "cancel"),
        ("算了不投诉了", "cancel"),
        ("改地址", "complaint_address"),
        ("地址写错了", "complaint_address"),
        ("价格不对", "complaint_price"),
        ("修改一下商家", "complaint_shop"),
        ("时间错了", "complaint_time"),
        ("改经过", "complaint_what"),
        ("嗯？你说啥", None),
        # in the citizen's own words
        ("没错 帮我交上去吧", "yes"),
        ("信息都对 麻烦你们尽快去查一下", "yes"),
        ("这个撤了吧[捂脸]", "cancel"),
        ("不用了 他说价格记错了 是正常价 不弄了不好意思😅", "cancel"),
        ("好像本来就贵一点 算了不投诉了", "cancel"),
        ("我老公说他已经去给退了 那不用了 不好意思哈[捂脸]", "cancel"),
        ("嗯 没问题 就这样交上去", "yes"),
        ("嗯 现在对了 可以提交", "yes"),
        ("没错 麻烦你们了 确认提交🙏", "yes"),
        ("谢谢", None),
        ("哦哦 我就随便问问 没想举报谁哈 就是心里有个数", "cancel"),
        # not meaning to complain, then reporting all the same, reports
        ("我本来不想投诉的，但他们太过分了", None),
        ("不想投诉，就想让药店把多收的钱退给我", None),
        ("我不想投诉，我想举报", None),
        ("不是要投诉，是要举报他们卖假货", None),
        # "no changes" at the summary, and the shop backing down, are no cancellation
        ("不用了，确认", "yes"),  # no changes: file it
        ("想了想还是先不提交了，老板是我邻居，我先去跟他说说。取消吧", "cancel"),
        ("不用改了 确认提交", "yes"),
        ("不用了，没问题", None),
        ("老板一听我要打12315，就撤了", None),
        ("不对不对 是我看错了 那就撤回吧", "cancel"),
        ("不对，地址写错了", "complaint_address"),
        ("等下 先别交上去", None),
        # the filing verb with who does it, "麻烦" and "帮我" together, "照这个"; a hope said after it
        ("对 就这样 麻烦帮我交上去吧", "yes"),
        ("没问题 内容都对 就按照这个提交", "yes"),
        ("好 你们提交吧 希望有人管管", "yes"),
        ("希望你们尽快处理", None),
        # taking it back as "那这个我撤回吧"; someone else taking something back is no cancellation
        ("店家已经把钱退了 那这个我撤回吧", "cancel"),
        ("他们后来就撤回了", None),
        # at the summary, a yes first and nothing after it that hesitates, corrects or asks
        ("对，就这些了，麻烦你们报上去吧", "yes"),
        ("没错，就照这个给我登记", "yes"),
        ("行 没问题 你们去查查", "yes"),
        ("对 等我再想想", None),
        # a yes with a new detail, a question or a second thought is no confirmation (review)
        ("对 他们还骂人", None),
        ("嗯 能匿名吗", None),
        ("好 还没想好", None),
        ("那我不投诉了", "cancel"),
        ("那我就不举报了", "cancel"),
        ("图片发错了 我撤回了", None),  # a WeChat message taken back
        ("不想投诉，就想他们把价格降下来", None),
        ("不是现在要投诉，等我拿到小票再说", None),
        # no more to add, not "it is right" by the rules: the learned reading (actions/form_reader.py) hears
        # it as a yes at the summary (tests/rasa/test_form_reader.py)
        ("就这些了", None),
        ("是的 内容没错 麻烦提交一下", "yes"),
        ("好的 不过价格我再核实下", None),
        ("是的 这样能查到吗？", None),
        # "不投了" for "不投诉了"; "就是想…" says why they asked, not a report
        ("哦那算了，不投了，不好意思啊", "cancel"),
        ("不是要投诉哈，就是想心里有个数", "cancel"),
        ("那不投诉了 是我看错了 抱歉", "cancel"),
        ("嗯 是这样的 可以了", "yes"),
        # several yeses in one clause, asking us to deal with it, "就行" after the filing verb
        ("嗯嗯是这样 没错 麻烦你们去管管", "yes"),
        ("对对 就是这样 请你们严查", "yes"),
        ("是的 按这个提交就行", "yes"),
        ("嗯嗯是这样 不过我再想想", None),
        ("管管他们吧 太黑了", None),  # more venting after it: read as before
        # "发吧", "就这么报", "都对"; a cancellation before an account of why, in the citizen's own words
        ("没错 信息都对 发吧", "yes"),
        ("嗯嗯 没问题 就这么报", "yes"),
        ("是的 都对 麻烦快点处理", "yes"),
        ("照片发过去了", None),
        ("啊 他说那是他表哥开的 这事先不报了 我让他自己去说", "cancel"),
        ("先不报了 等我拿到小票再说", None),
        ("老板说不用登记了 可他还在卖", None),
        ("都对", "yes"),
        ("对 都对", "yes"),
        # (review) someone's words in an account, a booking cancelled, a rhetorical question: no cancellation
        ("我去药店买口罩 店员说 没关系 不用登记了 直接拿走就行 结果回家发现是假的", None),
        ("我之前在网上预约的 先取消 后面再约就约不上了", None),
        ("不投诉了？那要你们干嘛", None),
        ("这事不报了 老板已经给我换了", "cancel"),
    ],
)
def test_confirmation_answers(text: str, expected: str | None) -> None:
    assert complaint.confirmation(text) == expected


@pytest.mark.parametrize(
    ("text", "value"), [("跳过", "未提供"), ("不知道。", "未提供"), (" 人民路88号 ", "人民路88号")]
)
def test_answers_and_skips(text: str, value: str) -> None:
    assert complaint.answer_value(text) == value


def tracker(slots: dict[str, Any], text: str = "", intent: str = "report_price_gouging") -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    return Tracker("o_test", slots, message, [], False, None, {"name": "complaint_form"}, "action_listen")


def run(action: Any, t: Tracker) -> tuple[list[Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    return asyncio.run(action.run(dispatcher, t, {})), dispatcher.messages


def test_start_keeps_the_first_message_as_what_happened() -> None:
    events, messages = run(ActionStartComplaint(), tracker({}, "惠民大药房的口罩卖五十元一只，太离谱了"))
    assert SlotSet("complaint_category", "举报") in events
    assert SlotSet("complaint_what", "惠民大药房的口罩卖五十元一只，太离谱了") in events
    assert messages[0]["response"] == "utter_complaint_start"
    short, _ = run(ActionStartComplaint(), tracker({}, "我要投诉", intent="complain_other"))
    assert not any(e["name"] == "complaint_what" and e["value"] for e in short)
    assert SlotSet("complaint_category", "投诉") in short
    clicked, _ = run(
        ActionStartComplaint(), tracker({}, "/report_price_gouging", intent="report_price_gouging")
    )
    assert not any(e["name"] == "complaint_what" and e["value"] for e in clicked)  # a menu button: ask


def fresh(text: str, intent: str, ranking: list[tuple[str, float]] = ()) -> Tracker:  # type: ignore[assignment]
    """A tracker with no form open, the latest message read as `intent` with that ranking."""
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": ranking[0][1] if ranking else 0.9},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "entities": [],
    }
    events = [{"event": "user", "text": text, "parse_data": message}]
    return Tracker("o_test", {}, message, events, False, None, {}, "action_listen")


def test_a_report_only_unsure_of_its_kind_or_a_calm_wish_to_report_opens_the_form() -> None:
    from actions.actions import ActionHandleFallback, ActionRespondToAnger

    torn = [("nlu_fallback", 0.3), ("report_price_gouging", 0.37), ("complain_other", 0.35)]
    text = "超市非要搭着买一瓶洗手液才卖口罩"
    events, _ = run(ActionHandleFallback(), fresh(text, "nlu_fallback", torn))
    assert events == [FollowupAction("action_start_complaint")]
    events, messages = run(ActionStartComplaint(), fresh(text, "nlu_fallback", torn))
    assert SlotSet("complaint_category", "举报") in events  # the likelier kind
    assert SlotSet("complaint_what", text) in events
    assert events[-1] == FollowupAction("complaint_form")  # no rule runs the form after a fallback
    assert messages[0]["response"] == "utter_complaint_start"
    wish = "那我要反映一下这个事"
    events, _ = run(ActionRespondToAnger(), fresh(wish, "express_anger", [("express_anger", 0.49)]))
    assert events == [FollowupAction("action_start_complaint")]
    events, _ = run(ActionStartComplaint(), fresh(wish, "express_anger", [("express_anger", 0.49)]))
    assert not any(e["name"] == "complaint_what" and e["value"] for e in events)  # no account in it
    assert events[-1] == FollowupAction("complaint_form")
    # at us, it is anger: the rules decide (a person), no form
    events, _ = run(ActionRespondToAnger(), fresh("我要投诉你们", "express_anger", [("express_anger", 0.9)]))
    assert FollowupAction("action_start_complaint") not in events


def test_a_closing_heard_as_a_report_opens_no_form() -> None:
    events, messages = run(
        ActionStartComplaint(),
        fresh("好的我回去把包装仔细看看", "report_fake_goods", [("report_fake_goods", 0.31)]),
    )
    assert events == [FollowupAction("action_listen")]
    assert "人工" in messages[0]["text"]


def validate(slot: str, value: str) -> dict[str, Any]:
    method = getattr(ValidateComplaintForm(), f"validate_{slot}")
    return asyncio.run(method(value, CollectingDispatcher(), tracker({}), {}))


def test_validation_skip_cancel_and_correct() -> None:
    assert validate("complaint_shop", "跳过") == {"complaint_shop": "未提供"}
    cancelled = validate("complaint_address", "取消")
    assert cancelled["complaint_confirm"] == "cancel"
    assert all(cancelled[s] == "未提供" for s in ("complaint_what", "complaint_shop", "complaint_price"))
    assert validate("complaint_confirm", "改地址") == {"complaint_address": None, "complaint_confirm": None}
    assert validate("complaint_confirm", "确认") == {"complaint_confirm": "yes"}
    assert validate("complaint_confirm", "啊？") == {"complaint_confirm": None}


def test_submit_signals_the_ticket_with_what_was_given() -> None:
    slots = {
        "complaint_category": "举报",
        "complaint_what": "口罩卖五十元一只",
        "complaint_shop": "惠民大药房",
        "complaint_address": "未提供",
        "complaint_price": "五十元一只",
        "complaint_time": "昨天下午",
        "complaint_product": "口罩",
        "complaint_confirm": "yes",
    }
    events, messages = run(ActionSubmitComplaint(), tracker(slots))
    assert messages[0]["response"] == "utter_complaint_submitted"
    assert messages[1]["custom"]["ticket"] == {
        "category": "举报",
        "summary": "口罩卖五十元一只",
        "details": {"shop": "惠民大药房", "product": "口罩", "price": "五十元一只", "time": "昨天下午"},
        "confirmed": True,
    }
    assert SlotSet("complaint_shop", None) in events  # ready for the next complaint


def test_cancelled_intake_signals_no_ticket_and_closes_the_draft() -> None:
    _, messages = run(ActionSubmitComplaint(), tracker({"complaint_confirm": "cancel"}))
    assert messages[0]["response"] == "utter_complaint_cancelled"
    assert [m["custom"] for m in messages[1:]] == [{"intake": {"closed": "cancelled"}}]


def test_a_question_about_one_shops_stock_is_answered_not_taken_in() -> None:
    events, messages = run(ActionStartComplaint(), tracker({}, "楼下那家药房今天下午还有口罩吗"))
    assert events == [FollowupAction("action_answer_content")] and messages == []


def test_venting_about_an_answer_that_did_not_help_is_not_a_report() -> None:
    earlier = [
        {"event": "user", "text": "领口罩的网点在哪", "parse_data": {"intent": {"name": "ask_mask_pickup"}}},
        {
            "event": "user",
            "text": "去了网点说没货，折腾死了",
            "parse_data": {"intent": {"name": "complain_other"}},
        },
    ]
    t = Tracker("o_test", {}, {"text": earlier[1]["text"], "intent": {"name": "complain_other", "confidence": 0.8},
                               "entities": []}, earlier, False, None, {}, "action_listen")  # fmt: skip
    events, _ = run(ActionStartComplaint(), t)
    assert events == [FollowupAction("action_respond_to_anger")]
    # the same words with a report in them open the form
    events, messages = run(ActionStartComplaint(), tracker({}, "那家药房口罩卖到80元一只，折腾死了"))
    assert messages[0]["response"] == "utter_complaint_start"


@pytest.mark.parametrize(
    ("text", "cancels"),
    [
        ("取消", True),
        ("算了算了不投诉了", True),
        ("想了想还是算了，钱也不多，取消吧", True),
        ("钱也不多，我不想投诉了", True),
        ("那算了吧", True),
        ("不取消，继续登记", False),
        ("先别取消", False),
        ("店名叫算了么便利店", False),
        ("算了么便利店", False),
        # a description of something cancelled, or someone else's words, is no cancellation
        ("网点把我约好的名额取消了", False),
        ("药店说不用登记了，结果一包卖80", False),
        ("店员说不买那就算了", False),
        ("不能取消", False),
        ("呃 想想还是算了 就买了几个 不折腾了 不用登记了", True),
        ("不用举报了吧", True),
        ("不折腾了", True),
        ("不必登记了", True),
        # someone else's words, after a comma or a space, are what happened
        ("老板说，不用登记了", False),
        ("店员一看我拍照就说，不要再投诉了", False),
        ("我想投诉 但老板说 不用投诉了", False),
        ("老板威胁我，算了吧", False),
        # said twice running with no space between, as people type it
        ("不登记了不登记了", True),
        ("我搞错了 不用投诉了不用投诉了", True),
    ],
)
def test_a_cancellation_is_heard_inside_a_sentence(text: str, cancels: bool) -> None:
    assert complaint.is_cancel(text) is cancels


@pytest.mark.parametrize(
    ("text", "asking"),
    [
        ("就先问问哈，暂时还没碰到", True),
        ("只是问问", True),
        ("我还没遇到过", True),
        # a report that says it never met anything like it is a report
        ("我还没碰到过这么黑的店", False),
        # no shop in mind, thanks after it
        ("哦哦 就是问问 没具体哪家 谢谢", True),
        ("就是问问 麻烦你们了", True),
        ("谢谢", False),
        # an answer at the shop question, not a withdrawal
        ("网上买的 没有商家", False),
        ("我想问问哪里可以举报", False),
        ("药店说没货", False),
    ],
)
def test_a_citizen_who_says_there_is_nothing_to_report_yet(text: str, asking: bool) -> None:
    assert complaint.only_asking(text) is asking


def test_only_asking_files_nothing_and_says_how_to_report() -> None:
    _, messages = run(ActionSubmitComplaint(), tracker({"complaint_confirm": "only_asking"}))
    assert messages[0]["response"] == "utter_complaint_not_needed"
    assert [m["custom"] for m in messages[1:]] == [{"intake": {"closed": "only_asking"}}]


@pytest.mark.parametrize(
    ("text", "files"),
    [
        ("确认", True),
        ("对的没问题，提交吧", True),
        ("没问题，就按这个报上去", True),
        ("好的，提交吧", True),
        # a hesitation, a long sentence or a detail is no confirmation
        ("确认一下，先别提交", False),
        ("等我想想再提交", False),
        ("确认是在他们店买的", False),
        ("没问题的话你们什么时候能处理完提交的材料", False),
        ("好的", False),
        ("报上去吧", True),
        ("嗯确认", True),
        ("对确认", True),
        ("行提交吧", True),
        ("对 就这样 提交", True),
        ("好 就这些 提交吧", True),
        ("就这样吧", False),  # "that is all" alone closes nothing: the question may still want its answer
        # an answer that mentions confirming or filing is an answer
        ("店家确认了", False),
        ("确认了是假货", False),
        ("他们没有确认", False),
        ("提交过一次了", False),
        ("好的已经上报了", False),
    ],
)
def test_a_short_yes_that_names_filing_files_the_form(text: str, files: bool) -> None:
    assert complaint.files_now(text) is files


def test_a_question_about_the_rules_is_answered_not_taken_in() -> None:
    for text, intent in [
        ("涨价涨到多少算哄抬物价？有没有具体标准", "report_price_gouging"),
        ("这个牌子的KN95是真的吗", "report_fake_goods"),
        ("上面说的举报电话就是12315对吧", "report_price_gouging"),
        ("怎么看口罩是不是正规的啊 包装上要看哪几个字", "report_fake_goods"),
    ]:
        events, messages = run(ActionStartComplaint(), tracker({}, text, intent=intent))
        assert events == [FollowupAction("action_listen")], text
        assert "12315" in messages[-1]["text"]  # how to report, one message away
        assert not any(m.get("response") == "utter_complaint_start" for m in messages)
    # said with a wish to report, or naming the shop, it is a report
    for text, entities in [
        ("这个价算不算哄抬，能举报吗", []),
        ("领口罩还非要我买一瓶84消毒液才给 这合理吗", []),
        ("康泰大药房口罩卖五十一只，算不算哄抬", [{"entity": "shop", "value": "康泰大药房"}]),
        ("小区门口小卖部口罩卖50一只，这算不算哄抬物价", []),
        ("这种价格是不是哄抬 我能不能举报他们", []),
        ("微商那买的口罩也不知道是不是正规的，戴了脸都过敏了", []),
        ("看到药店一只卖12块，这算不算哄抬", []),
    ]:
        asked = tracker({}, text)
        asked.latest_message["entities"] = entities
        _, messages = run(ActionStartComplaint(), asked)
        assert messages[0]["response"] == "utter_complaint_start", text


def test_money_taken_for_a_booking_not_paid_is_a_personal_case_not_a_complaint_form() -> None:
    events, _ = run(
        ActionStartComplaint(), tracker({}, "预约付款的时候钱扣了 订单还是显示待支付", "complain_other")
    )
    assert events == [FollowupAction("action_answer_content")]


def test_a_price_or_a_term_alone_is_a_rule_question() -> None:
    for text in [
        "疫情前口罩5毛一个，现在卖多少算正常",
        "三无产品是什么意思，怎么判断是不是三无",
        "举报电话打不通怎么办",
    ]:
        asked = tracker({}, text)
        asked.latest_message["entities"] = [{"entity": "price", "value": "5毛一个"}] if "5毛" in text else []
        events, _ = run(ActionStartComplaint(), asked)
        assert events == [FollowupAction("action_listen")], text


def test_a_question_mark_does_not_file() -> None:
    assert not complaint.files_now("可以提交了？")
    assert complaint.files_now("可以提交了")


def test_a_long_run_of_yes_sounds_is_read_at_once() -> None:
    # nested repeats in the yes clause backtracked exponentially: 24 嗯 took seconds on the action server
    started = time.monotonic()
    assert complaint.confirmation("信息都对 " + "嗯" * 40 + "呢") is None
    assert time.monotonic() - started < 1.0


def test_a_disclaimer_followed_by_what_the_shop_did_still_reports() -> None:
    assert complaint.disclaims_report("我不是要投诉哈 就想知道政府有没有规定最高卖多少")
    assert not complaint.disclaims_report("我不想投诉 但是楼下药店卖50一只 这合理吗")
    # 告, as people say it ("不是要告谁"), but not 告诉
    assert complaint.disclaims_report("超市的酒精卖40一瓶正常吗 我不是要告谁 就问问")
    assert not complaint.disclaims_report("我不是要告诉你 那家店卖40一瓶")


def test_a_price_question_about_a_named_shop_that_disclaims_a_report_opens_no_form() -> None:
    """The shop is where the price was seen when the citizen says they report no one; without the disclaimer
    a named shop's price is a report, as before."""
    text = "惠康超市口罩卖3块一个 这个价正常吗？不是要告谁 就是问问"
    asked = tracker({}, text)
    asked.latest_message["entities"] = [
        {"entity": "shop", "value": "惠康超市"},
        {"entity": "price", "value": "3块一个"},
    ]
    events, _ = run(ActionStartComplaint(), asked)
    assert events == [FollowupAction("action_listen")]
    reported = tracker({}, "惠康超市口罩卖3块一个 这个价正常吗？")
    reported.latest_message["entities"] = asked.latest_message["entities"]
    events, messages = run(ActionStartComplaint(), reported)
    assert messages[0]["response"] == "utter_complaint_start"


def test_a_follow_up_question_barely_read_as_a_report_is_answered_not_taken_in() -> None:
    earlier = [
        {
            "event": "user",
            "text": "这批能约的是什么口罩",
            "parse_data": {"intent": {"name": "ask_mask_booking", "confidence": 0.9}},
        },
        {"event": "bot", "text": "口罩预约办法……"},
    ]
    text = "一包多少钱 几个一包"
    t = tracker({}, text)
    t.latest_message["intent"] = {"name": "report_price_gouging", "confidence": 0.36}
    t.latest_message["intent_ranking"] = [
        {"name": "report_price_gouging", "confidence": 0.36},
        {"name": "ask_mask_booking", "confidence": 0.2},
    ]
    t.events = [*earlier, {"event": "user", "text": text, "parse_data": t.latest_message}]
    events, messages = run(ActionStartComplaint(), t)
    assert events == [FollowupAction("action_listen")]
    assert all(m.get("response") != "utter_complaint_start" for m in messages) and messages
    # the same with a shop named: a report, the form opens
    t.latest_message["entities"] = [{"entity": "shop", "value": "惠康超市"}]
    _, messages = run(ActionStartComplaint(), t)
    assert messages[0]["response"] == "utter_complaint_start"


@pytest.mark.parametrize(
    ("text", "intent", "form"),
    [
        # their own matter with us: no form, a person offered
        ("我开小超市的 有人举报了我 说我口罩卖贵了", "report_price_gouging", False),
        ("我投诉的那家药店处理了吗", "complain_other", False),
        # a shop's excuse, promise or retaliation, and a case of their own with a report: the form
        ("老板说有人举报了我 不让我进店买口罩了", "complain_other", True),
        ("药店说帮我留到明天 结果第二天去就高价卖给别人了", "report_price_gouging", True),
        ("在药店买的口罩回家发现是过期的 我这种情况怎么办", "report_fake_goods", True),
    ],
)
def test_their_own_matter_heard_as_a_report_opens_no_form(text: str, intent: str, form: bool) -> None:
    events, messages = run(ActionStartComplaint(), tracker({}, text, intent=intent))
    opened = any(m.get("response") == "utter_complaint_start" for m in messages)
    assert opened is form, (events, messages)
    if not form:
        assert events == [FollowupAction("utter_offer_human")]
