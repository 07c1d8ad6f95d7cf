"""The complaint intake form: what the citizen's answers mean. Pure rules, no I/O."""

from __future__ import annotations

import re

SKIPPED = "未提供"
FIELDS = {  # slot -> words that name it in a correction ("改地址", "地址写错了")
    "complaint_shop": ("商家", "店", "店名", "商店", "药店", "超市"),
    "complaint_address": ("地址", "地点", "位置", "在哪"),
    "complaint_what": ("经过", "情况", "内容", "描述", "事情"),
    "complaint_price": ("价格", "价钱", "多少钱", "价"),
    "complaint_time": ("时间", "日期", "几点", "哪天"),
}
SKIP_WORDS = ("跳过", "不知道", "不清楚", "不记得", "忘了", "没有", "无", "略", "skip")
CANCEL_WORDS = ("取消", "不投诉了", "不举报了", "算了", "不用了", "不登记")
# Said at any question, these file the complaint as it stands: the citizen has nothing more to add.
FILE_NOW_WORDS = ("确认", "提交", "确认提交", "确认无误", "就这些", "就这样提交", "可以提交了")
# A message naming evidence ("付款记录有的", "图片发你了") answers no question: it goes into the description.
EVIDENCE_WORDS = (
    "小票", "发票", "收据", "付款记录", "支付记录", "转账记录", "聊天记录", "截图", "照片", "图片", "录音",
    "凭证", "证据", "拍照", "拍了", "没拍", "拍下",
)  # fmt: skip
CONFIRM_WORDS = ("确认", "是", "对", "没错", "没问题", "可以", "提交", "好", "嗯", "ok", "行")


# WeChat's emoticon codes ("[捂脸]") and emoji say how, not what: "这个撤了吧[捂脸]" cancels.
_DECORATION = re.compile(r"\[[\u4e00-\u9fa5A-Za-z]{1,4}\]|[\U0001F300-\U0001FAFF\u2600-\u27BF]")


# A question in the citizen's words ("确认之后还能改吗", "提交了多久有人处理"): the learned reading of a
# reply (actions/form_reader.py) neither confirms nor cancels it. Not a yes said with 呢 ("好的呢"), 什么
# ending in 么 ("没什么"), or a doubled no ("没有没有，确认提交", "不是不是").
ASKS = re.compile(
    r"[?？]|吗$|(?<![什这那怎多要])么$|多久|要不要|会不会|能不能|可不可以|(?<!不)是不是|(?<!没)有没有|怎么(?!样都|都)"
    r"|为啥|为什么|什么时候"
)


def clean(text: str) -> str:
    return text.strip().strip("。.!！~～").strip()


def plain(text: str) -> str:
    """The words alone, for reading what the citizen means (the slot keeps what they typed)."""
    return clean(_DECORATION.sub("", text))


# A cancellation said as the last clause of a sentence ("想了想还是算了，取消吧", "钱不多，我不想投诉了"),
# by the citizen: the whole clause is the cancellation, so a description of something cancelled ("网点把我的
# 名额取消了") or someone else's words ("药店说不用登记了，结果…") are not one, nor "不取消".
_CANCEL_CLAUSE = re.compile(
    r"^(那|那就)?(这事|这个事|这件事)?(我)?(就|还是|先|暂时)?(算了)?(取消(吧|登记)?|不(想|用|必)?(投诉|举报|投|报|登记|提交|折腾|弄|搞)了)(吧)?"
    r"(不好意思|抱歉|麻烦了|谢谢)?$"
    r"|^(我)?(还是|那就|那)?算了(吧)?$|^(那|那就)?不用了(吧)?$"
    # "这个撤了吧", "那就撤回吧": taking back what was reported (not "老板一听…就撤了", the shop backing down)
    # ("我撤回了" may be a WeChat message taken back: no cancellation)
    r"|^(那|那就)?(这个|那个)(我)?(还是)?(撤回|撤销|撤掉)(吧|了)?$|^(那|那就)?(我)?(还是)?(撤回|撤销|撤掉)吧?$"
    r"|^(这个|那个|那就|那)?撤了吧$"
)
# Politeness said around a decision ("那不用了 不好意思哈", "确认提交 谢谢"): it decides nothing.
_POLITE_CLAUSE = re.compile(
    r"^(不好意思|抱歉|打扰了|麻烦(你们?|您)?了|谢谢(你们?|您|啦|了)?|辛苦(你们?|您)?了)(哈|啊|呀|哦)?$"
    # owning up to the mistake said after the decision ("那不举报了 是我搞错了 不好意思哈")
    r"|^(是)?我(自己)?(搞|弄|看|记|想|听)错了$|^误会(了|一场)$"
    # a hope said after the decision ("行 你们提交吧 希望真有人去查")
    r"|^希望[^，。,.]{0,10}(查|管|处理|解决|重视|整治|处罚|严惩)(一下|下|了)?(吧|啊|哈|呀)?$"
)


_ONCE = re.compile(r"^(.{2,8}?)\1+$")  # a clause said twice or more running


def _deciding_clauses(value: str) -> list[str]:
    """The message's clauses without the politeness around them, a clause said twice running once ("不用报了
    不用报了" typed without a space)."""
    return [_ONCE.sub(r"\1", c) for c in _CLAUSES.split(value) if c and not _POLITE_CLAUSE.match(c)]


# ... unless the clause before it hands over to someone else's words ("老板说，不用登记了").
_REPORTED_SPEECH = re.compile(r"((?<!说)说|让我|叫我|求我|威胁我|放话|回我|告诉我|表示)$")  # not "去跟他说说"
_CLAUSES = re.compile(r"[，,。.!！?？;；\s]+")
# "算了" or "取消" opening a message, as a word ("算了算了…", "取消吧"), not inside a name ("算了么便利店").
# Not "不用了": at the summary it says "no changes" ("不用了，确认").
_CANCEL_OPENING = re.compile(r"^(取消|算了)($|[，,。.!！~ 吧啊算不了投举登])")
# "我就随便问问 没想举报谁哈": a clause of its own saying the citizen does not mean to report, with nothing
# after it that reports ("我本来不想投诉的，但他们太过分了", "不想投诉，就想让药店退钱" report)
_NO_REPORT_MEANT = re.compile(
    r"^(我)?(就|只是|也)?(没想|不想|不是想|不是要|没打算|不打算|并不想|没说要|不是现在要|现在不是要)(要)?(举报|投诉|告(?!诉))"
    r"(谁|哪家|他们|什么)?"
    r"(哈|啊|呀|的|哦)?$"
)
# ("就想他们把价格降下来" reports; "就是想心里有个数" does not); "not now" ("等我拿到小票再说") keeps
# the report
_REPORTS_AFTER = re.compile(
    r"但|可是|不过|(是要|是想|就想|只想)(?!心里|了解|问|知道|看看)|想(举报|投诉)|是(投诉|举报)"
    r"|过分|卖|退|再说|等我|回头"
)


# "就先问问哈，暂时还没碰到": the citizen asked how to report, and has nothing to report yet. As the last
# clause only: "我还没碰到过这么黑的店" reports.
_ONLY_ASKING_CLAUSE = re.compile(
    r"^(我)?(就|就是|只是|只|先|就先|随便|顺便)?(问问|问一下|了解一下|打听一下)(而已|看|哈|啊|呀|吧)?$"
    r"|^(我)?(暂时|目前|现在)?(还)?没(有)?(碰到|遇到|遇上|发生)(过)?(呢|哈|啊|呀)?$"
    # no shop in mind ("就是问问 没具体哪家")
    r"|^(也)?没(有)?(具体|特定|说)?(哪家|哪个店|哪一家)(啦|哈|啊|呀)?$"
)
# thanks or a sign-off after the clause that says it ("就是问问 没具体哪家 谢谢")
_COURTESY_CLAUSE = re.compile(r"^(谢谢|谢啦|多谢|感谢|麻烦|辛苦|好的|嗯+|哈+)(你们?|您)?(啦|了|哈)?$")


def only_asking(text: str) -> bool:
    """The message ends by saying there is nothing to report yet (thanks after it aside). Whether that ends
    the form depends on what the form holds (actions/intake.py): a report given already stays a report."""
    clauses = [c for c in _CLAUSES.split(plain(text)) if c]
    while len(clauses) > 1 and _COURTESY_CLAUSE.match(clauses[-1]):
        clauses.pop()
    return bool(clauses) and bool(_ONLY_ASKING_CLAUSE.match(clauses[-1]))


# A cancellation before the message's last clause counts only as the citizen's decision about this report
# (see is_cancel)
_DECIDES_REPORT = re.compile(
    r"^(那|那就)?(这事|这个事|这件事|我|还是|先|暂时|就)[^，,。.]*(投诉|举报|投|报|登记|提交)"
)
# what turns a disclaimer round ("我不想投诉 但是楼下药店卖50一只"); not "卖" alone, which the rule asked
# about has too ("就想知道有没有规定最高卖多少")
_BUT = re.compile(r"但|可是|不过")


def is_cancel(text: str) -> bool:
    value = plain(text)
    if value in CANCEL_WORDS or _CANCEL_OPENING.match(value):
        return True
    clauses = _deciding_clauses(value)
    if _disclaimer_stands(clauses, _REPORTS_AFTER):
        return True
    # the cancellation as the last clause, or before an account of why ("这事先不报了 我让他自己去说"):
    # when the clause before it is the citizen's own words and nothing after it reports ("先不报了，等我
    # 拿到小票再说")
    asks = "?" in value or "？" in value
    for i, clause in enumerate(clauses):
        if not _CANCEL_CLAUSE.match(clause):
            continue
        # before the last clause, only the citizen's decision about this report: not a bare "不用了"
        # ("不用了，确认": no changes), someone's words in an account ("店员说 没关系 不用登记了 …"), a
        # booking cancelled ("先取消 后面再约"), or a rhetorical question ("不投诉了？那要你们干嘛")
        if i < len(clauses) - 1 and (asks or not _DECIDES_REPORT.match(clause)):
            continue
        if i > 0 and _REPORTED_SPEECH.search(clauses[i - 1]):
            continue
        if not any(_REPORTS_AFTER.search(c) for c in clauses[i + 1 :]):
            return True
    return False


# a booking cancelled ("我之前预约的 先取消 后面再约就约不上了") is not the report cancelled
_BOOKING_CANCELLED = re.compile(r"约.*取消|取消.*约")
# someone else's words in an account ("店员说 没关系 不用登记了"), not the citizen's own ("不想说了")
_SOMEONE_SAID = re.compile(
    r"(他|她|老板|店员|店家|店主|商家|人家|他们|对方|工作人员|客服)[^，,。.!！\s]{0,4}(说|讲|告诉我|让我|叫我)"
)


def keeps_report(text: str) -> bool:
    """The rules' reasons a cancellation wording cancels nothing: a question ("不投诉了？那要你们干嘛"),
    someone else's words ("老板说不用登记了 可他还在卖"), a report or a "not yet" after it ("不想投诉，
    就想他们把价格降下来", "先不报了 等我拿到小票再说"), or a booking cancelled. The learned reading
    (actions/form_reader.py) cancels nothing that one of these keeps."""
    value = plain(text)
    clauses = _deciding_clauses(value)
    return (
        bool(ASKS.search(value))
        or bool(_SOMEONE_SAID.search(value))
        or any(_REPORTED_SPEECH.search(c) for c in clauses[:-1])
        or any(_REPORTS_AFTER.search(c) for c in clauses[1:])
        or bool(_BOOKING_CANCELLED.search(value))
    )


def disclaims_report(text: str) -> bool:
    """A clause says the citizen does not mean to report ("我不是要投诉哈，就想知道有没有规定"), and nothing
    after it turns that round ("我不想投诉 但是楼下药店卖50一只" reports)."""
    return _disclaimer_stands(_deciding_clauses(plain(text)), _BUT)


def _disclaimer_stands(clauses: list[str], turns_round: re.Pattern[str]) -> bool:
    """A clause of `clauses` says no report is meant, and no clause after it matches `turns_round`."""
    return any(
        _NO_REPORT_MEANT.match(c) and not any(turns_round.search(after) for after in clauses[i + 1 :])
        for i, c in enumerate(clauses)
    )


def is_skip(text: str) -> bool:
    return plain(text).lower() in SKIP_WORDS


# A short yes that names filing ("对的没问题，提交吧", "没问题，就按这个报上去", "报上去吧") is "确认" in
# other words: the last clause is the filing verb alone, and any clause before it a plain yes. "店家确认了"
# and "提交过一次了" answer the question instead.
_FILE_CLAUSE = re.compile(
    # ("你们提交吧", "麻烦帮我交上去吧", "就照这个提交")
    r"^(嗯+|对|好|行)?(就|那就|可以)?(你们?|您)?(麻烦(你们?|您)?)?(帮我|帮忙|给我)?(就)?(这样|这么|按这个|照这个|按照这个)?"
    # ("按这个提交就行")
    r"(帮我|给我)?(提交|交上去|递交|报上去|上报|确认提交|确认|登记|登记上)(一下|下)?(就行|就好|就可以|即可)?"
    r"(吧|了|啊|呗)?$"
    # "发吧", "就这么报": sending or reporting it, said "like this" or with 吧
    r"|^(嗯+|对|好|行)?(那)?(就)?((这样|这么|按这个|照这个|按照这个)(报|发)(上去|出去)?(吧|呗)?|(报|发)(上去|出去)?(吧|呗))$"
    # asking us to act on it ("麻烦你们尽快去查一下", "麻烦你们去管管") files it as it stands
    r"|^(麻烦|请)?(你们?)?(尽快|赶紧|快点)?(去)?(查|查查|查一查|管|管管|管一管|处理|核实|核查|查处|整治|严查)"
    r"(一下|下)?(吧|啊)?$"
    # done: "嗯嗯 是这样 可以了"
    r"|^(可以|行)了$"
)
# plain yeses, and "that is all" ("就这样", "就这些"): nothing more to add; several in one clause too
# ("嗯嗯是这样", "对对 就这样")
_YES_CLAUSE = re.compile(
    # (嗯, not 嗯+, inside the repeated group: nested repeats backtrack exponentially on a long run of 嗯)
    r"^((对的?|是的?|好的?|没问题|没错|可以|嗯|行|ok|就(是)?这(样|些)(吧|了)?|是这样(的|子)?|(现在|这下)对了"
    r"|(都|全)(对|没错|没问题)(的|了)?|不用(改|修改)?了)(啊|呀|哈|啦)?)+$"
)
# "信息都对", "以上属实": the citizen vouches for everything the form holds
_ALL_RIGHT_CLAUSE = re.compile(
    r"^((信息|内容|以上|上面的?)(都|全)?|都|全)(对|没错|没问题|正确|属实)(的|了)?(啊|呀|哈|啦)?$"
)


def files_now(text: str) -> bool:
    """The message is "确认" or "提交", or a short yes that names filing, while the form still asks for a
    detail: file it with what it has ("确认是在他们店买的" answers the question instead)."""
    value = plain(text).lower()
    if value in FILE_NOW_WORDS:
        return True
    if "?" in value or "？" in value:  # "可以提交了？" asks; it does not file
        return False
    clauses = _deciding_clauses(value)
    if not clauses:
        return False
    if any(_ALL_RIGHT_CLAUSE.match(c) for c in clauses):
        readings = (_ALL_RIGHT_CLAUSE, _YES_CLAUSE, _FILE_CLAUSE)
        return all(any(r.match(c) for r in readings) for c in clauses)
    return bool(_FILE_CLAUSE.match(clauses[-1])) and all(_YES_CLAUSE.match(c) for c in clauses[:-1])


def mentions_evidence(text: str) -> bool:
    return any(word in text for word in EVIDENCE_WORDS)


def answer_value(text: str) -> str:
    """A slot's value from the citizen's answer: their words, or SKIPPED when they skip."""
    value = clean(text)
    if not value or value.lower() in SKIP_WORDS:
        return SKIPPED
    return value[:300]


def corrects(text: str) -> bool:
    """The message corrects something the citizen said before ("店名写错了，应该是…", "地址不对")."""
    return correction_target(text) is not None or "应该是" in text


def correction_target(text: str) -> str | None:
    """The slot a correction names ("改地址", "修改价格", "时间不对"), if any."""
    value = clean(text)
    if not any(word in value for word in ("改", "不对", "错")):
        return None
    for slot, words in FIELDS.items():
        if any(word in value for word in words):
            return slot
    return None


def confirmation(text: str) -> str | None:
    """'yes', 'cancel', a slot to correct, or None when the answer is unclear (ask again)."""
    if is_cancel(text):
        return "cancel"
    if files_now(text):  # "没错 帮我交上去吧", "信息都对 麻烦你们尽快去查一下"
        return "yes"
    target = correction_target(text)
    if target is not None:
        return target
    value = plain(text).lower()
    asks = "?" in value or "？" in value
    if value in CONFIRM_WORDS or (value.startswith(("确认", "提交", "是的", "对的")) and not asks):
        return "yes"
    hesitant = any(word in value for word in ("不", "别", "等", "先", "再", "改", "错"))
    # (not a question about it: "提交了多久有人处理？")
    if (
        not hesitant
        and not asks
        and (any(word in value for word in ("确认", "提交")) or value.startswith(("没问题", "可以", "好的")))
    ):
        return "yes"  # "没问题，提交", "好的确认"
    return None
