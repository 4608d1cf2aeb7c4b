"""The web process: Starlette app, routing, auth, errors. Never talks to Discord."""
