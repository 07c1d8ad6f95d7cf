"""Each demo citizen's day, drawn in advance from the seed: what they send and when, and what becomes of a
ticket they get. Pure: the same seed gives the same plans, whatever the bot answers or how fast."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from bot.demo import texts
from bot.demo.day import Day

T = TypeVar("T")


@dataclass(frozen=True)
class Say:
    """One message: a text, a menu click, a subscribe (value: its QR scene or ""), or an image."""

    kind: str  # "text" | "click" | "subscribe" | "image"
    value: str
    gap: int  # seconds after the citizen's previous message


@dataclass(frozen=True)
class Intake:
    """A complaint through the intake form: the opener, then whatever the form asks, answered in turn."""

    category: str  # price | fake | other
    opener: Say
    answers: dict[str, str]  # what, shop, address, price, time: the citizen's answer to each question
    confirm: str | None  # None: the citizen leaves the form unconfirmed ...
    leave_after: int  # ... after this many answers
    image_after: int | None  # evidence: an image after this many answers
    gaps: tuple[int, ...]  # seconds before each answer


Part = Say | Intake


class Fate(StrEnum):
    """What the agents do with the citizen's ticket."""

    QUEUED = "queued"  # left in the queue: the console has a live queue
    CLAIMED = "claimed"  # claimed and answered, still open
    CLOSED = "closed"
    TRANSFERRED = "transferred"  # claimed, handed to another agent, who closes it


class Expect(StrEnum):
    """The ticket the script should lead to."""

    NONE = ""
    LIVE = "live"  # handed to a person
    COMPLAINT = "complaint"  # a confirmed complaint
    UNCONFIRMED = "unconfirmed"  # a form left before confirming, filed later by the gateway


@dataclass(frozen=True)
class DeskPlan:
    fate: Fate
    agent: int  # which demo agent takes it (index)
    transfer_to: int
    to_agent: tuple[Say, ...]  # what the citizen writes to the agent once the ticket is claimed
    rating: Say | None  # the answer to the closing message's rating question; None: no answer
    roll: float  # chooses among the resolutions that fit the ticket


@dataclass(frozen=True)
class Plan:
    index: int
    kind: str
    start: int  # CreateTime of the first message
    parts: tuple[Part, ...]
    expects: Expect
    safe: bool  # the account's safe (AES) mode for this citizen's pushes
    desk: DeskPlan


AGENTS = 4
# The fates of the tickets a plan is meant to open, dealt in order: every day has tickets left in the queue,
# one in progress and one transferred, the rest closed.
DECK = (
    Fate.CLOSED, Fate.CLOSED, Fate.QUEUED, Fate.CLOSED, Fate.TRANSFERRED,
    Fate.CLOSED, Fate.CLAIMED, Fate.CLOSED, Fate.QUEUED, Fate.CLOSED,
)  # fmt: skip
SAFE_SHARE = 0.2  # citizens whose pushes come in safe mode, when the account has an AES key


def pick(rng: random.Random, options: Sequence[T]) -> T:
    return options[rng.randrange(len(options))]


def weighted(rng: random.Random, options: Sequence[tuple[T, int]]) -> T:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def typing(rng: random.Random) -> int:
    """Seconds between two messages of one conversation."""
    return rng.randint(20, 150)


def text(rng: random.Random, options: Sequence[str]) -> Say:
    return Say("text", pick(rng, options), typing(rng))


def topics_for(hour: int) -> list[tuple[str, int]]:
    """What people ask about at this hour: how to book in the morning, the results in the evening."""
    if 7 <= hour <= 11:
        return [("booking", 6), ("result", 1), ("pickup", 2), ("announcement", 1)]
    if 18 <= hour <= 22:
        return [("booking", 1), ("result", 6), ("pickup", 2), ("announcement", 1)]
    return [("booking", 2), ("result", 2), ("pickup", 3), ("announcement", 2)]


def questions(rng: random.Random, hour: int, count: int) -> list[Say]:
    asked: list[Say] = []
    for _ in range(count):
        topic = weighted(rng, topics_for(hour))
        say = text(rng, texts.TOPICS[topic])
        if all(say.value != a.value for a in asked):
            asked.append(say)
    return asked


def maybe(rng: random.Random, chance: float, options: Sequence[str]) -> list[Say]:
    return [text(rng, options)] if rng.random() < chance else []


def intake(rng: random.Random, category: str, by_menu: bool, confirm: bool) -> Intake:
    shop = weighted(rng, [(s, s.weight) for s in texts.SHOPS])
    product = weighted(rng, [(p, p.weight) for p in texts.PRODUCTS[category]])
    price = pick(rng, product.prices)
    facts = {"shop": shop.name, "street": shop.street, "product": product.name, "price": price}
    if by_menu:
        opener = Say("click", texts.COMPLAINT_BUTTONS[category], typing(rng))
    else:
        opener = Say("text", pick(rng, texts.OPENERS[category]).format(**facts), typing(rng))
    answers = {
        "what": pick(rng, texts.WHAT_HAPPENED[category]),
        "shop": pick(rng, texts.SHOP_ANSWERS_AFTER_BUTTON if by_menu else texts.SHOP_ANSWERS).format(**facts),
        "address": shop.address if rng.random() < 0.8 else f"在{shop.address}",
        "price": price if category != "other" or rng.random() < 0.5 else texts.SKIP,
        "time": pick(rng, texts.WHEN) if rng.random() < 0.85 else texts.SKIP,
    }
    return Intake(
        category=category,
        opener=opener,
        answers=answers,
        confirm=pick(rng, texts.CONFIRM) if confirm else None,
        leave_after=rng.randint(1, 5),
        image_after=rng.randint(0, 2) if rng.random() < 0.25 else None,
        gaps=tuple(rng.randint(15, 90) for _ in range(12)),
    )


Script = tuple[list[Part], Expect]  # the messages of one citizen, and the ticket they should lead to


def asks_questions(rng: random.Random, hour: int) -> Script:
    parts = [*maybe(rng, 0.3, texts.GREETINGS), *questions(rng, hour, rng.randint(1, 3))]
    return [*parts, *maybe(rng, 0.4, texts.THANKS), *maybe(rng, 0.15, texts.GOODBYES)], Expect.NONE


def uses_the_menu(rng: random.Random, hour: int) -> Script:
    clicks = [Say("click", texts.TOPIC_BUTTONS[weighted(rng, topics_for(hour))], typing(rng))]
    if rng.random() < 0.4:
        clicks.append(Say("click", texts.TOPIC_BUTTONS[weighted(rng, topics_for(hour))], typing(rng)))
    return [*clicks, *(questions(rng, hour, 1) if rng.random() < 0.3 else [])], Expect.NONE


def subscribes(rng: random.Random, hour: int) -> Script:
    scene = pick(rng, texts.SUBSCRIBE_SCENES) if rng.random() < 0.5 else ""  # "": not from a QR code
    return [Say("subscribe", scene, typing(rng)), *questions(rng, hour, rng.randint(0, 1))], Expect.NONE


def chats(rng: random.Random, hour: int) -> Script:
    return [text(rng, texts.GREETINGS), text(rng, texts.BOT_QUESTIONS), text(rng, texts.THANKS)], Expect.NONE


def strays(rng: random.Random, hour: int) -> Script:
    return [text(rng, texts.OFF_TOPIC), *(questions(rng, hour, 1) if rng.random() < 0.6 else [])], Expect.NONE


def gets_lost(rng: random.Random, hour: int) -> Script:
    """Not understood twice, then asks for a person."""
    first, second = rng.sample(texts.OFF_TOPIC, 2)
    said = [
        Say("text", first, typing(rng)),
        Say("text", second, typing(rng)),
        text(rng, texts.HUMAN_REQUESTS),
    ]
    return list(said), Expect.LIVE


def complains(rng: random.Random, hour: int, by_menu: bool = False) -> Script:
    form = intake(rng, complaint_category(rng), by_menu=by_menu, confirm=True)
    return [*maybe(rng, 0.2, texts.GREETINGS), form, *maybe(rng, 0.3, texts.THANKS)], Expect.COMPLAINT


def complains_by_menu(rng: random.Random, hour: int) -> Script:
    return complains(rng, hour, by_menu=True)


def leaves_a_complaint(rng: random.Random, hour: int) -> Script:
    return [intake(rng, complaint_category(rng), by_menu=False, confirm=False)], Expect.UNCONFIRMED


def wants_a_person(rng: random.Random, hour: int) -> Script:
    return [text(rng, texts.HUMAN_REQUESTS), *maybe(rng, 0.5, texts.WHILE_QUEUED)], Expect.LIVE


def is_angry(rng: random.Random, hour: int) -> Script:
    return [text(rng, texts.ANGRY), *maybe(rng, 0.5, texts.WHILE_QUEUED)], Expect.LIVE


def asks_then_wants_a_person(rng: random.Random, hour: int) -> Script:
    return [*questions(rng, hour, 1), text(rng, texts.HUMAN_REQUESTS)], Expect.LIVE


def complaint_category(rng: random.Random) -> str:
    return weighted(rng, [("price", 6), ("fake", 3), ("other", 2)])


# Kinds of citizen, how common each is, and their script.
KINDS: tuple[tuple[str, int, Callable[[random.Random, int], Script]], ...] = (
    ("questions", 30, asks_questions),
    ("menu", 9, uses_the_menu),
    ("subscribe", 4, subscribes),
    ("smalltalk", 5, chats),
    ("off_topic", 8, strays),
    ("lost", 3, gets_lost),
    ("complaint", 12, complains),
    ("complaint_menu", 4, complains_by_menu),
    ("complaint_left", 6, leaves_a_complaint),
    ("human", 7, wants_a_person),
    ("angry", 5, is_angry),
    ("question_then_human", 3, asks_then_wants_a_person),
)


def desk_plan(rng: random.Random, kind: str, fate: Fate) -> DeskPlan:
    lines = texts.TO_AGENT["complaint" if kind.startswith("complaint") else "question"]
    said = rng.sample(lines, rng.randint(0, 2))
    # The first line comes once an agent has the ticket: a while after the citizen's last message.
    to_agent = tuple(Say("text", line, rng.randint(300, 2400) if n == 0 else typing(rng))
                     for n, line in enumerate(said))  # fmt: skip
    rating = Say("text", weighted(rng, texts.RATINGS), rng.randint(60, 600)) if rng.random() < 0.85 else None
    agent = rng.randrange(AGENTS)
    return DeskPlan(
        fate=fate, agent=agent, transfer_to=(agent + rng.randint(1, AGENTS - 1)) % AGENTS,
        to_agent=to_agent, rating=rating, roll=rng.random(),
    )  # fmt: skip


def draw_plans(count: int, seed: int, day: Day, safe_mode: bool) -> list[Plan]:
    """`count` citizens' plans; each citizen's own random stream, so a plan does not depend on the others."""
    plans: list[Plan] = []
    dealt = 0
    for index in range(count):
        rng = random.Random(f"{seed}:{index}")
        kind, _, script = rng.choices(KINDS, weights=[weight for _, weight, _ in KINDS])[0]
        start = day.first_message(rng)
        parts, expects = script(rng, day.hour_of(start))
        fate = fate_for(rng, expects, dealt)
        dealt += expects in (Expect.LIVE, Expect.COMPLAINT)
        safe = safe_mode and rng.random() < SAFE_SHARE
        plans.append(Plan(index, kind, start, tuple(parts), expects, safe, desk_plan(rng, kind, fate)))
    return plans


def fate_for(rng: random.Random, expects: Expect, dealt: int) -> Fate:
    if expects in (Expect.LIVE, Expect.COMPLAINT):
        return DECK[dealt % len(DECK)]
    if expects is Expect.UNCONFIRMED:  # a filed complaint mostly waits for a call back
        return Fate.QUEUED if rng.random() < 0.7 else Fate.CLOSED
    return Fate.CLOSED  # a ticket nobody planned (the bot handed over on its own): answered and closed
