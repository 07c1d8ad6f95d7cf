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
        return HeapTrimmer(trim=self.trim, resident=self.resident, allocated_blocks=self.live, growth_mb=16.0)


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
    no_trim = HeapTrimmer(trim=None, resident=lambda: 100.0, allocated_blocks=lambda: 1)
    assert not no_trim.available
    assert no_trim.check() == 0.0
    no_proc = HeapTrimmer(trim=lambda: None, resident=lambda: None, allocated_blocks=lambda: 1)
    assert not no_proc.available
    assert no_proc.check() == 0.0
    # PYTHONMALLOC=malloc: no count of blocks, so no telling when a rush is over
    process = FakeProcess(70.0, 0)
    no_count = process.trimmer()
    process.mb = 170.0
    assert not no_count.available
    assert no_count.check() == 0.0 and process.trims == 0


def test_after_a_rush_the_size_it_left_is_the_new_baseline() -> None:
    """One rush, one trim: the size left after it stays above the start, and objects coming and going at
    that size (a fifth and more) trim nothing more."""
    process = FakeProcess(70.0, 500_000)
    trimmer = process.trimmer()
    process.mb, process.objects = 175.0, 2_000_000
    trimmer.check()
    process.objects, process.held = 600_000, 20.0
    trimmer.check()
    assert process.trims == 1 and process.mb == pytest.approx(155.0)
    for objects in (800_000, 600_000, 900_000, 550_000) * 3:
        process.objects = objects
        process.mb = 155.0 + (objects - 550_000) / 100_000
        assert trimmer.check() == 0.0
    assert process.trims == 1


@pytest.mark.skipif(malloc_trim() is None or resident_mb() is None, reason="needs glibc and /proc")
def test_malloc_trim_gives_back_what_freed_objects_left_in_the_heap() -> None:
    """The premise, on this process: blocks freed in the middle of the heap stay resident until trimmed."""
    gc.collect()
    blocks = [bytes(2048) for _ in range(60_000)]  # ~120 MB from malloc (over pymalloc's 512-byte limit)
    survivors = blocks[::50]  # pin the heap's top, so malloc cannot shrink it by itself
    del blocks
    gc.collect()
    held = resident_mb()
    trim = malloc_trim()
    assert trim is not None and held is not None
    trim()
    after = resident_mb()
    assert after is not None
    assert held - after > 50.0, f"{held:.0f} MB before the trim, {after:.0f} MB after"
    del survivors
