"""The SSRF-safe HTTP transport for callbacks: resolve once, check, dial exactly what was checked.

httpx and httpcore stay in charge of HTTP and TLS; only the network backend is ours. Its
`connect_tcp(host, port)` resolves `host` a single time, checks every answer (`ssrf.py`), and dials
the checked address itself, so the `Host` header and TLS SNI/certificate check still use the
host name while no second DNS lookup can swap in another address (DNS rebinding). Connections are
never kept alive: a pooled connection opened for one host name must not carry a request for another
name that happens to share its address. Redirects are not followed (the client is built with
`follow_redirects=False`), and environment proxies are ignored (`trust_env=False`), since a proxy
would do its own lookup.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import socket
import ssl
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator

import certifi
import httpcore
import httpx

from app.callbacks.ssrf import Allowlist, IPAddress, check_destination, connect_form

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""host, port -> the addresses it resolves to (as text)."""

# httpcore reads 64 KB per socket read; smaller reads keep what a huge response costs us close to
# the body limit we actually consume.
READ_CHUNK = 4096


class BlockedDestination(httpx.TransportError):
    """The SSRF guard refused to connect; the message says which address and why."""


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror or exc}") from None
    found: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        text = str(sockaddr[0])
        if text not in found:
            found.append(text)
    return found


class _SmallReads(httpcore.AsyncNetworkStream):
    """Caps each socket read at READ_CHUNK bytes."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._stream.read(min(max_bytes, READ_CHUNK), timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
    ) -> httpcore.AsyncNetworkStream:
        return _SmallReads(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """A network backend that only dials addresses the allowlist or the public internet allow."""

    def __init__(
        self,
        allowlist: Allowlist,
        *,
        resolver: Resolver = system_resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allowlist = allowlist
        self._resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def checked_addresses(self, host: str, port: int) -> list[IPAddress]:
        """Resolve `host` once; raise BlockedDestination unless every address may be dialled."""
        name = host.strip("[]")
        try:
            addresses: list[IPAddress] = [ipaddress.ip_address(name)]
        except ValueError:
            answers = await self._resolver(name, port)
            addresses = [ipaddress.ip_address(a) for a in answers]
        if not addresses:
            raise httpcore.ConnectError(f"{name} has no address")
        for address in addresses:
            reason = check_destination(name, address, self._allowlist)
            if reason is not None:
                raise BlockedDestination(f"refused to connect to {name}: {reason}")
        return [connect_form(address) for address in addresses]

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        last_error: Exception | None = None
        for address in await self.checked_addresses(host, port):
            try:
                stream = await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            return _SmallReads(stream)
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedDestination("callbacks never connect to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


_ERRORS: list[tuple[type[Exception], type[httpx.TransportError]]] = [
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProtocolError, httpx.ProtocolError),
]


@contextlib.contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except httpx.TransportError:
        raise
    except Exception as exc:
        for theirs, ours in _ERRORS:
            if isinstance(exc, theirs):
                raise ours(str(exc)) from exc
        raise


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: typing.AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped_errors():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        closer = getattr(self._stream, "aclose", None)
        if closer is not None:
            await closer()


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's one TLS client context. Building it loads certifi's CA bundle: ~10-30 ms of
    CPU on the event loop, which every result download and callback client paid (a third of the
    worker's samples in the e2e bench, delaying the gateway events queued behind it). Its
    settings never change after this, so every connection may share it."""
    return ssl.create_default_context(cafile=certifi.where())


class GuardedTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over a GuardedBackend, one fresh connection per request."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls_context(),
            max_keepalive_connections=0,
            network_backend=backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=typing.cast(typing.AsyncIterable[bytes], request.stream),
            extensions=request.extensions,
        )
        with _mapped_errors():
            response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(typing.cast(typing.AsyncIterable[bytes], response.stream)),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


def make_client(
    allowlist: Allowlist,
    *,
    resolver: Resolver = system_resolver,
    inner: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncClient:
    """The callback HTTP client: guarded transport, no redirects, no environment proxies."""
    backend = GuardedBackend(allowlist, resolver=resolver, inner=inner)
    return httpx.AsyncClient(
        transport=GuardedTransport(backend),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(None),  # the sender bounds each whole attempt instead
    )
