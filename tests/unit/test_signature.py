import json
from pathlib import Path

import pytest

from bot.wechat import signature

VECTORS = json.loads((Path(__file__).parent.parent / "data" / "wechat-vectors.json").read_text())


@pytest.mark.parametrize("vector", VECTORS["plain_signature"], ids=lambda v: v["source"])
def test_official_signature_vectors(vector: dict[str, str]) -> None:
    parts = (vector["token"], vector["timestamp"], vector["nonce"])
    assert signature.sign(*parts) == vector["signature"]
    assert signature.is_valid(vector["signature"], *parts)


def test_msg_signature_vector_covers_the_encrypt_field() -> None:
    vector = VECTORS["official_account_safe_mode"]
    encrypt = vector["post_body"].split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    parts = (vector["token"], vector["timestamp"], vector["nonce"], encrypt)
    assert signature.sign(*parts) == vector["msg_signature"]


@pytest.mark.parametrize(
    "bad",
    ["", "0" * 40, "F464B24FC39322E44B38AA78F5EDD27BD1441696", "f464b24f", "签名" * 20],
)
def test_wrong_signatures_are_refused(bad: str) -> None:
    assert not signature.is_valid(bad, "AAAAA", "1714036504", "1514711492")
