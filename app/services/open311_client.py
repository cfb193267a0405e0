"""HTTP client of an Open311 GeoReport v2 platform: list requests, fetch photos, post status.

GeoReport v2 defines ``GET {base}/requests.json`` (or ``.xml``) with ``start_date`` (by the
time a request was made); ``updated_after`` (requests changed since) is a server extension.
The client sends the one that fits, and a platform that ignores it answers its default list
(the intake compares what it already has, so an ignored filter costs traffic, never a
duplicate). GeoReport v2 has no standard way to change a request's status either: many
platforms (and this client) take the common extension ``POST {base}/requests/{id}.json`` with
the form fields ``status`` and ``status_notes``; the path is the setting
``open311.status_path``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult, urlsplit

import httpx

from app.domain.open311 import ServiceRequest, error_text, parse_requests
from app.platform.errors import KodError
from app.platform.i18n import tr
from app.platform.images import MAX_PHOTO_BYTES

log = logging.getLogger(__name__)

#: Most bytes of one ``requests.json`` answer.
MAX_LIST_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
TIMEOUT_S = 20.0
#: Most bytes of an error answer read for its message.
MAX_ERROR_BYTES = 64 * 1024


class Open311Error(KodError):
    """The platform could not be reached or answered with an error (German message)."""


@dataclass(frozen=True)
class Open311Config:
    """Where the platform is and how to talk to it."""

    base_url: str
    api_key: str = ""
    jurisdiction_id: str = ""
    status_path: str = "requests/{id}.json"
    answer_format: str = "json"

    def url(self, path: str) -> str:
        """``path`` below the base URL."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def request_url(self, request_id: str) -> str:
        """The platform's address of one request (GeoReport v2 ``GET requests/{id}.json``)."""
        return self.url(f"requests/{request_id}.{self.answer_format}")


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


async def _head(response: httpx.Response, limit: int) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            return b""
    return bytes(body)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class Open311Client:
    """Talks to one platform; every failure becomes :class:`Open311Error`."""

    def __init__(self, config: Open311Config, transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        self._http = httpx.AsyncClient(
            timeout=TIMEOUT_S, transport=transport, follow_redirects=False
        )

    async def close(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    def _params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.config.jurisdiction_id:
            params["jurisdiction_id"] = self.config.jurisdiction_id
        if self.config.api_key:
            params["api_key"] = self.config.api_key
        return params

    async def _read(
        self, method: str, url: str, limit: int, **kwargs: Any
    ) -> tuple[httpx.Headers, bytes]:
        try:
            async with self._http.stream(method, url, **kwargs) as response:
                if response.status_code >= 400:
                    # GeoReport v2 explains an error in an errors array: show its text.
                    detail = error_text(await _head(response, MAX_ERROR_BYTES))
                    raise Open311Error(
                        tr(
                            "open311",
                            "The Open311 platform answered %1 (%2).",
                            response.status_code,
                            url,
                        )
                        + (" " + detail if detail else "")
                    )
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise Open311Error(tr("open311", "The answer of %1 is too large.", url))
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise Open311Error(tr("open311", "The answer of %1 is too large.", url))
                return response.headers, bytes(body)
        except httpx.HTTPError as exc:
            raise Open311Error(
                tr("open311", "The Open311 platform cannot be reached: %1", str(exc) or url)
            ) from exc

    async def requests(
        self, updated_after: datetime | None, start_date: datetime | None = None
    ) -> tuple[list[ServiceRequest], list[str]]:
        """Requests changed after ``updated_after`` and the reasons of entries left out."""
        params = self._params()
        if updated_after is not None:
            params["updated_after"] = _iso(updated_after)
        if start_date is not None:
            params["start_date"] = _iso(start_date)
        path = f"requests.{self.config.answer_format}"
        _headers, body = await self._read(
            "GET", self.config.url(path), MAX_LIST_BYTES, params=params
        )
        try:
            return parse_requests(body)
        except ValueError as exc:
            raise Open311Error(str(exc)) from exc

    async def photo(self, url: str) -> bytes:
        """The bytes of a request's photo (size and content type checked).

        The address comes from the platform's answer: it is fetched only from the platform
        itself (its scheme, host and port) or from a host whose every address is public, never
        from this machine or the internal network (a hostile answer would make the intake ask
        services there)."""
        await self._check_photo_address(url)
        headers, body = await self._read("GET", url, MAX_PHOTO_BYTES)
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in PHOTO_TYPES:
            raise Open311Error(tr("open311", "%1 is not a photo (%2).", url, kind or "?"))
        return body

    async def _check_photo_address(self, url: str) -> None:
        try:
            parts, base = urlsplit(url), urlsplit(self.config.base_url)
            port, base_port = _port(parts), _port(base)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(url)
        except ValueError:
            raise Open311Error(tr("open311", "%1 is not a web address.", url)) from None
        if (parts.scheme, parts.hostname, port) == (base.scheme, base.hostname, base_port):
            return
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                parts.hostname, port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as exc:
            raise Open311Error(
                tr("open311", "The Open311 platform cannot be reached: %1", str(exc) or url)
            ) from exc
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found}
        if not addresses or not all(a.is_global for a in addresses):
            raise Open311Error(
                tr(
                    "open311",
                    "%1 points to an internal address: only photos on the platform itself or "
                    "on public addresses are fetched.",
                    url,
                )
            )

    async def post_status(self, request_id: str, status: str, note: str) -> None:
        """Report ``status`` (``open``/``closed``) of a request back to the platform."""
        form = {**self._params(), "status": status, "status_notes": note}
        path = self.config.status_path.replace("{id}", request_id)
        await self._read("POST", self.config.url(path), MAX_LIST_BYTES, data=form)
