"""`make eval`'s conversation part: plays eval/conversations.yml through the whole front door (embedded Redis,
the action server, Rasa with the trained model, the gateway, the local WeChat API) and reports the share of
conversations that end right, by kind, with every miss, in reports/conversations/latest.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bot.dev.conversations import Player, load_scripts, summarise
from bot.launcher import ROOT, Launcher, Ports, model_is_current
from bot.settings import DEVELOPMENT_DEFAULTS
from bot.storage.embedded import free_port

IDLE_SECONDS = 4.0  # the complaint form's idle time here; 600 s in production


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=Path, default=ROOT / "eval" / "conversations.yml")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "conversations" / "latest.json")
    parser.add_argument("--concurrency", type=int, default=6)
    args = parser.parse_args()
    if not model_is_current():
        print("the model is missing or stale: run `make train`", file=sys.stderr)
        return 2
    scripts = load_scripts(args.conversations)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RASA_URL", "WECHAT_APPID",
                                                            "WECHAT_API_BASE", "WECHAT_TOKEN")}  # fmt: skip
    env |= {"BOT_ENV": "development", "COMPLAINT_IDLE_SECONDS": str(IDLE_SECONDS)}
    with tempfile.TemporaryDirectory(prefix="conversations-") as var_dir:
        launcher = Launcher(
            ports=Ports(gateway=free_port(), rasa=free_port(), actions=free_port(), redis=free_port(),
                        wechat_api=free_port()),
            var_dir=Path(var_dir), env=env, log=lambda line: None,
        )  # fmt: skip
        started = time.monotonic()
        launcher.start()
        try:
            player = Player(launcher.gateway_url, DEVELOPMENT_DEFAULTS["WECHAT_TOKEN"], launcher.redis_url,
                            launcher.wechat_api_url, IDLE_SECONDS)  # fmt: skip
            results = asyncio.run(player.play_all(scripts, args.concurrency))
        finally:
            launcher.stop()
    summary = summarise(results) | {"seconds": round(time.monotonic() - started, 1)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"conversations ending right: {summary['ended_right']}/{summary['conversations']} "
          f"({summary['share_ended_right']:.3f}); routine handed over: {summary['routine_handed_over']}, "
          f"filed as a ticket: {summary['routine_filed']}")  # fmt: skip
    for kind, counts in summary["by_kind"].items():
        print(f"  {kind:22s} {counts['right']}/{counts['n']}")
    for failure in summary["failures"]:
        print(f"  miss {failure['id']}: {'; '.join(failure['misses'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
