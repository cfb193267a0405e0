"""The reference field web app (``/app/``): static files shipped in ``resources/web/field``.

The app runs in the officer's phone browser and talks to the API of the same origin; it can be
installed on the home screen (web app manifest) and opens in a dead spot (its service worker
caches the app shell). Its pages carry a strict Content-Security-Policy: scripts and styles
only from the app's own files, no inline script, no framing.
"""

from __future__ import annotations

import functools
import io

from fastapi import FastAPI, HTTPException
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from PIL import Image, ImageDraw, ImageFont
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


#: Sizes of the app's PNG icons: the home screen of Android (192, 512; the manifest) and of
#: iPhones (180, ``apple-touch-icon``), which take no SVG.
ICON_SIZES = (180, 192, 512)
_BLUE, _WHITE = (11, 61, 102), (242, 245, 248)


def _bezier(
    p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float],
    p3: tuple[float, float], steps: int = 16,
) -> list[tuple[float, float]]:  # fmt: skip
    points = []
    for i in range(1, steps + 1):
        t = i / steps
        u = 1 - t
        points.append(
            tuple(
                u**3 * a + 3 * u * u * t * b + 3 * u * t * t * c + t**3 * d
                for a, b, c, d in zip(p0, p1, p2, p3, strict=True)
            )
        )
    return points  # type: ignore[return-value]


@functools.lru_cache(maxsize=len(ICON_SIZES))
def icon_png(size: int) -> bytes:
    """The app's icon (the shield of icon.svg with "KOD") as a PNG of ``size`` pixels."""
    scale = 4  # drawn larger and scaled down: smooth edges
    k = size * scale / 512
    image = Image.new("RGB", (size * scale, size * scale), _BLUE)
    shield = [(256.0, 72.0), (408.0, 128.0), (408.0, 238.0)]
    shield += _bezier((408, 238), (408, 336), (344, 408), (256, 440))
    shield += _bezier((256, 440), (168, 408), (104, 336), (104, 238))
    shield += [(104.0, 128.0)]
    draw = ImageDraw.Draw(image)
    draw.polygon([(x * k, y * k) for x, y in shield], fill=_WHITE)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(
            "DejaVuSans-Bold.ttf", round(124 * k)
        )
    except OSError:  # no DejaVu (Windows): Pillow's own font
        font = ImageFont.load_default(round(124 * k))
    draw.text((256 * k, 318 * k), "KOD", font=font, fill=_BLUE, anchor="ms")
    out = io.BytesIO()
    image.resize((size, size), Image.Resampling.LANCZOS).save(out, "PNG", optimize=True)
    return out.getvalue()


def install(app: FastAPI) -> None:
    """Serve the web app under ``/app/``; ``/`` leads there."""

    @app.get(PREFIX + "/icon-{size}.png", include_in_schema=False)
    async def _icon(size: int) -> Response:
        if size not in ICON_SIZES:
            raise HTTPException(404)
        return Response(
            icon_png(size),
            media_type="image/png",
            headers={"Cache-Control": "max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    app.mount(PREFIX, _Hardened(app_files()), name="field-app")

    @app.get("/", include_in_schema=False)
    async def _root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)
