"""Bodycam evidence, Qt-free: the encrypted recording store and what reads files for import.

- :mod:`app.evidence.keys`: the master key (a file outside the database) and the per-recording
  data keys it wraps.
- :mod:`app.evidence.sealed`: the sealed format, AES-256-GCM in independently decryptable
  chunks bound to their index and the recording, with streaming sealing and random-access
  reads of plaintext byte ranges (for libvlc's media callbacks; nothing is written in clear).
- :mod:`app.evidence.vlc_source`: a sealed recording as a libvlc media (decrypting callbacks).
- :mod:`app.evidence.storage`: the narrow storage interface and its folder implementation.
- :mod:`app.evidence.media`: what a file to import is (empty, cut off, not a video) and its
  metadata, read with libvlc; :mod:`app.evidence.sidecar`: the camera's JSON metadata file.
- :mod:`app.evidence.quarantine`: where refused files go, with the reason beside them;
  :mod:`app.evidence.inbox`: which files in the import folder have settled.

The database side (import, audit, incident proposal) is :mod:`app.services.recording_import`.
"""
