"""WeChat's customer-service quota: who may be sent how many messages, until when. Pure rules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QuotaRule:
    """Sends allowed within `seconds` after the citizen's last interaction of one kind."""

    sends: int
    seconds: int


@dataclass(frozen=True)
class QuotaRules:
    after_message: QuotaRule = QuotaRule(sends=5, seconds=48 * 3600)
    after_event: QuotaRule = QuotaRule(sends=3, seconds=60)

    def for_interaction(self, is_event: bool) -> QuotaRule:
        """A menu click, subscribe or QR scan opens the short window; a message the long one."""
        return self.after_event if is_event else self.after_message
