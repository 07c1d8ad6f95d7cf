"""Fixed answers the gateway gives itself, when Rasa is not the one to answer. Pure, no I/O."""

from __future__ import annotations

RASA_DOWN = "抱歉，系统正忙，请稍后再发一次。如需人工服务，请回复“人工”或拨打12315热线。"
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
