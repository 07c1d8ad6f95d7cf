"""Ciphertexts that decrypt to nonsense are refused as malformed (400), never an error inside the gateway."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.settings import DEVELOPMENT_DEFAULTS
from bot.wechat import signature
from bot.wechat.crypto import CryptoError, MessageCrypto

TOKEN = DEVELOPMENT_DEFAULTS["WECHAT_TOKEN"]
AES_KEY = DEVELOPMENT_DEFAULTS["WECHAT_AES_KEY"]
APPID = DEVELOPMENT_DEFAULTS["WECHAT_APPID"]


def encrypt_raw(plain: bytes) -> str:
    """AES-CBC the way WeChat does (iv = the key's first 16 bytes, PKCS#7 to 32 bytes), of any plaintext."""
    key = base64.b64decode(AES_KEY + "=")
    pad = 32 - len(plain) % 32
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()).decode()


@pytest.mark.parametrize(
    "plain",
    [
        os.urandom(16) + b"ab",  # shorter than the 4-byte length field after the 16 random bytes
        os.urandom(16) + (1000).to_bytes(4, "big") + b"<xml/>",  # a length beyond the content
        os.urandom(16) + (3).to_bytes(4, "big") + b"\xff\xfe\xfd" + APPID.encode(),  # not UTF-8
    ],
    ids=["shorter-than-the-length-field", "length-beyond-the-content", "not-utf-8"],
)
def test_a_correctly_signed_ciphertext_of_nonsense_is_a_crypto_error(plain: bytes) -> None:
    crypto = MessageCrypto(TOKEN, AES_KEY, APPID)
    encrypt = encrypt_raw(plain)
    with pytest.raises(CryptoError) as refused:
        crypto.decrypt(encrypt, signature.sign(TOKEN, "1", "n", encrypt), "1", "n")
    assert not refused.value.forbidden or "appid" in str(refused.value)
