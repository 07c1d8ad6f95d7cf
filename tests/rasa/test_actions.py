"""The custom actions, run without a server (rasa_sdk's Tracker and CollectingDispatcher), reading content
from a real Redis. Runs in the Rasa environment (`make actions-test`)."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

pytest.importorskip("rasa_sdk")

import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

import actions.actions as actions_module
from actions.actions import (
    ActionAnswerContent,
    ActionAnswerOutOfScope,
    ActionHandleFallback,
    ActionHandoff,
    ActionRespondToAnger,
)
from actions.signals import anger_score, trailing_repeats, user_intents
from bot.core.content import format_section
from bot.storage import keys
from bot.storage.embedded import EmbeddedRedis

ROOT = Path(__file__).resolve().parents[2]
CONTENT = yaml.safe_load((ROOT / "content" / "answers.yml").read_text(encoding="utf-8"))


def user(intent: str, text: str = "") -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def tracker(intent: str, text: str = "", confidence: float = 0.9, events: list[dict[str, Any]] | None = None,
            entities: list[dict[str, Any]] | None = None) -> Tracker:  # fmt: skip
    message = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities or []}
    return Tracker("o_test", {}, message, events or [user(intent)], False, None, {}, "action_listen")


def run(action: Any, t: Tracker) -> tuple[list[Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    actions_module._redis = None  # a fresh client for this test's event loop
    events = asyncio.run(action.run(dispatcher, t, {}))
    return events, dispatcher.messages


@pytest.fixture
def content_in_redis(redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch) -> None:
    import redis

    monkeypatch.setenv("REDIS_URL", redis_server.url)
    client = redis.Redis.from_url(redis_server.url)
    for section, value in CONTENT.items():
        client.set(keys.content(section), json.dumps(value, ensure_ascii=False, default=str))
    client.close()


@pytest.mark.parametrize(
    ("intent", "expected"),
    [
        ("ask_mask_booking", "每人每次可预约 5 只"),
        ("ask_booking_result", "20:00"),
        ("ask_mask_pickup", "惠民大药房（人民路店）：人民路 88 号"),
        ("ask_announcement", "关于继续做好口罩预约购买工作的通告"),
    ],
)
def test_content_answers_come_from_redis(content_in_redis: None, intent: str, expected: str) -> None:
    events, messages = run(ActionAnswerContent(), tracker(intent))
    assert events == []
    assert expected in messages[0]["text"]


def test_a_maintainers_change_shows_in_the_next_answer(
    content_in_redis: None, redis_server: EmbeddedRedis
) -> None:
    import redis

    client = redis.Redis.from_url(redis_server.url)
    changed = {
        "text": "即日起暂停预约。",
        "updated_at": "2026-11-28 10:00",
    }  # the rules removed, a notice left
    client.set(keys.content("booking"), json.dumps(changed, ensure_ascii=False))
    client.close()
    _, messages = run(ActionAnswerContent(), tracker("ask_mask_booking"))
    assert messages[0]["text"].startswith("即日起暂停预约。")
    assert "信息更新于 2026-11-28 10:00" in messages[0]["text"]


def test_expired_announcements_are_never_shown() -> None:
    text = format_section("announcements", CONTENT["announcements"], date(2026, 11, 28))
    assert "春节期间" not in text
    assert "哄抬防疫用品价格" in text
    assert format_section("announcements", CONTENT["announcements"], date(2030, 1, 1)).startswith(
        "目前没有新的公告"
    )


def test_an_announcement_goes_live_on_the_centres_day_not_the_machines(
    content_in_redis: None, redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Published "today" where the centre is: live there, not yet where it is still yesterday (a container
    keeps UTC, eight hours behind Beijing). Kiritimati (UTC+14) and Pago Pago (UTC-11) are always a day or two
    apart, so the check holds at any hour."""
    import redis

    ahead, behind = "Pacific/Kiritimati", "Pacific/Pago_Pago"
    day = datetime.now(ZoneInfo(ahead)).date().isoformat()
    item = {"id": "tz-1", "title": "跨时区的通知", "text": "今日起执行。", "issuer": "市市场监督管理局",
            "published": day}  # fmt: skip
    client = redis.Redis.from_url(redis_server.url)
    client.set(keys.content("announcements"), json.dumps([item], ensure_ascii=False))
    client.close()
    monkeypatch.setenv("BOT_TIMEZONE", ahead)
    assert "跨时区的通知" in run(ActionAnswerContent(), tracker("ask_announcement"))[1][0]["text"]
    monkeypatch.setenv("BOT_TIMEZONE", behind)
    assert "跨时区的通知" not in run(ActionAnswerContent(), tracker("ask_announcement"))[1][0]["text"]


def test_content_missing_from_redis_gives_a_safe_answer(
    redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url.rsplit("/", 1)[0] + "/9")
    _, messages = run(ActionAnswerContent(), tracker("ask_mask_pickup"))
    assert "正在更新" in messages[0]["text"]


def test_the_same_question_a_second_time_offers_a_person(content_in_redis: None) -> None:
    asked = ["预约结果怎么查", "我问的是预约结果在哪里查"]
    events = [user("ask_booking_result", text) for text in asked]
    result, messages = run(ActionAnswerContent(), tracker("ask_booking_result", asked[-1], events=events))
    assert "20:00" in messages[0]["text"]  # answered again
    assert result == [FollowupAction("utter_offer_human")]


def test_the_same_question_a_third_time_goes_to_a_person_as_unresolved(content_in_redis: None) -> None:
    asked = ["预约结果怎么查", "我问的是预约结果在哪里查", "到底在哪查预约结果"]
    events = [user("ask_booking_result", text) for text in asked]
    result, messages = run(ActionAnswerContent(), tracker("ask_booking_result", asked[-1], events=events))
    assert result == []
    assert "同样的问题您已经问过几次" in messages[0]["text"]
    assert messages[1]["response"] == "utter_handoff"
    assert messages[2]["custom"]["handoff"]["reason"] == "unresolved"
    assert messages[2]["custom"]["handoff"]["rule"] == "third_time"


def test_handoff_on_request_signals_the_gateway() -> None:
    events, messages = run(ActionHandoff(), tracker("request_human", "我要人工", 0.97))
    assert events == []
    assert messages[0]["response"] == "utter_handoff"
    handoff = messages[1]["custom"]["handoff"]
    assert handoff["reason"] == "request_human" and handoff["intent"] == "request_human"
    assert handoff["confidence"] == pytest.approx(0.97)


def test_angry_handoff_carries_an_anger_score() -> None:
    _, messages = run(ActionHandoff(), tracker("express_anger", "你们这些废物！！！到底管不管？？", 0.95))
    handoff = messages[1]["custom"]["handoff"]
    assert messages[0]["response"] == "utter_handoff_angry"
    assert handoff["reason"] == "angry"
    assert handoff["anger"] >= 0.8


def test_accepting_the_offer_is_an_unresolved_handoff() -> None:
    _, messages = run(ActionHandoff(), tracker("affirm", "好的", 0.9))
    assert messages[1]["custom"]["handoff"]["reason"] == "unresolved"


def test_taking_the_answer_after_the_offer_does_not_take_the_offer() -> None:
    offer = {"event": "action", "name": "utter_offer_human"}
    events, messages = run(
        ActionHandoff(), tracker("affirm", "哦 知道了", 0.8, events=[offer, user("affirm")])
    )
    assert events == [] and "人工" in messages[0]["text"]
    assert not any("handoff" in (m.get("custom") or {}) for m in messages)
    # "好的" takes it, and so does anything more than "got it"
    for text in [
        "好的",
        "知道了，转人工吧",
        "好的 我先等人工",
        "好的，知道了，帮我转一下吧",
        "好的 我先等着",
    ]:
        _, taken = run(ActionHandoff(), tracker("affirm", text, 0.9, events=[offer, user("affirm")]))
        assert taken[1]["custom"]["handoff"]["reason"] == "unresolved", text


def test_a_person_asked_for_after_the_offer_for_a_personal_case_takes_up_that_case() -> None:
    case = {
        "event": "user",
        "text": "取货码那条短信我不小心删了",
        "parse_data": {"intent": {"name": "ask_mask_pickup"}},
    }
    offer = {"event": "action", "name": "utter_offer_human"}
    asked = tracker("request_human", "帮我转人工吧", 0.55, events=[case, offer, user("request_human")])
    _, messages = run(ActionHandoff(), asked)
    assert messages[1]["custom"]["handoff"]["reason"] == "unresolved"
    unsure = tracker(
        "request_human", "能不能给我重新发一遍", 0.34, events=[case, offer, user("request_human")]
    )
    _, messages = run(ActionHandoff(), unsure)
    assert messages[1]["custom"]["handoff"]["reason"] == "unresolved"
    # with no personal case before the offer, a request is a request
    plain = tracker(
        "request_human", "转人工", 0.95, events=[user("ask_mask_booking"), offer, user("request_human")]
    )
    _, messages = run(ActionHandoff(), plain)
    assert messages[1]["custom"]["handoff"]["reason"] == "request_human"


def test_first_fallback_asks_to_rephrase_the_second_offers_a_person() -> None:
    first, messages = run(
        ActionHandleFallback(), tracker("nlu_fallback", events=[user("greet"), user("nlu_fallback")])
    )
    assert first == [] and messages[0]["response"] == "utter_default"
    second, _ = run(ActionHandleFallback(), tracker("nlu_fallback", events=[user("nlu_fallback")] * 2))
    assert second == [FollowupAction("utter_offer_human")]


def fallback(text: str, guesses: list[str]) -> Tracker:
    t = tracker("nlu_fallback", text, 0.3, events=[user("greet"), user("nlu_fallback")])
    ranking = [{"name": "nlu_fallback", "confidence": 0.3}] + [
        {"name": g, "confidence": 0.28} for g in guesses
    ]
    t.latest_message["intent_ranking"] = ranking
    return t


@pytest.mark.parametrize(
    ("text", "guesses", "offered"),
    [
        ("问了等于白问", ["express_anger", "out_of_scope"], True),  # the classifier's guess was anger
        ("你们这帮废物说的话能信？", ["out_of_scope", "express_anger"], True),  # a curse
        # Torn between anger and a concrete question or report: asked again (the answer or the form).
        ("口罩到底哪天到？？", ["express_anger", "ask_mask_booking"], False),
        ("药店口罩卖80一只,黑心商家他妈的", ["express_anger", "report_price_gouging"], False),
        ("那个那个就是说口罩的那个", ["ask_mask_booking", "out_of_scope"], False),
        ("又要操你们的心了", ["out_of_scope", "thank"], False),  # no curse
    ],
)
def test_an_angry_first_fallback_offers_a_person_at_once(
    text: str, guesses: list[str], offered: bool
) -> None:
    events, messages = run(ActionHandleFallback(), fallback(text, guesses))
    if offered:
        assert events == [FollowupAction("utter_offer_human")] and messages == []
    else:
        assert events == [] and messages[0]["response"] == "utter_default"


def test_anger_score_rises_with_cues() -> None:
    calm = anger_score("口罩怎么预约", "ask_mask_booking", 0.99)
    angry = anger_score("垃圾！！！骗子！！", "express_anger", 0.9, repeats=2)
    assert calm == 0.0 and 0.9 <= angry <= 1.0


@pytest.mark.parametrize(
    ("text", "insults"),
    [
        ("你有病吧，骗子", 2),
        ("tmd，黑心商家", 2),
        ("滚", 1),
        ("🤬🤬", 2),
        # Innocent words that contain an insult's characters.
        ("垃圾分类站旁边那家热狗店", 0),
        ("废弃口罩是有害垃圾还是其他垃圾", 0),
        ("孩子有病啊能不能优先领", 0),
        ("他妈妈的口罩", 0),
        ("用过的口罩属于什么垃圾", 0),
        ("有骗子冒充你们打电话", 0),
        ("我老妈的口罩还没领，USB口罩哪买", 0),
        ("家里老人有病出不了门", 0),
        ("ATM的屏幕滚动着公告", 0),
        ("我真是蠢哭了，无能为力", 0),
        ("隔离期间能下楼扔垃圾吗", 0),
        ("辣鸡翅和辣鸡腿哪家好吃", 0),
        ("麻辣鸡架和香辣鸡饭哪家好吃", 0),
        ("废口罩当生活垃圾扔行不行", 0),
        ("废弃口罩算医疗垃圾吗？怎么处理", 0),
        ("扔个垃圾也要戴口罩吗", 0),
        ("垃圾费怎么交", 0),
        ("谢谢你们全家人的照顾", 0),
        ("我谢谢你们全家", 1),
        ("辣鸡系统", 1),  # 垃圾 by its homophone
        ("我谢谢你全家", 1),
        # Found by the review of rule 7: a disabled relative, a waste question, a whole family's help.
        ("家里有智障残疾人，能代领口罩吗", 0),
        ("我弟弟智障，能帮他代领吗", 0),
        ("用过的口罩属于废物吗", 0),
        ("谢谢你们全家都来帮忙", 0),
        ("你是智障吗", 1),
        ("你们就是一群废物", 1),
    ],
)
def test_the_anger_score_counts_insults_not_their_characters(text: str, insults: int) -> None:
    assert anger_score(text, "out_of_scope", 0.9) == min(0.3, 0.15 * insults)


def test_session_start_resets_the_history() -> None:
    events = [user("nlu_fallback"), {"event": "session_started"}, user("greet"), user("greet")]
    assert user_intents(events) == ["greet", "greet"]
    assert trailing_repeats(user_intents(events)) == 1


def ambiguous(text: str, earlier: list[dict[str, Any]], *guesses: tuple[str, float]) -> Tracker:
    t = tracker("nlu_fallback", text, 0.3, events=[*earlier, user("nlu_fallback", text)])
    t.latest_message["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.3}] + [
        {"name": n, "confidence": c} for n, c in guesses
    ]
    return t


def test_a_fallback_torn_between_venting_and_a_question_is_answered_as_venting(
    content_in_redis: None,
) -> None:
    guesses = (("ask_booking_result", 0.5), ("express_anger", 0.48))
    first, messages = run(
        ActionHandleFallback(), ambiguous("两天了都约不上，气死了", [user("greet")], *guesses)
    )
    assert first == [FollowupAction("utter_offer_human")]  # acknowledged, answered, a person one word away
    assert messages[0]["response"] == "utter_acknowledge" and "20:00" in messages[1]["text"]
    # the same need answered before: the answer, and a person now
    _events, messages = run(
        ActionHandleFallback(),
        ambiguous("两天了都约不上，气死了", [user("ask_booking_result", "预约结果怎么查")], *guesses),
    )
    handoff = next(m["custom"]["handoff"] for m in messages if m.get("custom"))
    assert (handoff["reason"], handoff["rule"]) == ("angry", "angry_again")
    assert any("20:00" in (m.get("text") or "") for m in messages)


def test_a_message_not_understood_after_a_personal_case_goes_to_a_person() -> None:
    earlier = [user("ask_mask_pickup", "网点说名单上没有我")]
    events, messages = run(
        ActionHandleFallback(), ambiguous("那咋整嘛", earlier, ("greet", 0.2), ("deny", 0.1))
    )
    handoff = next(m["custom"]["handoff"] for m in messages if m.get("custom"))
    assert (handoff["reason"], handoff["rule"]) == ("unresolved", "fallback_individual")
    # without the personal case, the citizen is asked to say it again
    events, messages = run(
        ActionHandleFallback(), ambiguous("那咋整嘛", [user("greet")], ("greet", 0.2), ("deny", 0.1))
    )
    assert events == [] and messages[0]["response"] == "utter_default"


def test_giving_up_outside_a_form_is_not_a_misunderstanding() -> None:
    earlier = [user("nlu_fallback", "我想投诉个药店"), {"event": "action", "name": "utter_offer_human"}]
    events, messages = run(
        ActionHandleFallback(), ambiguous("算了算了不投诉了，也没几个钱", earlier, ("express_anger", 0.28))
    )
    assert events == [] and not any(m.get("custom") for m in messages)  # no handoff, no "say it again"
    assert "人工" in messages[0]["text"]


def test_a_fallback_answered_as_a_reading_does_not_count_as_a_misunderstanding() -> None:
    read = user("nlu_fallback", "同一个入口吗")  # held back between two questions, then answered
    read["parse_data"]["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "ask_mask_booking", "confidence": 0.41},
        {"name": "ask_booking_result", "confidence": 0.39},
    ]
    guesses = (("greet", 0.2), ("deny", 0.1))
    events, messages = run(ActionHandleFallback(), ambiguous("那个啥", [user("greet"), read], *guesses))
    assert events == [] and messages[0]["response"] == "utter_default"  # asked to say it again
    # the same two messages when the first was not understood either: a person is offered
    missed = user("nlu_fallback", "嗯嗯嗯")
    events, _ = run(ActionHandleFallback(), ambiguous("那个啥", [user("greet"), missed], *guesses))
    assert events == [FollowupAction("utter_offer_human")]


def test_a_fallback_between_a_report_of_no_shop_and_anger_after_an_answer_is_venting(
    content_in_redis: None,
) -> None:
    guesses = (("complain_other", 0.37), ("express_anger", 0.34))
    told = [user("ask_mask_pickup", "领口罩的网点在哪")]
    _events, messages = run(ActionHandleFallback(), ambiguous("网点又说没货了，真是折腾死了", told, *guesses))
    handoff = next(m["custom"]["handoff"] for m in messages if m.get("custom"))
    assert (handoff["reason"], handoff["rule"]) == ("angry", "angry_again")
    # the same words with no answer before: nothing to vent about yet, asked to say it again
    events, messages = run(
        ActionHandleFallback(), ambiguous("网点又说没货了，真是折腾死了", [user("greet")], *guesses)
    )
    assert events == [] and messages[0]["response"] == "utter_default"


def test_giving_up_with_an_insult_is_not_let_go_as_a_give_up() -> None:
    earlier = [user("nlu_fallback", "我想投诉个药店"), {"event": "action", "name": "utter_offer_human"}]
    events, messages = run(
        ActionHandleFallback(),
        ambiguous("算了，你们就是一群废物，不投诉了", earlier, ("express_anger", 0.28)),
    )
    assert not any("请直接告诉我" in (m.get("text") or "") for m in messages)
    assert events or any(m.get("custom") for m in messages)  # a person offered or on the way


def test_out_of_scope_right_after_a_personal_case_goes_to_a_person() -> None:
    events = [user("ask_booking_result", "预约的时候身份证号输错了一位"), user("out_of_scope", "怎么改啊")]
    _, messages = run(ActionAnswerOutOfScope(), tracker("out_of_scope", "怎么改啊", events=events))
    handoff = next(m["custom"]["handoff"] for m in messages if m.get("custom"))
    assert (handoff["reason"], handoff["rule"]) == ("unresolved", "out_of_scope_individual")
    # anywhere else it is out of scope, with where to turn instead
    events = [user("ask_mask_booking", "口罩怎么预约"), user("out_of_scope", "今天天气怎么样")]
    _, messages = run(ActionAnswerOutOfScope(), tracker("out_of_scope", "今天天气怎么样", events=events))
    assert [m["response"] for m in messages] == ["utter_out_of_scope"]


def test_a_person_asked_for_right_after_venting_is_an_angry_handoff() -> None:
    vented = {
        "event": "user",
        "text": "真服了 你们这规则一天一变 气死人了！！",
        "parse_data": {"intent": {"name": "express_anger", "confidence": 0.95}},
    }
    asked = tracker("request_human", "找个人来跟我说", 0.9, events=[vented, user("request_human")])
    _, messages = run(ActionHandoff(), asked)
    assert messages[1]["custom"]["handoff"]["reason"] == "angry"
    # after calm questions it is a request, as before
    calm = {"event": "user", "text": "口罩怎么预约", "parse_data": {"intent": {"name": "ask_mask_booking"}}}
    asked = tracker("request_human", "找个人来跟我说", 0.9, events=[calm, user("request_human")])
    _, messages = run(ActionHandoff(), asked)
    assert messages[1]["custom"]["handoff"]["reason"] == "request_human"


def test_a_calm_question_missed_after_an_offer_made_with_an_answer_is_asked_again() -> None:
    """The offer came with the answer to venting, not after a message we missed: a calm question we do not
    catch is asked again, not handed over as "我还是没能理解"; a second miss, or an angry one, is handed over."""
    venting = user("ask_booking_result", "约了三次都没中 真的服了")
    offer = {"event": "action", "name": "utter_offer_human"}
    guesses = (("out_of_scope", 0.45), ("ask_mask_booking", 0.44))
    events, messages = run(
        ActionHandleFallback(), ambiguous("一般是每天几点开始放的", [venting, offer], *guesses)
    )
    assert events == [] and messages[0]["response"] == "utter_default"
    missed = user("nlu_fallback", "那个那个")
    _events, messages = run(
        ActionHandleFallback(), ambiguous("一般是每天几点开始放的", [missed, offer], *guesses)
    )
    assert next(m["custom"]["handoff"] for m in messages if m.get("custom"))["rule"] == "fallback_again"
    _events, messages = run(
        ActionHandleFallback(), ambiguous("你们到底几点放 烦死了", [venting, offer], *guesses)
    )
    assert any(m.get("custom") for m in messages)


def test_anger_only_just_ahead_of_a_report_saying_what_was_charged_opens_the_form() -> None:
    def read(text: str, anger: float, report: float) -> Tracker:
        t = tracker("express_anger", text, anger, events=[user("greet"), user("express_anger", text)])
        t.latest_message["intent_ranking"] = [
            {"name": "express_anger", "confidence": anger},
            {"name": "report_price_gouging", "confidence": report},
        ]
        return t

    events, _ = run(ActionRespondToAnger(), read("这个收据你们看看 一包口罩收了我两百", 0.45, 0.37))
    assert events == [FollowupAction("action_start_complaint")]
    # far ahead, or in angry words: the anger rules as before
    for text, anger, report in [("这个收据你们看看 一包口罩收了我两百", 0.7, 0.2),
                                ("黑心药店一包口罩收了我两百 气死了", 0.45, 0.37)]:  # fmt: skip
        events, _ = run(ActionRespondToAnger(), read(text, anger, report))
        assert events != [FollowupAction("action_start_complaint")], text
