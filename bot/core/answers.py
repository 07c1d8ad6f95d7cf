"""Fixed answers the gateway gives itself, when Rasa is not the one to answer. Pure, no I/O."""

from __future__ import annotations

RECORDED = (
    "您的消息已收到并记录。系统正在恢复，恢复后会第一时间在这里答复您，无需重复发送。急事请拨打12315热线。"
)
GAVE_UP = "抱歉，系统故障未能及时答复您刚才的消息。请再发一次，或拨打12315热线，工作人员会为您处理。"
EMPTY_TEXT = "您好，请直接输入您想咨询的问题，例如“口罩怎么预约”。"
NOT_TEXT = (
    "您好，我目前只能看懂文字消息。我可以解答口罩预约、预约结果、领取地点和最新公告，也可以受理投诉举报。"
    "请用文字描述您的问题，例如“口罩怎么预约”“我要投诉”；需要人工服务请回复“人工”。"
)
VOICE_UNRECOGNISED = (
    "抱歉，没能听清您的语音。请用文字再说一遍，例如“口罩怎么预约”；需要人工服务请回复“人工”。"
)
UNKNOWN_MENU = "抱歉，这个菜单暂时无法使用。请直接输入您的问题，或回复“人工”联系工作人员。"
NO_ANSWER = "抱歉，我没能理解您的意思。您可以换个说法，或回复“人工”联系工作人员。"


def ticket_opened(number: str) -> str:
    return f"您的工单号：{number}。请保存好工单号，工作人员核实后会通过本公众号或电话联系您。"


SLOW_DOWN = "您发送消息太频繁了，请稍等一分钟再发。之前的消息我们会依次答复；急事请拨打12315热线。"

# Redis could not take the message (down past the client's retries): nothing was recorded, so the citizen is
# asked plainly to send it again, instead of WeChat's "该公众号暂时无法提供服务".
NOT_RECORDED = "抱歉，系统繁忙，您刚才的消息没能收到。请稍后再发一次；急事请拨打12315热线。"
