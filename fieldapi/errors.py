"""Clear JSON errors with German messages: ``{"error": {"code", "message", "field"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.platform.errors import (
    AuthenticationError,
    ConflictError,
    DatabaseUnavailable,
    KodError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.i18n import tr

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered with ``status`` and a German message."""

    def __init__(
        self, status: int, code: str, message: str, field: str | None = None, **headers: str
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The JSON body of every error answer."""
    return {"error": {"code": code, "message": message, "field": field}}


def _answer(exc: ApiError) -> JSONResponse:
    return JSONResponse(
        error_body(exc.code, exc.message, exc.field), exc.status, headers=exc.headers or None
    )


def from_kod_error(exc: KodError) -> ApiError:
    """The HTTP answer to an error of the services."""
    if isinstance(exc, AuthenticationError):
        return ApiError(401, "unauthorized", exc.message, **{"WWW-Authenticate": "Bearer"})
    if isinstance(exc, PermissionDenied):
        return ApiError(403, "forbidden", exc.message)
    if isinstance(exc, NotFound):
        return ApiError(404, "not_found", exc.message)
    if isinstance(exc, ConflictError):
        return ApiError(409, "conflict", exc.message)
    if isinstance(exc, ValidationError):
        return ApiError(422, "invalid", exc.message, exc.field)
    if isinstance(exc, DatabaseUnavailable):
        return ApiError(503, "unavailable", exc.message, **{"Retry-After": "5"})
    return ApiError(400, "refused", exc.message)


_STATUS_MESSAGES = {
    404: ("not_found", N_("field", "This address does not exist.")),
    405: ("method_not_allowed", N_("field", "This method is not allowed here.")),
    413: ("too_large", N_("field", "The request is too large.")),
}


async def _checked_again(request: Request) -> AuthenticationError | None:
    """The device's token checked against the database now (None: still valid)."""
    identity = getattr(request.state, "identity", None)
    token = getattr(request.state, "token", None)
    if identity is None or not isinstance(token, str):
        return None
    gateway = request.app.state.field.gateway
    gateway.cache.forget(device=identity.device_id)
    try:
        await gateway.authenticate(token)
    except AuthenticationError as refused:
        return refused
    except KodError:  # the database away now: the server's refusal is answered as it was
        return None
    return None


def install(app: FastAPI) -> None:
    """Answer every error as JSON with a German message."""

    @app.exception_handler(ApiError)
    async def _api(_request: Request, exc: ApiError) -> JSONResponse:
        return _answer(exc)

    @app.exception_handler(KodError)
    async def _kod(request: Request, exc: KodError) -> JSONResponse:
        if isinstance(exc, PermissionDenied):
            # The server refused to act for the device's officer: the device may have been
            # revoked a moment ago (a checked token is kept until the change feed says so).
            # Then the device hears why, as on its next call.
            exc = await _checked_again(request) or exc
        return _answer(from_kod_error(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "form")]
        field = ".".join(loc) or None
        message = (
            tr("field", "The field %1 is missing or not valid.", field)
            if field
            else tr("field", "The request is not valid.")
        )
        return _answer(ApiError(422, "invalid", message, field))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, text = _STATUS_MESSAGES.get(
            exc.status_code, ("error", N_("field", "The request failed."))
        )
        # Keep the framework's headers (``Allow`` of a 405).
        return _answer(ApiError(exc.status_code, code, tr("field", text), **(exc.headers or {})))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("field API: unexpected error", exc_info=exc)
        return _answer(
            ApiError(500, "internal", tr("field", "An internal error occurred. It was logged."))
        )
