"""Scenario `e2e`: submit → SUCCESS against the sandbox, at 1, 2 and 4 worker processes."""
