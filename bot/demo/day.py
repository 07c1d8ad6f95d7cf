"""The simulated day: when citizens write in. WeChat's CreateTime carries the hour; the report counts by it.

The curve follows the mask campaign: quiet nights, a peak at 9:00 when bookings open (most in its first
minutes), a lunchtime dip, and a second peak near 20:00 when the day's booking results arrive by text message.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, tzinfo

# Relative number of citizens who start writing in each local hour, 0:00 ... 23:00.
HOUR_WEIGHTS = (
    0.6, 0.3, 0.2, 0.1, 0.2, 0.4, 1.2, 3.5, 7.0, 14.0, 9.0, 6.0,
    4.0, 3.5, 4.5, 4.5, 4.0, 4.5, 5.5, 8.0, 12.0, 8.0, 4.0, 1.5,
)  # fmt: skip
BOOKINGS_OPEN = 9  # the hour the day's booking quota opens ...
RESULTS_ARRIVE = 20  # ... and the hour its results are sent
SECONDS_PER_DAY = 24 * 3600


@dataclass(frozen=True)
class Day:
    """One local day of the centre, as epoch seconds."""

    start: int  # local midnight
    label: str  # YYYY-MM-DD

    @classmethod
    def of(cls, moment: datetime, zone: tzinfo) -> Day:
        local = moment.astimezone(zone)
        midnight = datetime.combine(local.date(), time(0, 0), tzinfo=zone)
        return cls(start=int(midnight.timestamp()), label=local.date().isoformat())

    @property
    def last_second(self) -> int:
        return self.start + SECONDS_PER_DAY - 1

    def first_message(self, rng: random.Random) -> int:
        """When a citizen's first message of the day is sent, drawn from the day's curve."""
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        # At the two peaks people write as soon as the hour starts (the quota opens, the results come).
        minute = rng.triangular(0, 60, 0) if hour in (BOOKINGS_OPEN, RESULTS_ARRIVE) else rng.uniform(0, 60)
        return self.start + hour * 3600 + int(minute * 60)

    def later(self, moment: int, seconds: int) -> int:
        """`seconds` after `moment`, at least one second later (WeChat dedupes events by CreateTime), and
        never past the day's last second."""
        return min(moment + max(1, seconds), self.last_second)

    def hour_of(self, moment: int) -> int:
        return max(0, min(23, (moment - self.start) // 3600))
