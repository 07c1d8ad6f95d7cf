"""How `make eval-conversations` counts endings (bot/dev/conversations.py). Pure."""

from __future__ import annotations

from bot.dev.conversations import Ending, Script, summarise


def test_routine_questions_handed_over_or_filed_are_counted_apart() -> None:
    routine = Script("r1", "routine", ("口罩怎么预约",), "answered")
    complaint = Script("c1", "complaint_unconfirmed", ("药店卖高价",), "ticket", confirmed=False)
    results = [
        (routine, Ending("answered")),
        (Script("r2", "routine", ("多少钱算哄抬",), "answered"), Ending("ticket", confirmed=False)),
        (Script("r3", "routine", ("领取点在哪",), "answered"), Ending("person", reason="angry")),
        (complaint, Ending("ticket", confirmed=False, ticket="T-1", sent_later=["工单号：T-1"])),
    ]
    summary = summarise(results)
    assert (summary["ended_right"], summary["routine_handed_over"], summary["routine_filed"]) == (2, 1, 1)
    assert [f["id"] for f in summary["failures"]] == ["r2", "r3"]
