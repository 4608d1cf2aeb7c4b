"""A local Discord (gateway + REST + CDN on one port) with simulated Midjourney and Pika bots.

    async with start_sandbox(port=0, accounts=2, speed="instant") as sb:
        sb.base_url, sb.gateway_url, sb.accounts, sb.submissions
        await sb.inject_fault("drop_final", account=0)

Shares no code with `app.discord` on purpose: both are written from the protocol spec.
"""

from __future__ import annotations

from app.sandbox.accounts import SandboxAccount
from app.sandbox.faults import FaultError
from app.sandbox.server import Sandbox, create_app, start_sandbox
from app.sandbox.speed import SPEEDS
from app.sandbox.store import Submission, Submissions

__all__ = [
    "SPEEDS",
    "FaultError",
    "Sandbox",
    "SandboxAccount",
    "Submission",
    "Submissions",
    "create_app",
    "start_sandbox",
]
