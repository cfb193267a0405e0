"""``Idempotency-Key`` on the writing calls: a write sent again gets the first answer back.

The field app queues writes in a dead spot and sends them later, each with a key of its own
(see :mod:`app.services.field_idempotency`). A call with the header is authenticated here first
(the route reuses that identity), its key reserved, the call run and a successful answer kept;
a call that failed releases its key. Calls without the header are not touched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
from typing import IO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.platform.errors import KodError
from app.platform.i18n import tr
from app.services.field_gateway import DeviceIdentity
from app.services.field_idempotency import (
    KEY_PATTERN,
    Answered,
    AnswerNotKept,
    Reserved,
    Running,
    Unknown,
)
from fieldapi.context import FieldContext
from fieldapi.errors import ApiError, error_body, from_kod_error

log = logging.getLogger(__name__)

HEADER = b"idempotency-key"
#: The writing calls that honour the key.
WRITES = re.compile(r"/v1/(status|positions|reports|offences|inbox/(incident|task)/[0-9]+/ack)")
#: Largest answer kept whole (the writes' answers are a few hundred bytes; an OWi capture's
#: names the catalogue entry, whose text the clerks write). A larger one is not kept: a repeated
#: request learns that its write was stored (409 ``answer_not_kept``), never a wrong answer.
MAX_ANSWER = 256 * 1024
#: A body up to this size is held in memory while its fingerprint is taken, a larger one on disk.
SPOOL_IN_MEMORY = 1024 * 1024


class Idempotency:
    """ASGI middleware in front of the routes (inside the call audit)."""

    def __init__(self, app: ASGIApp, ctx: FieldContext) -> None:
        self.app, self.ctx = app, ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not WRITES.fullmatch(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw = headers.get(HEADER)
        if raw is None:
            await self.app(scope, receive, send)
            return
        key = raw.decode("latin-1").strip()
        if not KEY_PATTERN.fullmatch(key):
            await _answer(
                send,
                ApiError(
                    422,
                    "invalid",
                    tr("field", "The Idempotency-Key must be 8 to 64 letters, digits, - or _."),
                    "Idempotency-Key",
                ),
            )
            return
        auth = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await self.app(scope, receive, send)  # the route refuses it as usual
            return
        client = (scope.get("client") or ("?", 0))[0]
        try:
            identity = await self.ctx.identify(token.strip(), str(client))
        except ApiError as exc:
            await _answer(send, exc)
            return
        except KodError as exc:
            await _answer(send, from_kod_error(exc))
            return
        scope.setdefault("state", {})["identity"] = identity
        # The key stands for one request: its call and its content (the IETF draft's
        # fingerprint). The body is read first (within the body limit outside) and handed on.
        try:
            digest, spool = await _fingerprint(receive, headers.get(b"content-type", b""))
        except ApiError as exc:  # over the body limit
            await _answer(send, exc)
            return
        with spool:
            await self._keyed(scope, _replayed(spool, receive), send, identity, key, digest)

    async def _keyed(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        identity: DeviceIdentity,
        key: str,
        digest: str,
    ) -> None:
        call = f"{scope['method']} {scope['path']}"
        request = f"{call} {digest}"
        keys = self.ctx.request_keys
        try:
            outcome = await keys.reserve(identity.device_id, key, request)
        except KodError as exc:  # the database is out of reach
            await _answer(send, from_kod_error(exc))
            return
        if (
            isinstance(outcome, Running | Answered | AnswerNotKept | Unknown)
            and _call(outcome.request) != call
        ):
            await _answer(
                send,
                ApiError(
                    422,
                    "invalid",
                    tr("field", "This Idempotency-Key was used for another request."),
                    "Idempotency-Key",
                ),
            )
            return
        if isinstance(outcome, Answered | AnswerNotKept) and not _same_content(
            outcome.request, digest
        ):
            await _answer(
                send,
                ApiError(
                    422,
                    "invalid",
                    tr(
                        "field",
                        "This Idempotency-Key was used for the same call with another content.",
                    ),
                    "Idempotency-Key",
                ),
            )
            return
        if isinstance(outcome, Answered):
            await _replay(send, outcome)
            return
        if isinstance(outcome, AnswerNotKept):
            await _answer(
                send,
                ApiError(
                    409,
                    "answer_not_kept",
                    tr(
                        "field",
                        "This request was processed already and is not processed again; its "
                        "answer was too large to keep. The data is at the control room.",
                    ),
                ),
            )
            return
        if isinstance(outcome, Running):
            await _answer(
                send,
                ApiError(
                    409,
                    "in_progress",
                    tr("field", "This request is still being processed. Please try again."),
                    **{"Retry-After": "2"},
                ),
            )
            return
        if isinstance(outcome, Unknown):
            await _answer(
                send,
                ApiError(
                    409,
                    "outcome_unknown",
                    tr(
                        "field",
                        "It is not known whether this request arrived: the service was "
                        "interrupted while processing it. It will not be processed again; "
                        "please check with the control room.",
                    ),
                ),
            )
            return
        assert isinstance(outcome, Reserved)
        status = 0
        body = bytearray()
        held: Message | None = None

        async def kept(message: Message) -> None:
            # The answer is noted before anything is passed on: when the caller is gone (the
            # lost answer this is all about), the write is stored all the same and its key
            # must keep the whole answer. The start is held back until the body comes.
            nonlocal status, held
            if message["type"] == "http.response.start":
                status = int(message["status"])
                held = message
                return
            if message["type"] == "http.response.body":
                if len(body) <= MAX_ANSWER:
                    body.extend(message.get("body", b""))
                if held is not None:
                    start, held = held, None
                    await send(start)
            await send(message)

        try:
            await self.app(scope, receive, kept)
            if held is not None:  # an answer without a body
                await send(held)
        finally:
            if 200 <= status < 300:
                await self._finish(identity.device_id, key, status, bytes(body))
            else:
                await self._release(identity.device_id, key)

    async def _finish(self, device_id: int, key: str, status: int, body: bytes) -> None:
        answer = body.decode("utf-8") if len(body) <= MAX_ANSWER else None
        try:
            await self.ctx.request_keys.finish(device_id, key, status, answer)
        except Exception:
            # The write is stored: the key stays reserved, a repetition is refused as running.
            log.exception("answer of idempotency key %s of device %s not kept", key, device_id)

    async def _release(self, device_id: int, key: str) -> None:
        try:
            await self.ctx.request_keys.release(device_id, key)
        except Exception:
            log.exception("idempotency key %s of device %s not released", key, device_id)


def _call(request: str) -> str:
    """``POST /v1/status`` of a stored ``POST /v1/status <fingerprint>``."""
    method, _, rest = request.partition(" ")
    return f"{method} {rest.partition(' ')[0]}"


def _same_content(request: str, digest: str) -> bool:
    # A key stored before fingerprints were kept (within its keeping period) has none to compare.
    stored = request.split(" ")[2:]
    return not stored or stored[0] == digest


async def _fingerprint(receive: Receive, content_type: bytes) -> tuple[str, IO[bytes]]:
    """The SHA-256 of the body (a multipart body without its boundary, which a client draws
    anew for every send; JSON in one canonical spelling) and the body itself, spooled."""
    boundary = b""
    kind, _, params = content_type.partition(b";")
    if kind.strip().lower() == b"multipart/form-data":
        for param in params.split(b";"):
            name, _, value = param.strip().partition(b"=")
            if name.strip().lower() == b"boundary":
                boundary = value.strip().strip(b'"')
    digest = hashlib.sha256(kind.strip().lower() + b"\n")
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    carry = b""
    try:
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            spool.write(chunk)
            if boundary:
                # The boundary may straddle two chunks: the tail that could start one waits.
                pending = (carry + chunk).replace(boundary, b"")
                keep = len(boundary) - 1
                carry = pending[-keep:] if keep and len(pending) > keep else pending
                digest.update(pending[: len(pending) - len(carry)])
            else:
                digest.update(chunk)
            if not message.get("more_body", False):
                break
    except BaseException:
        spool.close()
        raise
    digest.update(carry)
    if kind.strip().lower() == b"application/json":
        # The same JSON sent again may be written differently (spaces, order of its names).
        spool.seek(0)
        try:
            canonical = json.dumps(
                json.loads(spool.read()), sort_keys=True, separators=(",", ":")
            ).encode()
        except ValueError:
            pass  # not JSON: the route refuses it, its bytes are its fingerprint
        else:
            digest = hashlib.sha256(b"application/json\n" + canonical)
    spool.seek(0)
    return digest.hexdigest(), spool


def _replayed(spool: IO[bytes], receive: Receive) -> Receive:
    """The spooled body handed to the route, then the caller's messages (a disconnect)."""
    done = False

    async def again() -> Message:
        nonlocal done
        if done:
            return await receive()
        chunk = spool.read(64 * 1024)
        more = bool(chunk) and spool.tell() < _size(spool)
        done = not more
        return {"type": "http.request", "body": chunk, "more_body": more}

    return again


def _size(spool: IO[bytes]) -> int:
    here = spool.tell()
    end = spool.seek(0, 2)
    spool.seek(here)
    return end


async def _replay(send: Send, first: Answered) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": first.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"idempotent-replayed", b"true"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": first.answer.encode("utf-8")})


async def _answer(send: Send, exc: ApiError) -> None:
    headers = [(b"content-type", b"application/json")]
    headers += [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    body = json.dumps(error_body(exc.code, exc.message, exc.field)).encode()
    await send({"type": "http.response.body", "body": body})
