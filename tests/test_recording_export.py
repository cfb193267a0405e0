"""Evidence export packages (round trip, password, cancel, rights) and ``kod-admin recordings
verify`` / ``export`` / ``retention run`` on a real store."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pyzipper
from sqlalchemy import text

from app.evidence.errors import ExportCancelled
from app.evidence.package import CUSTODY_NAME, METADATA_NAME, README_NAME, SUMS_NAME
from app.evidence.store import EvidenceStore
from app.platform.config import sqlite_target
from app.platform.database import Database
from app.platform.errors import PermissionDenied
from app.platform.permissions import Role
from app.services import Services
from app.services.recording_access import RecordingAccessService
from app.services.recording_export import RecordingExportService
from app.tools.cli import run
from tests.conftest import ADMIN
from tests.evidence_files import START, evidence_config, files_under, import_clip, make_clips
from tests.pg_logins import PASSWORD
from ui.printing.custody import custody_writer
from ui.printing.render import Letterhead

REASON = "Anforderung der Bußgeldstelle, Az. OWi-2026-000042"
RECIPIENT = "Bußgeldstelle Stadt Leverkusen"
SECRET = "Beweis-2026-sicher!"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_clips(tmp_path_factory.mktemp("clips"), 2)


def _pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    # NFKC: the PDF's ligatures (ﬀ) back to letters.
    return " ".join(unicodedata.normalize("NFKC", done.stdout).split())


def _sums(text_: str) -> dict[str, str]:
    return {name: digest for digest, name in (line.split("  ", 1) for line in text_.splitlines())}


@pytest.mark.asyncio
async def test_export_package_round_trip_with_and_without_password(
    db: Database, services: Services, tmp_path: Path, clips: list[Path], qapp: object
) -> None:
    await services.users.add(ADMIN, "m.mueller", "Mia Müller", Role.FIELD_OFFICER, PASSWORD)
    for name, role in (
        ("dispo", Role.DISPATCHER),
        ("sb1", Role.CLERK),
        ("dsb", Role.DATA_PROTECTION),
    ):
        await services.users.add(ADMIN, name, f"{name} Person", role, PASSWORD)
    dispatcher = await services.users.authenticate("dispo", PASSWORD)
    clerk = await services.users.authenticate("sb1", PASSWORD)
    dsb = await services.users.authenticate("dsb", PASSWORD)
    store = EvidenceStore.open(evidence_config(tmp_path))
    rec = await import_clip(db, store, dispatcher, clips[0], START)
    opened = await RecordingAccessService(db, store).open(clerk, rec, "Sichtung für die Anzeige")
    opened.close()
    exporter = RecordingExportService(
        db, store, custody_writer(Letterhead("Stadt Leverkusen", "KOD"))
    )
    out = tmp_path / "export"
    steps: list[tuple[int, int]] = []
    files = await exporter.export(
        clerk, rec, REASON, RECIPIENT, out, progress=lambda d, t: steps.append((d, t))
    )
    original = clips[0].read_bytes()
    assert steps[-1] == (len(original), len(original))
    folder = files.folder
    clip_file = folder / files.clip_name
    assert clip_file.read_bytes() == original
    # The hash list is what sha256sum checks, and it matches the recorded hash.
    check = subprocess.run(["sha256sum", "-c", SUMS_NAME], cwd=folder, capture_output=True)
    assert check.returncode == 0, check.stdout
    sums = _sums((folder / SUMS_NAME).read_text(encoding="utf-8"))
    assert sums[files.clip_name] == hashlib.sha256(original).hexdigest()
    meta = json.loads((folder / METADATA_NAME).read_text(encoding="utf-8"))
    assert meta["sha256"] == sums[files.clip_name] and meta["recording_id"] == rec
    assert meta["export"]["recipient"] == RECIPIENT and meta["officer"].startswith("Mia Müller")
    custody = _pdf_text(folder / CUSTODY_NAME)
    for expected in ("Zugriffsprotokoll", "sb1", "Sichtung für die Anzeige", RECIPIENT, "geöffnet"):
        assert expected in custody, expected
    assert (folder / README_NAME).is_file()

    # With a password: only the AES-256 archive and its hash; it opens with the password only.
    sealed = await exporter.export(clerk, rec, REASON, RECIPIENT, out / "zip", password=SECRET)
    assert sorted(p.name for p in sealed.folder.iterdir()) == sorted(
        [sealed.archive.name, SUMS_NAME, README_NAME]  # type: ignore[union-attr]
    )
    assert original not in b"".join(p.read_bytes() for p in files_under(sealed.folder))
    with pyzipper.AESZipFile(sealed.archive) as zf:
        zf.setpassword(SECRET.encode())
        assert zf.read(sealed.clip_name) == original
        inner = _sums(zf.read(SUMS_NAME).decode("utf-8"))
        assert inner[sealed.clip_name] == sums[files.clip_name]
        assert "sb1" in _pdf_text_bytes(zf.read(CUSTODY_NAME), tmp_path)
    with pyzipper.AESZipFile(sealed.archive) as zf:
        zf.setpassword(b"falsches-passwort")
        with pytest.raises(RuntimeError, match="password"):
            zf.read(sealed.clip_name)

    # Cancelled: nothing is left, and the log says so.
    with pytest.raises(ExportCancelled):
        await exporter.export(clerk, rec, REASON, RECIPIENT, out / "cancel", cancelled=lambda: True)
    assert not (out / "cancel").exists() or not any((out / "cancel").iterdir())
    with pytest.raises(PermissionDenied):
        await exporter.export(dsb, rec, REASON, RECIPIENT, out / "dsb")
    actions = _audit(db)
    assert actions.count(("recording.export", "sb1", RECIPIENT)) == 3
    assert ("recording.export.cancel", "sb1", None) in actions


def _pdf_text_bytes(data: bytes, folder: Path) -> str:
    path = folder / "custody-check.pdf"
    path.write_bytes(data)
    try:
        return _pdf_text(path)
    finally:
        path.unlink()


def _audit(db: Database) -> list[tuple[str, str, str | None]]:
    engine = db.sync_engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT action, username, recipient FROM audit_log ORDER BY id")
            ).all()
            return [(str(r[0]), str(r[1]), r[2]) for r in rows]
    finally:
        engine.dispose()


def test_cli_verify_finds_a_tampered_byte_and_exports_and_deletes(
    tmp_path: Path,
    clips: list[Path],
    sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    path = tmp_path / "kod.sqlite"
    shutil.copy(sqlite_template, path)
    config = evidence_config(tmp_path)
    monkeypatch.setenv("KOD_RECORDING_KEY_FILE", str(config.key_file))
    monkeypatch.setenv("KOD_RECORDING_STORE", str(config.store_dir))
    monkeypatch.setenv("KOD_RECORDING_QUARANTINE", str(config.quarantine_dir))

    async def setup() -> list[int]:
        db = Database(sqlite_target(path), workstation="test-ws")
        try:
            services = Services.create(db)
            await services.users.add(ADMIN, "m.mueller", "Mia", Role.FIELD_OFFICER, PASSWORD)
            await services.users.add(ADMIN, "dispo", "Dora", Role.DISPATCHER, PASSWORD)
            dispatcher = await services.users.authenticate("dispo", PASSWORD)
            store = EvidenceStore.open(config)
            # Recorded today: nothing is due when the deletion job runs below.
            today = datetime.now(UTC) - timedelta(hours=2)
            return [await import_clip(db, store, dispatcher, c, today) for c in clips]
        finally:
            await db.dispose()

    first, second = asyncio.run(setup())
    database = ["--database", f"sqlite:///{path}"]
    assert run([*database, "recordings", "verify"]) == 0
    out = capsys.readouterr().out
    assert f"Aufnahme Nr. {first}: unversehrt" in out and "2 Aufnahmen geprüft, 0" in out

    # One byte in the middle of the second recording's stored file.
    [stored] = [p for p in files_under(config.store_dir) if _belongs(p, second, path)]
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01
    stored.write_bytes(bytes(data))
    assert run([*database, "recordings", "verify"]) == 12
    captured = capsys.readouterr()
    assert f"Aufnahme Nr. {first}: unversehrt" in captured.out
    assert f"Aufnahme Nr. {second}:" in captured.err and "manipuliert" in captured.err
    assert "2 Aufnahmen geprüft, 1 beschädigt" in captured.out
    details = [json.loads(d) for a, d in _audit_details(path) if a == "recording.verify"]
    assert details[-1]["failed"] == {str(second): "tampered"}

    # Export with a password through the command line (PDF laid out by the printing layer).
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    target = tmp_path / "paket"
    args = ["recordings", "export", str(first), "--reason", REASON, "--recipient", RECIPIENT]
    assert run([*database, *args, "--out", str(target), "--password-stdin"]) == 0
    [package] = list(target.iterdir())
    [archive] = list(package.glob("*.zip"))
    with pyzipper.AESZipFile(archive) as zf:
        zf.setpassword(SECRET.encode())
        assert zf.read(f"Aufnahme-{first}.mp4") == clips[0].read_bytes()
        assert CUSTODY_NAME in zf.namelist()
    # Nothing is due yet: the deletion job deletes nothing; both are listed two weeks ahead.
    assert run([*database, "retention", "run"]) == 0
    assert "0 Aufnahmen gelöscht" in capsys.readouterr().out
    assert run([*database, "retention", "upcoming", "--days", "16"]) == 0
    listed = capsys.readouterr().out
    assert f"Aufnahme Nr. {first} " in listed and f"Aufnahme Nr. {second} " in listed


def _belongs(stored: Path, recording_id: int, db_path: Path) -> bool:
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        (key,) = conn.execute(
            "SELECT storage_key FROM recording WHERE id = ?", (recording_id,)
        ).fetchone()
    return stored.as_posix().endswith(key)


def _audit_details(db_path: Path) -> list[tuple[str, str]]:
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        return [
            (str(a), str(d))
            for a, d in conn.execute("SELECT action, details FROM audit_log ORDER BY id")
        ]
