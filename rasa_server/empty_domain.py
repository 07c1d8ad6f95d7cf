"""Whether the domain is empty, without building an empty domain every time Rasa asks.

Rasa asks twice a turn (`MessageProcessor._check_for_unseen_features`, before it warns of intents and entities
the domain lacks), and `Domain.is_empty` answers by building a new empty `Domain` to compare dictionaries
with: 0.075 ms each time, 3-4 % of a warm turn's CPU under py-spy. An empty domain's dictionary is the same
every time, so it is built once; the comparison is Rasa's own.
"""

from __future__ import annotations

import functools
from typing import Any

from rasa.shared.core.domain import Domain


@functools.cache
def _empty_domain_dict() -> dict[str, Any]:
    return Domain.empty().as_dict()


def is_empty(self: Domain) -> bool:
    """Rasa's `Domain.is_empty`, comparing with one empty domain's dictionary built once."""
    return self.as_dict() == _empty_domain_dict()


def install() -> None:
    Domain.is_empty = is_empty  # type: ignore[method-assign]
