"""The capacity chart: passive-answer latency and acknowledgement against offered load, for each system."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot(result: dict[str, Any], target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (latency, acked) = plt.subplots(1, 2, figsize=(13, 5))
    series = [
        (
            "front door (real model)",
            sorted(
                (result.get("frontdoor_steps") or []) + (result.get("burst_steps") or []),
                key=lambda s: s["offered_per_s"],
            ),
            "acked_within_5s_pct",
            "p99_ms",
        ),
        ("gateway, instant Rasa", result.get("gateway_only_steps") or [], "acked_within_5s_pct", "p99_ms"),
        ("rasa init, REST", result.get("rasa_init_steps") or [], None, "p99_ms"),
    ]
    for label, steps, acked_key, p99_key in series:
        if not steps:
            continue
        rates = [s["offered_per_s"] for s in steps]
        latency.plot(rates, [s[p99_key] for s in steps], marker="o", label=f"{label}: p99")
        latency.plot(rates, [s["p50_ms"] for s in steps], marker=".", linestyle="--", label=f"{label}: p50")
        if acked_key:
            acked.plot(
                rates, [s[acked_key] for s in steps], marker="o", label=f"{label}: acknowledged in time"
            )
            acked.plot(rates, [100 * s["passive"] / max(1, s["pushes"]) for s in steps], marker=".",
                       linestyle="--", label=f"{label}: answered passively")  # fmt: skip
        else:
            acked.plot(rates, [100 * (1 - s["failed"] / max(1, s["messages"])) for s in steps], marker="o",
                       label=f"{label}: answered within 5 s")  # fmt: skip
    latency.axhline(1000, color="grey", linewidth=0.8)
    latency.set(xscale="log", yscale="log", xlabel="offered messages per second", ylabel="ms",
                title="Latency of answers")  # fmt: skip
    acked.set(xscale="log", ylim=(0, 105), xlabel="offered messages per second", ylabel="% of pushes",
              title="Acknowledged within WeChat's 5 s")  # fmt: skip
    for axes in (latency, acked):
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=7)
    figure.suptitle(f"Capacity on {result['machine']['cpus']} cores: {result['machine']['cpu']}")
    figure.tight_layout()
    figure.savefig(target, dpi=90)
    plt.close(figure)
