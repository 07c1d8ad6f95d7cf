"""The intake's reading of each message (actions/intake.py): details in any order, several at once, other
requests let through. Pure."""

from __future__ import annotations

from actions.intake import Message, draft, read


def message(text: str, intent: str = "inform", confidence: float = 0.5, **entities: str) -> Message:
    return Message(text, intent, confidence, tuple((k, v, len(v)) for k, v in entities.items()))


def test_several_details_in_one_message_fill_their_questions_whatever_was_asked() -> None:
    got = read(message("在解放路12号，昨天下午", address="解放路12号", time="昨天下午"), "complaint_shop", {})
    assert got == {"complaint_address": "解放路12号", "complaint_time": "昨天下午"}  # the shop is asked again


def test_the_asked_question_takes_the_citizens_words() -> None:
    assert read(message("街口那家小卖部"), "complaint_shop", {}) == {"complaint_shop": "街口那家小卖部"}


def test_what_happened_keeps_the_whole_text_and_its_details() -> None:
    got = read(message("他们把口罩卖到80元一个", price="80元一个"), "complaint_what", {})
    assert got == {"complaint_price": "80元一个", "complaint_what": "他们把口罩卖到80元一个"}


def test_a_question_or_a_request_for_a_person_is_let_through() -> None:
    assert read(message("我要人工", "request_human", 0.95), "complaint_price", {}) == {}
    assert read(message("领取点在哪", "ask_mask_pickup", 0.9), "complaint_time", {}) == {}
    # unsure of the intent: it is an answer
    assert read(message("领取点旁边", "ask_mask_pickup", 0.4), "complaint_address", {}) == {
        "complaint_address": "领取点旁边"
    }


def test_cancel_ends_the_form() -> None:
    assert read(message("取消"), "complaint_shop", {})["complaint_confirm"] == "cancel"


def test_the_draft_names_what_is_known() -> None:
    slots = {"complaint_category": "举报", "complaint_what": "卖高价口罩", "complaint_shop": "未提供",
             "complaint_price": "50元一只"}  # fmt: skip
    got = draft(slots, 1700000000.0)
    assert got == {"category": "举报", "summary": "卖高价口罩", "details": {"price": "50元一只"},
                   "started": 1700000000.0}  # fmt: skip


def test_a_menu_buttons_intent_is_not_taken_as_what_happened() -> None:
    assert read(message("/report_price_gouging", "report_price_gouging", 1.0), "complaint_what", {}) == {}
    assert read(message("药店口罩涨价了"), "complaint_what", {}) == {"complaint_what": "药店口罩涨价了"}


def test_confirming_while_a_detail_is_asked_files_what_there_is() -> None:
    filled = {"complaint_what": "药店口罩卖得太贵", "complaint_shop": "惠民药房"}
    got = read(message("确认"), "complaint_time", filled)
    assert got == {"complaint_address": "未提供", "complaint_price": "未提供", "complaint_time": "未提供",
                   "complaint_confirm": "yes"}  # fmt: skip
    # a hesitation is not a confirmation, and at the summary it is the summary's question that decides
    assert read(message("确认一下，先别提交"), "complaint_time", filled) == {
        "complaint_time": "确认一下，先别提交"
    }
    assert read(message("确认"), "complaint_confirm", filled) == {"complaint_confirm": "确认"}
    # a sentence that opens with 确认 answers the question
    assert read(message("确认是在他们店买的"), "complaint_address", filled) == {
        "complaint_address": "确认是在他们店买的"
    }


def test_evidence_named_at_a_question_goes_into_the_description_not_the_answer() -> None:
    filled = {"complaint_what": "口罩耳绳一戴就断"}
    assert read(message("付款记录有的"), "complaint_price", filled) == {
        "complaint_what": "口罩耳绳一戴就断；付款记录有的"
    }
    # with the detail asked for, it answers
    assert read(message("小票上写着30元一包", price="30元一包"), "complaint_price", filled) == {
        "complaint_price": "30元一包"
    }


def test_evidence_is_noted_once_and_a_longer_message_answers_the_question() -> None:
    noted = {"complaint_what": "口罩耳绳一戴就断；付款记录有的"}
    assert read(message("付款记录有的"), "complaint_price", noted) == {}  # the same note again: nothing new
    skipped = {"complaint_what": "未提供"}
    assert read(message("有小票"), "complaint_time", skipped) == {"complaint_what": "有小票"}
    long = "发票上写的是八十，我记得很清楚，就是那天下午买的那一包"
    assert read(message(long), "complaint_price", noted) == {"complaint_price": long}


def test_only_asking_ends_a_form_that_holds_no_report_yet() -> None:
    supposed = {"complaint_what": "万一碰到药店乱涨价可以找谁"}
    assert (
        read(message("就先问问哈，暂时还没碰到"), "complaint_shop", supposed)["complaint_confirm"]
        == "only_asking"
    )
    # a form that holds a report, or a message that names one, goes on
    reported = {"complaint_what": "药店口罩一包卖八十"}
    assert "complaint_confirm" not in read(message("还没碰到"), "complaint_shop", reported)
    named = {"complaint_what": "万一碰到药店乱涨价可以找谁", "complaint_shop": "仁心药房"}
    assert "complaint_confirm" not in read(message("我就问一下"), "complaint_address", named)
    priced = message("药店一只口罩卖30元，就问一下", price="30元")
    assert "complaint_confirm" not in read(priced, "complaint_shop", supposed)


def test_a_detail_held_already_and_named_again_does_not_take_the_questions_place() -> None:
    filled = {"complaint_what": "卖三无口罩", "complaint_shop": "福瑞百货"}
    # "农贸市场" is read as a shop: here it is the landmark that says where the shop is
    got = read(message("店在农贸市场东门出来往右走几步", shop="农贸市场"), "complaint_address", filled)
    assert got == {"complaint_address": "店在农贸市场东门出来往右走几步"}
    # a detail the form does not hold yet is still taken, and the question asked again
    got = read(message("一包十个卖20块", price="20块"), "complaint_address", filled)
    assert got == {"complaint_price": "20块"}


def test_a_yes_with_thanks_at_a_detail_question_files_it() -> None:
    filled = {"complaint_what": "口罩标价每只12元", "complaint_shop": "益民药房"}
    for text in ["对的 就这么提交 谢谢", "嗯 没问题 就这样交上去"]:
        assert read(message(text), "complaint_address", filled)["complaint_confirm"] == "yes", text


def test_a_correction_of_a_held_detail_replaces_it() -> None:
    filled = {"complaint_what": "卖高价口罩", "complaint_shop": "惠民药房"}
    got = read(message("店名写错了，应该是惠民大药房", shop="惠民大药房"), "complaint_time", filled)
    assert got == {"complaint_shop": "惠民大药房"}


def test_a_better_value_for_a_held_detail_is_taken_while_another_is_asked() -> None:
    # the address held is a misread ("一盒50只卖我120"); the real one comes at the price question
    filled = {
        "complaint_what": "卖三无口罩",
        "complaint_shop": "顺发便利店",
        "complaint_address": "一盒50只卖我120",
    }
    got = read(message("门牌号是新华街17号", address="新华街17号"), "complaint_price", filled)
    assert got == {"complaint_address": "新华街17号"}


def test_a_shop_named_as_such_at_the_address_question_is_taken() -> None:
    filled = {"complaint_what": "卖高价口罩", "complaint_shop": "楼下药店"}
    got = read(message("店名叫益丰大药房，在人民路88号", shop="益丰大药房", address="人民路88号"),
               "complaint_address", filled)  # fmt: skip
    assert got == {"complaint_shop": "益丰大药房", "complaint_address": "人民路88号"}


def test_a_time_given_when_the_price_is_asked_is_the_time_and_the_price_is_asked_again() -> None:
    assert read(message("上礼拜天下午"), "complaint_price", {}) == {"complaint_time": "上礼拜天下午"}
    assert read(message("35一只"), "complaint_time", {}) == {"complaint_price": "35一只"}
    # what may answer the question asked stays its answer: a price with its day, a time with a figure
    assert read(message("昨天买的 35一只"), "complaint_price", {}) == {"complaint_price": "昨天买的 35一只"}
    assert read(message("3号下午"), "complaint_time", {}) == {"complaint_time": "3号下午"}


def test_a_price_given_when_the_shop_or_place_is_asked_is_the_price_and_the_question_asked_again() -> None:
    assert read(message("一个十五"), "complaint_shop", {}) == {"complaint_price": "一个十五"}
    assert read(message("十二块一包"), "complaint_address", {}) == {"complaint_price": "十二块一包"}
    for price in ["三块五一个", "八十多一盒", "15元/只", "一支十块"]:
        assert read(message(price), "complaint_shop", {}) == {"complaint_price": price}
    # a house number or a name with a figure is the answer
    assert read(message("28号"), "complaint_address", {}) == {"complaint_address": "28号"}
    assert read(message("7号楼下的小卖部"), "complaint_shop", {}) == {"complaint_shop": "7号楼下的小卖部"}


def test_a_routine_question_at_a_question_of_the_form_is_let_through_though_the_model_doubts() -> None:
    assert read(message("这轮每人能约几个", "ask_mask_booking", 0.37), "complaint_shop", {}) == {}
    # not asked in so many words, or naming a shop: the answer, as before
    assert read(message("领取点旁边", "ask_mask_pickup", 0.4), "complaint_address", {}) == {
        "complaint_address": "领取点旁边"
    }
    assert read(message("哪个药店来着", "ask_mask_pickup", 0.4), "complaint_shop", {}) == {
        "complaint_shop": "哪个药店来着"
    }
    assert read(message("就是我领口罩的那个网点 叫啥来着", "ask_mask_pickup", 0.4), "complaint_shop", {}) == {
        "complaint_shop": "就是我领口罩的那个网点 叫啥来着"
    }
