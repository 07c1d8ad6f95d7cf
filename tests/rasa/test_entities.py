"""Entities by pattern and lookup table, trained from the project's own NLU data (no model needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("rasa")

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.regex_entity_extractor import RegexEntityExtractor
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

CONFIG = {"use_lookup_tables": True, "use_regexes": True, "use_word_boundaries": False}


@pytest.fixture(scope="module")
def extractor(tmp_path_factory: pytest.TempPathFactory) -> RegexEntityExtractor:
    storage = LocalModelStorage(tmp_path_factory.mktemp("entities"))
    context = ExecutionContext(graph_schema=None, model_id="test")  # type: ignore[arg-type]
    component = RegexEntityExtractor.create(
        {**RegexEntityExtractor.get_default_config(), **CONFIG}, storage, Resource("regex"), context
    )
    component.train(load_data(str(Path(__file__).parents[2] / "nlu_data" / "nlu")))
    return component


def found(extractor: RegexEntityExtractor, text: str, entity: str) -> list[str]:
    message = Message(data={TEXT: text})
    extractor.process([message])
    return [e["value"] for e in message.get(ENTITIES, []) if e["entity"] == entity]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("药店卖的N95口罩是假的", ["N95口罩"]),  # once, and not also 口罩 inside it
        ("一次性口罩卖到五块一只", ["一次性口罩"]),
        ("额温枪和医用酒精都涨价了", ["额温枪", "医用酒精"]),
        ("口罩", ["口罩"]),
    ],
)
def test_each_product_is_found_once_by_its_longest_name(
    extractor: RegexEntityExtractor, text: str, expected: list[str]
) -> None:
    assert found(extractor, text, "product") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The street name stops at the words around it (was "号下午在解放大道88号").
        ("2月3号下午在解放大道88号买的", "解放大道88号"),
        ("我去和平路12号那家药店看了", "和平路12号"),
        ("天河路305号", "天河路305号"),
        ("店在江北区建设街", "江北区建设街"),
    ],
)
def test_an_address_does_not_swallow_the_words_before_it(
    extractor: RegexEntityExtractor, text: str, expected: str
) -> None:
    addresses = found(extractor, text, "address")
    assert expected in addresses
    assert all(expected in other or other in expected for other in addresses)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("80元一个", ["80元一个"]),
        ("普通口罩卖十块一只", ["十块一只"]),
        ("三十块一包十只", ["三十块一包"]),
        ("一百二十元一盒", ["一百二十元一盒"]),
        ("每个五块", ["每个五块"]),
        ("我们一块去领口罩吧", []),  # 一块 here is "together", not a price
        ("口罩卖二十块一包", ["二十块一包"]),
        ("一十五元一个", ["一十五元一个"]),
        ("在三元桥地铁站旁边", []),  # places, not prices
        ("两元店里买的", []),
    ],
)
def test_prices_are_found_in_digits_and_in_chinese_numerals(
    extractor: RegexEntityExtractor, text: str, expected: list[str]
) -> None:
    prices = found(extractor, text, "price")
    # the form takes the longest match of an entity (actions/intake.py), as for "每个5元" and "5元"
    assert ([max(prices, key=len)] if prices else []) == expected
