"""An async client for the parts of WeChat's API we use, with a timeout on every call.

wechatpy's client uses blocking `requests` and has no timeout by default; it cannot run on the event loop.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp

from bot.storage.tokens import TokenStore

log = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid or expired access_token: refresh once
RETRYABLE = frozenset({-1})  # system busy: retry with backoff
WINDOW_CLOSED = 45015  # the 48-hour window expired, or the citizen unsubscribed
QUOTA_USED = 45047  # the sends allowed in the window are used up


class WeChatError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatUnreachable(Exception):
    """A timeout or connection failure: the request may or may not have reached WeChat."""


class WeChatAPI:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        appid: str,
        secret: str,
        tokens: TokenStore,
        stable_token: bool = False,
        timeout: float = 5.0,
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._appid = appid
        self._secret = secret
        self._tokens = tokens
        self._stable = stable_token
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self._session.request(
                method, f"{self._base}{path}", timeout=self._timeout, **kwargs
            ) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise WeChatUnreachable(f"{path}: {type(exc).__name__}") from exc
        if not isinstance(body, dict):
            raise WeChatUnreachable(f"{path}: unexpected answer")
        errcode = int(body.get("errcode") or 0)
        if errcode != 0:
            raise WeChatError(errcode, str(body.get("errmsg", "")))
        return body

    async def fetch_token(self, force_refresh: bool) -> tuple[str, int]:
        """One token fetch from WeChat; TokenStore makes sure only one process does it at a time."""
        if self._stable:
            body = await self._request(
                "POST",
                "/cgi-bin/stable_token",
                json={
                    "grant_type": "client_credential",
                    "appid": self._appid,
                    "secret": self._secret,
                    "force_refresh": force_refresh,
                },
            )
        else:
            body = await self._request(
                "GET",
                "/cgi-bin/token",
                params={"grant_type": "client_credential", "appid": self._appid, "secret": self._secret},
            )
        return str(body["access_token"]), int(body.get("expires_in", 7200))

    async def _post_with_token(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        # Chinese must go as raw UTF-8: escaped \\u sequences make WeChat answer 40033.
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        token = await self._tokens.get(self.fetch_token)
        try:
            return await self._request(
                "POST", path, params={"access_token": token}, data=data, headers=headers
            )
        except WeChatError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            log.warning("access_token refused (%s): refreshing once", exc.errcode)
            await self._tokens.invalidate(token)
            token = await self._tokens.get(self.fetch_token, force=self._stable)
            return await self._request(
                "POST", path, params={"access_token": token}, data=data, headers=headers
            )

    async def send_text(self, openid: str, text: str) -> None:
        await self._post_with_token(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": text}},
        )

    async def create_menu(self, menu: dict[str, Any]) -> None:
        await self._post_with_token("/cgi-bin/menu/create", menu)
