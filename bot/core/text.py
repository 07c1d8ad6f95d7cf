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


def pack(texts: list[str], limit: int = MAX_TEXT_BYTES) -> list[str]:
    """Join consecutive texts into as few messages of at most `limit` bytes as possible.

    Rasa often answers with several short messages (an acknowledgement, then a question). WeChat shows
    one passive reply; every further message costs one of the citizen's few customer-service sends
    (5 per 48 hours), so they travel together whenever they fit.
    """
    pieces = [piece for text in texts for piece in split_utf8(text, limit)]
    packed: list[str] = []
    for piece in pieces:
        if packed and len((packed[-1] + "\n\n" + piece).encode("utf-8")) <= limit:
            packed[-1] = packed[-1] + "\n\n" + piece
        else:
            packed.append(piece)
    return packed
