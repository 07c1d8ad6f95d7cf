"""Cue words: abuse in any context (CURSE) and the milder insults whose words need their context (INSULT)."""

from __future__ import annotations

import re

CLAUSE = r"[^,，。;；?？!！]"  # characters within one clause (the arbiter's patterns use it too)
# Abuse that is abuse in any context. Not 他妈妈, 我妈的/大妈的 (a mother's, an aunt's), 医疗废物,
# 属于废物吗, 智障人士, 智障残疾人, 我弟弟智障 (of a relative), 白痴问题, 谢谢你们全家都来帮忙, 性无能,
# 无能为力, 家畜生病, 电饭桶, 广播体操你会做吗, 又要操你们的心了, USB or SB-2020, nor 滚
# in 滚动 (only 滚蛋, 给我滚, or a message that is nothing but 滚 or 呸); 蠢 only said of someone else
# ("我真是蠢哭了"). Sarcastic thanks curse too: 我谢谢你全家.
CURSE = re.compile(
    r"[他她]妈(?!妈)|(?<![^\W你])妈的|他娘的|尼玛|草泥马|[操草日艹]你(?:们的?)?(?:妈|大爷|祖宗|娘)"
    r"|(?<![a-z])(?:cnm|tmd|tm的)(?![a-z])|特么|吃屎|不要脸|去死(?![皮角])|混蛋|王八蛋|人渣"
    r"|(?<!医疗|固体|危险|生活|工业|有害|电子|化学|厨余|属于)废物(?!利用|回收|处理|箱)"
    r"|白痴(?!级|问题|的问题)|脑残(?!粉)"
    r"|(?<![弟妹儿女子爸妈哥姐孙])智障(?!人|儿童|患者|证|孩子|者|老人|残|家属|学校)"
    r"|傻[逼xX叉×bB]|傻比(?!较)|煞笔|(?<![a-z0-9])sb(?![a-z0-9-])|狗官|狗东西|狗日|(?<![家牲禽])畜生|(?<!电)饭桶"
    r"|混[账帐]|(?<!性)无能(?!为力)|蠢(?:货|猪|材)|滚蛋|滚开|滚远点|滚犊子|给我滚|^\W*(?:滚|呸)+[吧啊]?\W*$|[🤬🖕]"
    r"|谢谢?(?:你|您)们?(?:全家(?!人|都|一起|老小)|祖宗|八辈)"
    rf"|(?:你们?|他们?|系统|机器人|客服|政府|领导){CLAUSE}{{0,4}}(?:愚)?蠢(?!哭)",
    re.IGNORECASE,
)
# Curses and the milder insults, whose words need their context: 垃圾 but not 垃圾分类 or 有害垃圾, 骗子 but
# not 防骗子 or 有骗子冒充, 有病 said to someone ("你有病吧") but not of a patient ("孩子有病啊能不能优先领"),
# 狗屁 but not 热狗, 什么玩意 only as scorn ("什么玩意儿！"), not "什么玩意能代替口罩".
INSULT = re.compile(
    CURSE.pattern + r"|(?<![害他干湿余扔倒丢捡活疗收运清])(?<!扔个|倒个|丢个|扔下)(?<!属于什么)"
    r"垃圾(?!桶|分类|袋|站|箱|车|场|处理|回收|短信|邮件|食品|费|堆|房|清运)"
    r"|(?<![有防识])骗子(?!电话|短信|冒充|打电话)|黑心|神经病(?!医院|院|科|患者)"
    # 是什么玩意 asks what a thing is ("熔喷布是什么玩意儿？口罩里都有吗"), unless it ends the message
    # or is shouted.
    r"|(?<!是)(?<!是个)什么玩意儿?(?=$|\W|啊|呀)"
    r"|是个?什么玩意儿?(?=啊?(?:$|[!！。…]|[?？]{2}))"
    r"|(?<![麻香甜酸])辣鸡(?![翅腿块丁爪肉排面粉米汤锅饭堡煲架丝胗杂串蛋])"
    r"|卧槽|吃干饭的|(?:你|您|脑子)有病|有病(?:吧|啊|呀)(?=$|\W)|傻子|傻[帽缺]|狗屁|狗腿子",
    re.IGNORECASE,
)
