"""Autotask PSA (Datto/Kaseya) REST API 1.0: wire details of the Autotask provider.

``schema`` (the vendor Swagger subset, one copy), ``query`` (filter JSON), ``client`` (zone discovery,
auth headers, timeouts, retries, the thread limit, error mapping, call counting), ``ordering`` (most
urgent first, then newest, without a server-side sort) and ``mapping`` (Autotask JSON -> DTOs).

Kept free of imports here: the Autotask sandbox reads ``psa.autotask.schema`` without Django.
"""
