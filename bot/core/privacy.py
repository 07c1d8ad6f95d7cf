"""Citizens' phone and ID numbers masked wherever a text leaves its ticket: queue lists, reports, exports,
logs. Only the agent who holds the ticket (or a supervisor) sees them whole. Pure, no I/O."""

from __future__ import annotations

import re

# A mainland mobile number (11 digits from 13-19), alone or written with spaces or dashes between groups.
_PHONE = re.compile(r"(?<![\d])(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?![\d])")
# A resident ID number: 17 digits and a digit or X.
_ID = re.compile(r"(?<![\dA-Za-z])(\d{6})(\d{8})(\d{3})([\dXx])(?![\dA-Za-z])")


def mask_pii(text: str) -> str:
    """138****5678 for a mobile number, 110101********123X for an ID number."""
    masked = _ID.sub(lambda m: f"{m[1]}{'*' * 8}{m[3]}{m[4]}", text)
    return _PHONE.sub(lambda m: f"{m[1]}****{m[3]}", masked)
