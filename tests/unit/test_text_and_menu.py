from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.text import MAX_TEXT_BYTES, split_utf8
from bot.wechat.menu import MenuError, load_menu, parse_menu

ROOT = Path(__file__).resolve().parents[2]


@given(st.text(max_size=3000))
def test_split_keeps_every_piece_within_the_limit_and_loses_nothing_but_edges(text: str) -> None:
    pieces = split_utf8(text, limit=200)
    assert all(0 < len(p.encode("utf-8")) <= 200 for p in pieces)
    assert "".join("".join(p.split()) for p in pieces) == "".join(text.split())


def test_long_chinese_answer_splits_at_sentence_ends() -> None:
    sentence = "口罩预约请在公众号菜单中办理，每人每次限购五只。"  # 24 characters, 72 bytes
    pieces = split_utf8(sentence * 60)
    assert len(pieces) == 3
    assert all(len(p.encode()) <= MAX_TEXT_BYTES for p in pieces)
    assert all(p.endswith("。") for p in pieces)


def test_short_and_empty_texts() -> None:
    assert split_utf8("你好") == ["你好"]
    assert split_utf8("   ") == []


def test_the_shipped_menu_is_valid() -> None:
    menu = load_menu(ROOT / "content" / "menu.yml")
    assert menu.click_intents["MASK_BOOKING"] == "ask_mask_booking"
    assert all("intent" not in b for top in menu.wechat["button"] for b in top.get("sub_button", []))


def leaf(**extra: Any) -> dict[str, Any]:
    return {"type": "click", "name": "预约", "key": "K", "intent": "greet"} | extra


@pytest.mark.parametrize(
    ("menu", "message"),
    [
        ({"button": []}, "1-3 top buttons"),
        ({"button": [leaf(key=f"K{i}") for i in range(4)]}, "1-3 top buttons"),
        ({"button": [{"name": "口罩服务预约查询", "sub_button": [leaf()]}]}, "name must be 1-16 bytes"),
        (
            {"button": [{"name": "口罩", "sub_button": [leaf(key=f"K{i}") for i in range(6)]}]},
            "1-5 sub-buttons",
        ),
        ({"button": [{"name": "口罩", "sub_button": [leaf(name="长" * 21)]}]}, "1-60 bytes"),
        ({"button": [{"name": "口罩", "sub_button": [leaf(key="k" * 129)]}]}, "key of 1-128 bytes"),
        ({"button": [{"name": "口罩", "sub_button": [leaf(), leaf()]}]}, "used twice"),
        ({"button": [{"name": "口罩", "sub_button": [leaf(intent=None)]}]}, "needs the intent"),
        ({"button": [{"name": "网站", "type": "view", "url": "ftp://x"}]}, r"http\(s\) url"),
        ({"button": [{"name": "x", "type": "dance"}]}, "unknown type"),
    ],
)
def test_menu_limits(menu: dict[str, Any], message: str) -> None:
    with pytest.raises(MenuError, match=message):
        parse_menu(menu)


def test_pack_joins_short_texts_and_splits_long_ones() -> None:
    from bot.core.text import pack

    assert pack(["好的，我来帮您登记。", "请问商家名称是？"]) == ["好的，我来帮您登记。\n\n请问商家名称是？"]
    long = "口罩预约请在公众号菜单中办理。" * 100  # 4500 bytes
    packed = pack(["开头", long, "结尾"])
    assert all(len(p.encode()) <= 2048 for p in packed)
    assert packed[0].startswith("开头\n\n") and packed[-1].endswith("结尾")
    assert "".join(packed).replace("\n\n", "") == "开头" + long + "结尾"
