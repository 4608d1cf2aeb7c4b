"""Callback delivery: the outbox dispatcher, its retry policy, signatures and the SSRF guard.

    policy.py      pure: outcome classification, retry schedule with jitter, Retry-After
    ssrf.py        pure: which addresses may be dialled; the allowlist
    signing.py     Standard Webhooks headers (key rotation: one signature per secret)
    transport.py   httpx client whose network backend resolves once and dials what it checked
    sender.py      one attempt: headers, timeout, 16 KB response cap, outcome
    attempt.py     one claimed delivery: send, decide, record (with a fallback when that fails)
    dispatcher.py  NOTIFY (db.listen) + polling, SKIP LOCKED claims, bounded concurrency

See docs/callbacks.md.
"""

from __future__ import annotations
