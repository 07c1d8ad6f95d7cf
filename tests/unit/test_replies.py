import xmltodict

from bot.wechat.inbound import Inbound
from bot.wechat.replies import escape_cdata, text_reply

CITIZEN = Inbound(account="gh_acct", openid="o_citizen", create_time=1, msg_type="text", msg_id="1", text="")


def test_reply_addresses_the_citizen_from_the_account() -> None:
    parsed = xmltodict.parse(text_reply(CITIZEN, "您好", now=1700000000))["xml"]
    assert parsed["ToUserName"] == "o_citizen"
    assert parsed["FromUserName"] == "gh_acct"
    assert parsed["MsgType"] == "text"
    assert parsed["Content"] == "您好"
    assert parsed["CreateTime"] == "1700000000"


def test_cdata_terminator_in_text_stays_text() -> None:
    tricky = "a]]><script>alert(1)</script>]]>b"
    parsed = xmltodict.parse(text_reply(CITIZEN, tricky))["xml"]
    assert parsed["Content"] == tricky
    assert "]]>" not in escape_cdata("x]]>y").replace("]]]]><![CDATA[>", "")


def test_an_odd_openid_or_account_cannot_break_the_reply() -> None:
    """Found by the fuzz test: the echoed FromUserName went into CDATA unescaped."""
    inbound = Inbound(
        account="gh_]]>x", openid="o_]]>\x01y", create_time=1, msg_type="text", msg_id="1", text="a",
        event="", event_key="", media_id="",
    )  # fmt: skip
    parsed = xmltodict.parse(text_reply(inbound, "您好]]>\x02"))["xml"]
    assert (parsed["ToUserName"], parsed["FromUserName"], parsed["Content"]) == (
        "o_]]>y",
        "gh_]]>x",
        "您好]]>",
    )
