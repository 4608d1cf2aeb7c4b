"""Discord client layer: sans-IO Midjourney/Pika protocol plus thin gateway and REST transports.

Import from the modules themselves; this package re-exports nothing, so importing a pure module
never loads a socket library.

Pure (no I/O): `events`, `parse`, `content`, `bot_errors`, `custom_ids`, `commands`,
`correlation`, `gateway_protocol`, `ratelimit`, `errors`, `properties`, `constants`.
Transports: `gateway` (websockets), `rest` (httpx), `session` (both: one account, the worker's
door to Discord).
"""
