"""The Rasa-environment tests run with --confcutdir=tests/rasa; they share the real-Redis fixture."""

import threading
import time

import redis

from tests.conftest import redis_server

__all__ = ["hold_redis", "redis_server"]


def hold_redis(port: int, seconds: float) -> threading.Thread:
    """Keep the Redis server busy (one long script) so that a command sent meanwhile waits for its reply."""
    script = "local s = redis.call('TIME') repeat local t = redis.call('TIME') until (t[1] - s[1]) * 1e6 + t[2] - s[2] > tonumber(ARGV[1])"
    thread = threading.Thread(target=redis.Redis(port=port).eval, args=(script, 0, int(seconds * 1e6)))
    thread.start()
    time.sleep(0.05)  # the script is running
    return thread
