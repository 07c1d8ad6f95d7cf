"""Jieba tokenization on normalised text, the same way in training and in serving.

- Full-width ASCII (ＫＮ９５, ！, 　) becomes half-width, so ＫＮ９５ and KN95 are one word.
- Traditional characters become simplified (OpenCC t2s), so 口罩預約 reads as 口罩预约.
- Whitespace tokens are dropped: JiebaTokenizer keeps them in mixed Chinese/Latin text (Rasa issue #7910).
- Repeated punctuation (！！！, ???) is kept: it is a signal of urgency and anger.

Every change maps one character to one character, so the entity offsets of annotated training examples
stay valid.
"""

from __future__ import annotations

from typing import List, Text

import opencc
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_t2s = opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Full-width to half-width and traditional to simplified, one character for one character."""
    half = text.translate(_FULL_WIDTH)
    simplified = _t2s.convert(half)
    if len(simplified) == len(half):
        return simplified
    # A phrase rule changed the length: convert character by character to keep offsets.
    return "".join(c if len(s := _t2s.convert(c)) != 1 else s for c in half)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class NormalizingJiebaTokenizer(JiebaTokenizer):
    """JiebaTokenizer that first normalises the message text (see the module docstring)."""

    @staticmethod
    def _normalise_message(message: Message) -> None:
        text = message.get(TEXT)
        if isinstance(text, str) and text:
            message.set(TEXT, normalise(text))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalise_message(example)
        return super().process_training_data(training_data)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalise_message(message)
        return super().process(messages)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        return [token for token in super().tokenize(message, attribute) if token.text.strip()]
