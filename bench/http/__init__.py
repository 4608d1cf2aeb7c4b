"""Scenario `http`: fetch and submit req/s of the web process vs bare Starlette endpoints."""
