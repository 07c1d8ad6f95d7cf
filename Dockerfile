# syntax=docker/dockerfile:1
# One file, three images (compose.yaml runs them; docs/deploy.md says how):
#   docker build --target gateway -t front-door/gateway .
#   docker build --target rasa    -t front-door/rasa .      (carries models/current.tar.gz: `make train` first,
#                                                            or mount a model over /app/models)
#   docker build --target actions -t front-door/actions .
# Each is built in two stages: a build stage installs the lock file into a virtual environment, and the final
# stage copies only that environment and the service's own files onto a slim base, to run as a non-root user.
# `make lint` checks this file with hadolint; tests/integration/test_images.py starts each target's imports
# from its COPY lines alone (no Docker engine is needed for either).

# ---- the gateway: webhook, workers, console, CLI ----------------------------------------------------------
FROM python:3.11-slim-bookworm AS gateway-build
# runtime.lock: gateway.lock's versions without the development tools and tests (scripts/lock.py)
WORKDIR /build
COPY requirements/runtime.lock requirements/runtime.lock
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --require-hashes -r requirements/runtime.lock

FROM python:3.11-slim-bookworm AS gateway
# The daily report draws its charts with Noto Sans CJK; without it every Chinese character is a box.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk=1:20220127+repack1-1 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 app \
    && useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin app
COPY --from=gateway-build /opt/venv /opt/venv
WORKDIR /app
COPY bot bot
COPY content content
# the cue words: with Rasa down, the gateway still hands a citizen who asks for a person to one
COPY lexicon lexicon
# MPLCONFIGDIR: matplotlib's cache in a folder the non-root user may write.
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    BOT_ENV=production BOT_PORT=8080 BOT_VAR_DIR=/app/var MPLCONFIGDIR=/tmp/matplotlib
RUN mkdir -p /app/var && chown 10001:10001 /app/var
USER 10001:10001
EXPOSE 8080
# /healthz is 200 when Redis and Rasa answer, 503 otherwise.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["python", "-m", "bot", "serve"]

# ---- Rasa: the server (with the trained model) and the action server share one environment ----------------
FROM python:3.10-slim-bookworm AS rasa-build
WORKDIR /build
COPY requirements/rasa.lock requirements/rasa.lock
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --require-hashes -r requirements/rasa.lock

FROM python:3.10-slim-bookworm AS rasa-base
# /app owned by the service's user: Rasa and TensorFlow may write caches beside the model.
RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin app \
    && install -d -o 10001 -g 10001 /app
COPY --from=rasa-build /opt/venv /opt/venv
WORKDIR /app
# TF_CPU_ALLOCATOR_USE_BFC: the same allocator as `make run` (bot/launcher.py, RASA_PROCESS_ENV).
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 TF_CPU_ALLOCATOR_USE_BFC=true \
    SQLALCHEMY_SILENCE_UBER_WARNING=1
# The vocabulary both the model's pipeline and the actions import (tests/integration/test_images.py checks
# every module each service imports at start against these COPY lines).
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
USER 10001:10001
EXPOSE 5055
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5055/health', timeout=4)"]
CMD ["rasa", "run", "actions", "--actions", "actions", "--port", "5055"]

FROM rasa-base AS rasa
COPY config.yml domain.yml endpoints.yml credentials.yml ./
COPY nlu_components nlu_components
COPY rasa_server rasa_server
COPY models/current.tar.gz models/current.tar.gz
USER 10001:10001
EXPOSE 5005
# A citizen's tracker is kept a week after their last message (endpoints.yml, record_exp); the tracker and lock
# stores use Redis database 1, the gateway's data database 0 (the same as `make run`, bot/launcher.py).
ENV TRACKER_RETENTION_SECONDS=604800 REDIS_DB_TRACKER=1
# "/" answers without the token; loading the model takes about 20 s.
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5005/', timeout=4)"]
# RASA_TOKEN, REDIS_URL, REDIS_HOST, REDIS_PORT and ACTION_ENDPOINT_URL come from the environment.
CMD ["sh", "-c", "exec python -m rasa_server run --enable-api --auth-token \"$RASA_TOKEN\" --model models/current.tar.gz --endpoints endpoints.yml --credentials credentials.yml --port 5005"]
