"""The evidence package for the Bußgeldstelle or the prosecutor, written to a folder.

Two forms, for what the recipient can open:

- **Decrypted** (``password`` None): a folder with the clip as it came from the camera, the
  metadata (``metadaten.json``), the chain of custody (``Zugriffsprotokoll.pdf``), a
  ``SHA256SUMS.txt`` in the format of ``sha256sum -c`` and a ``LIESMICH.txt``.
- **With a password**: the same four files inside one ZIP archive encrypted with AES-256
  (WinZip AE-2, the ZIP encryption that 7-Zip, WinZip and current Windows Explorer open with the
  password), beside it ``SHA256SUMS.txt`` of the archive and ``LIESMICH.txt``. The clip is
  decrypted straight into the archive: no plaintext copy ever lands on disk. The password goes
  to the recipient by another way than the package.

The clip's SHA-256 is computed while it is written and must equal the one recorded at import;
otherwise nothing is left. The package is written under a temporary name and renamed when
complete: a cancelled or failed export leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyzipper

from app.evidence.errors import ExportCancelled, StorageError, TamperedError
from app.evidence.sealed import Progress, SealedReader
from app.platform.i18n import tr

METADATA_NAME = "metadaten.json"
CUSTODY_NAME = "Zugriffsprotokoll.pdf"
SUMS_NAME = "SHA256SUMS.txt"
README_NAME = "LIESMICH.txt"
#: The shortest password accepted for a package.
MIN_PASSWORD = 10

#: Writes the chain-of-custody PDF to the given path (blocking; the ui printing layer).
CustodyWriter = Callable[[Path], None]


@dataclass(frozen=True)
class PackageFiles:
    """What was written: the package folder and each file's SHA-256 (inside the archive too)."""

    folder: Path
    clip_name: str
    sha256: dict[str, str]
    archive: Path | None


def _sums(hashes: dict[str, str]) -> str:
    return "".join(f"{digest}  {name}\n" for name, digest in hashes.items())


def _readme(clip_name: str, archive: str | None) -> str:
    lines = [
        "Beweismittelpaket KOD-Leitstelle (Bodycam-Aufnahme)",
        "",
        f"Aufnahme: {clip_name}",
        f"Metadaten: {METADATA_NAME} (JSON, UTF-8)",
        f"Zugriffsprotokoll (Chain of Custody): {CUSTODY_NAME}",
        f"Prüfsummen: {SUMS_NAME} (SHA-256; prüfen mit 'sha256sum -c {SUMS_NAME}' oder",
        "  'Get-FileHash -Algorithm SHA256' unter Windows)",
    ]
    if archive:
        lines += [
            "",
            f"Die Dateien liegen verschlüsselt im ZIP-Archiv {archive} (AES-256, WinZip AE-2).",
            "Öffnen mit 7-Zip, WinZip oder dem Windows-Explorer (Windows 11) und dem Passwort,",
            "das Sie auf getrenntem Weg erhalten haben. Die Prüfsummen der Dateien stehen",
            f"im Archiv in {SUMS_NAME}; die Prüfsumme des Archivs steht hier in {SUMS_NAME}.",
        ]
    return "\n".join(lines) + "\n"


def _pump(
    reader: SealedReader,
    out: BinaryIO,
    expected_sha256: str,
    progress: Progress | None,
    cancelled: Callable[[], bool] | None,
) -> str:
    digest = hashlib.sha256()
    done = 0
    for plain in reader.chunks():
        if cancelled is not None and cancelled():
            raise ExportCancelled(tr("evidence", "The export was cancelled."))
        out.write(plain)
        digest.update(plain)
        done += len(plain)
        if progress is not None:
            progress(done, reader.size)
    actual = digest.hexdigest()
    if actual != expected_sha256:
        raise TamperedError(
            tr(
                "evidence",
                "The stored recording does not match its recorded SHA-256 (%1 instead of %2): "
                "it is not exported.",
                actual,
                expected_sha256,
            )
        )
    return actual


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _partial_folder(target: Path) -> Iterator[Path]:
    if target.exists():
        raise StorageError(tr("evidence", "%1 exists already; choose another folder.", target))
    partial = target.with_name(f".{target.name}.part-{secrets.token_hex(4)}")
    try:
        partial.mkdir(parents=True)
        yield partial
        partial.rename(target)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise StorageError(
            tr("evidence", "The package cannot be written to %1: %2", target, exc.strerror or exc)
        ) from exc
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def write_package(
    target: Path,
    reader: SealedReader,
    clip_name: str,
    expected_sha256: str,
    metadata: dict[str, Any],
    custody: CustodyWriter,
    password: str | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> PackageFiles:
    """Write the package into the new folder ``target`` (blocking: run in a worker)."""
    meta = (json.dumps(metadata, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    with _partial_folder(target) as folder:
        if password is None:
            with (folder / clip_name).open("xb") as out:
                clip_hash = _pump(reader, out, expected_sha256, progress, cancelled)
            (folder / METADATA_NAME).write_bytes(meta)
            custody(folder / CUSTODY_NAME)
            hashes = {
                clip_name: clip_hash,
                METADATA_NAME: hashlib.sha256(meta).hexdigest(),
                CUSTODY_NAME: _hash_file(folder / CUSTODY_NAME),
            }
            (folder / SUMS_NAME).write_text(_sums(hashes), encoding="utf-8")
            (folder / README_NAME).write_text(_readme(clip_name, None), encoding="utf-8")
            return PackageFiles(target, clip_name, hashes, None)
        archive_name = f"{target.name}.zip"
        # The PDF is laid out before the archive is opened; it holds no clip, only the log.
        pdf_dir = folder / ".custody"
        pdf_dir.mkdir()
        custody(pdf_dir / CUSTODY_NAME)
        pdf = (pdf_dir / CUSTODY_NAME).read_bytes()
        shutil.rmtree(pdf_dir)
        with pyzipper.AESZipFile(folder / archive_name, "x", compression=pyzipper.ZIP_STORED) as zf:
            zf.setpassword(password.encode("utf-8"))
            zf.setencryption(pyzipper.WZ_AES, nbits=256)
            with zf.open(clip_name, "w", force_zip64=True) as out:
                clip_hash = _pump(reader, out, expected_sha256, progress, cancelled)
            zf.writestr(METADATA_NAME, meta)
            zf.writestr(CUSTODY_NAME, pdf)
            hashes = {
                clip_name: clip_hash,
                METADATA_NAME: hashlib.sha256(meta).hexdigest(),
                CUSTODY_NAME: hashlib.sha256(pdf).hexdigest(),
            }
            zf.writestr(SUMS_NAME, _sums(hashes))
        outer = {archive_name: _hash_file(folder / archive_name)}
        (folder / SUMS_NAME).write_text(_sums(outer), encoding="utf-8")
        (folder / README_NAME).write_text(_readme(clip_name, archive_name), encoding="utf-8")
        return PackageFiles(target, clip_name, {**hashes, **outer}, target / archive_name)
