"""A ticket's transcript from Rasa's tracker events: who said what, with each turn's intent and confidence."""

from __future__ import annotations

from typing import Any

from bot.core.tickets import DETAIL_FIELDS

KEPT_TURNS = 40


def transcript_from_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            turns.append(
                {
                    "who": "citizen",
                    "text": str(event.get("text") or ""),
                    "at": event.get("timestamp"),
                    "intent": intent.get("name") or "",
                    "confidence": round(float(intent.get("confidence") or 0), 3),
                }
            )
        elif kind == "bot" and event.get("text"):
            turns.append({"who": "bot", "text": str(event["text"]), "at": event.get("timestamp")})
    return turns[-KEPT_TURNS:]


def details_from_events(events: list[dict[str, Any]]) -> dict[str, str]:
    """The latest value of each detail (shop, address, product, price, time) the model extracted.

    Within one message the longest match wins: each regex example and lookup table is its own pattern, so
    overlapping patterns for one entity report overlapping matches ("人民区建设路" in "人民区建设路12号")."""
    details: dict[str, str] = {}
    for event in events:
        if event.get("event") != "user":
            continue
        longest: dict[str, tuple[int, str]] = {}
        for entity in (event.get("parse_data") or {}).get("entities") or []:
            name, value = entity.get("entity"), entity.get("value")
            if name not in DETAIL_FIELDS or not value:
                continue
            span = int(entity.get("end") or 0) - int(entity.get("start") or 0)
            if span > longest.get(name, (-1, ""))[0]:
                longest[name] = (span, str(value))
        details |= {name: value for name, (_, value) in longest.items()}
    return details
