"""What citizens send in a rush, written for the load benchmark (not training data, not the shared set).

A new round of mask bookings brings many identical short messages (口罩怎么预约, 在哪领), menu clicks, and a
long tail of questions and reports in the citizen's own words. `messages()` returns at least 500 distinct
texts across the catalog's intents with a weight each: a head of frequent short messages and menu clicks
carries most of the traffic, the tail is built from a few phrasings of each topic. Deterministic: the same
catalog every run, so two runs offer the same load.

Multi-turn conversations are mixed in by the load generator from `CONVERSATIONS`: a complaint given over
the form's questions, and a venting citizen who asks for a person.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

# (text or menu key, weight): the head. A real rush repeats these over and over.
HEAD_TEXTS: tuple[tuple[str, float], ...] = (
    ("口罩怎么预约", 60),
    ("怎么预约口罩", 30),
    ("在哪领口罩", 30),
    ("预约结果怎么查", 25),
    ("你好", 25),
    ("在吗", 15),
    ("几点开始预约", 15),
    ("没约上怎么办", 15),
    ("谢谢", 15),
    ("最新公告", 10),
    ("口罩什么时候能领", 10),
    ("人工", 5),
    ("好的", 8),
    ("今天还能约吗", 10),
    ("约上了去哪拿", 10),
)
MENU_CLICKS: tuple[tuple[str, float], ...] = (
    ("MASK_BOOKING", 40),
    ("BOOKING_RESULT", 25),
    ("MASK_PICKUP", 20),
    ("ANNOUNCEMENT", 10),
    ("REPORT_PRICE", 3),
    ("HUMAN", 2),
)

_OPENERS = ("", "请问", "你好，", "麻烦问一下，", "想咨询下，", "您好，请问")
_MASKS = ("口罩", "医用口罩", "一次性口罩", "N95口罩", "儿童口罩")
_BOOKING = ("怎么预约", "在哪里预约", "几点可以预约", "每人能约几个", "预约要带什么证件", "老人怎么预约",
            "能帮家里人预约吗", "预约入口在哪")  # fmt: skip
_RESULT = ("预约成功了吗怎么看", "短信一直没收到", "怎么知道有没有约上", "预约结果几点出来", "约了三次都没中")
_PICKUP = ("去哪里领", "几点能去拿", "领的时候带什么", "可以让别人代领吗", "过了时间还能领吗")
_PLACES = ("人民路", "解放大道", "和平街", "滨江社区", "新华路", "东湖小区", "光明街道", "火车站附近")
_SHOPS = ("康泰大药房", "百姓药店", "仁和堂", "惠民超市", "天天便利店", "好邻居药房")
_GOODS = ("口罩", "消毒液", "酒精", "体温计", "84消毒液", "护目镜")
_PRICES = ("80元一包", "一百块十个", "三十块一个", "两百一盒", "五十元一瓶", "120元一支")
_ANNOUNCE = ("最新的防控公告是什么", "指挥部今天发了什么通知", "有没有新的口罩政策", "公告说下一批什么时候")
_VENT = (
    "天天约不上，你们到底管不管",
    "口罩这么难买，太让人失望了",
    "什么破系统，一直卡",
    "等了三天了还没消息，气死了",
)
_OTHER = ("今天天气怎么样", "你们几点下班", "怎么关注公众号", "你是机器人吗")


@dataclass(frozen=True)
class Message:
    kind: str  # "text" or "click"
    body: str  # the text, or the menu key
    weight: float


def _tail() -> list[str]:
    texts: list[str] = []
    texts += [f"{o}{m}{b}" for o, m, b in itertools.product(_OPENERS, _MASKS, _BOOKING)]
    texts += [f"{o}{m}{r}" for o, m, r in itertools.product(_OPENERS[:3], ("口罩", "预约"), _RESULT)]
    texts += [f"{p}附近的{m}{q}" for p, m, q in itertools.product(_PLACES, _MASKS[:2], _PICKUP)]
    texts += [
        f"{p}的{s}{g}卖{c}" for p, s, g, c in itertools.product(_PLACES[:4], _SHOPS, _GOODS[:3], _PRICES[:2])
    ]
    texts += [f"{s}卖假{g}" for s, g in itertools.product(_SHOPS, _GOODS)]
    texts += [f"{o}{a}" for o, a in itertools.product(_OPENERS, _ANNOUNCE)]
    texts += list(_VENT) + list(_OTHER)
    return list(dict.fromkeys(texts))  # distinct, in a stable order


def messages() -> list[Message]:
    """The whole catalog: the head (most of the traffic), menu clicks, and the tail (one share each)."""
    head = [Message("text", text, weight) for text, weight in HEAD_TEXTS]
    clicks = [Message("click", key, weight) for key, weight in MENU_CLICKS]
    seen = {m.body for m in head}
    tail = [Message("text", text, 0.25) for text in _tail() if text not in seen]
    return head + clicks + tail


# Each a citizen's whole conversation, one message per turn (the next sent after the previous answer).
CONVERSATIONS: tuple[tuple[str, ...], ...] = (
    (
        "我要举报药店哄抬口罩价格",
        "一包口罩卖八十",
        "康泰大药房",
        "人民路88号",
        "80元一包",
        "今天上午",
        "确认",
    ),
    ("投诉超市卖假酒精", "酒精没有味道，像是水", "惠民超市", "和平街12号", "跳过", "昨天下午", "确认"),
    ("口罩天天约不上，你们到底管不管", "我要人工"),
)


def repeat_share(sample: list[Message]) -> float:
    """The share of messages in a sample whose text someone else in the sample also sent."""
    counts: dict[str, int] = {}
    for message in sample:
        counts[message.body] = counts.get(message.body, 0) + 1
    return sum(1 for message in sample if counts[message.body] > 1) / max(1, len(sample))


def sampler(seed: int = 12315) -> random.Random:
    return random.Random(seed)


def draw(catalog: list[Message], rng: random.Random, count: int) -> list[Message]:
    return rng.choices(catalog, weights=[m.weight for m in catalog], k=count)
