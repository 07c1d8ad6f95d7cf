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
# Accusations and sarcasm aimed at whoever is responsible (officials, us, now and then a shop),
# whatever the topic they name: "你们这些当官的是干什么吃的", "真是好样的", "玩我们呢", "糊弄谁呢",
# "要你们有什么用", "早干嘛去了", "鬼都不信", "心里没点数", "朝令夕改", "装聋作哑", "睡着了吗".
# Like insults, they keep an angry reading from rules 1 and 2, even beside a question:
# "口罩天天抢不到，你们是干什么吃的！" vents about a failed booking rather than asking what to do
# next, and a person answers both. Never a reason for anger by themselves (a topic reading keeps its
# answer). Not a friendly 呵呵 ("呵呵，没事，下次还能报名吗"), nor 当官的 in a question
# ("请问当官的家属也要摇号吗").
ACCUSATION = re.compile(
    r"干(?:什么|啥|嘛)吃的|吃干饭|(?:玩|耍|逗|坑|忽悠|糊弄)(?:我们|老百姓|人|我|谁)(?:呢|吗|玩|啊|$|\W)|耍猴|当猴耍"
    r"|开涮|(?:要|养)你们?有?(?:什么|啥)用|(?:要|养)你们?何用|养你们?干(?:嘛|啥|什么)|早干(?:嘛|啥|什么)去了"
    r"|死哪儿?去了|搞笑呢|(?:可)?真行啊|真有你们的|服了你们|还管不管|管不管了"
    r"|鬼(?:都|才)(?:不信|信)|心里没(?:点)?(?:数|B数)|朝令夕改|出尔反尔|说话不算话|言而无信"
    r"|(?<!不想|不用|省得|免得)瞎折腾|瞎指挥|(?:真|可真|真是|简直)(?:是)?好样的"
    r"|(?<![乐笑傻])呵呵(?!呵*[,，\s]*(?:好的|谢谢|你好|您好|请问|知道了|没事"
    r"|我?又来了|想问|问一?下|终于|总算))"
    r"|装聋作哑|装死|不闻不问|不管不问|石沉大海|推来推去"
    rf"|踢皮球(?!{CLAUSE}{{0,3}}(?:需要|要不要|可以|能不能|会不会|戴))"
    r"|(?:睡着|睡觉|死)了吗|喝茶看报|形式主义|官僚主义|官老爷|(?:你们|这些|这帮|那帮)当官的|当官的(?:都|就|们)"
)
