"""The custom menu as code: `content/menu.yml`, checked against WeChat's limits before it is pushed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.files import read_yaml_mapping

TOP_BUTTONS = (1, 3)
SUB_BUTTONS = (1, 5)
TOP_NAME_BYTES = 16
SUB_NAME_BYTES = 60
KEY_BYTES = 128
URL_BYTES = 1024
TYPES_NEEDING_KEY = {"click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album",
                     "pic_weixin", "location_select"}  # fmt: skip
TYPES = TYPES_NEEDING_KEY | {"view", "miniprogram", "media_id", "article_id", "article_view_limited"}


class MenuError(ValueError):
    """The menu breaks one of WeChat's rules; the message says which button and which rule."""


@dataclass(frozen=True)
class Menu:
    wechat: dict[str, Any]  # exactly what /cgi-bin/menu/create takes
    click_intents: dict[str, str]  # EventKey of a click -> intent
    scene_intents: dict[str, str]  # QR scene -> intent


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _check_leaf(
    button: dict[str, Any], where: str, name_limit: int, intents: dict[str, str]
) -> dict[str, Any]:
    kind = button.get("type")
    if kind not in TYPES:
        raise MenuError(f"{where}: unknown type {kind!r}")
    if kind in TYPES_NEEDING_KEY:
        key = button.get("key")
        if not isinstance(key, str) or not key or _bytes(key) > KEY_BYTES:
            raise MenuError(f"{where}: a {kind} button needs a key of 1-{KEY_BYTES} bytes")
        if key in intents:
            raise MenuError(f"{where}: key {key!r} is used twice")
        intent = button.get("intent")
        if kind == "click":
            if not isinstance(intent, str) or not intent:
                raise MenuError(f"{where}: a click button needs the intent it stands for")
            intents[key] = intent
    if kind == "view":
        url = button.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")) or _bytes(url) > URL_BYTES:
            raise MenuError(f"{where}: a view button needs an http(s) url of at most {URL_BYTES} bytes")
    return {k: v for k, v in button.items() if k != "intent"}


def parse_menu(data: dict[str, Any]) -> Menu:
    buttons = data.get("button")
    if not isinstance(buttons, list) or not TOP_BUTTONS[0] <= len(buttons) <= TOP_BUTTONS[1]:
        raise MenuError(f"the menu needs {TOP_BUTTONS[0]}-{TOP_BUTTONS[1]} top buttons")
    intents: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    for i, top in enumerate(buttons, 1):
        name = top.get("name") if isinstance(top, dict) else None
        if not isinstance(name, str) or not name or _bytes(name) > TOP_NAME_BYTES:
            raise MenuError(f"top button {i}: name must be 1-{TOP_NAME_BYTES} bytes, got {name!r}")
        subs = top.get("sub_button")
        if subs is None:
            out.append(_check_leaf(top, f"top button {i} ({name})", TOP_NAME_BYTES, intents))
            continue
        if not isinstance(subs, list) or not SUB_BUTTONS[0] <= len(subs) <= SUB_BUTTONS[1]:
            raise MenuError(f"top button {i} ({name}): needs {SUB_BUTTONS[0]}-{SUB_BUTTONS[1]} sub-buttons")
        checked = []
        for j, sub in enumerate(subs, 1):
            where = f"{name} / button {j}"
            sub_name = sub.get("name") if isinstance(sub, dict) else None
            if not isinstance(sub_name, str) or not sub_name or _bytes(sub_name) > SUB_NAME_BYTES:
                raise MenuError(f"{where}: name must be 1-{SUB_NAME_BYTES} bytes")
            checked.append(_check_leaf(sub, where, SUB_NAME_BYTES, intents))
        out.append({"name": name, "sub_button": checked})
    scenes = data.get("scenes") or {}
    if not isinstance(scenes, dict) or not all(isinstance(v, str) for v in scenes.values()):
        raise MenuError("scenes must map QR scene values to intents")
    return Menu(
        wechat={"button": out},
        click_intents=intents,
        scene_intents={str(k): str(v) for k, v in scenes.items()},
    )


def load_menu(path: Path) -> Menu:
    return parse_menu(read_yaml_mapping(path, MenuError))
