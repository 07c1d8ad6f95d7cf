"""`python -m bot model restore`: serve the previous model again (after a training that made things worse).

Training keeps the model it replaces as models/previous.tar.gz. Restoring swaps the two, with their records,
and asks a running Rasa server to load the restored archive at once (Rasa's `PUT /model`), so citizens are
answered by it without a restart. Restoring twice undoes the restore. Revert the training data as well
(git), or the next `make run` or `make train` trains the newer data again.
"""

from __future__ import annotations

import asyncio
import os
import sys

import aiohttp

from bot.launcher import MODEL, restore_previous


async def _reload(url: str, token: str) -> str:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session,
            session.put(
                f"{url.rstrip('/')}/model", params={"token": token}, json={"model_file": str(MODEL)}
            ) as r,
        ):
            return "loaded by the running Rasa server" if r.status == 204 else f"Rasa answered {r.status}"
    except aiohttp.ClientError as exc:
        return f"no running Rasa server reached ({exc}); it loads the restored model when it starts"


def model_command(action: str) -> int:
    if action != "restore":
        return 2
    if not restore_previous():
        print("no previous model kept (models/previous.tar.gz): one is kept from the next training on")
        return 1
    url = os.environ.get("RASA_URL") or f"http://127.0.0.1:{os.environ.get('RASA_PORT') or 5005}"
    token = os.environ.get("RASA_TOKEN") or "dev-rasa-token"
    print(f"restored the previous model as {MODEL}; {asyncio.run(_reload(url, token))}")
    print("revert the training data too, or the next `make train` trains it again", file=sys.stderr)
    return 0
