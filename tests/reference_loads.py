"""Waiting for the reference-data loads a request started in the background (``psa.reference``)."""

from __future__ import annotations


def settle_reference_loads() -> None:
    """Wait for the reference-data loads still running in this process (psa.reference starts them in the
    fan-out pool; a request may render without waiting for a part it did not need). Otherwise such a load
    can finish after the test cleared the cache and the log, and the next request awaits it instead of
    calling: a race, not a call-count difference."""
    from psa import reference

    for future in list(reference._loading.values()):
        try:
            future.result(timeout=60)
        except Exception:  # noqa: BLE001, S110 - only its end matters here
            pass
