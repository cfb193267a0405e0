"""A TCP proxy in front of PostgreSQL that can hang, cut or refuse connections on demand.

Lets tests simulate what cannot be done to the shared test server itself: a hung network
(packets stop, TCP stays open), a server that dies (every connection reset) and a server that
is down for a while (connection refused), then comes back on the same address.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``upstream``; runs on the current event loop."""

    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5432) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._server: asyncio.AbstractServer | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.accepted = 0

    @property
    def url_host_port(self) -> str:
        """``127.0.0.1:<port>`` for database URLs."""
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen (on a fixed port after the first start, so URLs stay valid)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._handle, sock=sock)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.add(writer)
        try:
            await self._flowing.wait()
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except (OSError, asyncio.CancelledError):
            self._abort(writer)
            return
        self._writers.add(up_writer)
        a = asyncio.ensure_future(self._pump(reader, up_writer))
        b = asyncio.ensure_future(self._pump(up_reader, writer))
        for t in (a, b):
            self._tasks.add(t)
            t.add_done_callback(self._tasks.discard)
        with contextlib.suppress(Exception):
            await asyncio.gather(a, b)
        for w in (writer, up_writer):
            self._abort(w)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(65536)
                # A hung network: nothing passes, nothing is closed.
                await self._flowing.wait()
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (OSError, ConnectionError):
            pass
        finally:
            self._abort(writer)

    def _abort(self, writer: asyncio.StreamWriter) -> None:
        self._writers.discard(writer)
        with contextlib.suppress(Exception):
            writer.transport.abort()

    def hang(self) -> None:
        """Stop passing data in both directions; connections stay open (a hung network)."""
        self._flowing.clear()

    def resume(self) -> None:
        """Let data pass again."""
        self._flowing.set()

    def cut(self) -> None:
        """Reset every open connection (the server died)."""
        for w in list(self._writers):
            self._abort(w)
        for t in list(self._tasks):
            t.cancel()

    async def go_down(self) -> None:
        """Reset all connections and refuse new ones (server down)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self.cut()
        self._flowing.set()

    async def come_back(self) -> None:
        """Accept connections again on the same port."""
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        """Shut the proxy down."""
        await self.go_down()
        for t in list(self._tasks):
            with contextlib.suppress(BaseException):
                await t
