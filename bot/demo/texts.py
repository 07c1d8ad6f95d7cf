"""What the demo's citizens and agents say: written for the demo, never taken from the training data or the
evaluation sets. Weights make a few shops, streets and products recur, so the day has complaint hot spots."""

from __future__ import annotations

from dataclasses import dataclass

# ---- routine questions, by topic -----------------------------------------------------------------------

TOPICS: dict[str, tuple[str, ...]] = {
    "booking": (
        "口罩预约从几点开始？",
        "请问在哪里预约买口罩",
        "一个人一次可以约几包口罩",
        "老人不会用手机怎么预约口罩",
        "预约口罩需要填身份证号吗",
        "口罩预约的入口在哪儿",
        "我想帮爸妈一起约口罩，可以吗",
        "今天的口罩还能预约吗",
        "上次约过了，这次还能再约吗",
    ),
    "result": (
        "我早上约的口罩，怎么知道有没有约上",
        "预约结果什么时候出来",
        "短信一直没收到，是不是没约上",
        "怎么查自己有没有预约成功",
        "晚上八点出结果吗",
        "连着约了三天都没中，结果在哪看",
        "约上了会有短信通知吗",
    ),
    "pickup": (
        "约上了去哪里领口罩",
        "领口罩要带什么证件",
        "能让家人帮我去领吗",
        "领取点几点关门",
        "过了领取时间还能去拿吗",
        "离我家最近的领取网点在哪",
    ),
    "announcement": (
        "最近有什么新公告",
        "指挥部今天发了什么通知",
        "口罩投放有没有新通知",
        "最新的防疫通告在哪看",
    ),
}
# Menu buttons (content/menu.yml keys) by topic, and the complaint buttons by category of complaint.
TOPIC_BUTTONS = {
    "booking": "MASK_BOOKING",
    "result": "BOOKING_RESULT",
    "pickup": "MASK_PICKUP",
    "announcement": "ANNOUNCEMENT",
}
COMPLAINT_BUTTONS = {"price": "REPORT_PRICE", "fake": "REPORT_FAKE", "other": "COMPLAIN_OTHER"}
SUBSCRIBE_SCENES = ("qrscene_mask_booking", "qrscene_pharmacy")

GREETINGS = ("你好", "您好，在吗", "早上好", "在吗？", "你好，请问一下")
THANKS = ("好的谢谢", "明白了，辛苦你们了", "谢谢，知道了", "好的，感谢")
GOODBYES = ("好的，再见", "拜拜", "没有了，再见")
BOT_QUESTIONS = ("你是机器人吗", "你是自动回复的吧")
OFF_TOPIC = (
    "今天会下雨吗",
    "帮我查一下社保余额",
    "给我讲个笑话",
    "附近哪家饭店还开门",
    "快递现在能寄吗",
    "帮我挂个明天的号",
    "股票明天能涨吗",
    "我家猫不吃东西怎么办",
)

# ---- a person --------------------------------------------------------------------------------------------

HUMAN_REQUESTS = ("人工", "我想找人工客服聊一下", "能不能让工作人员跟我说", "转接线员", "麻烦帮我转人工")
ANGRY = (
    "你们这些当官的到底管不管事？？天天约不上，气死我了！",
    "三天了一个口罩都没约到，什么破系统，简直是坑人！",
    "打了二十遍电话没人接，你们是不是都下班了？？太过分了！",
    "排了一上午队，轮到我说口罩发完了，你们怎么安排的？？简直胡闹！",
)
WHILE_QUEUED = (
    "我的情况比较特殊，家里有老人需要口罩",
    "好的，我等着",
    "麻烦快一点，挺着急的",
    "预约页面显示成功了，可是一直没收到短信",
)
TO_AGENT = {
    "complaint": (
        "店门口的价目表我也拍了照片",
        "好的，麻烦你们尽快去查一下",
        "谢谢，我等你们的消息",
        "那家店现在还在卖，你们可以直接过去看",
    ),
    "question": (
        "我这几天每天九点准时抢，还是没约上",
        "好的，那我明天早点试试",
        "明白了，谢谢你耐心解释",
        "我妈不会用手机，我用自己的号帮她约行吗",
    ),
}
# Satisfaction answers to the closing message's 1-5 question (digits, full-width digits, "分").
RATINGS = (("5", 40), ("5分", 8), ("4", 22), ("５", 5), ("3", 12), ("2", 6), ("1", 7))

# ---- complaints --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shop:
    name: str
    street: str
    address: str
    weight: int  # how often citizens complain about it: the hot spots


SHOPS = (
    Shop("同德堂大药房", "建设路", "建设路56号", 7),
    Shop("佳佳乐超市", "朝阳大道", "朝阳大道188号", 5),
    Shop("仁心大药房", "建设路", "建设路102号", 3),
    Shop("鑫源便利店", "新华街", "新华街9号", 2),
    Shop("百草园药房", "和平路", "和平路12号", 2),
    Shop("惠万家超市", "朝阳大道", "朝阳大道21号", 2),
    Shop("金桥商场", "长江路", "长江路33号", 1),
    Shop("老街口药店", "解放东路", "解放东路7号", 1),
)


@dataclass(frozen=True)
class Product:
    name: str
    prices: tuple[str, ...]  # what a citizen says it cost
    weight: int


# What each kind of complaint is about.
PRODUCTS: dict[str, tuple[Product, ...]] = {
    "price": (
        Product("N95口罩", ("80元一个", "65元一只", "每个45元"), 8),
        Product("一次性医用口罩", ("150元一盒", "每包60元"), 4),
        Product("75%酒精", ("68元一瓶", "每瓶55元"), 3),
        Product("84消毒液", ("45元一瓶",), 2),
        Product("额温枪", ("398元一个",), 2),
    ),
    "fake": (
        Product("一次性医用口罩", ("30元一包",), 4),
        Product("N95口罩", ("25元一个",), 3),
        Product("75%酒精", ("35元一瓶",), 2),
        Product("免洗洗手液", ("28元一瓶",), 1),
    ),
    "other": (
        Product("电子体温计", ("120元一支",), 3),
        Product("额温枪", ("260元一个",), 2),
        Product("护目镜", ("45元一个",), 1),
    ),
}
# The first message of a complaint: {shop}, {street}, {product}, {price}.
OPENERS = {
    "price": (
        "{shop}的{product}卖{price}，太离谱了，我要举报",
        "我要举报{street}那边的{shop}哄抬{product}价格",
        "{product}以前十几块，{shop}现在要{price}，这不是趁火打劫吗",
        "举报{shop}乱涨价，{product}{price}",
    ),
    "fake": (
        "在{shop}买的{product}是假的，包装上没有厂家",
        "举报{shop}卖三无{product}",
        "{shop}的{product}一看就是假货，包装上的字都印错了",
    ),
    "other": (
        "{shop}买了{product}不给退，说防疫物资概不退换",
        "{shop}卖的{product}用一次就坏了，店家不管",
        "要投诉{shop}，{product}买回来就是坏的",
    ),
}
# What happened, when the form asks.
WHAT_HAPPENED = {
    "price": (
        "原来二十多块的东西，现在翻了好几倍还限购",
        "价签撕掉了，店员张口就报价，不买就走人",
        "同样的东西隔壁店卖一半的价钱",
    ),
    "fake": (
        "戴上一股刺鼻的味道，包装上没有批号",
        "买回来一点味道都没有，像是兑了水",
        "盒子上写的厂家根本查不到",
    ),
    "other": (
        "买回来就不好用，店家不给退也不给换",
        "收了钱不给小票，要发票就说没有",
        "当时说好有问题能退，现在又不认账",
    ),
}
# The answer to the shop question: {shop}, {product}, {price}. After a complaint button it is the first
# thing the citizen writes, so it names the product too.
SHOP_ANSWERS = ("{shop}", "在{shop}买的")
SHOP_ANSWERS_AFTER_BUTTON = ("{shop}的{product}卖{price}", "在{shop}买的{product}", "{shop}，卖的{product}")
WHEN = ("今天上午", "昨天下午", "今天早上", "前天晚上", "昨天晚上", "今天中午")
CONFIRM = ("确认", "确认无误")
SKIP = "跳过"
