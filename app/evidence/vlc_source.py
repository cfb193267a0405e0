"""A sealed recording as a libvlc media: libvlc pulls the plaintext through callbacks.

libvlc calls open/read/seek/close from its own threads; each read decrypts only the chunks it
touches (:class:`~app.evidence.sealed.SealedReader`), so the clip plays and seeks without a
plaintext file anywhere. A chunk that fails its check ends the stream with an error (libvlc
stops) and is remembered in :attr:`SealedMedia.failure` for the viewer to report; the
callbacks never raise into libvlc. Keep the :class:`SealedMedia` alive as long as the media.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Any

from app.evidence.errors import TamperedError
from app.evidence.sealed import SealedReader

log = logging.getLogger(__name__)


class SealedMedia:
    """Builds a ``vlc.Media`` reading from ``reader`` (the caller closes the reader);
    ``demux`` names the libvlc demuxer to use (None: libvlc chooses)."""

    def __init__(
        self, vlc: Any, instance: Any, reader: SealedReader, demux: str | None = None
    ) -> None:
        self._reader = reader
        self._position = 0
        #: The integrity error that stopped playback, if one did.
        self.failure: TamperedError | None = None
        decorators = vlc.CallbackDecorators
        # The ctypes callbacks must outlive the media: keep references on self.
        self._open = decorators.MediaOpenCb(self._on_open)
        self._read = decorators.MediaReadCb(self._on_read)
        self._seek = decorators.MediaSeekCb(self._on_seek)
        self._close = decorators.MediaCloseCb(self._on_close)
        self.media = instance.media_new_callbacks(
            self._open, self._read, self._seek, self._close, None
        )
        if demux is not None:
            self.media.add_option(f":demux={demux}")

    def _on_open(self, _opaque: Any, datap: Any, sizep: Any) -> int:
        self._position = 0
        sizep.contents.value = self._reader.size
        return 0

    def _on_read(self, _opaque: Any, buf: Any, length: int) -> int:
        try:
            data = self._reader.read(self._position, length)
        except TamperedError as exc:
            self.failure = exc
            return -1
        except Exception:
            log.exception("reading the sealed recording failed")
            return -1
        ctypes.memmove(buf, data, len(data))
        self._position += len(data)
        return len(data)

    def _on_seek(self, _opaque: Any, offset: int) -> int:
        if offset < 0 or offset > self._reader.size:
            return -1
        self._position = offset
        return 0

    def _on_close(self, _opaque: Any) -> None:
        self._position = 0

    def release(self) -> None:
        """Release the media (the reader stays open for the caller to close)."""
        self.media.release()
