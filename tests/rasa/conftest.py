"""The Rasa-environment tests run with --confcutdir=tests/rasa; they share the real-Redis fixture."""

from tests.conftest import redis_server

__all__ = ["redis_server"]
