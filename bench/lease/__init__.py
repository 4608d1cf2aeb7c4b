"""Scenario `lease`: claim + complete throughput, mjrelay's gated lease vs ungated job queues."""
