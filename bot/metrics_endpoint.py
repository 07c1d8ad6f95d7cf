"""GET /metrics: who may scrape, and the scrape itself (the workload read from Redis, then the registry).

The rule: with `METRICS_TOKEN` set, a scraper sends `Authorization: Bearer <token>` (401 otherwise);
without one, only loopback addresses may scrape (403 otherwise). A request that came through a proxy
(it carries forwarding headers) is not taken for a loopback one even though the proxy's connection is:
a reverse proxy on the same machine would otherwise open /metrics to the internet.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError

from bot.appkeys import DESK, METRICS, REDIS, SETTINGS
from bot.storage.workload import read_workload

log = logging.getLogger(__name__)

FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def is_loopback(remote: str | None) -> bool:
    if not remote:
        return False
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])  # drop an IPv6 zone ("::1%lo")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def refusal(token: str | None, headers: Mapping[str, str], remote: str | None) -> web.HTTPException | None:
    """Why this request may not scrape (the error to raise), or None when it may."""
    if token:
        scheme, _, offered = headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode()):
            return None
        return web.HTTPUnauthorized(text="a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    if is_loopback(remote) and not any(name in headers for name in FORWARDING_HEADERS):
        return None
    return web.HTTPForbidden(text="metrics are served to loopback addresses only (or set METRICS_TOKEN)")


async def scrape(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    refused = refusal(settings.metrics_token, request.headers, request.remote)
    if refused is not None:
        log.warning("GET /metrics refused from %s (%d)", request.remote, refused.status)
        raise refused
    gateway_metrics = request.app[METRICS]
    today = datetime.now(ZoneInfo(settings.timezone)).strftime("%Y%m%d")
    try:
        workload = await read_workload(request.app[REDIS], request.app[DESK].tickets, today, time.time())
    except RedisError as exc:
        # The counters are still worth a scrape; the workload gauges are left out rather than shown stale.
        log.warning("metrics without the workload gauges: Redis did not answer (%s)", type(exc).__name__)
        workload = None
    gateway_metrics.show_workload(workload)
    return web.Response(body=gateway_metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})
