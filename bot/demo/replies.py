"""What the demo's agents write to a citizen, and how they close the ticket: read from the ticket the console
shows them (reason, category, extracted details, what the citizen said). Pure."""

from __future__ import annotations

import re
from typing import Any

OPENING = "您好，我是12315接线员（工号{agent}），您的工单由我来处理。"
OPENING_ANGRY = "您好，我是12315接线员（工号{agent}）。让您久等了，非常抱歉，您的事情我来跟进。"
TRANSFER_NOTE = "您的问题需要负责这一片区的同事跟进，我已把工单转给工号{target}的同事，请稍候。"
FAREWELL = "还有其他问题可以随时在公众号留言，祝您和家人平安健康！"
ANSWERS = {
    "result": (
        "我帮您查了一下：今天的名额9点放出后半小时左右就约满了，这一轮没有约上。明天9:00会重新放号，"
        "建议提前在预约页面填好身份证号和手机号，放号后尽快提交。"
    ),
    "booking": (
        "预约入口在公众号菜单“口罩服务—如何预约口罩”，每天9:00开放。家里老人不方便操作的话，"
        "可以由家人用自己的手机替老人预约，填写老人的身份证号就可以。"
    ),
    "pickup": (
        "领取时间和网点以短信为准，带上短信和本人身份证就能领；家人代领需要带双方的身份证。"
        "网点如有调整，我们会第一时间在公告里通知。"
    ),
    "price": (
        "您反映的{shop}{product}价格问题已经登记，线索已转给{street}所在的市场监管所，执法人员会在两个工作日内"
        "到店核查进货和销售价格，查实后依法处理，处理结果会告诉您。"
    ),
    "fake": (
        "您反映的{shop}{product}质量问题已经登记，我们会安排执法人员到店抽检在售商品。"
        "麻烦您保留好购物小票和商品包装，核查时可能需要您配合提供。"
    ),
    "other": (
        "您反映的{shop}售后问题已经登记，工作人员会先联系商家了解情况。按规定，有质量问题的商品商家应当退换，"
        "3个工作日内会组织调解，请保持电话畅通。"
    ),
    "unclear": "请问您具体遇到了什么问题？把情况简单说一下，我帮您核实处理。",
}
# What the model understood, by the topic the agent answers.
INTENT_TOPICS = {
    "report_price_gouging": "price",
    "report_fake_goods": "fake",
    "complain_other": "other",
    "ask_booking_result": "result",
    "ask_mask_pickup": "pickup",
    "ask_mask_booking": "booking",
}
COMPLAINT_TOPICS = ("price", "fake", "other")
# Words in what the citizen said, for messages without such an intent (anger); the first topic that matches.
TOPIC_WORDS = (
    ("fake", ("假", "三无")),
    ("other", ("不给退", "退换")),
    ("price", ("涨价", "哄抬")),
    ("result", ("约上", "约不上", "没约", "约到", "结果", "短信")),
    ("pickup", ("领取", "去领", "网点")),
    ("booking", ("预约", "口罩")),
)
STREET = re.compile(r"^(?:在)?(.+?(?:大道|大街|路|街|巷))")


def topic_of(ticket: dict[str, Any]) -> str:
    """What the ticket is about: the complaint the citizen started, else their words, else their last
    question."""
    said = [t for t in ticket.get("transcript") or [] if t.get("who") == "citizen"]
    understood = [INTENT_TOPICS[str(t.get("intent"))] for t in said if str(t.get("intent")) in INTENT_TOPICS]
    complaints = [topic for topic in understood if topic in COMPLAINT_TOPICS]
    if complaints:
        return complaints[0]
    if (
        ticket.get("reason") == "complaint"
    ):  # the form's opener was not read as a complaint: its category tells
        return "price" if ticket.get("category") == "举报" else "other"
    # What they said to the bot, and what they wrote on the ticket while waiting.
    wrote = [m for m in ticket.get("messages") or [] if m.get("who") == "citizen"]
    text = " ".join([str(ticket.get("summary") or ""), *(str(t.get("text") or "") for t in [*said, *wrote])])
    for topic, words in TOPIC_WORDS:
        if any(word in text for word in words):
            return topic
    return understood[-1] if understood else "unclear"


def opening(ticket: dict[str, Any], agent_id: str) -> str:
    template = OPENING_ANGRY if ticket.get("reason") == "angry" else OPENING
    return template.format(agent=agent_id)


def answer(ticket: dict[str, Any]) -> str:
    details = ticket.get("details") or {}
    street = STREET.match(str(details.get("address") or ""))
    return ANSWERS[topic_of(ticket)].format(
        shop=details.get("shop") or "该商家",
        product=details.get("product") or "",
        street=street.group(1) if street else "属地",
    )


def resolution(ticket: dict[str, Any], roll: float, citizen_wrote: bool) -> str:
    """One of bot.core.tickets.RESOLUTIONS that fits the ticket."""
    topic = topic_of(ticket)
    if ticket.get("reason") == "complaint" or topic in COMPLAINT_TOPICS:
        return "complaint_registered" if roll < 0.7 else "transferred_offline"
    if topic == "unclear":  # nothing the centre handles was said
        return "resolved" if citizen_wrote else ("invalid" if roll < 0.3 else "no_response")
    if not citizen_wrote and roll > 0.85:
        return "no_response"
    return "resolved"
