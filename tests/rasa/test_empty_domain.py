"""rasa_server/empty_domain.py: the same answer as Rasa's `Domain.is_empty`, with the empty domain built once."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("rasa")

from rasa.shared.core.domain import Domain

from rasa_server import empty_domain

ROOT = Path(__file__).resolve().parents[2]
RASAS_OWN = Domain.is_empty


@pytest.mark.parametrize(
    "domain",
    [
        Domain.empty(),
        Domain.from_dict({}),
        Domain.from_dict({"intents": ["greet"]}),
        Domain.from_dict({"slots": {"district": {"type": "text", "mappings": [{"type": "custom"}]}}}),
        Domain.from_dict({"responses": {"utter_hi": [{"text": "您好"}]}}),
        Domain.load(str(ROOT / "domain.yml")),
    ],
)
def test_the_same_answer_as_rasas_own(domain: Domain) -> None:
    assert empty_domain.is_empty(domain) == RASAS_OWN(domain)


def test_the_empty_domain_is_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Domain] = []
    real_empty = Domain.empty

    def counted() -> Domain:
        built.append(real_empty())
        return built[-1]

    project, empty = Domain.load(str(ROOT / "domain.yml")), real_empty()
    empty_domain._empty_domain_dict.cache_clear()
    monkeypatch.setattr(Domain, "empty", counted)
    for _ in range(5):
        assert not empty_domain.is_empty(project)
        assert empty_domain.is_empty(empty)
    assert len(built) == 1
