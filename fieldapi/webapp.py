"""The reference field web app (``/app/``): static files shipped in ``resources/web/field``.

The app runs in the officer's phone browser and talks to the API of the same origin; it can be
installed on the home screen (web app manifest) and opens in a dead spot (its service worker
caches the app shell). Its pages carry a strict Content-Security-Policy: scripts and styles
only from the app's own files, no inline script, no framing.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resources.paths import resource_path

PREFIX = "/app"
#: Only the app's own files; photos previewed from ``blob:``; calls and the live link to itself.
CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


def app_files() -> StaticFiles:
    """The app's static files (checked to exist when the API starts)."""
    return StaticFiles(directory=resource_path("web", "field"), html=True, check_dir=True)


class _Hardened:
    """Security headers on every answer of the app's files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                headers["Permissions-Policy"] = "geolocation=(self), camera=(self)"
                # Always asked again (cheap with the ETag): a new version reaches the phones.
                headers["Cache-Control"] = "no-cache"
            await send(message)

        await self.app(scope, receive, headed)


def install(app: FastAPI) -> None:
    """Serve the web app under ``/app/``; ``/`` leads there."""
    app.mount(PREFIX, _Hardened(app_files()), name="field-app")

    @app.get("/", include_in_schema=False)
    async def _root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)
