"""The gateway hands back to the system the heap a rush freed (bot/workers/memory.py)."""

from __future__ import annotations

import gc

import pytest

from bot.workers.memory import HeapTrimmer, malloc_trim, resident_mb


class FakeProcess:
    """A resident size and a count of live objects that change as the test says; a trim gives back what
    malloc holds."""

    def __init__(self, mb: float, objects: int) -> None:
        self.mb = mb
        self.objects = objects
        self.held = 0.0  # freed but kept by malloc: what a trim gives back
        self.trims = 0

    def resident(self) -> float:
        return self.mb

    def live(self) -> int:
        return self.objects

    def trim(self) -> None:
        self.trims += 1
        self.mb -= self.held
        self.held = 0.0

    def trimmer(self) -> HeapTrimmer:
        return HeapTrimmer(trim=self.trim, resident=self.resident, live_objects=self.live, growth_mb=16.0)


def test_a_steady_process_is_never_trimmed() -> None:
    process = FakeProcess(70.0, 500_000)
    trimmer = process.trimmer()
    for step in range(10):
        process.mb += 1.0  # slow growth, objects coming and going
        process.objects = 500_000 + (step % 3) * 20_000
        assert trimmer.check() == 0.0
    assert process.trims == 0


def test_a_rush_in_flight_is_not_trimmed_and_what_it_freed_is_handed_back_after_it() -> None:
    process = FakeProcess(70.0, 500_000)
    trimmer = process.trimmer()
    process.mb, process.objects = 170.0, 2_000_000  # the rush: all of it in use
    assert trimmer.check() == 0.0
    assert trimmer.check() == 0.0
    assert process.trims == 0
    # the rush over: its objects freed, their pages kept by malloc, the resident size unchanged
    process.objects, process.held = 600_000, 20.0
    assert trimmer.check() == pytest.approx(20.0)
    assert process.mb == pytest.approx(150.0)
    assert trimmer.check() == 0.0  # once: nothing freed since
    assert process.trims == 1


def test_a_small_process_is_not_trimmed_however_many_objects_it_freed() -> None:
    process = FakeProcess(70.0, 2_000_000)
    trimmer = process.trimmer()
    process.mb, process.objects = 80.0, 400_000
    assert trimmer.check() == 0.0
    assert process.trims == 0


def test_without_malloc_trim_or_proc_the_trimmer_stands_aside() -> None:
    no_trim = HeapTrimmer(trim=None, resident=lambda: 100.0, live_objects=lambda: 1)
    assert not no_trim.available
    assert no_trim.check() == 0.0
    no_proc = HeapTrimmer(trim=lambda: None, resident=lambda: None, live_objects=lambda: 1)
    assert not no_proc.available
    assert no_proc.check() == 0.0


@pytest.mark.skipif(malloc_trim() is None or resident_mb() is None, reason="needs glibc and /proc")
def test_malloc_trim_gives_back_what_freed_objects_left_in_the_heap() -> None:
    """The premise, on this process: blocks freed in the middle of the heap stay resident until trimmed."""
    gc.collect()
    blocks = [bytes(2048) for _ in range(60_000)]  # ~120 MB from malloc (over pymalloc's 512-byte limit)
    survivors = blocks[::50]  # pin the heap's top, so malloc cannot shrink it by itself
    del blocks
    gc.collect()
    held = resident_mb()
    trimmer = HeapTrimmer.for_this_process()
    trim = malloc_trim()
    assert trimmer.available and trim is not None and held is not None
    trim()
    after = resident_mb()
    assert after is not None
    assert held - after > 50.0, f"{held:.0f} MB before the trim, {after:.0f} MB after"
    assert len(survivors) == 1200
