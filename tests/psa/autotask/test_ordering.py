"""The sort strategy (``psa.autotask.ordering``) over an in-memory "Autotask": counts and ascending pages only.

Each case compares a page with a plain sort of the same records; the fake counts every call, so the bound
on calls is asserted too.
"""

from __future__ import annotations

import random

import pytest

from psa.autotask import ordering
from psa.autotask.ordering import Bucket, SliceStats, find_cut, newest_slice, window


class FakeAutotask:
    """Records with an ``id``; understands the filters ordering adds (``id lte``/``id gt``)."""

    def __init__(self, ids):
        self.ids = sorted(ids)
        self.counts = 0
        self.fetches = 0

    def _match(self, filters):
        ids = self.ids
        for f in filters:
            if f.get("field") == "id" and f["op"] == "lte":
                ids = [i for i in ids if i <= f["value"]]
            elif f.get("field") == "id" and f["op"] == "gt":
                ids = [i for i in ids if i > f["value"]]
        return ids

    def count(self, filters):
        self.counts += 1
        return len(self._match(filters))

    def fetch(self, filters, limit):
        self.fetches += 1
        return [{"id": i} for i in self._match(filters)[:limit]]


def newest(ids, a, b):
    return sorted(ids, reverse=True)[a:b]


def test_window_splits_a_page_across_buckets_in_urgency_order():
    buckets = [Bucket([], count=3, sort=1), Bucket([], count=0, sort=2), Bucket([], count=10, sort=3)]
    assert [(b.sort, a, z) for b, a, z in window(buckets, offset=2, limit=5)] == [(1, 2, 3), (3, 0, 4)]
    assert window(buckets, offset=13, limit=5) == []


def test_a_small_bucket_is_read_in_one_page_without_counting():
    fake = FakeAutotask(range(1000, 1300))
    rows = newest_slice(Bucket([], count=300), 0, 25, count=fake.count, fetch=fake.fetch)
    assert [r["id"] for r in rows] == newest(fake.ids, 0, 25)
    assert (fake.counts, fake.fetches) == (0, 1)


@pytest.mark.parametrize("seed", range(12))
def test_any_slice_of_a_large_bucket_is_exact_and_bounded(seed):
    rng = random.Random(seed)
    # open tickets cluster at recent ids: a sparse old tail, a dense new head, gaps of any size
    ids = set(rng.sample(range(10_000, 400_000), 800)) | set(rng.sample(range(3_000_000, 3_020_000), 4_000))
    fake = FakeAutotask(ids)
    n = len(fake.ids)
    for a in (0, 25, 1000, n // 2, n - 600, n - 25):
        b = min(n, a + rng.choice([1, 25, 100]))
        fake.counts = fake.fetches = 0
        stats = SliceStats()
        hint = rng.choice([None, max(ids), max(ids) - 5_000, 50_000])
        rows = newest_slice(Bucket([], count=n), a, b, count=fake.count, fetch=fake.fetch, hint=hint, stats=stats)
        assert [r["id"] for r in rows] == newest(fake.ids, a, b)
        assert fake.counts <= ordering.MAX_PROBES and fake.fetches == 1


def test_a_page_wider_than_500_is_read_across_pages_and_stays_exact():
    fake = FakeAutotask(range(1, 5001))
    rows = newest_slice(Bucket([], count=5000), 100, 1100, count=fake.count, fetch=fake.fetch, hint=5000)
    assert [r["id"] for r in rows] == newest(fake.ids, 100, 1100)


def test_when_the_probes_run_out_the_slice_is_read_forward_and_is_still_exact(monkeypatch):
    monkeypatch.setattr(ordering, "MAX_PROBES", 2)
    fake = FakeAutotask(range(1, 3001))
    stats = SliceStats()
    rows = newest_slice(Bucket([], count=3000), 10, 35, count=fake.count, fetch=fake.fetch, hint=10**9, stats=stats)
    assert [r["id"] for r in rows] == newest(fake.ids, 10, 35)
    assert stats.fell_back and stats.probes == 2


def test_find_cut_needs_no_probe_when_nothing_may_lie_below():
    fake = FakeAutotask(range(1, 10))
    assert find_cut([], 0, 5, count=fake.count) == (0, 0) and fake.counts == 0
