"""mjrelay: an HTTP bridge to the Midjourney and Pika bots on Discord."""

from __future__ import annotations

__version__ = "0.1.0"
