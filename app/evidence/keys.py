"""The master key and the per-recording data keys it wraps.

The master key is a file outside the database (``KOD_RECORDING_KEY_FILE``, else the machine's
configuration folder; :mod:`app.evidence.config`): a comment line and 32 random bytes in
Base64. Someone with the database alone (a backup, a stolen dump) cannot read a recording; the
store folder alone is useless as well. Every recording gets a fresh random 256-bit data key,
wrapped with the master key by AES-256-GCM whose associated data is the recording's storage
key: a wrapped key copied to another recording's row does not open it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.evidence.errors import TamperedError
from app.platform.errors import ConfigError
from app.platform.i18n import tr

KEY_BYTES = 32
_NONCE_BYTES = 12
_HEADER_LINE = "# KOD-Leitstelle recording master key v1 - keep secret, never in the database"
_WRAP_CONTEXT = b"kod-recording-data-key-v1:"

log = logging.getLogger(__name__)


def new_data_key() -> bytes:
    """A fresh random AES-256 key for one recording."""
    return AESGCM.generate_key(bit_length=256)


@dataclass(frozen=True)
class MasterKey:
    """The loaded master key; ``key_id`` names it (stored with each wrapped key)."""

    key_id: str
    _key: bytes = field(repr=False)

    @classmethod
    def from_bytes(cls, key: bytes) -> MasterKey:
        """A master key from its 32 raw bytes."""
        if len(key) != KEY_BYTES:
            raise ValueError("a master key has 32 bytes")
        key_id = hashlib.sha256(b"kod-master-key-id:" + key).hexdigest()[:16]
        return cls(key_id, key)

    def wrap(self, data_key: bytes, storage_key: str) -> bytes:
        """``data_key`` encrypted for storing in the database, bound to ``storage_key``."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self._key).encrypt(nonce, data_key, _WRAP_CONTEXT + storage_key.encode())
        return nonce + sealed

    def unwrap(self, wrapped: bytes, storage_key: str, key_id: str) -> bytes:
        """The data key of the recording stored under ``storage_key``.

        Raises :class:`TamperedError` if the recording was sealed with another master key or
        the wrapped key was changed or belongs to another recording.
        """
        if key_id != self.key_id:
            raise TamperedError(
                tr(
                    "evidence",
                    "The recording was encrypted with another master key (%1); the configured "
                    "master key is %2. Configure the right key file.",
                    key_id,
                    self.key_id,
                )
            )
        try:
            return AESGCM(self._key).decrypt(
                wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], _WRAP_CONTEXT + storage_key.encode()
            )
        except (InvalidTag, ValueError) as exc:
            raise TamperedError(
                tr(
                    "evidence",
                    "The key of the recording %1 does not open with the master key: it was "
                    "changed or belongs to another recording.",
                    storage_key,
                )
            ) from exc


def load_master_key(path: Path) -> MasterKey:
    """Read the master key file; a clear German :class:`ConfigError` if it is missing or bad."""
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError as exc:
        raise ConfigError(
            tr(
                "evidence",
                "The master key file for bodycam recordings is missing: %1. Without it no "
                "recording can be stored or opened. Create it once with 'kod-admin recordings "
                "keygen' or set KOD_RECORDING_KEY_FILE to where it is.",
                path,
            )
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            tr("evidence", "The master key file %1 cannot be read: %2", path, _why(exc))
        ) from exc
    if os.name == "posix" and path.stat().st_mode & 0o077:
        log.warning("master key file %s is readable by others than its owner", path)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    try:
        key = base64.b64decode(lines[0], validate=True) if len(lines) == 1 else b""
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ConfigError(
            tr(
                "evidence",
                "The master key file %1 is malformed: it must hold exactly one line with 32 "
                "bytes in Base64. Restore it from the key backup; recordings encrypted with "
                "the lost key cannot be opened.",
                path,
            )
        )
    return MasterKey.from_bytes(key)


def write_master_key(path: Path) -> MasterKey:
    """Create a new master key file (readable by its owner only); never overwrites one."""
    key = secrets.token_bytes(KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError as exc:
        raise ConfigError(
            tr(
                "evidence",
                "%1 exists already. A master key is never overwritten: recordings "
                "encrypted with it could no longer be opened.",
                path,
            )
        ) from exc
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(f"{_HEADER_LINE}\n{base64.b64encode(key).decode('ascii')}\n")
    return MasterKey.from_bytes(key)


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)
