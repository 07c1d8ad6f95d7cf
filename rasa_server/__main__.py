"""The Rasa server as the front door runs it: Rasa's own command line, with its changes installed first
(each measured with py-spy under `make bench --profile`; each module says what it changes and why).

    python -m rasa_server run --enable-api ...   # the same arguments as `rasa run ...`

- rasa_server/parse_cache.py: a repeated text's parse is remembered (RASA_PARSE_CACHE_SIZE, 0: off), and
  shared in Redis by every worker and past a restart (RASA_PARSE_CACHE_SECONDS, 0: off).
- rasa_server/action_results.py: action answers and appended events are checked against a schema compiled
  once, each event against its own type only.
- rasa_server/event_types.py: stored events find their classes by name without walking every subclass.
- rasa_server/action_outage.py: an action server that cannot answer fails the turn (kept, sent again) instead
  of being skipped.
- rasa_server/kept_connections.py: connections to the action server are kept open between actions.
- rasa_server/graph_runner.py: the prediction graph runs in an order computed once, without dask.
- rasa_server/dialogue_states.py: the policies of a prediction share one replay of the conversation,
  carried on at the turn's next prediction.
- rasa_server/log_copies.py: no deep copies of debug-log arguments on every turn.
- rasa_server/rule_keys.py: rules matched against the end of the conversation only, as far as any reaches.
- rasa_server/empty_domain.py: whether the domain is empty, answered without building an empty domain.
The tracker store (rasa_server/tracker_store.py), the lock store (rasa_server/lock_store.py) and the turn log
(rasa_server/turn_log.py) are configured in endpoints.yml; a turn's Redis calls go through asyncio clients
(rasa_server/loop_redis.py), so the event loop runs other turns while Redis answers.
"""

from __future__ import annotations

from rasa_server import (
    action_outage,
    action_results,
    dialogue_states,
    empty_domain,
    event_types,
    graph_runner,
    kept_connections,
    log_copies,
    parse_cache,
    rule_keys,
)


def main() -> None:
    parse_cache.install(parse_cache.size_from_env(), parse_cache.shared_from_env())
    action_results.install()
    event_types.install()
    action_outage.install()
    kept_connections.install()
    graph_runner.install()
    dialogue_states.install()
    log_copies.install()
    rule_keys.install()
    empty_domain.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
