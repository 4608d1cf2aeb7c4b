"""Scenario `callbacks`: state change → received by a loopback receiver, NOTIFY and poll-only."""
