# One file, several targets. A first version: the same lock files as `make`, one service per image.
#   docker build --target gateway -t front-door/gateway .
#   docker build --target rasa    -t front-door/rasa .      (needs models/current.tar.gz: make train)
#   docker build --target actions -t front-door/actions .

FROM python:3.11-slim AS gateway
WORKDIR /app
COPY requirements/gateway.lock requirements/gateway.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/gateway.lock
COPY bot bot
COPY content content
ENV BOT_ENV=production BOT_PORT=8080
EXPOSE 8080
USER nobody
CMD ["python", "-m", "bot", "serve"]

FROM python:3.10-slim AS rasa-base
WORKDIR /app
COPY requirements/rasa.lock requirements/rasa.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/rasa.lock
# TF_CPU_ALLOCATOR_USE_BFC: the same allocator as `make run` (bot/launcher.py, RASA_PROCESS_ENV).
ENV RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 TF_CPU_ALLOCATOR_USE_BFC=true
# The vocabulary both the model's pipeline and the actions import (tests/rasa/test_images.py checks every
# module each service imports at start against these COPY lines).
COPY lexicon lexicon
# the actions and the Rasa server's turn log share the gateway's Redis key builder, and the actions its
# content rules and formatting (pure Python modules, no other bot/ imports)
COPY bot/__init__.py bot/__init__.py
COPY bot/storage/__init__.py bot/storage/__init__.py
COPY bot/storage/keys.py bot/storage/keys.py
COPY bot/core/__init__.py bot/core/__init__.py
COPY bot/core/content.py bot/core/text.py bot/core/

FROM rasa-base AS actions
COPY actions actions
EXPOSE 5055
USER nobody
CMD ["rasa", "run", "actions", "--actions", "actions", "--port", "5055"]

FROM rasa-base AS rasa
COPY config.yml domain.yml endpoints.yml credentials.yml ./
COPY nlu_components nlu_components
COPY rasa_server rasa_server
COPY models/current.tar.gz models/current.tar.gz
EXPOSE 5005
USER nobody
# A citizen's tracker is kept a week after their last message (endpoints.yml, record_exp).
ENV TRACKER_RETENTION_SECONDS=604800
# RASA_TOKEN, REDIS_URL, REDIS_HOST, REDIS_PORT, REDIS_DB_TRACKER and ACTION_ENDPOINT_URL come from the environment.
CMD ["sh", "-c", "exec python -m rasa_server run --enable-api --auth-token \"$RASA_TOKEN\" --model models/current.tar.gz --endpoints endpoints.yml --credentials credentials.yml --port 5005"]
