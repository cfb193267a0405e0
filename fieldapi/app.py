"""The FastAPI application: routes, limits, errors, the audit of every call, the live link."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, WebSocket
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.platform.database import Database
from fieldapi import errors, routes, webapp
from fieldapi.context import FieldContext
from fieldapi.idempotency import Idempotency
from fieldapi.limits import BodyLimit
from fieldapi.open311_task import Open311Task
from fieldapi.settings import FieldApiSettings
from fieldapi.stream import StreamHub

DESCRIPTION = """\
Die Schnittstelle der Geräte des Außendienstes zur Leitstelle.

Jedes Gerät wird in der Leitstelle registriert (`kod-admin field devices add`) und erhält ein
Token `kodf_…`, das bei jedem Aufruf als `Authorization: Bearer …` mitgeht. Das Gerät handelt
für seine Beamtin oder seinen Beamten und seine Einheit: Rechte, Protokoll und Änderungsfeed
gelten wie am Arbeitsplatz. Fehler kommen als JSON `{"error": {"code", "message", "field"}}`
mit deutscher Meldung.

**Live-Verbindung** `GET /v1/stream` (WebSocket): erste Nachricht
`{"token": "kodf_…", "after": <cursor>}`; die Leitstelle schickt den Posteingang der Einheit
(`{"type": "inbox", "cursor", "items", "changed"}`) sofort und bei jeder Änderung; Empfang
bestätigen mit `{"type": "ack", "kind": "incident"|"task", "id": N}`.

**Einmal senden** nach einem Funkloch: Status, Meldung, OWi und Empfangsbestätigung nehmen den
Kopf `Idempotency-Key` (8–64 Zeichen `A-Za-z0-9_-`, je Schreibvorgang neu). Wird derselbe Vorgang
mit demselben Schlüssel erneut gesendet, kommt die erste Antwort zurück (Kopf
`Idempotent-Replayed: true`) und nichts wird doppelt gespeichert; läuft der erste noch, kommt 409
`in_progress`. Derselbe Schlüssel für einen anderen Aufruf oder mit anderem Inhalt wird mit 422
abgelehnt. Schlüssel gelten je Gerät 14 Tage.

**Web-App** für das Diensthandy: `/app/` (installierbar, arbeitet im Funkloch weiter).
"""


class CallAudit:
    """Every HTTP call leaves one audit record once its answer is known."""

    def __init__(self, app: ASGIApp, ctx: FieldContext) -> None:
        self.app, self.ctx = app, ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        status = 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            identity = scope.get("state", {}).get("identity")
            client = scope.get("client") or ("?", 0)
            await self.ctx.audit_call(
                identity, scope["method"], scope["path"], status, str(client[0])
            )


def create_app(
    db: Database,
    settings: FieldApiSettings | None = None,
    follow_changes: bool = True,
    open311: bool = False,
    reset_links: bool = True,
) -> FastAPI:
    """The field API on ``db`` (opened and checked by the caller, who also disposes it).

    ``open311``: also run the Open311 intake when a platform is configured. ``reset_links``:
    mark every device as not connected at the start (one process; with several, their parent
    does it once before starting them).
    """
    ctx = FieldContext(db, settings)
    hub = StreamHub(ctx)
    intake = Open311Task(db)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if reset_links:
            await ctx.gateway.reset_links()
        if follow_changes:
            await hub.start()
        if open311:
            intake.start()
        try:
            yield
        finally:
            await intake.stop()
            await hub.stop()
            await ctx.close()

    app = FastAPI(
        title="KOD-Leitstelle – Schnittstelle Außendienst",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.field = ctx
    app.state.hub = hub
    errors.install(app)
    app.include_router(routes.router)
    webapp.install(app)

    @app.websocket("/v1/stream")
    async def stream(socket: WebSocket) -> None:
        await hub.serve(socket)

    # Inside the call audit: a write answered again from its Idempotency-Key is audited too.
    app.add_middleware(Idempotency, ctx=ctx)
    app.add_middleware(CallAudit, ctx=ctx)
    app.add_middleware(
        BodyLimit, max_upload=ctx.settings.max_body_bytes, max_json=ctx.settings.max_json_bytes
    )
    return app


def openapi_document(app: FastAPI) -> str:
    """The OpenAPI document as checked into docs/field-api.openapi.json."""
    import json

    return json.dumps(app.openapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
