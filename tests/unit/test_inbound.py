import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.wechat.inbound import BadMessage, parse_inbound
from bot.wechat.simulator import text_push


def test_text_push_round_trips() -> None:
    body = text_push("o_citizen", "gh_acct", "口罩怎么预约？]]> <b>", msg_id=42)
    inbound = parse_inbound(body.encode())
    assert inbound.openid == "o_citizen"
    assert inbound.account == "gh_acct"
    assert inbound.msg_type == "text"
    assert inbound.text == "口罩怎么预约？]]> <b>"
    assert inbound.dedupe_key == "msg:42"


def test_event_dedupe_key_uses_sender_time_event_and_key() -> None:
    body = (
        b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1700000000"
        b"</CreateTime><MsgType>event</MsgType><Event>CLICK</Event><EventKey>BOOKING</EventKey></xml>"
    )
    inbound = parse_inbound(body)
    assert inbound.msg_id is None
    assert inbound.event == "click"
    assert inbound.dedupe_key == "evt:o1:1700000000:click:BOOKING"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<xml><a>1</a></xml>",  # no MsgType
        b"<other><MsgType>text</MsgType></other>",  # no <xml> root
        b'<!DOCTYPE x [<!ENTITY a "b">]><xml><MsgType>&a;</MsgType></xml>',  # entities
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><MsgType>&e;</MsgType></xml>',
        b"<xml><MsgType>text</MsgType><Content>x</Content></xml>",  # no sender
        b"\xff\xfe<xml/>",  # invalid UTF-8
        b"<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName>"
        b"<CreateTime>soon</CreateTime><MsgType>text</MsgType></xml>",
    ],
)
def test_malformed_bodies_raise_bad_message(body: bytes) -> None:
    with pytest.raises(BadMessage):
        parse_inbound(body)


@given(st.binary(max_size=512))
def test_any_bytes_parse_or_raise_bad_message(body: bytes) -> None:
    with contextlib.suppress(BadMessage):
        parse_inbound(body)


@given(st.text(max_size=300))
def test_any_text_content_survives_the_push_format(content: str) -> None:
    # XML 1.0 cannot carry most control characters; WeChat strips them too.
    cleaned = "".join(c for c in content if c in "\t\n" or (c >= " " and c not in "\ufffe\uffff"))
    cleaned = "".join(c for c in cleaned if not 0xD800 <= ord(c) <= 0xDFFF)
    try:
        inbound = parse_inbound(text_push("o", "gh", cleaned, msg_id=1).encode())
    except BadMessage:
        return
    assert inbound.text.strip() == cleaned.strip() or cleaned.strip() == ""
