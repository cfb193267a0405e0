"""Limits: request body size (before anything is read into memory) and requests per device."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.platform.i18n import tr
from fieldapi.errors import ApiError, error_body

#: Paths that take photos (multipart); every other request is small JSON.
UPLOAD_PATHS = ("/v1/reports", "/v1/offences")


class _TooLarge(ApiError):
    """Raised while a body without a declared length streams past its limit; the app's error
    handler answers it (413, JSON) like every other refusal."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, "too_large", _too_large_message(limit))


def _too_large_message(limit: int) -> str:
    return tr("field", "The request is too large (at most %1 MB).", round(limit / 2**20, 1))


class BodyLimit:
    """Refuse a body over its limit with 413, from ``Content-Length`` or while it streams."""

    def __init__(self, app: ASGIApp, max_upload: int, max_json: int) -> None:
        self.app, self.max_upload, self.max_json = app, max_upload, max_json

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload if scope["path"] in UPLOAD_PATHS else self.max_json
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = True
            if too_large:
                await _refuse(send, limit)
                return
        seen = 0
        exceeded = False
        answered = False

        async def counted() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise _TooLarge(limit)
            return message

        async def tracked(message: Message) -> None:
            # Whatever the app made of a body cut off at the limit (the framework answers a
            # failed body read with 400), the caller is told why: 413.
            nonlocal answered
            if not exceeded:
                await send(message)
                return
            if not answered:
                answered = True
                await _refuse(send, limit)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not answered:
                await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(error_body("too_large", _too_large_message(limit))).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """A token bucket per key (a device, or the address of a caller without a valid token)."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate, self.burst = rate_per_s, burst
        self._buckets: dict[object, _Bucket] = {}

    def retry_after(self, key: object) -> float:
        """0 if a request of ``key`` may pass now (and count it), else seconds to wait."""
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 100_000:  # forget idle callers rather than grow forever
                self._buckets.clear()
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate
