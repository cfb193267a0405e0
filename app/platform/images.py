"""Photos from outside (field devices, later citizen reports): checked, re-encoded, stripped.

A photo is accepted only if its bytes are a JPEG, PNG or WebP picture (the content decides,
not the name or the declared type), within a size and a pixel limit (a decompression bomb is
refused before it is decoded). It is stored re-encoded as JPEG, at most
:data:`MAX_EDGE` pixels on its long side, turned upright, with no metadata but the time it
was taken and its GPS position.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from app.platform.errors import ValidationError
from app.platform.i18n import tr
from app.platform.timeutil import BERLIN

#: Largest accepted upload of one photo.
MAX_PHOTO_BYTES = 15 * 1024 * 1024
#: Largest accepted picture (a 50-megapixel camera fits; a decompression bomb does not).
MAX_PIXELS = 60_000_000
#: Long side of the stored photo.
MAX_EDGE = 2560
JPEG_QUALITY = 85

_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"WEBP", 8, "WEBP"),
)


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: re-encoded JPEG and the metadata kept from the original."""

    data: bytes
    width: int
    height: int
    sha256: str
    taken_at: datetime | None
    lat: float | None
    lon: float | None
    content_type: str = "image/jpeg"


def sniff(data: bytes) -> str | None:
    """The picture format the bytes begin with (JPEG, PNG, WEBP), or None."""
    for magic, offset, name in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            if name == "WEBP" and data[:4] != b"RIFF":
                continue
            return name
    return None


def _refused(reason: str) -> ValidationError:
    return ValidationError(reason, "photo")


def clean_photo(data: bytes, name: str = "") -> CleanPhoto:
    """Check and re-encode one photo; raises :class:`ValidationError` (German) if refused."""
    label = name or tr("images", "The photo")
    if len(data) > MAX_PHOTO_BYTES:
        raise _refused(
            tr("images", "%1 is too large (at most %2 MB).", label, MAX_PHOTO_BYTES // 2**20)
        )
    kind = sniff(data)
    if kind is None:
        raise _refused(tr("images", "%1 is not a JPEG, PNG or WebP picture.", label))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise _refused(
                        tr("images", "%1 has too many pixels (at most %2 million).", label, 60)
                    )
                exif = image.getexif()
                taken_at = _taken_at(exif)
                lat, lon = _position(exif)
                image.load()
                upright = ImageOps.exif_transpose(image) or image
                picture = upright.convert("RGB")
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ) as exc:
        raise _refused(
            tr("images", "%1 is damaged or incomplete and cannot be read.", label)
        ) from exc
    picture.thumbnail((MAX_EDGE, MAX_EDGE))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, exif=_kept_exif(exif))
    encoded = out.getvalue()
    return CleanPhoto(
        data=encoded,
        width=picture.width,
        height=picture.height,
        sha256=hashlib.sha256(encoded).hexdigest(),
        taken_at=taken_at,
        lat=lat,
        lon=lon,
    )


def _kept_exif(exif: Image.Exif) -> bytes:
    """Only the time the photo was taken and its GPS position survive."""
    kept = Image.Exif()
    for tag in (ExifTags.Base.DateTime,):
        if tag in exif:
            kept[tag] = exif[tag]
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    exif_ifd = {
        tag: sub[tag]
        for tag in (ExifTags.Base.DateTimeOriginal, ExifTags.Base.OffsetTimeOriginal)
        if tag in sub
    }
    if exif_ifd:
        kept[ExifTags.IFD.Exif] = exif_ifd
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if gps:
        kept[ExifTags.IFD.GPSInfo] = {
            tag: gps[tag]
            for tag in (
                ExifTags.GPS.GPSLatitudeRef,
                ExifTags.GPS.GPSLatitude,
                ExifTags.GPS.GPSLongitudeRef,
                ExifTags.GPS.GPSLongitude,
            )
            if tag in gps
        }
    return kept.tobytes()


def _taken_at(exif: Image.Exif) -> datetime | None:
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    raw = sub.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = sub.get(ExifTags.Base.OffsetTimeOriginal)
    if isinstance(offset, str):
        try:
            return datetime.strptime(f"{raw.strip()} {offset.strip()}", "%Y:%m:%d %H:%M:%S %z")
        except ValueError:
            pass
    # Without an offset the camera's local time is unknown: read it as the city's time.
    return moment.replace(tzinfo=BERLIN).astimezone(UTC)


def _position(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    try:
        lat = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef))
        lon = _degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return lat, lon


def _degrees(value: object, ref: object) -> float:
    d, m, s = (float(part) for part in value)  # type: ignore[attr-defined]
    result = d + m / 60 + s / 3600
    return -result if ref in ("S", "W") else result
