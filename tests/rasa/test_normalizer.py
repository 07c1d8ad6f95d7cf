"""The normalising tokenizer, run in the Rasa environment."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa")

from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.normalizer import NormalizingJiebaTokenizer, normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＫＮ９５口罩", "KN95口罩"),
        ("口罩預約怎麼辦", "口罩预约怎么办"),
        ("領取地點在哪裡？", "领取地点在哪里?"),
        ("太贵了！！！", "太贵了!!!"),  # repeated punctuation kept
        ("　全角空格", " 全角空格"),
        ("口罩怎么预约", "口罩怎么预约"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected
    assert len(normalise(raw)) == len(raw)  # entity offsets stay valid


def test_tokens_have_no_whitespace_and_text_is_normalised() -> None:
    tokenizer = NormalizingJiebaTokenizer(NormalizingJiebaTokenizer.get_default_config(), None, None)  # type: ignore[arg-type]
    message = Message(data={TEXT: "我要買 ＫＮ９５ 口罩  in 人民路"})
    tokenizer.process([message])
    assert message.get(TEXT) == "我要买 KN95 口罩  in 人民路"
    tokens = [t.text for t in message.get(TOKENS_NAMES[TEXT])]
    assert all(t.strip() for t in tokens)
    assert "KN95" in tokens and "口罩" in tokens
