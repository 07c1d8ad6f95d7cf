"""Text limits WeChat imposes, as pure functions."""

from __future__ import annotations

MAX_TEXT_BYTES = 2048  # one passive reply or one customer-service text message, UTF-8


def split_utf8(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """Split `text` into pieces of at most `limit` UTF-8 bytes, preferring line and sentence ends.

    Never cuts inside a character; an empty text gives no pieces.
    """
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        if len(rest.encode("utf-8")) <= limit:
            pieces.append(rest)
            break
        cut = _longest_prefix(rest, limit)
        for boundary in ("\n", "。", "！", "？", "；", ". ", "，", " "):
            at = rest.rfind(boundary, 0, cut)
            if at >= cut // 2:
                cut = at + len(boundary)
                break
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return [p for p in pieces if p]


def _longest_prefix(text: str, limit: int) -> int:
    """The number of characters of `text` whose UTF-8 encoding fits in `limit` bytes."""
    size = 0
    for index, char in enumerate(text):
        size += len(char.encode("utf-8"))
        if size > limit:
            return index
    return len(text)
