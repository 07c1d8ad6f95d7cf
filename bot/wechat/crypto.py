"""Safe and compatible mode: AES with the EncodingAESKey, through wechatpy's PrpCrypto.

We check msg_signature ourselves (in constant time) and let wechatpy do the AES, padding and appid
check it does well.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass

from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException

from bot.wechat import signature


class CryptoError(ValueError):
    """An encrypted push we must refuse: bad msg_signature, bad ciphertext or another account's appid."""

    def __init__(self, message: str, forbidden: bool = False) -> None:
        super().__init__(message)
        self.forbidden = forbidden  # 403 (authenticity) rather than 400 (malformed)


@dataclass(frozen=True)
class MessageCrypto:
    token: str
    aes_key: str  # the 43-character EncodingAESKey
    appid: str

    @property
    def _key(self) -> bytes:
        return base64.b64decode(self.aes_key + "=")

    def decrypt(self, encrypt: str, msg_signature: str, timestamp: str, nonce: str) -> bytes:
        """The inner XML of an encrypted push, after checking msg_signature and the appid."""
        if not signature.is_valid(msg_signature, self.token, timestamp, nonce, encrypt):
            raise CryptoError("bad msg_signature", forbidden=True)
        try:
            plain = PrpCrypto(self._key).decrypt(encrypt, self.appid)
        except InvalidAppIdException as exc:
            raise CryptoError("appid in the ciphertext is not ours", forbidden=True) from exc
        # struct.error: a ciphertext that decrypts to fewer than the 4 bytes of its length field.
        except (ValueError, TypeError, IndexError, binascii.Error, UnicodeDecodeError, struct.error) as exc:
            raise CryptoError(f"cannot decrypt: {type(exc).__name__}") from exc
        return plain if isinstance(plain, bytes) else str(plain).encode("utf-8")

    def encrypt(self, xml: str, timestamp: str, nonce: str) -> str:
        """The encrypted reply envelope for safe mode."""
        encrypt = PrpCrypto(self._key).encrypt(xml, self.appid)
        encrypt = encrypt.decode("ascii") if isinstance(encrypt, bytes) else str(encrypt)
        msg_signature = signature.sign(self.token, timestamp, nonce, encrypt)
        return (
            "<xml>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{msg_signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp>"
            f"<Nonce><![CDATA[{nonce}]]></Nonce>"
            "</xml>"
        )
