"""Hand back to the system the heap a rush freed.

In a burst the gateway holds thousands of pushes at once (their connections, requests, parsed messages and
Redis replies). Once they are answered the objects are freed, but glibc's malloc keeps the pages it got for
them, so the process stayed at its peak size. `malloc_trim(0)` gives back every whole free page. Measured
after a 10x burst (700 pushes/s for 30 s), a trim took the gateway from 176 to 155 MB. The rest is Python's
own small-object arenas, each held by a few live objects (`sys._debugmallocstats`: 100 arenas of 1 MB, 33 MB
in use): only a restart, or the system allocator for every object (PYTHONMALLOC=malloc: 105 MB after the
trim, for 8 % more CPU a push), gives those back.

The resident size cannot tell when to trim: it stays at the peak whether the rush is still in flight or over.
Python's count of allocated blocks (`sys.getallocatedblocks`, its small objects) can: a trim is asked for when
that count has fallen by `FALL` from its peak since the last trim (the rush's objects freed) and the process
has grown by `GROWTH_MB` since the size the last trim left (or its smallest before any). So a rush costs a
trim or two (one more if its blocks dip by a fifth while it lasts), and a steady process none. A trim walks
the heap, so it runs in a worker thread, off the event loop. Under PYTHONMALLOC=malloc the count is always 0
and the trimmer stands aside.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

CHECK_SECONDS = 30.0
GROWTH_MB = 16.0
FALL = 0.2  # share of the allocated blocks at their peak that must have been freed


def malloc_trim() -> Callable[[], object] | None:
    """glibc's malloc_trim(0), or None where the C library has none (musl, macOS): nothing to trim there.
    Looked up in the process itself (no `ldconfig` run, which slim images lack)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


def resident_mb() -> float | None:
    """This process's resident memory, from /proc (None where there is no /proc)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class HeapTrimmer:
    def __init__(
        self,
        trim: Callable[[], object] | None,
        resident: Callable[[], float | None],
        allocated_blocks: Callable[[], int],
        growth_mb: float = GROWTH_MB,
    ) -> None:
        self._trim = trim
        self._resident = resident
        self._blocks = allocated_blocks
        self._growth_mb = growth_mb
        self._baseline = resident()  # the size the last trim left, or the smallest before any
        self._peak = allocated_blocks()  # blocks at their most since the last trim

    @classmethod
    def for_this_process(cls) -> HeapTrimmer:
        return cls(malloc_trim(), resident_mb, sys.getallocatedblocks)

    @property
    def available(self) -> bool:
        # no count of blocks (PYTHONMALLOC=malloc): no telling a rush's end, so no trimming
        return self._trim is not None and self._baseline is not None and self._peak > 0

    def check(self) -> float:
        """Trim if a rush's objects have been freed; returns the MB handed back (0 when none was due)."""
        now, blocks = self._resident(), self._blocks()
        if self._trim is None or self._baseline is None or self._peak == 0 or now is None:
            return 0.0  # not available (see above), or /proc unreadable this once
        self._baseline = min(self._baseline, now)
        self._peak = max(self._peak, blocks)
        if now - self._baseline < self._growth_mb or blocks > (1 - FALL) * self._peak:
            return 0.0
        self._trim()
        self._peak = blocks
        after = self._resident() or now
        self._baseline = after
        return max(0.0, now - after)

    async def run(self, every: float = CHECK_SECONDS) -> None:
        if not self.available:
            log.info("no malloc_trim, /proc or block count here: freed heap is not handed back after rushes")
            return
        while True:
            await asyncio.sleep(every)
            freed = await asyncio.to_thread(self.check)
            if freed >= 1.0:
                log.info("handed %.0f MB of freed heap back to the system", freed)
