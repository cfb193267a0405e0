"""Fuzzed uploads: a truncated JPEG, a PDF named .jpg, a 50 MB photo, a decompression bomb.
Each is refused with a German JSON error, no server error, and nothing is stored."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image
from sqlalchemy import text

from app.platform.config import DatabaseTarget
from app.services import Services
from tests.field_setup import api_client, jpeg, officer_with_device

pytestmark = pytest.mark.asyncio


def _bomb_png() -> bytes:
    """A PNG of 30,000 × 30,000 pixels that compresses to well under a megabyte."""
    import struct

    width = height = 30_000

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + b"\x00" * width
    raw = zlib.compressobj(9)
    body = b"".join(raw.compress(row) for _ in range(200)) + raw.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _big_photo() -> bytes:
    image = Image.effect_noise((256, 256), 100).convert("RGB")
    data = io.BytesIO()
    image.save(data, "JPEG")
    head = data.getvalue()
    return head + b"\x00" * (50 * 1024 * 1024 - len(head))


CASES = {
    "truncated_jpeg": lambda: jpeg()[:700],
    "pdf_named_jpg": _pdf,
    "decompression_bomb": _bomb_png,
    "fifty_mb": _big_photo,
    "zip_named_jpg": lambda: b"PK\x03\x04" + zlib.compress(b"\x00" * 10_000_000),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_bad_upload_is_refused_and_nothing_stored(
    services: Services, db_target: DatabaseTarget, case: str
) -> None:
    setup = await officer_with_device(services)
    payload = CASES[case]()
    async with api_client(db_target) as client:
        for path, data in (("/v1/reports", {"subject": "Graffiti"}),):
            answer = await client.post(
                path,
                data=data,
                files=[("photos", ("bild.jpg", payload, "image/jpeg"))],
                headers={"Authorization": f"Bearer {setup.token}"},
            )
            assert answer.status_code in (413, 422), answer.text
            body = answer.json()["error"]
            assert body["code"] in ("too_large", "invalid")
            assert any(w in body["message"] for w in ("groß", "JPEG", "beschädigt", "Bildpunkte"))
    engine = services.db.sync_engine()
    try:
        with engine.connect() as conn:
            assert conn.execute(text("select count(*) from report")).scalar() == 0
            assert conn.execute(text("select count(*) from field_photo")).scalar() == 0
    finally:
        engine.dispose()


async def test_body_without_length_is_cut_off_at_the_limit(
    services: Services, db_target: DatabaseTarget
) -> None:
    setup = await officer_with_device(services)

    async def chunks():  # type: ignore[no-untyped-def]
        # A photo part that never ends, sent without a declared length.
        yield (
            b'--xyz\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff"
        )
        for _ in range(60):
            yield b"\x00" * (1024 * 1024)

    async with api_client(db_target) as client:
        answer = await client.post(
            "/v1/reports",
            content=chunks(),
            headers={
                "Authorization": f"Bearer {setup.token}",
                "Content-Type": "multipart/form-data; boundary=xyz",
            },
        )
    assert answer.status_code == 413, answer.text
    assert "zu groß" in answer.json()["error"]["message"]
