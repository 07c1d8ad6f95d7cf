"""What the gateway counts and measures, served by GET /metrics in the Prometheus text format.

Each app has its own `CollectorRegistry` (never prometheus_client's global one), so tests that build
several apps in one process count apart. Counters and histograms are this process's; a scraper sums them
over the gateways. The workload gauges are read from Redis at scrape time and are the same in every
gateway (take their max, not their sum).

Label values are fixed sets or WeChat's error codes, never anything a citizen sends: one series per
value, and nobody can make the registry grow.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.core.tickets import Reason
from bot.storage.workload import Workload

# No `*_created` series beside each counter and histogram: they double the scrape and nobody graphs them.
# (A process-wide switch: the gateway is the only user of prometheus_client in its process.)
disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated upstream

NAMESPACE = "frontdoor"
PUSH_TYPES = ("text", "voice", "image", "video", "shortvideo", "location", "link", "file", "event")
OTHER = "other"  # a MsgType WeChat added after us
# contract.py: why a message's answer went to the outbox
DEFERRALS = ("arrival", "behind", "last_delivery", "sweep")
RASA_CALLS = ("message", "tracker", "events")
RASA_ERRORS = ("timeout", "unreachable", "http_status", "bad_response")
# WeChat gives up on a passive reply at 5 s: the buckets are fine around it.
REPLY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 4.5, 5.0, 6.0, 10.0, 15.0)
RASA_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 4.5, 10.0, 30.0)


class WorkloadCollector(Collector):
    """Gauges of the last workload read from Redis; none at all when the last read failed, rather than
    stale numbers that look current."""

    def __init__(self) -> None:
        self.workload: Workload | None = None

    def collect(self) -> Iterator[Metric]:
        workload = self.workload
        if workload is None:
            return
        yield _gauge(
            "outbox_backlog",
            "Customer-service sends waiting: on the outbox stream or for a retry",
            workload.outbox_backlog,
        )
        yield _gauge("ticket_queue_length", "Tickets waiting for an agent", workload.queue_length)
        yield _gauge(
            "ticket_longest_wait_seconds",
            "How long the longest-waiting queued ticket has waited",
            workload.longest_wait,
        )
        today = GaugeMetricFamily(
            f"{NAMESPACE}_tickets_today",
            "Tickets opened today (the centre's day), by reason",
            labels=["reason"],
        )
        for reason in sorted(set(Reason) | set(workload.tickets_today)):
            today.add_metric([str(reason)], workload.tickets_today.get(str(reason), 0))
        yield today


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{NAMESPACE}_{name}", documentation, value=value)


class Metrics:
    """The gateway's metrics; components are given this object and report through its methods."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._workload = WorkloadCollector()
        self.registry.register(self._workload)
        self._pushes = self._counter(
            "wechat_pushes", "WeChat pushes received at POST /wechat, by MsgType", "type"
        )
        self._rejected = self._counter(
            "wechat_rejected",
            "POST /wechat refused: 403 not from WeChat, 400 malformed, 413 too large",
            "status",
        )
        self._reply_seconds = self._histogram(
            "wechat_reply_seconds",
            "From a push's arrival to the gateway's reply; `passive` carried the answer, `success` did not "
            "(a held delivery waits past WeChat's 5 s on purpose, so that WeChat delivers again)",
            REPLY_BUCKETS,
            "reply",
        )
        self._deferred = self._counter(
            "replies_deferred",
            "Answers sent through the outbox after a `success` reply, by when the contract gave up on a "
            "passive reply (arrival: the inbox was behind; behind: it was when a delivery's budget ran out; "
            "last_delivery; sweep: WeChat stopped retrying)",
            "when",
        )
        self._answered_on_arrival = self._counter(
            "answered_on_arrival",
            "Menu buttons for published content answered from the content on arrival, without Rasa, because "
            "the inbox was too far behind for a passive answer (the contract's step 8)",
        )
        self._dedupe_hits = self._counter(
            "dedupe_hits", "Deliveries of a message already seen (WeChat's retries)"
        )
        self._throttled = self._counter(
            "throttled", "Deliveries answered with a request to slow down (one citizen over FLOOD_PER_MINUTE)"
        )
        self._rasa_seconds = self._histogram(
            "rasa_request_seconds", "Calls to Rasa's HTTP API, answered or not", RASA_BUCKETS, "call"
        )
        self._rasa_errors = self._counter(
            "rasa_errors", "Calls to Rasa that failed, by kind", "call", "error"
        )
        self._outbox_sent = self._counter("outbox_sent", "Customer-service sends WeChat accepted")
        self._outbox_failed = self._counter(
            "outbox_failures", "Customer-service sends given up: quota_*, WeChat's errcode, gave_up", "reason"
        )
        self._outbox_retried = self._counter(
            "outbox_retries",
            "Customer-service sends put back for a retry: WeChat's errcode, unreachable",
            "reason",
        )
        # Series that exist from the start read 0 rather than missing, so rates work from the first push.
        for push_type in (*PUSH_TYPES, OTHER):
            self._pushes.labels(push_type)
        for reply in ("passive", "success"):
            self._reply_seconds.labels(reply)
        for when in DEFERRALS:
            self._deferred.labels(when)
        for call in RASA_CALLS:
            self._rasa_seconds.labels(call)
            for error in RASA_ERRORS:
                self._rasa_errors.labels(call, error)

    def _counter(self, name: str, documentation: str, *labels: str) -> Counter:
        return Counter(name, documentation, labels, namespace=NAMESPACE, registry=self.registry)

    def _histogram(
        self, name: str, documentation: str, buckets: tuple[float, ...], *labels: str
    ) -> Histogram:
        return Histogram(
            name, documentation, labels, namespace=NAMESPACE, registry=self.registry, buckets=buckets
        )

    def push_received(self, msg_type: str) -> None:
        self._pushes.labels(msg_type if msg_type in PUSH_TYPES else OTHER).inc()

    def push_rejected(self, status: int) -> None:
        self._rejected.labels(str(status)).inc()

    def replied(self, seconds: float, passive: bool) -> None:
        self._reply_seconds.labels("passive" if passive else "success").observe(seconds)

    def deferred(self, when: str) -> None:
        self._deferred.labels(when).inc()

    def answered_on_arrival(self) -> None:
        self._answered_on_arrival.inc()

    def dedupe_hit(self) -> None:
        self._dedupe_hits.inc()

    def throttled(self) -> None:
        self._throttled.inc()

    def rasa_called(self, call: str, seconds: float) -> None:
        self._rasa_seconds.labels(call).observe(seconds)

    def rasa_failed(self, call: str, error: str) -> None:
        self._rasa_errors.labels(call, error).inc()

    def outbox_sent(self) -> None:
        self._outbox_sent.inc()

    def outbox_failed(self, reason: str) -> None:
        self._outbox_failed.labels(reason).inc()

    def outbox_retried(self, reason: str) -> None:
        self._outbox_retried.labels(reason).inc()

    def show_workload(self, workload: Workload | None) -> None:
        """The workload the next render shows (None: Redis could not be read; the gauges are left out)."""
        self._workload.workload = workload

    def render(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)
