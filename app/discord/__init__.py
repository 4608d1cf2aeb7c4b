"""Discord client layer: sans-IO Midjourney/Pika protocol plus thin gateway and REST transports.

Import from the modules themselves; this package re-exports nothing, so importing a pure module
never loads a socket library.

Pure (no I/O): `events`, `parse` (with `embeds`, `content`, `bot_errors`, `payload`),
`custom_ids`, `commands` (with `command_index`), `nonces`, `correlation`, `gateway_protocol` (with
`gateway_wire`), `ratelimit`, `errors`, `properties`, `constants`.
Transports: `gateway` (websockets), `rest` (httpx: the endpoints, on `rest_transport`),
`session` (both: one account, the worker's door to Discord).
"""
