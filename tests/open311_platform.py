"""A local stand-in for a city's Open311 platform, replaying the answers in tests/open311/.

A small HTTP server in a thread serves those files (``{base}`` replaced by its address),
photos made with Pillow, answers 500 or non-JSON when told, and records every status update
posted to it.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image

DATA = Path(__file__).parent / "open311"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


class Platform:
    """The citizens' platform: what it answers and what it was sent."""

    def __init__(self) -> None:
        self.lists: list[tuple[int, bytes]] = []  # answers to come; the last one repeats
        self.list_queries: list[dict[str, list[str]]] = []
        self.posts: list[tuple[str, dict[str, list[str]]]] = []
        self.post_failures = 0
        self.base = ""
        self.gets: list[str] = []  # every path asked for

    def serve_file(self, name: str, status: int = 200) -> None:
        text = (DATA / name).read_text(encoding="utf-8").replace("{base}", self.base)
        self.lists.append((status, text.encode()))

    def serve_only(self, name: str) -> None:
        """From now on answer ``name`` (instead of the answers queued so far)."""
        self.lists[:] = []
        self.serve_file(name)

    def answer(self, handler: BaseHTTPRequestHandler) -> tuple[int, str, bytes]:
        url = urlsplit(handler.path)
        self.gets.append(url.path)
        if url.path in ("/georeport/v2/requests.json", "/georeport/v2/requests.xml"):
            self.list_queries.append(parse_qs(url.query))
            status, body = self.lists[0] if len(self.lists) == 1 else self.lists.pop(0)
            kind = "text/xml" if body.lstrip().startswith(b"<") else "application/json"
            return status, kind + "; charset=utf-8", body
        if url.path == "/georeport/v2/media/not-a-photo.jpg":
            return 200, "application/pdf", b"%PDF-1.4 kein Foto"
        if url.path.startswith("/georeport/v2/media/"):
            return 200, "image/jpeg", _jpeg()
        return 404, "text/plain", b"not found"

    def posted(self, handler: BaseHTTPRequestHandler) -> tuple[int, str, bytes]:
        length = int(handler.headers.get("content-length") or 0)
        form = parse_qs(handler.rfile.read(length).decode())
        if self.post_failures > 0:
            self.post_failures -= 1
            return 500, "text/plain", b"Interner Fehler"
        self.posts.append((urlsplit(handler.path).path, form))
        return 200, "application/json", b'[{"service_request_id": "x"}]'


@contextlib.contextmanager
def running_platform() -> Iterator[Platform]:
    """The platform, serving on a free local port until the block ends."""
    state = Platform()

    class Handler(BaseHTTPRequestHandler):
        def _send(self, reply: tuple[int, str, bytes]) -> None:
            status, kind, body = reply
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._send(state.answer(self))

        def do_POST(self) -> None:
            self._send(state.posted(self))

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}/georeport/v2"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
