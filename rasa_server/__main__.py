"""The Rasa server as the front door runs it: Rasa's own command line, with the parse cache installed first.

    python -m rasa_server run --enable-api ...   # the same arguments as `rasa run ...`

RASA_PARSE_CACHE_SIZE sets how many parses are remembered (rasa_server/parse_cache.py; 0 turns the
cache off).
"""

from __future__ import annotations

from rasa_server import parse_cache


def main() -> None:
    parse_cache.install(parse_cache.size_from_env())
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
