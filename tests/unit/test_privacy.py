"""Phone and ID numbers are masked wherever a citizen's text leaves its ticket."""

from __future__ import annotations

import pytest

from bot.core.privacy import mask_pii


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我的电话13812345678，请回电", "我的电话138****5678，请回电"),
        ("电话 138-1234-5678", "电话 138****5678"),
        ("身份证号110101199003071234", "身份证号110101********1234"),
        ("身份证 44030119851231002X 预约失败", "身份证 440301********002X 预约失败"),
        ("订单号202611280012345678901", "订单号202611280012345678901"),  # too long for either: left alone
        ("口罩50元一包，12315热线", "口罩50元一包，12315热线"),
        ("座机0571-88886666", "座机0571-88886666"),
    ],
)
def test_phone_and_id_numbers_are_masked_and_nothing_else(text: str, masked: str) -> None:
    assert mask_pii(text) == masked
