"""The worker process: account ownership, leasing, task runners, recovery, callback dispatch."""
