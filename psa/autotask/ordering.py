""""Most urgent first, then newest" on an API without a sort: bounded, and exact.

Autotask's ``query`` has no ``orderBy``: it returns records in ascending id order, at most 500 a page,
followed through an id-keyed ``nextPageUrl`` (API-NOTES 3.4). The queue wants priority urgency (the
priority picklist's ``sortOrder``, not its value), then the newest (highest id) first, page by page, with an
exact total. The strategy, in three steps:

1. **Buckets.** The matching tickets are split by priority: one bucket per ``sortOrder`` (values that share
   a sort order share a bucket), in urgency order, plus a last bucket for a priority the picklist does not
   list (never expected: ``priority`` is a required picklist field; the bucket keeps the total exact if it
   happens). One ``query/count`` per bucket gives every bucket's size, so the total and *which buckets a
   page touches* are known without reading a single ticket (:func:`window`).
2. **A slice of one bucket, newest first.** Ranks ``[a, b)`` counted from the newest are ascending positions
   ``[n-b, n-a)`` of the bucket. When those lie within the first 500 (``n-a <= 500``: a small bucket, or a
   page near the bucket's oldest end), one page of the bucket holds them. Otherwise a **cut** id ``X`` is
   searched with ``query/count`` on ``id <= X`` until between ``n-a-500`` and ``n-b`` tickets lie at or
   below it; then one page of ``id > X`` starts at most 500 positions before the slice and reaches its end
   (:func:`newest_slice`). The search interpolates on the id axis (ids grow with time, so counts below an id
   grow roughly linearly), falls back to halving when interpolation stalls, starts from the highest ticket
   id the provider has seen (``hint``), and is capped at :data:`MAX_PROBES` counts.
3. **Exact in every case.** The slack of up to 500 positions makes a cut easy to hit (about 2-4 counts).
   Should the cap be reached, the best lower cut is used and pages are followed from there: slower, never
   wrong.

Cost of one page: one count per bucket (4 with Autotask's default priorities, + 1 for the "other" bucket),
then per bucket the page touches one fetch (+ the cut's counts when the slice is not within the bucket's
first 500). Independent of how many tickets match. ``bench/autotask_sort.py`` measures it.

A search that matches at most 100 tickets skips all this: ``AutotaskProvider._few_ordered`` reads them in one
call and sorts them by the same key (a search it found to match more goes straight to the buckets next time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from psa.autotask.query import F, Filter

PAGE_MAX = 500
MAX_PROBES = 12
FIRST_GUESS = 1 << 16  # the first upper probe when no ticket id has been seen yet

Count = Callable[[list[Filter]], int]
Fetch = Callable[[list[Filter], int], list[dict]]  # ascending by id, following pages, at most n rows


@dataclass
class Bucket:
    filters: list[Filter]  # the search's filters plus this bucket's priority condition
    count: int = 0
    sort: int | None = None  # the priority sortOrder (None: the "other" bucket, last)


@dataclass
class SliceStats:
    """What one slice cost (for the benchmark and tests): count probes, fetch calls, rows read."""

    probes: int = 0
    fetches: int = 0
    rows_read: int = 0
    fell_back: bool = False
    cuts: list[int] = field(default_factory=list)


def window(buckets: list[Bucket], offset: int, limit: int) -> list[tuple[Bucket, int, int]]:
    """Which buckets the page ``[offset, offset+limit)`` touches, with the ranks ``[a, b)`` (0 = the
    bucket's newest) it needs from each, in bucket order."""
    out = []
    start = 0
    end = offset + limit
    for bucket in buckets:
        lo, hi = start, start + bucket.count
        a, b = max(offset, lo), min(end, hi)
        if a < b:
            out.append((bucket, a - lo, b - lo))
        start = hi
        if start >= end:
            break
    return out


def newest_slice(bucket: Bucket, a: int, b: int, *, count: Count, fetch: Fetch, hint: int | None = None,
                 stats: SliceStats | None = None) -> list[dict]:
    """The bucket's tickets of ranks ``[a, b)`` counted from the newest (highest id), newest first."""
    stats = stats if stats is not None else SliceStats()
    n = bucket.count
    b = min(b, n)
    if a >= b:
        return []
    s, e = n - b, n - a  # ascending positions [s, e)
    if e <= PAGE_MAX:
        rows = fetch(bucket.filters, e)
        stats.fetches += 1
        stats.rows_read += len(rows)
        return list(reversed(rows[s:e]))
    k = e - s
    slack = PAGE_MAX - k if k < PAGE_MAX else PAGE_MAX // 2
    cut, below = find_cut(bucket.filters, max(0, s - slack), s, count=count, hint=hint, stats=stats)
    rows = fetch([*bucket.filters, F.gt("id", cut)], e - below)  # positions [below, e)
    stats.fetches += 1
    stats.rows_read += len(rows)
    return list(reversed(rows[s - below:e - below]))


def find_cut(filters: list[Filter], low: int, high: int, *, count: Count, hint: int | None = None,
             stats: SliceStats | None = None) -> tuple[int, int]:
    """An id ``X`` with ``low <= count(filters and id <= X) <= high``, and that count.

    Ids are positive, so ``X = 0`` has 0 below it. With ``MAX_PROBES`` spent, the best ``X`` with fewer
    than ``low`` below it (the caller then reads forward from there)."""
    stats = stats if stats is not None else SliceStats()

    def below(x: int) -> int:
        stats.probes += 1
        stats.cuts.append(x)
        return count([*filters, F.lte("id", x)])

    if low <= 0:
        return 0, 0
    lo, r_lo = 0, 0  # r_lo < low
    hi, r_hi = None, None  # r_hi > high
    x = hint if hint and hint > 0 else FIRST_GUESS
    while stats.probes < MAX_PROBES:  # find an upper bound, growing fourfold
        r = below(x)
        if low <= r <= high:
            return x, r
        if r < low:
            lo, r_lo = x, r
            x *= 4
            if x > 1 << 62:
                break
        else:
            hi, r_hi = x, r
            break
    stalled = 0
    last_side = None
    while hi is not None and stats.probes < MAX_PROBES and hi - lo > 1:
        target = (low + high) / 2
        span = hi - lo
        if stalled >= 2:
            x = lo + span // 2
        else:
            x = lo + round((target - r_lo) * span / (r_hi - r_lo))
            margin = max(1, span // 16)  # every step shrinks the interval by at least 1/16
            x = min(max(x, lo + margin), hi - margin)
        r = below(x)
        if low <= r <= high:
            return x, r
        side = "lo" if r < low else "hi"
        stalled = stalled + 1 if side == last_side else 0
        last_side = side
        if r < low:
            lo, r_lo = x, r
        else:
            hi, r_hi = x, r
    stats.fell_back = True
    return lo, r_lo
