"""The whole-conversation rules (actions/conversation.py), from tracker-shaped events. Pure."""

from __future__ import annotations

from typing import Any

from actions.conversation import (
    ANGER_HIGH,
    Outcome,
    Turn,
    asks_calmly,
    carried_anger,
    closes,
    conversation_before_latest,
    decide,
    rule_question,
    section_of,
    similarity,
    vents_at_us,
)


def said(text: str, intent: str, confidence: float = 0.9) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": confidence}},
    }


def offered() -> dict[str, Any]:
    return {"event": "action", "name": "utter_offer_human"}


def decision_for(events: list[dict[str, Any]]) -> Any:
    last = events[-1]
    intent = last["parse_data"]["intent"]
    latest = Turn(
        last["text"], intent["name"], intent["confidence"], section_of(intent["name"], last["text"])
    )
    return decide(latest, conversation_before_latest(events))


def test_a_first_question_is_simply_answered() -> None:
    decision = decision_for([said("口罩在哪里预约", "ask_mask_booking")])
    assert decision.outcome is Outcome.ANSWER and decision.rule == "default"


def test_the_same_need_in_other_words_is_offered_then_handed_over() -> None:
    first = said("预约结果在哪看", "ask_booking_result")
    second = said("我问的是怎么知道约没约上", "ask_booking_result")
    third = said("那我到底有没有约成功", "ask_booking_result")
    assert decision_for([first, second]).outcome is Outcome.OFFER
    handed = decision_for([first, second, third])
    assert (handed.outcome, handed.reason, handed.rule) == (Outcome.HANDOFF, "unresolved", "third_time")


def test_new_questions_on_one_topic_are_routine() -> None:
    events = [said("口罩怎么预约", "ask_mask_booking"), said("每人能约几个", "ask_mask_booking"),
              said("几点开始预约", "ask_mask_booking"), said("预约要带身份证吗", "ask_mask_booking")]  # fmt: skip
    for end in range(1, len(events) + 1):
        assert decision_for(events[:end]).outcome is Outcome.ANSWER


def test_rephrasing_across_intents_counts_by_wording() -> None:
    first = said("领口罩的网点今天开门吗", "ask_mask_pickup")
    again = said("领口罩网点今天开不开门", "ask_announcement")
    assert similarity(first["text"], again["text"]) >= 0.34
    assert decision_for([first, again]).rule == "second_time"


def test_an_offer_ignored_while_the_question_comes_back_hands_over() -> None:
    events = [
        said("预约结果怎么查", "ask_booking_result"),
        offered(),
        said("那结果到底在哪查", "ask_booking_result"),
    ]
    decision = decision_for(events)
    assert (decision.outcome, decision.rule) == (Outcome.HANDOFF, "offer_ignored")


def test_a_personal_case_is_answered_with_an_offer_then_handed_over() -> None:
    first = said("我的身份证号填错了一位，预约还有效吗", "ask_booking_result")
    assert decision_for([first]).rule == "individual_first"
    again = said("号码写错的话能改吗", "ask_mask_booking")
    decision = decision_for([first, again])
    assert (decision.outcome, decision.reason) == (Outcome.HANDOFF, "unresolved")


def test_a_threat_to_escalate_goes_to_a_person_whatever_the_intent() -> None:
    events = [said("领取点在哪", "ask_mask_pickup"), said("再找不到地方我就打市长热线", "ask_mask_pickup")]
    decision = decision_for(events)
    assert (decision.outcome, decision.reason, decision.rule) == (Outcome.HANDOFF, "angry", "escalation")


def test_venting_with_a_need_is_acknowledged_answered_and_offered() -> None:
    decision = decision_for([said("天天准点抢都约不上，气死了", "express_anger")])
    assert (decision.outcome, decision.acknowledge, decision.answer) == (Outcome.OFFER, True, True)


def test_venting_about_a_need_already_answered_gets_the_answer_and_a_person() -> None:
    events = [
        said("预约结果什么时候出", "ask_booking_result"),
        said("好几天了都约不上，你们管不管", "express_anger"),
    ]
    decision = decision_for(events)
    assert (decision.outcome, decision.reason, decision.answer) == (Outcome.HANDOFF, "angry", True)


def test_anger_without_a_need_goes_to_a_person_as_before() -> None:
    decision = decision_for([said("你们这服务太差劲了", "express_anger")])
    assert (decision.outcome, decision.rule) == (Outcome.HANDOFF, "angry_without_need")


def test_anger_accumulates_and_decays() -> None:
    angry = Turn("真是气死人了！！", "express_anger", 0.9, None)
    calm = Turn("好的", "affirm", 0.9, None)
    assert carried_anger([angry, angry]) > carried_anger([angry]) >= 0.5
    assert carried_anger([angry, angry, calm, calm, calm]) < ANGER_HIGH / 2


def test_a_new_session_forgets_the_earlier_one() -> None:
    events = [said("预约结果怎么查", "ask_booking_result")] * 2 + [{"event": "session_started"}]
    events.append(said("预约结果怎么查", "ask_booking_result"))
    assert decision_for(events).rule == "default"


def test_a_personal_case_asked_again_counts_whatever_topic_the_model_heard() -> None:
    events = [
        said("楼下那家药房今天下午还有口罩吗", "out_of_scope"),
        said("我是问那家药房现在有没有货", "nlu_fallback"),
        said("到底那家店下午还能不能买到", "ask_mask_booking"),
    ]
    decision = decision_for(events)
    assert (decision.outcome, decision.reason) == (Outcome.HANDOFF, "unresolved")


def test_a_first_message_only_half_believed_to_be_anger_is_acknowledged_and_offered_a_person() -> None:
    decision = decision_for([said("排了半天队哎", "express_anger", confidence=0.4)])
    assert (decision.outcome, decision.rule, decision.acknowledge) == (
        Outcome.OFFER,
        "unsure_anger_first",
        True,
    )
    assert decision.note and not decision.answer


def test_unsure_anger_with_a_cue_or_after_anger_still_goes_to_a_person() -> None:
    shouted = decision_for([said("排了半天队哎！！", "express_anger", confidence=0.4)])
    vented = decision_for([said("排队排得气死了", "express_anger", confidence=0.4)])
    again = decision_for(
        [said("你们这服务太差劲了", "express_anger"), said("排了半天队哎", "express_anger", confidence=0.4)]
    )
    assert [d.rule for d in (shouted, vented, again)] == ["angry_without_need"] * 3


def test_a_fallback_between_two_readings_we_can_act_on_is_read() -> None:
    from actions.conversation import reading_behind_ambiguity

    def ranking(*guesses: tuple[str, float]) -> list[dict[str, Any]]:
        return [{"name": "nlu_fallback", "confidence": 0.3}] + [
            {"name": n, "confidence": c} for n, c in guesses
        ]

    vented = reading_behind_ambiguity(
        "两天了都约不上", ranking(("ask_booking_result", 0.5), ("express_anger", 0.48))
    )
    assert vented == Turn("两天了都约不上", "express_anger", 0.5, "booking_result")
    asked = reading_behind_ambiguity(
        "同一个入口吗", ranking(("ask_mask_booking", 0.41), ("ask_booking_result", 0.39))
    )
    assert asked == Turn("同一个入口吗", "ask_mask_booking", 0.41, "booking")
    # torn with anger, but nothing in the words is angry: the question, answered (not venting about it)
    calm = reading_behind_ambiguity(
        "就是问预约结果 我打字慢😂", ranking(("ask_booking_result", 0.36), ("express_anger", 0.33))
    )
    assert calm == Turn("就是问预约结果 我打字慢😂", "ask_booking_result", 0.36, "booking_result")
    # ... exasperated, or anger the likelier reading, it is venting with a need
    for text, guesses in [
        ("怎么又没约上", (("ask_booking_result", 0.36), ("express_anger", 0.33))),
        ("就是问预约结果", (("express_anger", 0.36), ("ask_booking_result", 0.33))),
    ]:
        read = reading_behind_ambiguity(text, ranking(*guesses))
        assert read is not None and read.intent == "express_anger", text
    # anger only just ahead, in a calm question at no one: the question ("是…还是…" asks a choice)
    choice = reading_behind_ambiguity(
        "这个是随机抽的还是拼手速啊", ranking(("express_anger", 0.33), ("ask_booking_result", 0.28))
    )
    assert choice == Turn("这个是随机抽的还是拼手速啊", "ask_booking_result", 0.33, "booking_result")
    # ... the same question aimed at us, with a barb, is venting with a need
    barbed = reading_behind_ambiguity(
        "你们这预约到底是随机抽的还是走后门啊", ranking(("express_anger", 0.33), ("ask_booking_result", 0.28))
    )
    assert barbed is not None and barbed.intent == "express_anger"
    # ... but aimed at us, it is venting with a need
    aimed = reading_behind_ambiguity(
        "你们这网点设得太离谱了 到底哪家能领", ranking(("ask_mask_pickup", 0.36), ("express_anger", 0.33))
    )
    assert aimed is not None and aimed.intent == "express_anger"
    # two kinds of report: a report, which kind left to the likelier
    reported = reading_behind_ambiguity(
        "超市非要搭着卖洗手液", ranking(("report_price_gouging", 0.37), ("complain_other", 0.35))
    )
    assert reported == Turn("超市非要搭着卖洗手液", "report_price_gouging", 0.37, None)
    # the best reading under the threshold, or a reading that is no question: a real misunderstanding
    assert (
        reading_behind_ambiguity("嗯", ranking(("ask_mask_booking", 0.28), ("express_anger", 0.27))) is None
    )
    assert reading_behind_ambiguity("投诉", ranking(("complain_other", 0.4), ("express_anger", 0.38))) is None
    assert reading_behind_ambiguity("好", ranking(("affirm", 0.4), ("ask_mask_booking", 0.38))) is None


def test_a_calm_question_at_no_one_read_as_anger_is_offered_a_person_not_queued() -> None:
    tag = decision_for([said("懂了，那只能让孩子爸妈各自拿身份证约是吧", "express_anger", confidence=0.6)])
    assert (tag.outcome, tag.rule) == (Outcome.OFFER, "unsure_anger_first")
    # at us, rhetorical, or after anger: anger as before
    for text in ["你们是不是只让有身份证的约？", "难道孩子就不用戴口罩吗"]:
        assert decision_for([said(text, "express_anger", confidence=0.6)]).outcome is Outcome.HANDOFF
    after = [
        said("你们这服务太差劲了", "express_anger"),
        said("那只能各自约是吧", "express_anger", confidence=0.6),
    ]
    assert decision_for(after).outcome is Outcome.HANDOFF


def test_giving_up_in_calm_words_is_let_go_however_resigned_the_model_reads_it() -> None:
    earlier = [said("我想投诉个药店", "complain_other"), offered()]
    gave_up = decision_for([*earlier, said("算了算了不投诉了，也没几个钱", "express_anger", confidence=0.51)])
    assert (gave_up.outcome, gave_up.rule, gave_up.answer) == (Outcome.ANSWER, "given_up", False)
    assert gave_up.note and "人工" in gave_up.note  # a person stays one word away
    # giving up with an insult or a threat is anger all the same
    insulted = decision_for([*earlier, said("算了，你们就是一群废物，不投诉了", "express_anger")])
    threatened = decision_for([*earlier, said("不投诉了，我直接打市长热线", "express_anger")])
    assert (insulted.outcome, threatened.outcome) == (Outcome.HANDOFF, Outcome.HANDOFF)


def test_a_first_sigh_aimed_at_no_one_is_heard_and_offered_a_person_not_queued() -> None:
    sigh = decision_for([said("唉 这疫情什么时候是个头啊😔", "express_anger", confidence=0.95)])
    assert (sigh.outcome, sigh.rule, sigh.acknowledge) == (Outcome.OFFER, "distress_first", True)
    # despair that names a need is answered as well
    need = decision_for([said("真的要崩溃了，跑了好几家药店一个口罩都没有😭", "express_anger")])
    assert (need.outcome, need.rule, need.answer) == (Outcome.OFFER, "venting_with_need", True)
    # a grumble about the booking rush ("抢" a slot) names the booking: the rules and a person one word away
    rush = decision_for([said("口罩真难抢，一开放就没了😂", "express_anger")])
    assert (rush.outcome, rush.rule, rush.answer) == (Outcome.OFFER, "venting_with_need", True)
    assert section_of("express_anger", "口罩每次都抢不上，手太慢了") == "booking_result"
    assert section_of("express_anger", "口罩根本抢不着") == "booking_result"
    assert (
        section_of("express_anger", "药房的口罩太难抢了") == "booking"
    )  # where masks are sold is no other good


def test_other_rushes_or_a_report_do_not_name_the_mask_booking() -> None:
    for intent, text in [
        ("express_anger", "天天抢菜都抢不上，你们管不管"),
        ("express_anger", "口罩倒还好，医院挂号太难抢了"),
        ("express_anger", "这药店口罩和酒精都抢不上，还涨价"),
        ("express_anger", "现在口罩不难抢啊"),
        ("complain_other", "这家药店说口罩难抢，非要搭售别的才卖"),
    ]:
        assert section_of(intent, text) is None, text


def test_a_sigh_aimed_at_us_or_said_again_still_goes_to_a_person() -> None:
    aimed = decision_for([said("唉，你们到底管不管", "express_anger")])
    again = decision_for(
        [said("唉 太难了😔", "express_anger"), said("心累，真的撑不住了😭", "express_anger")]
    )
    assert [d.outcome for d in (aimed, again)] == [Outcome.HANDOFF, Outcome.HANDOFF]


def test_a_personal_case_heard_as_booking_then_as_its_result_is_one_need() -> None:
    # "how to book" and "did it work" are one concern: the follow-up after the offer is the same need
    events = [
        said("预约时手机号填错了一位，怎么弄", "nlu_fallback"),
        offered(),
        said("能不能帮我把那一位改过来", "ask_booking_result"),
    ]
    decision = decision_for(events)
    assert (decision.outcome, decision.reason) == (Outcome.HANDOFF, "unresolved")
    # routine questions on the concern are not one need, however they are worded
    for first, then in [
        (said("口罩怎么预约", "ask_mask_booking"), said("结果什么时候出", "ask_booking_result")),
        (said("在哪里预约", "ask_mask_booking"), said("在哪里看预约结果", "ask_booking_result")),
        (said("口罩到底怎么预约", "ask_mask_booking"), said("那结果到底在哪看", "ask_booking_result")),
    ]:
        assert decision_for([first, then]).outcome is Outcome.ANSWER, then["text"]


def test_taking_the_answer_calmly_is_let_go_however_the_model_reads_it() -> None:
    vented = [said("烦死了！！又约不上[发怒] 下一轮几号开始", "express_anger"), offered()]
    for text, intent in [
        ("好吧 知道了 那我到时候再抢", "express_anger"),
        ("哦 那我去公众号里面找找看", "express_anger"),
        ("行 那我明天下午晚点去", "ask_mask_pickup"),
        ("行 明天带原件再跑一趟 真是折腾", "express_anger"),  # the plan without 我, a grumble after it
    ]:
        decision = decision_for([*vented, said(text, intent, confidence=0.4)])
        assert (decision.outcome, decision.rule, decision.answer) == (Outcome.ANSWER, "closing", False), text
        assert "人工" in decision.note  # a person stays one word away
    assert closes("嗯 查到了 没啥事了") and closes("知道了 没什么问题了")
    # a question, anger or a threat after "知道了" is no closing
    for text in ["知道了，那下一轮到底几号", "知道了知道了，你们就是一群废物", "明白了，我去打市长热线"]:
        assert not closes(text), text
    assert decision_for([*vented, said("知道了知道了，你们就是一群废物", "express_anger")]).outcome is (
        Outcome.HANDOFF
    )


def test_new_kinds_of_personal_case_are_offered_then_handed_over() -> None:
    for first, then in [
        ("预约时手滑选错药店了，约成了城西那家，我住城东", "能不能帮我换到城东那个点"),
        ("我上个月搬家了，预约里的领取点还是老房子那边", "麻烦看下我这条记录能不能改"),
        ("我爸在居家隔离，他约上了口罩但出不了门", "他约上的那份我能不能去拿"),
        ("下午两点去青松路药房领口罩，门是关着的", "那我约上的这份还作不作数"),
        ("说好今天下午去领 到了长寿路那个药房关门了", "那我这次的还能领吗 不会作废了吧"),
        ("预约付款的时候钱扣了 订单还是显示待支付", "微信里扣了29.9 你们那边没到账吗"),
        ("系统显示我已经领过了 可我还没去领呢", "店员说我那份已经被领走了"),
        ("我上周约的 今天一看状态变成已取消了 我没点过取消啊", "能帮我恢复吗"),
        # kept in by quarantine, asking for the exception the published rule does not make
        ("约上了 但是现在被居家隔离了 出不去 能延期领吗", "隔离完了还能领吗 码会不会过期"),
        # an exception to the limit for their own circumstances
        ("能不能给我们这种情况多批一点 医院证明我都有", "特殊病人就没有特殊政策吗"),
    ]:
        offer = decision_for([said(first, "ask_mask_pickup")])
        assert (offer.outcome, offer.rule) == (Outcome.OFFER, "individual_first"), first
        handed = decision_for([said(first, "ask_mask_pickup"), offered(), said(then, "ask_mask_pickup")])
        assert (handed.outcome, handed.reason) == (Outcome.HANDOFF, "unresolved"), then


def test_insisting_on_a_personal_case_after_the_offer_is_the_same_need() -> None:
    events = [
        said("人民路仁和大药房今天下午还有口罩吗", "ask_mask_booking"),
        offered(),
        said("我就想知道那一家现在还有没有货", "ask_announcement", confidence=0.33),
    ]
    decision = decision_for(events)
    assert (decision.outcome, decision.reason) == (Outcome.HANDOFF, "unresolved")
    # "我就想问一下" opens a first question; it asks nothing again
    assert decision_for([said("你好，我就想问一下口罩在哪领", "ask_mask_pickup")]).outcome is Outcome.ANSWER


def test_venting_about_pickup_names_it() -> None:
    text = "排队排得腿都麻了 这叫什么事啊 领口罩到底带身份证还是户口本？？"
    assert section_of("express_anger", text) == "pickup"
    decision = decision_for([said(text, "express_anger", confidence=0.64)])
    assert (decision.outcome, decision.rule, decision.answer) == (Outcome.OFFER, "venting_with_need", True)
    fed_up = decision_for([said("你们这通知改来改去的烦不烦 滨江区的领取点到底是哪家", "ask_mask_pickup")])
    assert (fed_up.outcome, fed_up.acknowledge) == (Outcome.OFFER, True)
    hard = decision_for([said("我不会弄手机 约个口罩真是难死了 有没有别的法子约", "ask_mask_booking")])
    assert (hard.outcome, hard.acknowledge) == (Outcome.OFFER, True)
    told_late = decision_for([said("到了才说要原件，早干嘛不说清楚！代领要带什么证件", "ask_mask_pickup")])
    assert (told_late.outcome, told_late.acknowledge) == (Outcome.OFFER, True)


def assert_taken_up_as_the_case(decision: Any) -> None:
    """Handed to a person as the personal case offered before (reason `unresolved`)."""
    assert (decision.outcome, decision.reason, decision.rule) == (
        Outcome.HANDOFF,
        "unresolved",
        "individual_again",
    )


def test_a_calm_worry_right_after_the_offer_for_a_personal_case_is_that_case() -> None:
    case = said("说好今天下午去领 到了长寿路那个药房关门了", "ask_mask_pickup")
    worry = said("那我这次的算不算啊 不会作废了吧", "express_anger", confidence=0.54)
    assert_taken_up_as_the_case(decision_for([case, offered(), worry]))
    # anger in words after it is anger; with no personal case before, calm words stay as they were read
    angry = decision_for([case, offered(), said("你们就是一群废物", "express_anger")])
    assert angry.reason == "angry"
    alone = decision_for([said("领口罩要带什么", "ask_mask_pickup"), offered(), worry])
    assert alone.rule != "individual_again"


def test_more_of_a_personal_case_right_after_its_offer_goes_to_a_person() -> None:
    case = said("一约就提示我的身份证已经预约过 可我这是第一次约", "ask_booking_result")
    more = said("家里人也没用过我的证件", "ask_mask_pickup", confidence=0.4)
    assert_taken_up_as_the_case(decision_for([case, offered(), more]))
    # a question the model is sure of, a closing, or no offer before it: read as before
    sure = said("领口罩要带身份证原件吗", "ask_mask_pickup", confidence=0.9)
    assert decision_for([case, offered(), sure]).rule != "individual_again"
    bye = said("好的 我知道了 谢谢", "ask_mask_pickup", confidence=0.4)
    assert decision_for([case, offered(), bye]).rule == "closing"
    assert decision_for([case, more]).rule != "individual_again"


def test_what_is_more_than_a_closing_is_read_as_before() -> None:
    for text in [
        "好吧 知道了 你们就是不管呗",  # sarcasm at us
        "懂了，反正你们也不会管老百姓死活",
        "好的 明白了 麻烦帮我转",  # asking for a person
        "好吧 我就等人工",
        "知道了，可是我妈在隔离出不了门",  # a personal case
        "嗯 我去了，药店门是关着的",
        "好的 那我明天去领是吧",  # questions without a question mark
        "嗯 我明天去 要带身份证原件不",
        "找到了，那家药店口罩卖50一个",  # a report
        "收到了，但是口罩是假的",
        "知道了" + "，" * 40 + "那我去",  # too long to be only a closing
        "明白了 代领也可以是吧 谢谢",  # a tag question thanks do not close
        "好吧 知道了 带不带原件 谢谢",
        "哦 知道了 等于没说",  # scorn
        "好吧 知道了 真没用",
        "查到了 但是显示已取消",  # something more after a "but"
        "好吧 知道了 药店还是不给退",
    ]:
        assert not closes(text), text
    # a tag question the citizen answers themselves closes all the same
    assert closes("就身份证就行是吧 那是药店乱讲 行 知道了 谢了")


def test_declining_after_the_offer_for_a_personal_case_is_not_that_case_again() -> None:
    case = said("说好今天下午去领 到了长寿路那个药房关门了", "ask_mask_pickup")
    for text in ["不用了谢谢", "那我自己想办法吧"]:
        decision = decision_for([case, offered(), said(text, "express_anger", confidence=0.4)])
        assert decision.rule != "individual_again", text


def test_a_supposition_voids_a_personal_case_only_when_the_case_is_inside_it() -> None:
    from lexicon.conversation import found

    assert not found("individual_case", "如果选错网点了怎么办")
    assert found("individual_case", "我身份证号填错了一位，如果改不了怎么办")
    assert found("individual_case", "我要是没记错的话，我身份证号填错了一位")


def test_a_first_sigh_of_distress_beside_a_question_is_answered_and_offered_a_person() -> None:
    text = "我身体不好，天天一个人闷在家里，心里慌得很，唉。取口罩能不能让社区帮忙送"
    decision = decision_for([said(text, "ask_mask_pickup")])
    assert (decision.outcome, decision.rule, decision.answer, decision.acknowledge) == (
        Outcome.OFFER,
        "distress_with_need",
        True,
        True,
    )


def test_a_report_with_no_report_words_right_after_a_personal_case_is_more_of_that_case() -> None:
    from actions.conversation import misread_report

    case = said("我的预约记录里身份证号错了一位", "ask_booking_result")
    more = Turn("那到底谁能帮我改 药店说对不上不给", "complain_other", 0.6, None)
    assert misread_report(more, conversation_before_latest([case, said(more.text, "complain_other")])) == (
        "action_answer_content"
    )
    # with report words, or with no personal case before, it is a report
    report = Turn("那家药店卖假口罩", "report_fake_goods", 0.9, None)
    assert (
        misread_report(report, conversation_before_latest([case, said(report.text, "report_fake_goods")]))
        is None
    )
    alone = conversation_before_latest([said(more.text, "complain_other")])
    assert misread_report(more, alone) is None


def test_a_wish_to_report_that_asks_hesitates_or_supposes_opens_no_form() -> None:
    from actions.conversation import wishes_to_report

    assert wishes_to_report("那我要反映一下这个事")
    for text in ["要投诉的话打什么电话", "我想举报 还是算了吧", "如果我要投诉要准备什么", "我要投诉你们"]:
        assert not wishes_to_report(text), text


def test_a_rule_question_that_disclaims_a_report_and_names_the_government_is_not_anger() -> None:
    # the model half reads anger; the government is who makes the rule asked about, not whom it is aimed at
    text = "我不是要投诉哈 就想知道政府有没有规定最高卖多少"
    assert rule_question(text)
    decision = decision_for([said(text, "express_anger", confidence=0.51)])
    assert (decision.outcome, decision.rule) == (Outcome.OFFER, "unsure_anger_first")
    # aimed at the government with a barb, it is anger as before
    angry = decision_for(
        [said("政府到底有没有规定最高卖多少？你们管不管！", "express_anger", confidence=0.6)]
    )
    assert angry.outcome is Outcome.HANDOFF


def test_a_question_about_where_to_click_in_our_account_is_said_to_no_one() -> None:
    """ "你们这个公众号" names the account as a place: a calm question about it, read as anger, is offered a
    person, not queued for one; aimed at us with the account named too, it is anger as before."""
    where = decision_for([said("是不是在你们小程序下面那个菜单里点？", "express_anger", confidence=0.6)])
    assert (where.outcome, where.rule) == (Outcome.OFFER, "unsure_anger_first")
    aimed = decision_for([said("你们是不是故意把公众号弄得这么难用？", "express_anger", confidence=0.6)])
    assert aimed.outcome is Outcome.HANDOFF


def test_a_fallback_torn_between_anger_and_a_report_that_says_what_was_charged_is_the_report() -> None:
    from actions.conversation import report_behind_anger

    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "express_anger", "confidence": 0.41},
        {"name": "report_price_gouging", "confidence": 0.37},
    ]
    text = "你们看下这张小票 两只口罩要了我九十"
    assert report_behind_anger(text, ranking) == Turn(text, "report_price_gouging", 0.37, None)
    # nothing charged, or said in anger: not read as a report
    assert report_behind_anger("你们看下这张小票", ranking) is None
    assert report_behind_anger("两只口罩要了我九十 气死了", ranking) is None
    assert report_behind_anger("你们是不是要我再约一次", ranking) is None  # no figure charged
    far = [ranking[0], ranking[1], {"name": "report_price_gouging", "confidence": 0.2}]
    assert report_behind_anger(text, far) is None  # far behind anger: not torn
    # torn between anger and a question: not this reading's to decide
    questions = [ranking[0], ranking[1], {"name": "ask_mask_booking", "confidence": 0.37}]
    assert report_behind_anger(text, questions) is None


def test_a_follow_up_question_barely_read_as_a_report_is_answered_as_a_question() -> None:
    from actions.conversation import question_behind_report

    earlier = conversation_before_latest(
        [
            said("这批能约的是什么口罩", "ask_mask_booking"),
            said("一包多少钱 几个一包", "report_price_gouging", 0.36),
        ]
    )
    ranking = [
        {"name": "report_price_gouging", "confidence": 0.36},
        {"name": "ask_mask_booking", "confidence": 0.2},
    ]
    latest = Turn("一包多少钱 几个一包", "report_price_gouging", 0.36, None)
    assert question_behind_report(latest, earlier, ranking) == Turn(
        latest.text, "ask_mask_booking", 0.2, "booking"
    )
    # a report the model believes, one with report words, or a first message: a report as before
    sure = Turn(latest.text, "report_price_gouging", 0.8, None)
    assert question_behind_report(sure, earlier, ranking) is None
    worded = Turn("那家店口罩一包多少钱？我要举报", "report_price_gouging", 0.36, None)
    assert question_behind_report(worded, earlier, ranking) is None
    assert (
        question_behind_report(latest, conversation_before_latest([said(latest.text, "x")]), ranking) is None
    )
    # a question about the rules is answered as one (with how to report), not as the likeliest question
    rule = Turn("一包多少钱算正常", "report_price_gouging", 0.36, None)
    assert question_behind_report(rule, earlier, ranking) is None
    # the question behind it barely believed: no reading
    faint = [ranking[0], {"name": "ask_mask_booking", "confidence": 0.05}]
    assert question_behind_report(latest, earlier, faint) is None


def test_a_question_about_what_the_bot_can_do_read_as_anger_is_offered_a_person_not_queued() -> None:
    earlier = [said("你是真人吗", "bot_challenge")]
    what = decision_for([*earlier, said("那你可以帮我查什么", "express_anger", confidence=0.55)])
    assert (what.outcome, what.rule) == (Outcome.OFFER, "unsure_anger_first")
    scorn = decision_for([*earlier, said("那你还能干点啥", "express_anger", confidence=0.55)])
    assert scorn.outcome is Outcome.HANDOFF


def test_a_question_barely_read_as_a_report_right_after_a_rule_question_is_more_of_it() -> None:
    from actions.conversation import Conversation, follows_rule_question

    def turn(text: str, intent: str, confidence: float) -> Turn:
        return Turn(text, intent, confidence, None)

    asked_rule = Conversation(
        (turn("怎么分辨口罩是不是假的", "report_fake_goods", 0.8), turn("吓死我了", "nlu_fallback", 0.3)),
        offered_last=False,
        anger_before=0.0,
    )
    more = turn("主要看包装上哪些东西", "report_fake_goods", 0.39)
    assert follows_rule_question(more, asked_rule)
    # a report said after it, a sure report, or no rule question just before: read as before
    assert not follows_rule_question(
        turn("楼下药店卖的就是这种 我要举报", "report_fake_goods", 0.45), asked_rule
    )
    assert not follows_rule_question(turn("主要看包装上哪些东西", "report_fake_goods", 0.8), asked_rule)
    # a shop in the words, found by the extractor or not
    assert not follows_rule_question(
        turn("就是楼下那家药店 口罩没有生产日期 你们能管吗", "report_fake_goods", 0.45), asked_rule
    )
    asked_booking = Conversation(
        (Turn("口罩怎么预约", "ask_mask_booking", 0.9, "booking"),), offered_last=False, anger_before=0.0
    )
    assert not follows_rule_question(more, asked_booking)


def test_more_kinds_of_personal_case_are_offered_then_handed_over() -> None:
    for first, then, intent in [
        # the one who booked kept away by a closed road, and the general answer put aside
        (
            "我爱人约上了 短信在她手机上 可她在老家封路了回不来",
            "你说的是一般情况 我就问我们家这种能不能代领",
            "ask_mask_pickup",
        ),
        # kept in by closed management at work, then asking that the share wait
        ("单位封闭管理 不让出厂门 约上了也去不了药店", "能不能让药店帮我留几天", "ask_mask_pickup"),
        # a shopkeeper told a customer reported them
        ("我是开小卖部的 听说有人举报了我 说口罩卖贵了", "我这个情况要怎么处理", "report_price_gouging"),
    ]:
        offer = decision_for([said(first, intent)])
        assert (offer.outcome, offer.rule) == (Outcome.OFFER, "individual_first"), first
        handed = decision_for([said(first, intent), offered(), said(then, intent)])
        assert (handed.outcome, handed.reason) == (Outcome.HANDOFF, "unresolved"), then


def test_the_answer_put_aside_as_known_asks_again() -> None:
    first = said("领口罩要带什么", "ask_mask_pickup")
    again = said("带什么我知道 问题是我白天上班去不了", "ask_mask_pickup")
    assert decision_for([first, again]).rule == "second_time"
    # a new question after "我知道了" is routine
    assert decision_for([first, said("我知道了 那几点开门", "ask_mask_pickup")]).outcome is Outcome.ANSWER


def test_a_calm_tag_question_about_using_the_account_is_no_anger() -> None:
    decision = decision_for([said("那就是等短信呗 不用一直盯着小程序对吧", "express_anger", confidence=0.55)])
    assert (decision.outcome, decision.rule) == (Outcome.OFFER, "unsure_anger_first")


def test_anger_at_us_in_the_form_is_no_answer_but_anger_at_the_shop_is_part_of_the_report() -> None:
    def turn(text: str, confidence: float = 0.97) -> Turn:
        return Turn(text, "express_anger", confidence, None)

    assert vents_at_us(turn("你们这破系统问来问去 烦死了 气死我了😡"))
    assert not vents_at_us(turn("那家药店太黑了 气死我了"))  # at the shop: more of the report
    assert not vents_at_us(turn("你们这破系统问来问去 烦死了", confidence=0.6))  # the model unsure
    assert not vents_at_us(turn("你们快点处理吧"))  # calm words
    assert not vents_at_us(Turn("你们这破系统 气死我了", "report_fake_goods", 0.97, None))
    # weary of the questions, whatever aims it; at a seller, or asking us to act on one: the report
    assert vents_at_us(turn("别问了 有完没完 气死了", confidence=0.8))
    assert not vents_at_us(turn("那个微商 你们能不能管管 气死了"))
    assert not vents_at_us(turn("口罩包装上面什么都没写 气死了"))
    # an accusation of doing nothing, said to us: at this office; about the shops, the report
    assert vents_at_us(turn("说到底就是不作为 举报了也白搭 你们根本不当回事"))
    assert not vents_at_us(turn("你们怎么不去管管那些药店 气死了"))
    assert not vents_at_us(turn("就是不作为 气死了"))  # said to no one
    assert vents_at_us(turn("市场监管局就是不作为 打电话也没人管"))  # this office by name
    # a reproach about someone else, with "you" in it: the report
    assert not vents_at_us(turn("那个店员说你爱买不买 凭什么这么横"))
    assert not vents_at_us(turn("社区干部把口罩全发给自己亲戚 难道你们不知道吗"))


def test_only_a_calm_question_at_no_one_is_asked_again_after_an_offer() -> None:
    for text in ["一般是每天几点开始放的", "哦，就是按公示里写的网点去是吧"]:
        assert asks_calmly(text), text
    for text in ["你们是干什么吃的？", "凭什么别人能约上我约不上？", "你是机器人吧 能不能找个真人"]:
        assert not asks_calmly(text), text


def test_where_one_would_report_some_day_is_a_rule_question() -> None:
    assert rule_question("明白了 那以后万一碰到乱涨价的 是在这里反映对吧")
    assert not rule_question("我要在这里举报楼下药店")


def test_the_draw_said_as_a_verb_names_the_booking_result() -> None:
    """ "没摇上" in dialect ("没摇起"), heard as anger with a question: the result's answer, a person offered."""
    assert section_of("express_anger", "唉 还是没摇中 下回咋整") == "booking_result"
    missed = decision_for([said("第三回了还是没摇起，咋个整嘛", "express_anger", confidence=0.6)])
    assert (missed.outcome, missed.rule, missed.answer) == (Outcome.OFFER, "venting_with_need", True)


def test_whether_one_may_report_a_supposed_shop_is_a_rule_question() -> None:
    assert rule_question("想问一下，万一超市卖过期的口罩，是不是可以投诉？")
    assert rule_question("如果网店卖假货能举报不")
    # a shop there and then, or the citizen's own matter, is a report
    assert not rule_question("如果门口那家药店今天还卖60，能投诉吗")
    assert not rule_question("如果我现在去投诉这个药店，可以吗")
