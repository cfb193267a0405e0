"""The field API's settings (command line, environment)."""

from __future__ import annotations

from dataclasses import dataclass

from app.platform.images import MAX_PHOTO_BYTES
from app.services.field_photos import MAX_PHOTOS


@dataclass(frozen=True)
class FieldApiSettings:
    """Limits and where the API listens."""

    host: str = "127.0.0.1"
    port: int = 8470
    #: Requests a device may send per second on average, and in a burst.
    rate_per_s: float = 5.0
    burst: int = 30
    #: Requests without a valid token allowed per client address and minute (token guessing).
    unauthenticated_per_min: int = 30
    #: Largest request body (a Meldung with its photos).
    max_body_bytes: int = MAX_PHOTOS * MAX_PHOTO_BYTES // 2
    #: Largest request body without photos.
    max_json_bytes: int = 256 * 1024
    #: Seconds between two "last seen" writes of the same device.
    seen_interval_s: float = 30.0
    #: Processes serving the API (PostgreSQL only). Each allows a device its share of the rate
    #: limit, so the device stays within it whichever processes its connections reach.
    workers: int = 1
